// SPDX-License-Identifier: GPL-2.0
/*
 * kvmx emulator unit tests.  Usage: unit [-s seed] [-n cases-per-form] [-v]
 * Prints "N passed, N failed" last and exits non-zero on any failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

unsigned int t_passed, t_failed;
int t_verbose;

void t_result(const char *name, int ok)
{
	if (ok)
		t_passed++;
	else
		t_failed++;
	if (!ok || t_verbose)
		printf("%s: %s\n", ok ? "ok" : "FAILED", name);
}

void hexdump(FILE *f, const char *tag, const void *buf, unsigned int len)
{
	const uint8_t *p = buf;
	unsigned int i;

	fprintf(f, "%s:", tag);
	for (i = 0; i < len; i++)
		fprintf(f, " %02x", p[i]);
	fprintf(f, "\n");
}

int main(int argc, char **argv)
{
	uint64_t seed = 0x6b766d78;	/* "kvmx" */
	unsigned int cases = 2000;
	int c;

	while ((c = getopt(argc, argv, "s:n:v")) != -1) {
		switch (c) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			cases = strtoul(optarg, NULL, 0);
			break;
		case 'v':
			t_verbose = 1;
			break;
		default:
			fprintf(stderr, "usage: %s [-s seed] [-n cases] [-v]\n",
				argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("seed %#llx, %u cases per form\n", (unsigned long long)seed,
	       cases);

	test_decode();
	test_walk();
	test_emul_misc();
	test_cmp(seed, cases);

	printf("%u passed, %u failed\n", t_passed, t_failed);
	return t_failed ? 1 : 0;
}
