// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty logging, in the spirit of upstream's dirty_log_perf_test but one
 * vCPU and small: slot 1 (32 MiB by default, kvmx-bench -d) has
 * KVM_MEM_LOG_DIRTY_PAGES; the 64-bit guest writes 8 bytes to every 4 KiB
 * page of it per pass and reports the pass's TSC cycles; after each pass
 * the host takes KVM_GET_DIRTY_LOG, which hands over the bitmap and
 * write-protects the pages again (no KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2),
 * and checks that every page, and only those, is in it.  Pass 0 faults
 * the memory in and is not counted; then 5 passes, medians:
 *
 *   dirty-write    pages the guest dirties per second (by its TSC): each
 *                  first write after a harvest is a write-protection
 *                  fault that the hypervisor resolves and logs
 *   dirty-harvest  pages per second through KVM_GET_DIRTY_LOG (by the
 *                  host's clock around the ioctl): bitmap out, the pages
 *                  write-protected again, TLBs flushed
 */
#include <sys/mman.h>

#include "bench.h"

#define SLOT0_MEM	(2UL << 20)
#define DIRTY_GPA	(1UL << 30)
#define DIRTY_SLOT	1

/* R12: the region, R13: its pages.  Each pass: RAX = cycles, then DONE. */
GUEST_CODE(dirty_code, 64,
	"1:\n\t"
	TSC_TO("%r8")
	"mov %r12, %rsi\n\t"
	"mov %r13, %rcx\n"
	"2:\n\t"
	"mov %r8, (%rsi)\n\t"
	"add $4096, %rsi\n\t"
	"dec %rcx\n\t"
	"jnz 2b\n\t"
	TSC_TO("%r11")
	"sub %r8, %r11\n\t"
	"mov %r11, %rax\n\t"
	GUEST_ASM_DONE
	"jmp 1b\n\t");

/* Set bits in the log; every page must be there. */
static void check_log(const uint64_t *log, size_t pages, int pass)
{
	size_t i, set = 0;

	for (i = 0; i < pages / 64; i++)
		set += __builtin_popcountll(log[i]);
	TEST_ASSERT(set == pages, "dirty log, pass %d: %zu of %zu pages dirty",
		    pass, set, pages);
}

int bench_dirty(void)
{
	size_t size = (size_t)(bench.dirty_mib ? bench.dirty_mib : 32) << 20;
	size_t pages = size >> 12;
	unsigned int passes = iters(5, 3), i;
	struct kvm_dirty_log dl = { .slot = DIRTY_SLOT };
	struct kvm_regs regs;
	struct guest g;
	double *wr, *hv, khz;
	uint64_t *log, t0, t1;
	void *mem;

	bench_guest(&g, SLOT0_MEM);
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	TEST_ASSERT(mem != MAP_FAILED, "mmap %zu MiB", size >> 20);
	/* 4 KiB pages, as a logged slot is mapped; faulted in here, cheaply. */
	madvise(mem, size, MADV_NOHUGEPAGE);
	memset(mem, 0, size);
	TEST_ASSERT(vm_set_mem(g.vm, DIRTY_SLOT, KVM_MEM_LOG_DIRTY_PAGES, DIRTY_GPA,
			       size, (uint64_t)(uintptr_t)mem) == 0,
		    "KVM_SET_USER_MEMORY_REGION(LOG_DIRTY_PAGES)");
	TEST_ASSERT(guest_start(&g, GUEST_MODE_LONG64, dirty_code, dirty_code_end) == 0,
		    "guest_start");
	TEST_ASSERT(vcpu_get_regs(&g, &regs) == 0, "KVM_GET_REGS");
	regs.r12 = DIRTY_GPA;
	regs.r13 = pages;
	TEST_ASSERT(vcpu_set_regs(&g, &regs) == 0, "KVM_SET_REGS");

	log = calloc(pages / 64, sizeof(*log));
	wr = calloc(passes, sizeof(*wr));
	hv = calloc(passes, sizeof(*hv));
	TEST_ASSERT(log && wr && hv, "calloc");
	dl.dirty_bitmap = log;
	khz = guest_tsc_khz(&g);
	for (i = 0; i <= passes; i++) {
		TEST_ASSERT(guest_run_report(&g, &regs) == GUEST_PORT_DONE,
			    "dirty pass %u: %s", i, guest_exit_str(&g));
		t0 = now_ns();
		TEST_ASSERT(KVM_IOCTL(g.vm, KVM_GET_DIRTY_LOG, &dl) == 0,
			    "KVM_GET_DIRTY_LOG");
		t1 = now_ns();
		check_log(log, pages, i);
		if (!i)
			continue;	/* the fault-in */
		wr[i - 1] = pages / (regs.rax / (khz * 1e3));
		hv[i - 1] = pages / ((t1 - t0) / 1e9);
	}
	/* Nothing written since the last harvest: an empty log. */
	TEST_ASSERT(KVM_IOCTL(g.vm, KVM_GET_DIRTY_LOG, &dl) == 0, "KVM_GET_DIRTY_LOG");
	for (i = 0; i < pages / 64; i++)
		TEST_ASSERT(!log[i], "dirty log not cleared by KVM_GET_DIRTY_LOG");

	report("dirty-write", median_d(wr, passes), "pages/s", false,
	       "size=%zuM passes=%u", size >> 20, passes);
	report("dirty-harvest", median_d(hv, passes), "pages/s", false,
	       "size=%zuM passes=%u", size >> 20, passes);
	free(log);
	free(wr);
	free(hv);
	guest_destroy(&g);
	munmap(mem, size);
	return 0;
}
