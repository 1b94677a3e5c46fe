/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IRQ_UNIT_TEST_H
#define IRQ_UNIT_TEST_H

#include <stdint.h>
#include <stdio.h>

extern unsigned int t_passed, t_failed;

void t_result(const char *file, int line, const char *what, int ok);
#define CHECK(cond)	t_result(__FILE__, __LINE__, #cond, !!(cond))
#define CHECK_EQ(a, b)	do {						\
	long long _a = (a), _b = (b);					\
	if (_a != _b)							\
		fprintf(stderr, "  %s = %#llx, want %#llx\n", #a, _a, _b); \
	t_result(__FILE__, __LINE__, #a " == " #b, _a == _b);		\
} while (0)

/* xorshift64*, reproducible from a seed. */
static inline uint64_t t_rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

void test_pic(void);
void test_ioapic(void);

#endif
