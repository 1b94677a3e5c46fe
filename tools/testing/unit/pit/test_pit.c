// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the 8254 model against the behaviour of KVM's i8254.c (Linux
 * 6.1): the expected values are worked out from the datasheet as KVM
 * simplifies it (time-derived counts, binary counting even in BCD).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pit_model.h"

static int passed, failed;

#define CHECK(cond) do {						\
	if (cond) {							\
		passed++;						\
	} else {							\
		failed++;						\
		printf("%s:%d: FAIL: %s\n", __FILE__, __LINE__, #cond);	\
	}								\
} while (0)

#define CHECK_EQ(a, b) do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (_a == _b) {							\
		passed++;						\
	} else {							\
		failed++;						\
		printf("%s:%d: FAIL: %s == %lld, want %lld\n",		\
		       __FILE__, __LINE__, #a, _a, _b);			\
	}								\
} while (0)

#define T0	1000000000LL	/* an arbitrary host time */

/* The first time at which @k input clock ticks have passed. */
static s64 ns_for(u64 k)
{
	return (s64)((k * PIT_NS_PER_SEC + PIT_FREQ_HZ - 1) / PIT_FREQ_HZ);
}

static void ctrl(struct pit_model *m, u8 val, s64 now)
{
	pit_model_write(m, 3, val, now);
}

static void load_word(struct pit_model *m, unsigned int c, u16 count, s64 now)
{
	pit_model_write(m, c, count & 0xff, now);
	pit_model_write(m, c, count >> 8, now);
}

static u16 read_word(struct pit_model *m, unsigned int c, s64 now)
{
	u16 lo = pit_model_read(m, c, now);

	return lo | pit_model_read(m, c, now) << 8;
}

static void fresh(struct pit_model *m, bool ioapic)
{
	memset(m, 0x5a, sizeof(*m));
	m->has_ioapic = ioapic;
	pit_model_reset(m, T0);
}

static void test_reset(void)
{
	struct pit_model m;
	int c;

	fresh(&m, true);
	for (c = 0; c < 3; c++) {
		CHECK_EQ(m.ch[c].mode, 0xff);
		CHECK_EQ(m.ch[c].count, 0x10000);
		CHECK_EQ(m.ch[c].gate, c != 2);
		CHECK_EQ(m.ch[c].rw_mode, 0);
		CHECK_EQ(m.ch[c].count_latched, 0);
		CHECK_EQ(m.ch[c].status_latched, 0);
	}
	/* Channel 0's load time is not kept (its timer counts instead). */
	CHECK_EQ(m.ch[0].count_load_time, 0);
	CHECK_EQ(m.ch[1].count_load_time, T0);
	CHECK_EQ(m.ch[2].count_load_time, T0);
	CHECK_EQ(m.flags, 0);
	CHECK_EQ(m.cmd, PIT_TIMER_STOP);
	CHECK_EQ(m.period, 0);
	CHECK(m.has_ioapic);
	/* No timer ever: channel 0 stands still. */
	CHECK_EQ(pit_model_count(&m, 0, T0 + 12345678), 0x10000);
}

static void test_mode0_word(void)
{
	struct pit_model m;
	s64 t = T0 + 100;

	fresh(&m, true);
	ctrl(&m, 0xb0, t);		/* channel 2, LSB then MSB, mode 0 */
	CHECK_EQ(m.ch[2].mode, 0);
	CHECK_EQ(m.ch[2].rw_mode, PIT_RW_WORD);
	pit_model_write(&m, 2, 0x34, t);
	CHECK_EQ(m.ch[2].write_state, PIT_RW_WORD_MSB);
	CHECK_EQ(m.ch[2].write_latch, 0x34);
	CHECK_EQ(m.ch[2].count, 0x10000);	/* not loaded yet */
	pit_model_write(&m, 2, 0x12, t);
	CHECK_EQ(m.ch[2].count, 0x1234);
	CHECK_EQ(m.ch[2].count_load_time, t);
	CHECK_EQ(m.ch[2].write_state, PIT_RW_WORD);
	CHECK_EQ(m.cmd, PIT_TIMER_STOP);	/* from the reset only */

	CHECK_EQ(read_word(&m, 2, t), 0x1234);
	CHECK_EQ(read_word(&m, 2, t + ns_for(0x34)), 0x1200);
	CHECK(!pit_model_out(&m, 2, t + ns_for(0x1233)));
	CHECK(pit_model_out(&m, 2, t + ns_for(0x1234)));
	/* Past zero it wraps to 0xffff and goes on; OUT stays high. */
	CHECK_EQ(pit_model_count(&m, 2, t + ns_for(0x1234 + 5)), 0xfffb);
	CHECK(pit_model_out(&m, 2, t + ns_for(0x1234 + 0x20000)));
	/* Word reads alternate even across different times. */
	CHECK_EQ(pit_model_read(&m, 2, t + ns_for(1)), 0x33);
	CHECK_EQ(m.ch[2].read_state, PIT_RW_WORD_MSB);
	CHECK_EQ(pit_model_read(&m, 2, t + ns_for(0x300)), 0x0f);
	CHECK_EQ(m.ch[2].read_state, PIT_RW_WORD);
}

static void test_byte_modes(void)
{
	struct pit_model m;
	s64 t = T0;

	fresh(&m, false);
	ctrl(&m, 0x50, t);		/* channel 1, LSB only, mode 0 */
	pit_model_write(&m, 1, 0x05, t);
	CHECK_EQ(m.ch[1].count, 5);
	pit_model_write(&m, 1, 0x07, t);
	CHECK_EQ(m.ch[1].count, 7);
	CHECK_EQ(pit_model_read(&m, 1, t), 7);
	CHECK_EQ(pit_model_read(&m, 1, t), 7);	/* no toggling */

	ctrl(&m, 0x60, t);		/* channel 1, MSB only, mode 0 */
	pit_model_write(&m, 1, 0x05, t);
	CHECK_EQ(m.ch[1].count, 0x500);
	CHECK_EQ(pit_model_read(&m, 1, t), 0x05);
	CHECK_EQ(pit_model_read(&m, 1, t + ns_for(1)), 0x04);

	/* A count of 0 is 0x10000. */
	ctrl(&m, 0x54, t);		/* channel 1, LSB only, mode 2 */
	pit_model_write(&m, 1, 0, t);
	CHECK_EQ(m.ch[1].count, 0x10000);
	CHECK_EQ(pit_model_count(&m, 1, t + ns_for(1)), 0xffff);

	/* Modes 6 and 7 are modes 2 and 3; the BCD bit is kept. */
	ctrl(&m, 0x7d, t);
	CHECK_EQ(m.ch[1].mode, 2);
	CHECK_EQ(m.ch[1].bcd, 1);
	ctrl(&m, 0x7e, t);
	CHECK_EQ(m.ch[1].mode, 3);
	CHECK_EQ(m.ch[1].bcd, 0);

	/* Port 0x43 reads as 0 and changes nothing. */
	CHECK_EQ(pit_model_read(&m, 3, t), 0);
}

static void test_latch(void)
{
	struct pit_model m;
	s64 t = T0;

	fresh(&m, false);
	ctrl(&m, 0x74, t);		/* channel 1, word, mode 2 */
	load_word(&m, 1, 1000, t);
	ctrl(&m, 0x40, t + ns_for(10));	/* latch channel 1 */
	CHECK_EQ(m.ch[1].count_latched, PIT_RW_WORD);
	CHECK_EQ(m.ch[1].latched_count, 990);
	/* A second latch before the read changes nothing. */
	ctrl(&m, 0x40, t + ns_for(20));
	CHECK_EQ(m.ch[1].latched_count, 990);
	CHECK_EQ(read_word(&m, 1, t + ns_for(500)), 990);
	CHECK_EQ(m.ch[1].count_latched, 0);
	/* Then the live count again, periodic in mode 2. */
	CHECK_EQ(read_word(&m, 1, t + ns_for(1030)), 970);

	/* A latch in a byte mode is read once. */
	ctrl(&m, 0x64, t);		/* channel 1, MSB only */
	ctrl(&m, 0x40, t + ns_for(0x100));
	CHECK_EQ(m.ch[1].count_latched, PIT_RW_MSB);
	CHECK_EQ(pit_model_read(&m, 1, t + ns_for(0x100)),
		 (1000 - 0x100) >> 8);
	CHECK_EQ(m.ch[1].count_latched, 0);

	/* Latching with rw_mode 0 (never programmed) latches nothing. */
	fresh(&m, false);
	ctrl(&m, 0x00, T0);
	CHECK_EQ(m.ch[0].count_latched, 0);
}

static void test_read_back(void)
{
	struct pit_model m;
	s64 t = T0;

	fresh(&m, false);
	ctrl(&m, 0xb7, t);		/* channel 2, word, mode 3, BCD */
	load_word(&m, 2, 100, t);
	/* Count and status of channel 2. */
	ctrl(&m, 0xc8, t + ns_for(10));
	CHECK_EQ(m.ch[2].status_latched, 1);
	/* mode 3 count 100: OUT high for the first 50 ticks. */
	CHECK_EQ(m.ch[2].status, 0x80 | 3 << 4 | 3 << 1 | 1);
	CHECK_EQ(pit_model_read(&m, 2, t), m.ch[2].status);
	CHECK_EQ(m.ch[2].status_latched, 0);
	/* Mode 3 counts down by two. */
	CHECK_EQ(read_word(&m, 2, t), 80);

	/* Status only (bit 5 set), OUT low in the second half. */
	ctrl(&m, 0xe8, t + ns_for(60));
	CHECK_EQ(m.ch[2].count_latched, 0);
	CHECK_EQ(pit_model_read(&m, 2, t), 3 << 4 | 3 << 1 | 1);
	/* Count only (bit 4 set). */
	ctrl(&m, 0xd8, t + ns_for(70));
	CHECK_EQ(m.ch[2].status_latched, 0);
	CHECK_EQ(read_word(&m, 2, t), 100 - 40);

	/* Several channels at once; unselected ones untouched. */
	ctrl(&m, 0x34, t);
	ctrl(&m, 0xc6, t);		/* channels 0 and 1 */
	CHECK_EQ(m.ch[0].status_latched, 1);
	CHECK_EQ(m.ch[1].status_latched, 1);
	CHECK_EQ(m.ch[1].status, 0xff << 1 & 0xff);	/* OUT low, mode 0xff */
	CHECK_EQ(m.ch[1].count_latched, 0);	/* rw_mode 0: nothing */
	CHECK_EQ(m.ch[0].count_latched, PIT_RW_WORD);
	CHECK_EQ(m.ch[2].status_latched, 0);
}

static void test_out_modes(void)
{
	struct pit_model m;
	s64 t = T0;

	fresh(&m, false);
	m.ch[1].count = 10;
	m.ch[1].count_load_time = t;

	m.ch[1].mode = 1;
	CHECK(pit_model_out(&m, 1, t + ns_for(9)));
	CHECK(!pit_model_out(&m, 1, t + ns_for(10)));
	m.ch[1].mode = 2;
	CHECK(!pit_model_out(&m, 1, t));
	CHECK(!pit_model_out(&m, 1, t + ns_for(9)));
	CHECK(pit_model_out(&m, 1, t + ns_for(10)));
	CHECK(pit_model_out(&m, 1, t + ns_for(20)));
	CHECK_EQ(pit_model_count(&m, 1, t + ns_for(13)), 7);
	m.ch[1].mode = 3;
	CHECK(pit_model_out(&m, 1, t + ns_for(4)));
	CHECK(!pit_model_out(&m, 1, t + ns_for(5)));
	CHECK(pit_model_out(&m, 1, t + ns_for(10)));
	m.ch[1].count = 11;		/* odd: high one tick longer */
	CHECK(pit_model_out(&m, 1, t + ns_for(5)));
	CHECK(!pit_model_out(&m, 1, t + ns_for(6)));
	m.ch[1].count = 10;
	m.ch[1].mode = 4;
	CHECK(!pit_model_out(&m, 1, t + ns_for(9)));
	CHECK(pit_model_out(&m, 1, t + ns_for(10)));
	CHECK(!pit_model_out(&m, 1, t + ns_for(11)));
	m.ch[1].mode = 5;
	CHECK(pit_model_out(&m, 1, t + ns_for(10)));
	CHECK_EQ(pit_model_count(&m, 1, t + ns_for(12)), 0xfffe);
}

static void test_channel0_periodic(void)
{
	struct pit_model m;
	s64 t = T0 + 777, period = (s64)(11931ULL * PIT_NS_PER_SEC /
					 PIT_FREQ_HZ);

	fresh(&m, true);
	m.cmd = PIT_TIMER_KEEP;
	ctrl(&m, 0x34, t);		/* channel 0, word, mode 2 */
	CHECK_EQ(m.cmd, PIT_TIMER_KEEP);	/* control words start nothing */
	load_word(&m, 0, 11931, t);
	CHECK_EQ(m.cmd, PIT_TIMER_START);
	CHECK(m.periodic);
	CHECK_EQ(m.period, period);
	CHECK_EQ(m.expires, t + period);
	CHECK_EQ(m.ch[0].count_load_time, 0);

	CHECK_EQ(pit_model_count(&m, 0, t), 11931);
	CHECK_EQ(pit_model_count(&m, 0, t + ns_for(100)), 11831);
	/* Three periods later the timer has expired three times. */
	CHECK_EQ(pit_model_count(&m, 0, t + 3 * period + ns_for(50)), 11881);
	CHECK_EQ(m.expires, t + 4 * period);
	CHECK(m.running);

	/* Mode 3 on the same timer: counts by two. */
	ctrl(&m, 0x36, t);
	m.cmd = PIT_TIMER_KEEP;
	load_word(&m, 0, 1000, t);
	CHECK_EQ(m.cmd, PIT_TIMER_START);
	CHECK_EQ(pit_model_count(&m, 0, t + ns_for(3)), 994);

	/* Short periods are clamped; the first expiry is not. */
	ctrl(&m, 0x34, t);
	load_word(&m, 0, 2, t);
	CHECK_EQ(m.period, PIT_MIN_PERIOD_NS);
	CHECK_EQ(m.expires, t + (s64)(2 * PIT_NS_PER_SEC / PIT_FREQ_HZ));

	/* Mode 5 stops the timer; the count goes on from its expiry. */
	ctrl(&m, 0x3a, t);
	m.cmd = PIT_TIMER_KEEP;
	load_word(&m, 0, 500, t + PIT_MIN_PERIOD_NS * 3);
	CHECK_EQ(m.cmd, PIT_TIMER_STOP);
	CHECK(!m.running);
	CHECK_EQ(m.ch[0].count, 500);
	CHECK_EQ(m.expires, t + (s64)(2 * PIT_NS_PER_SEC / PIT_FREQ_HZ) +
		 3 * PIT_MIN_PERIOD_NS);
}

static void test_channel0_oneshot(void)
{
	struct pit_model m;
	s64 t = T0;

	fresh(&m, true);
	ctrl(&m, 0x30, t);		/* channel 0, word, mode 0 */
	load_word(&m, 0, 100, t);
	CHECK_EQ(m.cmd, PIT_TIMER_START);
	CHECK(!m.periodic);
	CHECK_EQ(m.period, (s64)(100 * PIT_NS_PER_SEC / PIT_FREQ_HZ));
	CHECK(!pit_model_out(&m, 0, t + ns_for(99)));
	CHECK(pit_model_out(&m, 0, t + ns_for(100)));
	/* Expired, it keeps counting: the expiry does not move. */
	CHECK_EQ(pit_model_count(&m, 0, t + ns_for(103)), 0xffff - 2);
	CHECK_EQ(m.expires, t + m.period);

	/* Modes 1 and 4 are one-shots too. */
	ctrl(&m, 0x32, t);
	m.cmd = PIT_TIMER_KEEP;
	load_word(&m, 0, 100, t);
	CHECK_EQ(m.cmd, PIT_TIMER_START);
	CHECK(!m.periodic);
	ctrl(&m, 0x38, t);
	m.cmd = PIT_TIMER_KEEP;
	load_word(&m, 0, 100, t);
	CHECK_EQ(m.cmd, PIT_TIMER_START);
	CHECK(!m.periodic);
}

static void test_no_ioapic(void)
{
	struct pit_model m;

	fresh(&m, false);
	m.cmd = PIT_TIMER_KEEP;
	ctrl(&m, 0x34, T0);
	load_word(&m, 0, 1000, T0);
	CHECK_EQ(m.cmd, PIT_TIMER_KEEP);
	CHECK_EQ(m.period, 0);
	CHECK_EQ(m.ch[0].count, 1000);
	/* As in KVM, channel 0 then never counts. */
	CHECK_EQ(pit_model_count(&m, 0, T0 + 1000000000), 1000);
}

static void test_hpet_legacy(void)
{
	struct pit_model m;
	struct kvm_pit_channel_state ch[3];
	s64 t = T0;

	fresh(&m, true);
	ctrl(&m, 0x34, t);
	load_word(&m, 0, 1000, t);
	CHECK_EQ(m.cmd, PIT_TIMER_START);

	memcpy(ch, m.ch, sizeof(ch));
	m.cmd = PIT_TIMER_KEEP;
	pit_model_set_state(&m, ch, KVM_PIT_FLAGS_HPET_LEGACY, t + 10);
	CHECK_EQ(m.cmd, PIT_TIMER_STOP);
	CHECK_EQ(m.ch[0].mode, 2);	/* kept for when legacy mode ends */
	CHECK_EQ(m.flags, KVM_PIT_FLAGS_HPET_LEGACY);

	/* While in legacy mode nothing starts channel 0's timer. */
	m.cmd = PIT_TIMER_KEEP;
	load_word(&m, 0, 500, t + 20);
	CHECK_EQ(m.cmd, PIT_TIMER_KEEP);
	CHECK_EQ(m.ch[0].count, 500);
	pit_model_set_state(&m, m.ch, KVM_PIT_FLAGS_HPET_LEGACY, t + 30);
	CHECK_EQ(m.cmd, PIT_TIMER_KEEP);

	/* Leaving it, the state's count starts the timer again. */
	memcpy(ch, m.ch, sizeof(ch));
	pit_model_set_state(&m, ch, 0, t + 40);
	CHECK_EQ(m.cmd, PIT_TIMER_START);
	CHECK_EQ(m.expires, t + 40 + (s64)(500 * PIT_NS_PER_SEC /
					    PIT_FREQ_HZ));
}

static void test_set_state(void)
{
	struct pit_model m;
	struct kvm_pit_channel_state ch[3];

	fresh(&m, true);
	memset(ch, 0, sizeof(ch));
	ch[0].mode = 2;
	ch[0].count = 0;
	ch[0].count_load_time = 12345;
	ch[1].mode = 9;			/* anything goes, as in KVM */
	ch[1].count = 0xffffffff;
	ch[1].count_load_time = -5;
	ch[1].read_state = 77;
	ch[1].count_latched = 9;
	ch[1].latched_count = 0xabcd;
	ch[2].status_latched = 1;
	ch[2].status = 0x5a;
	pit_model_set_state(&m, ch, 0xf0, T0);
	CHECK_EQ(m.flags, 0xf0);
	CHECK_EQ(m.ch[0].count, 0x10000);
	CHECK_EQ(m.ch[0].count_load_time, 12345);
	CHECK_EQ(m.cmd, PIT_TIMER_START);
	CHECK_EQ(m.ch[1].count, 0xffffffff);
	CHECK_EQ(m.ch[1].count_load_time, T0);
	CHECK_EQ(m.ch[1].read_state, 77);
	/* An unknown count_latched reads as LSB once. */
	CHECK_EQ(pit_model_read(&m, 1, T0), 0xcd);
	CHECK_EQ(m.ch[1].count_latched, 0);
	CHECK_EQ(pit_model_read(&m, 2, T0), 0x5a);
}

static void test_speaker(void)
{
	struct pit_model m;
	s64 t = T0;
	u8 v;

	fresh(&m, false);
	ctrl(&m, 0xb4, t);		/* channel 2, word, mode 2 */
	load_word(&m, 2, 100, t);
	CHECK_EQ(m.ch[2].gate, 0);

	/* Rising gate in mode 2 restarts the count. */
	pit_model_speaker_write(&m, 3, t + 5000);
	CHECK_EQ(m.ch[2].gate, 1);
	CHECK_EQ(m.ch[2].count_load_time, t + 5000);
	CHECK(m.flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON);
	/* Still high: no restart. */
	pit_model_speaker_write(&m, 1, t + 9000);
	CHECK_EQ(m.ch[2].count_load_time, t + 5000);
	CHECK(!(m.flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON));

	v = pit_model_speaker_read(&m, (t + 5000 + ns_for(100)) & ~0x4000LL);
	CHECK_EQ(v & 0x01, 1);		/* gate */
	CHECK_EQ(v & 0x02, 0);		/* data off */
	CHECK_EQ(v & 0xc0, 0);
	CHECK_EQ(v & 0x10, 0);		/* refresh: bit 14 of the time */
	v = pit_model_speaker_read(&m, 1LL << 14);
	CHECK_EQ(v & 0x10, 0x10);

	/* OUT of channel 2 in bit 5: mode 2 pulses at the terminal count. */
	m.ch[2].count_load_time = t;
	CHECK_EQ(pit_model_speaker_read(&m, 0x10000) & 0x20, 0);
	m.ch[2].count_load_time = 0x10000 - ns_for(100);
	CHECK_EQ(pit_model_speaker_read(&m, 0x10000) & 0x20, 0x20);

	/* Mode 0 ignores the gate's edge (KVM does not pause either). */
	ctrl(&m, 0xb0, t);
	load_word(&m, 2, 100, t);
	pit_model_speaker_write(&m, 0, t + 1);
	pit_model_speaker_write(&m, 1, t + 2);
	CHECK_EQ(m.ch[2].count_load_time, t);
}

/* The count is exact for any elapsed time, as KVM's 128-bit scaling. */
static void test_scaling(void)
{
	struct pit_model m;
	u64 e;
	int i;

	fresh(&m, false);
	m.ch[1].mode = 2;
	m.ch[1].count = 0xffffffff;
	srandom(42);
	for (i = 0; i < 100000; i++) {
		unsigned __int128 d;

		e = (u64)random() << 40 ^ (u64)random() << 20 ^ random();
		if (i & 1)
			e >>= random() % 64;
		m.ch[1].count_load_time = (s64)(0 - e);
		d = (unsigned __int128)e * PIT_FREQ_HZ / PIT_NS_PER_SEC;
		if (pit_model_count(&m, 1, 0) !=
		    0xffffffffU - (u32)((u64)d % 0xffffffffU)) {
			CHECK_EQ(e, 0);
			return;
		}
	}
	passed++;
}

/* Any bytes from KVM_SET_PIT2 and any port traffic: no UB, no crash. */
static void test_fuzz(void)
{
	struct kvm_pit_channel_state ch[3];
	struct pit_model m;
	unsigned int i, j;
	s64 now = T0;
	u8 *p;

	srandom(7);
	fresh(&m, true);
	for (i = 0; i < 200000; i++) {
		now += random() % 3000000;
		switch (random() % 8) {
		case 0:
			p = (u8 *)ch;
			for (j = 0; j < sizeof(ch); j++)
				p[j] = random();
			if (random() & 1)
				ch[random() % 3].count = 0;
			pit_model_set_state(&m, ch, random(), now);
			break;
		case 1:
			m.has_ioapic = random() & 1;
			pit_model_write(&m, random() & 3, random(), now);
			break;
		case 2:
			pit_model_speaker_write(&m, random(), now);
			break;
		case 3:
			pit_model_speaker_read(&m, now);
			break;
		default:
			if (pit_model_read(&m, 3, now) != 0)
				failed++;
			pit_model_read(&m, random() % 3, now);
			break;
		}
		if (m.ch[0].count == 0 || m.ch[1].count == 0 ||
		    m.ch[2].count == 0) {
			CHECK(!"a loaded count is never 0");
			return;
		}
		if (m.running && m.periodic && m.period < PIT_MIN_PERIOD_NS) {
			CHECK(!"periodic timer below the minimum");
			return;
		}
		m.cmd = PIT_TIMER_KEEP;
	}
	passed++;
}

int main(void)
{
	test_reset();
	test_mode0_word();
	test_byte_modes();
	test_latch();
	test_read_back();
	test_out_modes();
	test_channel0_periodic();
	test_channel0_oneshot();
	test_no_ioapic();
	test_hpet_legacy();
	test_set_state();
	test_speaker();
	test_scaling();
	test_fuzz();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
