/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmx-bench: microbenchmarks of the /dev/kvm ABI, run against kvmx and
 * against the stock KVM in the same emulated boot (see README.md).
 *
 * Every result is one console line for the host (bench.sh) to collect:
 *
 *   @@BENCH <backend> <round> <name> <value> <unit> <lo|hi> [key=value...]
 *
 * <value> is the median of many iterations; lo/hi says which way is
 * better (lower times, higher rates).
 */
#ifndef KVMX_BENCH_H
#define KVMX_BENCH_H

#include <stdint.h>
#include <stddef.h>

#include "kvmx_util.h"
#include "guest/guest.h"

/* Guest asm: the TSC (after LFENCE) into reg; clobbers RAX, RDX. */
#define TSC_TO(reg)							\
	"lfence\n\t"							\
	"rdtsc\n\t"							\
	"shl $32, %rdx\n\t"						\
	"or %rax, %rdx\n\t"						\
	"mov %rdx, " reg "\n\t"

struct bench_ctx {
	const char *backend;	/* kvmx | kvm: only printed */
	int round;		/* only printed */
	double scale;		/* iteration counts are multiplied by it */
	unsigned int mem_mib;	/* fault-in size, 2M backing; 0: as RAM allows */
	unsigned int mem4k_mib;	/* fault-in size, 4K backing; 0: 128 */
	unsigned int dirty_mib;	/* dirty-logged slot size; 0: 32 */
};

extern struct bench_ctx bench;

/* CLOCK_MONOTONIC in ns. */
uint64_t now_ns(void);

/* Median of n values (sorts them). */
double median_d(double *v, size_t n);
double median_u64(const uint64_t *v, size_t n);

/* Iteration count n scaled by bench.scale, at least min. */
unsigned int iters(unsigned int n, unsigned int min);

/* One @@BENCH line; extra is "" or "key=value ...". */
void report(const char *name, double value, const char *unit, bool lower_better,
	    const char *extra_fmt, ...) __attribute__((format(printf, 5, 6)));

/* The guest TSC rate in kHz (KVM_GET_TSC_KHZ on g's vCPU). */
double guest_tsc_khz(struct guest *g);

/* A guest for a benchmark: guest_create() with mem bytes, no watchdog. */
void bench_guest(struct guest *g, size_t mem);

int bench_exits(void);
int bench_mem(void);
int bench_lifecycle(void);
int bench_footprint(void);
int bench_wake(void);
int bench_dirty(void);

#endif /* KVMX_BENCH_H */
