// SPDX-License-Identifier: GPL-2.0
/*
 * Lifecycle: how fast VMs, vCPUs and memslots come and go.
 *
 *   vm-create-destroy  KVM_CREATE_VM then close(): per second (1 / the
 *                      median of one create+destroy)
 *   vcpu-create        KVM_CREATE_VCPU in a fresh VM: the median, us
 *   memslots-N         KVM_SET_USER_MEMORY_REGION for N new 64 KiB slots
 *                      in a fresh VM (N = 1, 100, 500): the median time
 *                      for all N, ms
 *
 * Each loop stops after its count or its time budget (whichever comes
 * first, but never before 5 samples, or 3 of memslots-500): the emulator
 * may be slow (on the wall clock, KVM 6.1 waits for an SRCU grace period
 * per memslot change).
 */
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"

#define SLOT_SIZE	(64UL << 10)
#define BUDGET_NS	(3ULL * 1000000000ULL)

static bool more(unsigned int i, unsigned int n, uint64_t start)
{
	return i < n && (i < 5 || now_ns() - start < BUDGET_NS * bench.scale);
}

static void vm_create_destroy(int kvm)
{
	unsigned int n = iters(200, 10), i;
	double *t = calloc(n, sizeof(*t));
	uint64_t start = now_ns(), t0;
	int vm;

	for (i = 0; more(i, n, start); i++) {
		t0 = now_ns();
		vm = vm_create(kvm);
		TEST_ASSERT(vm >= 0, "KVM_CREATE_VM: %s", strerror(-vm));
		close(vm);
		t[i] = (double)(now_ns() - t0);
	}
	report("vm-create-destroy", 1e9 / median_d(t, i), "1/s", false, "n=%u", i);
	free(t);
}

static void vcpu_create_bench(int kvm)
{
	unsigned int n = iters(100, 10), i;
	double *t = calloc(n, sizeof(*t));
	uint64_t start = now_ns(), t0;
	int vm, vcpu;

	for (i = 0; more(i, n, start); i++) {
		vm = vm_create(kvm);
		TEST_ASSERT(vm >= 0, "KVM_CREATE_VM: %s", strerror(-vm));
		t0 = now_ns();
		vcpu = vcpu_create(vm, 0);
		t[i] = (double)(now_ns() - t0);
		TEST_ASSERT(vcpu >= 0, "KVM_CREATE_VCPU: %s", strerror(-vcpu));
		close(vcpu);
		close(vm);
	}
	report("vcpu-create", median_d(t, i) / 1e3, "us", true, "n=%u", i);
	free(t);
}

static void memslots(int kvm, unsigned int slots, unsigned int reps)
{
	unsigned int n = iters(reps, 3), i, s;
	double *t = calloc(n, sizeof(*t));
	uint64_t start = now_ns(), t0;
	uint8_t *mem;
	char name[32];
	int vm, r;

	mem = mmap(NULL, slots * SLOT_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	TEST_ASSERT(mem != MAP_FAILED, "mmap");
	for (i = 0; more(i, n, start); i++) {
		vm = vm_create(kvm);
		TEST_ASSERT(vm >= 0, "KVM_CREATE_VM: %s", strerror(-vm));
		t0 = now_ns();
		for (s = 0; s < slots; s++) {
			r = vm_set_mem(vm, s, 0, s * SLOT_SIZE, SLOT_SIZE,
				       (uint64_t)(uintptr_t)(mem + s * SLOT_SIZE));
			TEST_ASSERT(r == 0, "slot %u: %s", s, strerror(-r));
		}
		t[i] = (double)(now_ns() - t0);
		close(vm);
	}
	munmap(mem, slots * SLOT_SIZE);
	snprintf(name, sizeof(name), "memslots-%u", slots);
	report(name, median_d(t, i) / 1e6, "ms", true, "n=%u", i);
	free(t);
}

int bench_lifecycle(void)
{
	int kvm = kvm_open();

	TEST_ASSERT(kvm >= 0, "open /dev/kvm: %s", strerror(-kvm));
	vm_create_destroy(kvm);
	vcpu_create_bench(kvm);
	memslots(kvm, 1, 50);
	memslots(kvm, 100, 10);
	memslots(kvm, 500, 3);
	close(kvm);
	return 0;
}
