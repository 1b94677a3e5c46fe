// SPDX-License-Identifier: GPL-2.0
/*
 * kvmx: the 8254's counters, latches and access sequencers (pit_model.h).
 * Pure code: no locks, no timers, the time comes in as an argument.
 *
 * Arithmetic that guest or VMM values can push out of range is done in
 * unsigned types so that it wraps as KVM's does, without undefined
 * behaviour: KVM_SET_PIT takes any bytes for every field.
 */
#include "pit_model.h"

/* Input clock ticks in @ns, exactly: ns * PIT_FREQ_HZ needs 85 bits. */
static u64 pit_ns_to_ticks(u64 ns)
{
	u64 hi = (ns >> 32) * PIT_FREQ_HZ;
	u64 lo = (ns & 0xffffffffULL) * PIT_FREQ_HZ;
	u64 rest;

	/* ns * f == hi * 2^32 + lo; divide the high part first. */
	hi += lo >> 32;
	rest = ((hi % PIT_NS_PER_SEC) << 32) | (lo & 0xffffffffULL);
	return ((hi / PIT_NS_PER_SEC) << 32) + rest / PIT_NS_PER_SEC;
}

/* Channel 0's hrtimer: where its expiry stands at @now if it kept going. */
static void pit_timer_advance(struct pit_model *m, s64 now)
{
	u64 late;

	if (!m->running || !m->periodic || now < m->expires)
		return;
	late = (u64)now - (u64)m->expires;
	m->expires = (s64)((u64)m->expires +
			   (late / (u64)m->period + 1) * (u64)m->period);
}

/*
 * Nanoseconds the channel has counted.  Channel 0 measures from its
 * timer (period minus what remains, so a one-shot keeps counting past its
 * expiry); the others from when their count was loaded.
 */
static u64 pit_elapsed(struct pit_model *m, unsigned int c, s64 now)
{
	s64 left;

	if (c)
		return (u64)now - (u64)m->ch[c].count_load_time;
	if (!m->period)
		return 0;
	pit_timer_advance(m, now);
	left = (s64)((u64)m->expires - (u64)now);
	return left >= m->period ? 0 : (u64)m->period - (u64)left;
}

/* A count of 0 means 0x10000; only a count that was never loaded is 0. */
static u32 pit_initial(const struct kvm_pit_channel_state *ch)
{
	return ch->count ? ch->count : 0x10000;
}

u32 pit_model_count(struct pit_model *m, unsigned int c, s64 now)
{
	const struct kvm_pit_channel_state *ch;
	u32 count;
	u64 d;

	if (c > 2)
		return 0;
	ch = &m->ch[c];
	count = pit_initial(ch);
	d = pit_ns_to_ticks(pit_elapsed(m, c, now));

	switch (ch->mode) {
	case 0:
	case 1:
	case 4:
	case 5:
		/* Wraps to 0xffff after the terminal count and goes on. */
		return (count - (u32)d) & 0xffff;
	case 3:
		/* Square wave: decrements by two. */
		return count - (u32)((2 * d) % count);
	default:
		return count - (u32)(d % count);
	}
}

bool pit_model_out(struct pit_model *m, unsigned int c, s64 now)
{
	const struct kvm_pit_channel_state *ch;
	u32 count;
	u64 d;

	if (c > 2)
		return false;
	ch = &m->ch[c];
	count = pit_initial(ch);
	d = pit_ns_to_ticks(pit_elapsed(m, c, now));

	switch (ch->mode) {
	case 1:
		return d < count;
	case 2:
		return d && d % count == 0;
	case 3:
		/* High for the first half (the larger one if odd); u32 as KVM. */
		return d % count < (u32)(count + 1) >> 1;
	case 4:
	case 5:
		return d == count;
	default:
		return d >= count;
	}
}

static void pit_timer_start(struct pit_model *m, u32 val, bool periodic,
			    s64 now)
{
	s64 interval;

	/*
	 * As KVM: the timer only runs into an in-kernel IOAPIC, and HPET
	 * legacy mode leaves channel 0 silent (and its old timer as is).
	 */
	if (!m->has_ioapic || (m->flags & KVM_PIT_FLAGS_HPET_LEGACY))
		return;

	interval = (s64)((u64)val * PIT_NS_PER_SEC / PIT_FREQ_HZ);
	m->period = interval;
	m->periodic = periodic;
	if (periodic && m->period < PIT_MIN_PERIOD_NS)
		m->period = PIT_MIN_PERIOD_NS;
	/* The first expiry is one unclamped interval away, as in KVM. */
	m->expires = (s64)((u64)now + (u64)interval);
	m->running = true;
	m->cmd = PIT_TIMER_START;
}

static void pit_timer_stop(struct pit_model *m, s64 now)
{
	/* The expiry freezes where it is: channel 0's count derives from it. */
	pit_timer_advance(m, now);
	m->running = false;
	m->cmd = PIT_TIMER_STOP;
}

static void pit_load(struct pit_model *m, unsigned int c, u32 val, s64 now)
{
	struct kvm_pit_channel_state *ch = &m->ch[c];

	ch->count = val ? val : 0x10000;
	if (c) {
		ch->count_load_time = now;
		return;
	}

	/* Channel 0 counts from its timer; its load time stays as it was. */
	switch (ch->mode) {
	case 0:
	case 1:
	case 4:
		pit_timer_start(m, ch->count, false, now);
		break;
	case 2:
	case 3:
		pit_timer_start(m, ch->count, true, now);
		break;
	default:
		pit_timer_stop(m, now);
		break;
	}
}

static void pit_latch_count(struct pit_model *m, unsigned int c, s64 now)
{
	struct kvm_pit_channel_state *ch = &m->ch[c];

	/* A latched count holds until it has been read. */
	if (ch->count_latched)
		return;
	ch->latched_count = (u16)pit_model_count(m, c, now);
	ch->count_latched = ch->rw_mode;
}

static void pit_latch_status(struct pit_model *m, unsigned int c, s64 now)
{
	struct kvm_pit_channel_state *ch = &m->ch[c];

	if (ch->status_latched)
		return;
	/* NULL COUNT (bit 6) is not modelled, as in KVM. */
	ch->status = (u8)(pit_model_out(m, c, now) << 7 | ch->rw_mode << 4 |
			  ch->mode << 1 | ch->bcd);
	ch->status_latched = 1;
}

static void pit_control(struct pit_model *m, u8 val, s64 now)
{
	unsigned int c = val >> 6;
	struct kvm_pit_channel_state *ch;
	u8 access = (val >> 4) & 3;

	if (c == 3) {
		/*
		 * Read-back: bits 3:1 select, bit 5 clear latches counts,
		 * bit 4 clear latches status.
		 */
		for (c = 0; c < 3; c++) {
			if (!(val & (2 << c)))
				continue;
			if (!(val & 0x20))
				pit_latch_count(m, c, now);
			if (!(val & 0x10))
				pit_latch_status(m, c, now);
		}
		return;
	}

	ch = &m->ch[c];
	if (access == PIT_RW_LATCH) {
		pit_latch_count(m, c, now);
		return;
	}
	ch->rw_mode = access;
	ch->read_state = access;
	ch->write_state = access;
	ch->mode = (val >> 1) & 7;
	if (ch->mode > 5)
		ch->mode -= 4;		/* 6 and 7 are 2 and 3 */
	ch->bcd = val & 1;
}

void pit_model_write(struct pit_model *m, unsigned int port, u8 val, s64 now)
{
	struct kvm_pit_channel_state *ch;

	port &= 3;
	if (port == 3) {
		pit_control(m, val, now);
		return;
	}

	ch = &m->ch[port];
	switch (ch->write_state) {
	case PIT_RW_MSB:
		pit_load(m, port, (u32)val << 8, now);
		break;
	case PIT_RW_WORD:
		ch->write_latch = val;
		ch->write_state = PIT_RW_WORD_MSB;
		break;
	case PIT_RW_WORD_MSB:
		pit_load(m, port, ch->write_latch | (u32)val << 8, now);
		ch->write_state = PIT_RW_WORD;
		break;
	default:
		pit_load(m, port, val, now);
		break;
	}
}

u8 pit_model_read(struct pit_model *m, unsigned int port, s64 now)
{
	struct kvm_pit_channel_state *ch;
	u32 count;

	port &= 3;
	if (port == 3)
		return 0;
	ch = &m->ch[port];

	/* A latched status goes first, then a latched count. */
	if (ch->status_latched) {
		ch->status_latched = 0;
		return ch->status;
	}
	if (ch->count_latched) {
		switch (ch->count_latched) {
		case PIT_RW_MSB:
			ch->count_latched = 0;
			return ch->latched_count >> 8;
		case PIT_RW_WORD:
			ch->count_latched = PIT_RW_MSB;
			return ch->latched_count & 0xff;
		default:
			ch->count_latched = 0;
			return ch->latched_count & 0xff;
		}
	}

	count = pit_model_count(m, port, now);
	switch (ch->read_state) {
	case PIT_RW_MSB:
		return count >> 8;
	case PIT_RW_WORD:
		ch->read_state = PIT_RW_WORD_MSB;
		return count;
	case PIT_RW_WORD_MSB:
		ch->read_state = PIT_RW_WORD;
		return count >> 8;
	default:
		return count;
	}
}

void pit_model_speaker_write(struct pit_model *m, u8 val, s64 now)
{
	struct kvm_pit_channel_state *ch = &m->ch[2];
	u8 gate = val & 1;

	if (val & 2)
		m->flags |= KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	else
		m->flags &= ~KVM_PIT_FLAGS_SPEAKER_DATA_ON;

	/*
	 * A rising gate restarts the count in the modes it triggers;
	 * modes 0 and 4 would only pause, which KVM does not model.
	 */
	switch (ch->mode) {
	case 1:
	case 2:
	case 3:
	case 5:
		if (ch->gate < gate)
			ch->count_load_time = now;
		break;
	}
	ch->gate = gate;
}

u8 pit_model_speaker_read(struct pit_model *m, s64 now)
{
	/* The DRAM refresh bit toggles about every 15 us; KVM uses 2^14 ns. */
	u8 refresh = ((u32)now >> 14) & 1;
	u8 data_on = !!(m->flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON);

	return pit_model_out(m, 2, now) << 5 | refresh << 4 | data_on << 1 |
	       m->ch[2].gate;
}

void pit_model_reset(struct pit_model *m, s64 now)
{
	bool has_ioapic = m->has_ioapic;
	unsigned int c;

	*m = (struct pit_model){ .has_ioapic = has_ioapic };
	for (c = 0; c < 3; c++) {
		m->ch[c].mode = PIT_MODE_NONE;
		m->ch[c].gate = c != 2;	/* channel 2's gate is port 0x61's */
		pit_load(m, c, 0, now);
	}
}

void pit_model_set_state(struct pit_model *m,
			 const struct kvm_pit_channel_state *ch, u32 flags,
			 s64 now)
{
	bool hpet_start = !(m->flags & KVM_PIT_FLAGS_HPET_LEGACY) &&
			  (flags & KVM_PIT_FLAGS_HPET_LEGACY);
	unsigned int c;
	u8 mode;

	for (c = 0; c < 3; c++)
		m->ch[c] = ch[c];
	m->flags = flags;

	/*
	 * Reload every count, which restarts channel 0's timer; entering
	 * HPET legacy mode stops it instead, keeping the mode for later.
	 */
	for (c = 0; c < 3; c++) {
		if (c == 0 && hpet_start) {
			mode = m->ch[0].mode;
			m->ch[0].mode = PIT_MODE_NONE;
			pit_load(m, 0, m->ch[0].count, now);
			m->ch[0].mode = mode;
		} else {
			pit_load(m, c, m->ch[c].count, now);
		}
	}
}
