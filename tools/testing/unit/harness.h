/* SPDX-License-Identifier: GPL-2.0 */
/* Tiny test framework: counters, a seeded PRNG, hex dumps. */
#ifndef UNIT_HARNESS_H
#define UNIT_HARNESS_H

#include <stdint.h>
#include <stdio.h>

extern unsigned int t_passed, t_failed;
extern int t_verbose;

/* One named test: passes when ok is true. */
void t_result(const char *name, int ok);

#define T_CHECK(name, cond) t_result(name, !!(cond))

/* xorshift64*: fast, good enough, reproducible from a seed. */
struct rng {
	uint64_t s;
};

static inline uint64_t rnd64(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dULL;
}

/* Uniform in [0, n). */
static inline uint64_t rnd(struct rng *r, uint64_t n)
{
	return n ? rnd64(r) % n : 0;
}

/* True with probability pct/100. */
static inline int chance(struct rng *r, unsigned int pct)
{
	return rnd(r, 100) < pct;
}

void hexdump(FILE *f, const char *tag, const void *buf, unsigned int len);

void test_decode(void);
void test_walk(void);
void test_cmp(uint64_t seed, unsigned int scale);
void test_emul_misc(void);

#endif
