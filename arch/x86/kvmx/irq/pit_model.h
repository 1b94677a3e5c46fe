/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The 8254 PIT's counters as pure arithmetic on a clock the caller passes
 * in (nanoseconds), so the same file builds into kvmx.ko and into a
 * user-space test.  pit.c adds the lock, the hrtimer and the injection.
 *
 * Counting follows KVM (what KVM_CREATE_PIT2 gives): the counters are not
 * stepped, their value is derived from the time since they were loaded;
 * channel 0 derives it from its hrtimer's expiry instead, which this
 * model tracks arithmetically.  BCD is stored and reported but counting
 * stays binary, as in KVM.
 */
#ifndef KVMX_PIT_MODEL_H
#define KVMX_PIT_MODEL_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;
#endif
#include <linux/kvm.h>		/* struct kvm_pit_channel_state, flags */

#define PIT_FREQ_HZ		1193181	/* KVM's KVM_PIT_FREQ */
#define PIT_NS_PER_SEC		1000000000ULL
/* KVM's min_timer_period_us default: hrtimers are not throttled. */
#define PIT_MIN_PERIOD_NS	200000

/* Access modes (control word bits 5:4) and the read/write sequencers. */
#define PIT_RW_LATCH		0
#define PIT_RW_LSB		1
#define PIT_RW_MSB		2
#define PIT_RW_WORD		3	/* LSB, then MSB */
#define PIT_RW_WORD_MSB		4	/* second byte of a word */

#define PIT_MODE_NONE		0xff	/* after reset: no timer */

/* What pit.c must do with channel 0's hrtimer after a model call. */
enum pit_timer_cmd {
	PIT_TIMER_KEEP,
	PIT_TIMER_START,	/* cancel, reset the tick counts, start at expires */
	PIT_TIMER_STOP,		/* cancel */
};

struct pit_model {
	/* KVM_GET/SET_PIT's layout: count_load_time is host monotonic ns. */
	struct kvm_pit_channel_state ch[3];
	u32 flags;		/* KVM_PIT_FLAGS_*, as KVM_SET_PIT2 gave them */
	bool has_ioapic;	/* set by the caller: channel 0 may tick */

	/* Channel 0's hrtimer; period 0 until it was first started. */
	s64 period;
	s64 expires;		/* its next (or last) expiry */
	bool periodic;
	bool running;
	enum pit_timer_cmd cmd;
};

void pit_model_reset(struct pit_model *m, s64 now);
/* Ports 0x40-0x43 as offsets 0-3; reading offset 3 gives 0. */
void pit_model_write(struct pit_model *m, unsigned int port, u8 val, s64 now);
u8 pit_model_read(struct pit_model *m, unsigned int port, s64 now);
/* Port 0x61: gate of channel 2 and the speaker data bit. */
void pit_model_speaker_write(struct pit_model *m, u8 val, s64 now);
u8 pit_model_speaker_read(struct pit_model *m, s64 now);
/* KVM_SET_PIT (flags == m->flags) and KVM_SET_PIT2. */
void pit_model_set_state(struct pit_model *m,
			 const struct kvm_pit_channel_state *ch, u32 flags,
			 s64 now);

/* The current count and OUT of a channel (0-2). */
u32 pit_model_count(struct pit_model *m, unsigned int c, s64 now);
bool pit_model_out(struct pit_model *m, unsigned int c, s64 now);

#endif /* KVMX_PIT_MODEL_H */
