// SPDX-License-Identifier: GPL-2.0
/*
 * kvmx-bench: the microbenchmarks of `make bench` (see README.md, bench.h).
 *
 *   kvmx-bench [-b backend] [-r round] [-s scale] [-m MiB] [-M MiB] [-d MiB] [-c cpu] what...
 *
 * what: exits, wake, mem, dirty, lifecycle, footprint, all.  -b and -r are only
 * printed in the result lines; -s multiplies the iteration counts; -m is
 * the size of the fault-in benchmark with 2 MiB pages (default: 1024 MiB
 * if the machine has the memory for it, else 512), -M with 4 KiB pages
 * (default 128); -d is the size of the dirty-logged slot (default 32);
 * -c pins the benchmark to a CPU (default 0, -1: not
 * pinned): on the wall clock of an emulated 2-CPU machine, every wait for
 * an idle CPU (an SRCU grace period of a memslot change) costs
 * milliseconds, and where the task lands decides how many of them it
 * waits for, which made phases bimodal.
 */
#include <sched.h>
#include <stdarg.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

struct bench_ctx bench = { .backend = "?", .round = 0, .scale = 1.0 };

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double median_d(double *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double median_u64(const uint64_t *v, size_t n)
{
	double *d = malloc(n * sizeof(*d)), m;
	size_t i;

	TEST_ASSERT(d, "malloc");
	for (i = 0; i < n; i++)
		d[i] = (double)v[i];
	m = median_d(d, n);
	free(d);
	return m;
}

unsigned int iters(unsigned int n, unsigned int min)
{
	double v = n * bench.scale;

	return v < min ? min : (unsigned int)v;
}

void report(const char *name, double value, const char *unit, bool lower_better,
	    const char *extra_fmt, ...)
{
	char extra[256] = "";
	va_list ap;

	va_start(ap, extra_fmt);
	vsnprintf(extra, sizeof(extra), extra_fmt, ap);
	va_end(ap);
	printf("@@BENCH %s %d %s %.6g %s %s%s%s\n", bench.backend, bench.round,
	       name, value, unit, lower_better ? "lo" : "hi",
	       extra[0] ? " " : "", extra);
	fflush(stdout);
}

double guest_tsc_khz(struct guest *g)
{
	long r = kvm_ioctl(g->vcpu, KVM_GET_TSC_KHZ, 0);

	TEST_ASSERT(r > 0, "KVM_GET_TSC_KHZ: %ld", r);
	return (double)r;
}

void bench_guest(struct guest *g, size_t mem)
{
	int r = guest_create(g, mem);

	TEST_ASSERT(r == 0, "guest_create: %s", strerror(-r));
	g->timeout_ms = 0;	/* no watchdog: a slow emulator is not a hang */
}

static void usage(void)
{
	fprintf(stderr, "usage: kvmx-bench [-b backend] [-r round] [-s scale] [-m MiB] [-M MiB] [-d MiB] [-c cpu] "
		"exits|wake|mem|dirty|lifecycle|footprint|all...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int c, i, rc = 0, cpu = 0;
	cpu_set_t set;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt(argc, argv, "b:r:s:m:M:d:c:")) != -1) {
		switch (c) {
		case 'b': bench.backend = optarg; break;
		case 'r': bench.round = atoi(optarg); break;
		case 's': bench.scale = atof(optarg); break;
		case 'm': bench.mem_mib = (unsigned int)atoi(optarg); break;
		case 'M': bench.mem4k_mib = (unsigned int)atoi(optarg); break;
		case 'd': bench.dirty_mib = (unsigned int)atoi(optarg); break;
		case 'c': cpu = atoi(optarg); break;
		default: usage();
		}
	}
	if (optind >= argc)
		usage();
	if (cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		TEST_ASSERT(sched_setaffinity(0, sizeof(set), &set) == 0,
			    "sched_setaffinity(CPU %d)", cpu);
	}
	for (i = optind; i < argc; i++) {
		bool all = !strcmp(argv[i], "all"), known = all;

#define RUN(x) do { if (all || !strcmp(argv[i], #x)) { known = true; rc |= bench_##x(); } } while (0)
		RUN(exits);
		RUN(wake);
		RUN(lifecycle);
		RUN(footprint);
		RUN(mem);
		RUN(dirty);
#undef RUN
		if (!known)
			usage();
	}
	return rc;
}
