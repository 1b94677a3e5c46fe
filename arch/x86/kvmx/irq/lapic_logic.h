/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The local APIC's pure arithmetic: priorities, destination matching,
 * writable-bit masks, the timer's divider.  No kernel state here, so the
 * user-space tests in tools/testing/unit/lapic can include it as is.
 */
#ifndef KVMX_LAPIC_LOGIC_H
#define KVMX_LAPIC_LOGIC_H

#ifdef __KERNEL__
#include <linux/bitops.h>
#include <linux/compiler.h>
#include <linux/types.h>
#include <asm/apicdef.h>

/* Other threads set IRR bits while the owner scans. */
#define LAPIC_READ32(p)		READ_ONCE(*(p))
#else
#include <stdbool.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

#define LAPIC_READ32(p)		(*(p))

static inline int fls(u32 x)
{
	return x ? 32 - __builtin_clz(x) : 0;
}

/* The <asm/apicdef.h> values these helpers use. */
#define APIC_LDR_MASK		(0xFFu << 24)
#define APIC_DFR_CLUSTER	0x0FFFFFFFul
#define APIC_DFR_FLAT		0xFFFFFFFFul
#define APIC_DEST_SELF		0x40000
#define APIC_DEST_ALLINC	0x80000
#define APIC_DEST_ALLBUT	0xC0000
#define APIC_LVT_TIMER_PERIODIC	(1 << 17)
#define APIC_LVT_MASKED		(1 << 16)
#define APIC_LVT_LEVEL_TRIGGER	(1 << 15)
#define APIC_LVT_REMOTE_IRR	(1 << 14)
#define APIC_INPUT_POLARITY	(1 << 13)
#define APIC_SEND_PENDING	(1 << 12)
#define APIC_MODE_MASK		0x700
#define APIC_VECTOR_MASK	0x000FF
#define APIC_LVTT		0x320
#define APIC_LVTERR		0x370
#define APIC_LVTCMCI		0x2f0
#endif

#define LAPIC_BROADCAST		0xffu
#define LAPIC_X2_BROADCAST	0xffffffffu

/* LVT entries in KVM's order; CMCI exists only with MCG_CMCI_P. */
enum lapic_lvt {
	LAPIC_LVT_TIMER,
	LAPIC_LVT_THERMAL,
	LAPIC_LVT_PERF,
	LAPIC_LVT_LINT0,
	LAPIC_LVT_LINT1,
	LAPIC_LVT_ERROR,
	LAPIC_LVT_CMCI,
	LAPIC_NR_LVT_MAX,
};

static inline u32 lapic_lvt_reg(int lvt)
{
	return lvt == LAPIC_LVT_CMCI ? APIC_LVTCMCI : APIC_LVTT + 0x10 * lvt;
}

/* The LVT at register offset @reg, or -1. */
static inline int lapic_lvt_index(u32 reg)
{
	if (reg == APIC_LVTCMCI)
		return LAPIC_LVT_CMCI;
	if (reg < APIC_LVTT || reg > APIC_LVTERR || (reg & 0xf))
		return -1;
	return (reg - APIC_LVTT) >> 4;
}

/*
 * Bits software may set in an LVT.  KVM keeps the delivery-status bit
 * writable; the timer's mode bits depend on CPUID (TSC deadline or not).
 */
static inline u32 lapic_lvt_writable(int lvt, u32 timer_mode_mask)
{
	const u32 base = APIC_LVT_MASKED | APIC_SEND_PENDING |
			 APIC_VECTOR_MASK;

	switch (lvt) {
	case LAPIC_LVT_TIMER:
		return base | timer_mode_mask;
	case LAPIC_LVT_LINT0:
	case LAPIC_LVT_LINT1:
		return base | APIC_MODE_MASK | APIC_INPUT_POLARITY |
		       APIC_LVT_REMOTE_IRR | APIC_LVT_LEVEL_TRIGGER;
	case LAPIC_LVT_ERROR:
		return base;
	default:	/* thermal, performance counter, CMCI */
		return base | APIC_MODE_MASK;
	}
}

/*
 * The highest set bit of a 256-bit IRR/ISR/TMR laid out as in the APIC
 * page (eight 32-bit words, 16 bytes apart), or -1.
 */
static inline int lapic_highest_vector(const void *bitmap)
{
	const u32 *w = (const u32 *)bitmap;
	int i;

	for (i = 7; i >= 0; i--) {
		u32 v = LAPIC_READ32(&w[i * 4]);

		if (v)
			return i * 32 + fls(v) - 1;
	}
	return -1;
}

/* PPR: the TPR, or the class of the highest in-service vector if above. */
static inline u32 lapic_ppr(u32 tpr, int isr)
{
	u32 isrv = isr >= 0 ? (u32)isr : 0;

	if ((tpr & 0xf0) >= (isrv & 0xf0))
		return tpr & 0xff;
	return isrv & 0xf0;
}

/* May @vector interrupt a CPU at priority @ppr?  Its class must be above. */
static inline bool lapic_deliverable(int vector, u32 ppr)
{
	return vector >= 0 && ((u32)vector & 0xf0) > ppr;
}

/* The fixed LDR of an x2APIC: cluster in 31:16, one bit of 16 in 15:0. */
static inline u32 lapic_x2apic_ldr(u32 id)
{
	return ((id >> 4) << 16) | (1u << (id & 0xf));
}

/* TDCR bits 3,1,0 select divide by 2, 4, ... 128, or 1 (0b111). */
static inline u32 lapic_divide(u32 tdcr)
{
	u32 n = ((tdcr & 0x3) | ((tdcr & 0x8) >> 1)) + 1;

	return 1u << (n & 7);
}

/*
 * The timer's current count from the time left: what remains of the
 * current period, in bus cycles (1 ns each, as KVM) over the divider.
 */
static inline u32 lapic_current_count(s64 remaining_ns, s64 period_ns,
				      u32 divide)
{
	if (period_ns <= 0 || remaining_ns <= 0)
		return 0;
	return (u32)((u64)(remaining_ns % period_ns) / divide);
}

/* What the destination logic of one LAPIC looks at. */
struct lapic_target {
	bool x2apic;
	u32 id_reg;		/* the ID register; xAPIC ID in 31:24 */
	u32 x2apic_id;		/* the vCPU id */
	u32 ldr, dfr;
};

/*
 * KVM's broadcast quirk: without interrupt remapping, an IOAPIC or MSI
 * message (not an IPI) to 0xff reaches x2APIC CPUs as a broadcast.
 */
static inline u32 lapic_mda(bool ipi, bool target_x2apic, u32 dest)
{
	if (!ipi && dest == LAPIC_BROADCAST && target_x2apic)
		return LAPIC_X2_BROADCAST;
	return dest;
}

static inline bool lapic_match_physical(const struct lapic_target *t,
					u32 mda)
{
	if (mda == (t->x2apic ? LAPIC_X2_BROADCAST : LAPIC_BROADCAST))
		return true;
	/* As KVM: an ID xAPIC cannot encode is matched as an x2APIC ID. */
	if (t->x2apic || mda > 0xff)
		return mda == t->x2apic_id;
	return mda == t->id_reg >> 24;
}

static inline bool lapic_match_logical(const struct lapic_target *t, u32 mda)
{
	u32 id;

	if (mda == (t->x2apic ? LAPIC_X2_BROADCAST : LAPIC_BROADCAST))
		return true;
	if (t->x2apic)
		return (t->ldr >> 16) == (mda >> 16) &&
		       (t->ldr & mda & 0xffff);
	id = t->ldr >> 24;
	switch (t->dfr) {
	case APIC_DFR_FLAT:
		return id & mda;
	case APIC_DFR_CLUSTER:
		return (id >> 4) == (mda >> 4) && (id & mda & 0xf);
	default:		/* a model the SDM does not define */
		return false;
	}
}

/*
 * Does a message with @shorthand (APIC_DEST_*) to @dest reach @t?
 * @is_src: @t is the sender; @ipi: the message is an IPI (has a sender).
 */
static inline bool lapic_match_dest(const struct lapic_target *t, bool is_src,
				    bool ipi, u32 shorthand, u32 dest,
				    bool logical)
{
	u32 mda = lapic_mda(ipi, t->x2apic, dest);

	switch (shorthand) {
	case 0:
		return logical ? lapic_match_logical(t, mda) :
				 lapic_match_physical(t, mda);
	case APIC_DEST_SELF:
		return is_src;
	case APIC_DEST_ALLINC:
		return true;
	case APIC_DEST_ALLBUT:
		return !is_src;
	default:
		return false;
	}
}

#endif /* KVMX_LAPIC_LOGIC_H */
