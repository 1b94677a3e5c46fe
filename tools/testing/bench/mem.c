// SPDX-License-Identifier: GPL-2.0
/*
 * First-touch fault-in of guest memory: slot 1 (at MEM_GPA) is fresh
 * anonymous memory, 1 GiB (512 MiB if the machine has not the room;
 * kvmx-bench -m) for 2 MiB backing, 128 MiB for 4 KiB backing (-M: a 4 KiB
 * fault costs ~100-300 us of emulated time, 1 GiB would take minutes); the 64-bit guest (identity mapped with
 * 2 MiB guest pages) writes one byte per 4 KiB page, and reads the TSC
 * after every 2 MiB.  Each first touch is a nested page fault that the
 * hypervisor resolves by faulting the host page in (and zeroing it).
 *
 *   fault-4k     host backing of 4 KiB pages (MADV_NOHUGEPAGE): one
 *                fault per 4 KiB; GiB/s, median over the 2 MiB chunks
 *   fault-2m     2 MiB host pages (hugetlbfs, reserved here through
 *                /proc/sys/vm/nr_hugepages; THP with MADV_HUGEPAGE if the
 *                reservation falls short): one fault per 2 MiB
 *   fault-*-all  the same, the whole region by the host's clock around
 *                KVM_RUN (including the first and the last chunks)
 */
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"

#define MEM_GPA		(1UL << 30)
#define TS_GPA		0x100000UL	/* chunk timestamps, in slot 0 */
#define SLOT0_MEM	(4UL << 20)
#define CHUNK		(2UL << 20)

/* The TSC to (RDI), RDI += 8. */
#define TSC_TO_MEM	TSC_TO("%r8") "mov %r8, (%rdi)\n\tadd $8, %rdi\n\t"

/* RDI: timestamps, RSI: region, RCX: number of 2 MiB chunks. */
GUEST_CODE(touch_code, 64,
	TSC_TO_MEM
	"1:\n\t"
	"mov $512, %r11d\n"
	"2:\n\t"
	"movb $1, (%rsi)\n\t"
	"add $4096, %rsi\n\t"
	"dec %r11\n\t"
	"jnz 2b\n\t"
	TSC_TO_MEM
	"dec %rcx\n\t"
	"jnz 1b\n\t"
	GUEST_ASM_DONE_HLT);

static long meminfo_kib(const char *key)
{
	char line[256];
	size_t kl = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			v = atol(line + kl + 1);
			break;
		}
	fclose(f);
	return v;
}

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fprintf(f, "%ld\n", v);
		fclose(f);
	}
}

#define NR_HUGE "/proc/sys/vm/nr_hugepages"

struct backing {
	void *mem;		/* the mapping */
	void *base;		/* 2 MiB aligned, size bytes */
	size_t map_size;
	const char *kind;	/* 4k, hugetlb, thp */
	long old_nr_huge;	/* to restore, or -1 */
};

static void backing_get(struct backing *b, size_t size, bool huge)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;

	memset(b, 0, sizeof(*b));
	b->old_nr_huge = -1;
	if (huge) {
		long need = (long)(size / CHUNK), free_huge;

		b->old_nr_huge = read_long(NR_HUGE);
		free_huge = meminfo_kib("HugePages_Free");
		if (b->old_nr_huge >= 0 && free_huge < need)
			write_long(NR_HUGE, b->old_nr_huge + need - free_huge);
		if (meminfo_kib("HugePages_Free") >= need) {
			b->map_size = size;
			b->mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
			if (b->mem != MAP_FAILED) {
				b->base = b->mem;
				b->kind = "hugetlb";
				return;
			}
		}
		write_long(NR_HUGE, b->old_nr_huge);
		b->old_nr_huge = -1;
	}
	/* 4k, or THP: 2 MiB aligned, advised. */
	b->map_size = size + CHUNK;
	b->mem = mmap(NULL, b->map_size, PROT_READ | PROT_WRITE, flags, -1, 0);
	TEST_ASSERT(b->mem != MAP_FAILED, "mmap %zu MiB", size >> 20);
	b->base = (void *)(((uintptr_t)b->mem + CHUNK - 1) & ~(CHUNK - 1));
	madvise(b->base, size, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	b->kind = huge ? "thp" : "4k";
}

static void backing_put(struct backing *b)
{
	munmap(b->mem, b->map_size);
	if (b->old_nr_huge >= 0)
		write_long(NR_HUGE, b->old_nr_huge);
}

static void fault_in(size_t size, bool huge)
{
	struct guest g;
	struct backing b;
	struct kvm_regs regs;
	size_t chunks = size / CHUNK, i;
	uint64_t *ts, t0, t1;
	double *rate, khz, gib = 1024.0 * 1024 * 1024, med, all;
	long thp0 = 0, thp1 = 0;
	const char *name = huge ? "fault-2m" : "fault-4k";

	bench_guest(&g, SLOT0_MEM);
	backing_get(&b, size, huge);
	TEST_ASSERT(vm_set_mem(g.vm, 1, 0, MEM_GPA, size,
			       (uint64_t)(uintptr_t)b.base) == 0,
		    "KVM_SET_USER_MEMORY_REGION slot 1");
	TEST_ASSERT(guest_start(&g, GUEST_MODE_LONG64, touch_code, touch_code_end) == 0,
		    "guest_start");
	TEST_ASSERT(vcpu_get_regs(&g, &regs) == 0, "KVM_GET_REGS");
	regs.rdi = TS_GPA;
	regs.rsi = MEM_GPA;
	regs.rcx = chunks;
	TEST_ASSERT(vcpu_set_regs(&g, &regs) == 0, "KVM_SET_REGS");
	TEST_ASSERT(TS_GPA + 8 * (chunks + 1) <= SLOT0_MEM, "too big");

	thp0 = meminfo_kib("AnonHugePages");
	t0 = now_ns();
	TEST_ASSERT(vcpu_run(&g) == 0 && guest_report(&g, NULL) == GUEST_PORT_DONE,
		    "%s: %s", name, guest_exit_str(&g));
	t1 = now_ns();
	thp1 = meminfo_kib("AnonHugePages");

	khz = guest_tsc_khz(&g);
	ts = guest_ptr(&g, TS_GPA);
	rate = malloc(chunks * sizeof(*rate));
	TEST_ASSERT(rate, "malloc");
	for (i = 0; i < chunks; i++)
		rate[i] = ((double)CHUNK / gib) / ((ts[i + 1] - ts[i]) / (khz * 1e3));
	med = median_d(rate, chunks);
	all = ((double)size / gib) / ((t1 - t0) / 1e9);
	free(rate);
	report(name, med, "GiB/s", false, "size=%zuM backing=%s%s", size >> 20, b.kind,
	       !strcmp(b.kind, "thp") ? (thp1 - thp0 >= (long)(size >> 10) * 9 / 10 ?
					 " thp=all" : " thp=PARTIAL") : "");
	printf("@@BENCH %s %d %s-all %.6g GiB/s hi size=%zuM backing=%s\n",
	       bench.backend, bench.round, name, all, size >> 20, b.kind);
	fflush(stdout);
	guest_destroy(&g);
	backing_put(&b);
}

int bench_mem(void)
{
	size_t mib = bench.mem_mib, mib4k = bench.mem4k_mib;

	if (!mib) {
		/* 1 GiB, with room to spare, else 512 MiB. */
		long avail = meminfo_kib("MemAvailable");

		mib = avail >= (1024 + 384) * 1024L ? 1024 : 512;
	}
	if (!mib4k)
		mib4k = 128;
	fault_in(mib4k << 20, false);
	fault_in(mib << 20, true);
	return 0;
}
