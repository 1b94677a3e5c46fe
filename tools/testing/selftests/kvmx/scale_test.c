// SPDX-License-Identifier: GPL-2.0
/*
 * scale_test: many vCPUs and many VMs at once, each vCPU run by its own
 * thread, as VMMs do.
 *
 *  - 64 vCPUs in one VM: every vCPU runs the same real-mode code, which
 *    reports its own value through OUT and halts; every thread sees its
 *    vCPU's value and then KVM_EXIT_HLT.
 *  - 32 VMs at once, one vCPU each, the same way, with per-VM memory
 *    holding a per-VM value: no VM sees another's memory.
 *
 * Reference: api.rst 4.7 (KVM_CREATE_VCPU), 4.10 (KVM_RUN).
 */
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvmx_util.h"
#include "kselftest_harness.h"

#define CODE_GPA	0x1000
#define DATA_GPA	0x2000
#define MEM_SIZE	0x10000
#define PORT		0x10

/*
 * Real mode, CS = DS = 0:  mov (DATA_GPA), %ax ; add %dx, %ax ;
 * out %ax, $PORT ; hlt.  DX starts as the vCPU id (set by the host).
 */
static const uint8_t code[] = {
	0xa1, DATA_GPA & 0xff, DATA_GPA >> 8,	/* mov moffs16, %ax */
	0x01, 0xd0,				/* add %dx, %ax */
	0xe7, PORT,				/* out %ax, $PORT */
	0xf4,					/* hlt */
};

struct runner {
	int vcpu;
	long mmap_size;
	uint16_t expect;
	int result;		/* 0 ok, else a line number */
};

static int setup_vcpu(int vcpu, uint16_t dx)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (KVM_IOCTL(vcpu, KVM_GET_SREGS, &sregs))
		return -1;
	sregs.cs.selector = 0;
	sregs.cs.base = 0;
	sregs.ds.selector = 0;
	sregs.ds.base = 0;
	if (KVM_IOCTL(vcpu, KVM_SET_SREGS, &sregs))
		return -1;
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_GPA;
	regs.rflags = 2;
	regs.rdx = dx;
	return KVM_IOCTL(vcpu, KVM_SET_REGS, &regs) ? -1 : 0;
}

static void *run_vcpu(void *arg)
{
	struct runner *r = arg;
	struct kvm_run *run = mmap(NULL, r->mmap_size, PROT_READ | PROT_WRITE,
				   MAP_SHARED, r->vcpu, 0);

	r->result = __LINE__;
	if (run == MAP_FAILED)
		return NULL;
	if (KVM_IOCTL(r->vcpu, KVM_RUN, 0) || run->exit_reason != KVM_EXIT_IO ||
	    run->io.port != PORT ||
	    *(uint16_t *)((char *)run + run->io.data_offset) != r->expect) {
		r->result = __LINE__;
		goto out;
	}
	if (KVM_IOCTL(r->vcpu, KVM_RUN, 0) || run->exit_reason != KVM_EXIT_HLT) {
		r->result = __LINE__;
		goto out;
	}
	r->result = 0;
out:
	munmap(run, r->mmap_size);
	return NULL;
}

/* A VM with the code and @value at DATA_GPA; its memory in *@mem. */
static int make_vm(int kvm, uint16_t value, void **mem)
{
	int vm = vm_create(kvm);

	if (vm < 0)
		return vm;
	*mem = guest_mem_alloc(MEM_SIZE);
	if (!*mem)
		return -ENOMEM;
	memcpy((char *)*mem + CODE_GPA, code, sizeof(code));
	memcpy((char *)*mem + DATA_GPA, &value, sizeof(value));
	if (vm_set_mem(vm, 0, 0, 0, MEM_SIZE, (uintptr_t)*mem))
		return -EINVAL;
	return vm;
}

static void run_all(struct __test_metadata *_metadata, struct runner *r,
		    int n)
{
	pthread_t *t = calloc(n, sizeof(*t));
	int i;

	ASSERT_NE(NULL, t);
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, run_vcpu, &r[i]));
	for (i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(0, r[i].result) TH_LOG("vCPU %d failed at line %d",
						 i, r[i].result);
	}
	free(t);
}

TEST(vcpus_64)
{
	const int n = 64;
	struct runner r[64];
	int kvm = kvm_open(), vm, i;
	void *mem;

	ASSERT_GE(kvm, 0);
	if (kvm_check_cap(kvm, KVM_CAP_MAX_VCPUS) < n)
		SKIP(return, "fewer than 64 vCPUs per VM");
	vm = make_vm(kvm, 0x1000, &mem);
	ASSERT_GE(vm, 0);
	for (i = 0; i < n; i++) {
		r[i].vcpu = vcpu_create(vm, i);
		ASSERT_GE(r[i].vcpu, 0);
		r[i].mmap_size = vcpu_mmap_size(kvm);
		r[i].expect = 0x1000 + i;
		ASSERT_EQ(0, setup_vcpu(r[i].vcpu, i));
	}
	run_all(_metadata, r, n);
	for (i = 0; i < n; i++)
		close(r[i].vcpu);
	close(vm);
	guest_mem_free(mem, MEM_SIZE);
	close(kvm);
}

TEST(vms_32)
{
	const int n = 32;
	struct runner r[32];
	int kvm = kvm_open(), vm[32], i;
	void *mem[32];

	ASSERT_GE(kvm, 0);
	for (i = 0; i < n; i++) {
		vm[i] = make_vm(kvm, 0x100 * i, &mem[i]);
		ASSERT_GE(vm[i], 0);
		r[i].vcpu = vcpu_create(vm[i], 0);
		ASSERT_GE(r[i].vcpu, 0);
		r[i].mmap_size = vcpu_mmap_size(kvm);
		r[i].expect = 0x100 * i + 7;
		ASSERT_EQ(0, setup_vcpu(r[i].vcpu, 7));
	}
	run_all(_metadata, r, n);
	for (i = 0; i < n; i++) {
		close(r[i].vcpu);
		close(vm[i]);
		guest_mem_free(mem[i], MEM_SIZE);
	}
	close(kvm);
}

TEST_HARNESS_MAIN
