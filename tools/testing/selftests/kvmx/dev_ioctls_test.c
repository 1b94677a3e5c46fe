// SPDX-License-Identifier: GPL-2.0
/*
 * dev_ioctls_test: the /dev/kvm ("system") ioctls, KVM_CHECK_EXTENSION on
 * /dev/kvm and on a VM fd, and how each kind of fd answers an ioctl it does
 * not know.
 *
 * Reference: Documentation/virt/kvm/api.rst sections 4.1-4.5 and the 6.1
 * code: kvm_dev_ioctl(), kvm_vm_ioctl(), kvm_vcpu_ioctl() in
 * virt/kvm/kvm_main.c and their arch defaults in arch/x86/kvm/x86.c.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvmx_util.h"
#include "kselftest_harness.h"

FIXTURE(dev) {
	int kvm;
};

FIXTURE_SETUP(dev)
{
	self->kvm = kvm_open();
	ASSERT_GE(self->kvm, 0) TH_LOG("open(%s): %s", KVM_DEV_PATH,
				       strerror(-self->kvm));
}

FIXTURE_TEARDOWN(dev)
{
	if (self->kvm >= 0)
		close(self->kvm);
}

/* api.rst 4.1: the API version is 12 and "the argument must be 0". */
TEST_F(dev, api_version)
{
	EXPECT_EQ(KVM_API_VERSION, KVM_IOCTL(self->kvm, KVM_GET_API_VERSION, 0));
	EXPECT_EQ(12, KVM_IOCTL(self->kvm, KVM_GET_API_VERSION, 0));
	EXPECT_EQ(-EINVAL, KVM_IOCTL(self->kvm, KVM_GET_API_VERSION, 1));
	EXPECT_EQ(-EINVAL, KVM_IOCTL(self->kvm, KVM_GET_API_VERSION, ~0UL));
	/* A failed call changes nothing. */
	EXPECT_EQ(12, KVM_IOCTL(self->kvm, KVM_GET_API_VERSION, 0));
}

/* api.rst 4.5: the size of the vcpu mmap region, whole pages; arg 0. */
TEST_F(dev, vcpu_mmap_size)
{
	long page = (long)host_page_size();
	long sz = vcpu_mmap_size(self->kvm);

	ASSERT_GT(sz, 0);
	EXPECT_EQ(0, sz % page) TH_LOG("mmap size %ld", sz);
	/* At least struct kvm_run, and on x86 the PIO data page after it. */
	EXPECT_GE(sz, (KVM_PIO_PAGE_OFFSET + 1) * page);
	EXPECT_EQ(sz, vcpu_mmap_size(self->kvm));
	EXPECT_EQ(-EINVAL, KVM_IOCTL(self->kvm, KVM_GET_VCPU_MMAP_SIZE, 1));
	EXPECT_EQ(-EINVAL, KVM_IOCTL(self->kvm, KVM_GET_VCPU_MMAP_SIZE, ~0UL));
}

TEST_F(dev, create_vm)
{
	int vm1, vm2;

	vm1 = vm_create(self->kvm);
	ASSERT_GE(vm1, 0) TH_LOG("KVM_CREATE_VM(0): %s", strerror(-vm1));
	/* KVM hands out VM fds with O_CLOEXEC. */
	EXPECT_EQ(1, fd_is_cloexec(vm1));
	EXPECT_NE(self->kvm, vm1);

	/* One /dev/kvm fd can create many VMs. */
	vm2 = vm_create(self->kvm);
	ASSERT_GE(vm2, 0);
	EXPECT_NE(vm1, vm2);

	close(vm1);
	close(vm2);
}

/*
 * The machine type is arch specific; on x86 0 is the default VM and a few
 * small numbers are SEV/SNP/protected VMs on newer kernels (if the host
 * supports them), so only clearly bogus types are tried.
 */
TEST_F(dev, create_vm_bad_type)
{
	static const unsigned long types[] = {
		0xdead, 0x80000000UL, 1UL << 32, ~0UL,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		EXPECT_EQ(-EINVAL, KVM_IOCTL(self->kvm, KVM_CREATE_VM, types[i]))
			TH_LOG("type %#lx", types[i]);
	}

	/* The failures left /dev/kvm usable. */
	i = vm_create(self->kvm);
	ASSERT_GE((int)i, 0);
	close(i);
}

/* Capabilities every KVM reports, on /dev/kvm. */
TEST_F(dev, check_extension_dev)
{
	EXPECT_EQ(1, kvm_check_cap(self->kvm, KVM_CAP_CHECK_EXTENSION_VM));
	EXPECT_NE(0, kvm_check_cap(self->kvm, KVM_CAP_USER_MEMORY));
	EXPECT_LT(0, kvm_check_cap(self->kvm, KVM_CAP_USER_MEMORY));
}

/* "Returns 0 if unsupported": capability numbers nobody defines. */
TEST_F(dev, check_extension_unknown)
{
	static const long caps[] = { 100000, 0x7fffffff, -1, -1000 };
	unsigned int i;
	int vm;

	vm = vm_create(self->kvm);
	ASSERT_GE(vm, 0);
	for (i = 0; i < ARRAY_SIZE(caps); i++) {
		EXPECT_EQ(0, kvm_check_cap(self->kvm, caps[i]))
			TH_LOG("/dev/kvm cap %ld", caps[i]);
		EXPECT_EQ(0, kvm_check_cap(vm, caps[i]))
			TH_LOG("VM cap %ld", caps[i]);
	}
	close(vm);
}

/*
 * KVM_CAP_CHECK_EXTENSION_VM: the VM fd answers KVM_CHECK_EXTENSION too,
 * and for the VM-independent capabilities it gives the same answer.
 */
TEST_F(dev, check_extension_vm)
{
	static const long caps[] = {
		KVM_CAP_USER_MEMORY, KVM_CAP_NR_VCPUS, KVM_CAP_MAX_VCPUS,
		KVM_CAP_MAX_VCPU_ID, KVM_CAP_NR_MEMSLOTS,
		KVM_CAP_CHECK_EXTENSION_VM,
	};
	unsigned int i;
	int vm;

	vm = vm_create(self->kvm);
	ASSERT_GE(vm, 0);
	EXPECT_EQ(1, kvm_check_cap(vm, KVM_CAP_CHECK_EXTENSION_VM));
	EXPECT_LT(0, kvm_check_cap(vm, KVM_CAP_USER_MEMORY));
	for (i = 0; i < ARRAY_SIZE(caps); i++) {
		EXPECT_EQ(kvm_check_cap(self->kvm, caps[i]),
			  kvm_check_cap(vm, caps[i]))
			TH_LOG("cap %ld", caps[i]);
	}
	close(vm);
}

/* The limits' documented relations; their values are the KVM's own. */
TEST_F(dev, vcpu_and_memslot_limits)
{
	long nr_vcpus = kvm_check_cap(self->kvm, KVM_CAP_NR_VCPUS);
	long max_vcpus = kvm_check_cap(self->kvm, KVM_CAP_MAX_VCPUS);
	long max_id = kvm_check_cap(self->kvm, KVM_CAP_MAX_VCPU_ID);
	long nr_slots = kvm_check_cap(self->kvm, KVM_CAP_NR_MEMSLOTS);

	TH_LOG("NR_VCPUS %ld MAX_VCPUS %ld MAX_VCPU_ID %ld NR_MEMSLOTS %ld",
	       nr_vcpus, max_vcpus, max_id, nr_slots);
	EXPECT_GE(nr_vcpus, 1);
	EXPECT_LE(nr_vcpus, max_vcpus);
	/* api.rst: "max_vcpu_id ... should be >= max_vcpus" */
	EXPECT_GE(max_id, max_vcpus);
	/* Before KVM_CAP_NR_MEMSLOTS existed, 32 slots were the guarantee. */
	EXPECT_GE(nr_slots, 32);
	/* The slot id is 16 bits wide (slot >> 16 is the address space). */
	EXPECT_LE(nr_slots, 0x10000);
}

/*
 * Unknown ioctls.  /dev/kvm: kvm_dev_ioctl() passes them to
 * kvm_arch_dev_ioctl(), whose x86 default is -EINVAL; whatever the type.
 */
TEST_F(dev, unknown_ioctl_dev)
{
	__u64 v = 0;

	EXPECT_EQ(-EINVAL, KVM_IOCTL(self->kvm, KVMX_UNKNOWN_KVMIO, 0));
	EXPECT_EQ(-EINVAL, KVM_IOCTL(self->kvm, KVMX_UNKNOWN_KVMIO_W, &v));
	EXPECT_EQ(-EINVAL, KVM_IOCTL(self->kvm, KVMX_FOREIGN_IOCTL, 0));
	EXPECT_EQ(-EINVAL, KVM_IOCTL(self->kvm, KVMX_FOREIGN_IOCTL_W, &v));
	/* VM and vCPU ioctls are not system ioctls. */
	EXPECT_EQ(-EINVAL, KVM_IOCTL(self->kvm, KVM_CREATE_VCPU, 0));
	EXPECT_EQ(-EINVAL, KVM_IOCTL(self->kvm, KVM_RUN, 0));
	/* Still usable. */
	EXPECT_EQ(12, KVM_IOCTL(self->kvm, KVM_GET_API_VERSION, 0));
}

/*
 * The VM fd: kvm_vm_ioctl() passes unknown ioctls to kvm_arch_vm_ioctl(),
 * whose x86 default is -ENOTTY (unlike /dev/kvm and the vCPU fd).
 */
TEST_F(dev, unknown_ioctl_vm)
{
	__u64 v = 0;
	int vm;

	vm = vm_create(self->kvm);
	ASSERT_GE(vm, 0);
	EXPECT_EQ(-ENOTTY, KVM_IOCTL(vm, KVMX_UNKNOWN_KVMIO, 0));
	EXPECT_EQ(-ENOTTY, KVM_IOCTL(vm, KVMX_UNKNOWN_KVMIO_W, &v));
	EXPECT_EQ(-ENOTTY, KVM_IOCTL(vm, KVMX_FOREIGN_IOCTL, 0));
	EXPECT_EQ(-ENOTTY, KVM_IOCTL(vm, KVMX_FOREIGN_IOCTL_W, &v));
	/* System ioctls are not VM ioctls. */
	EXPECT_EQ(-ENOTTY, KVM_IOCTL(vm, KVM_GET_API_VERSION, 0));
	EXPECT_EQ(-ENOTTY, KVM_IOCTL(vm, KVM_CREATE_VM, 0));
	EXPECT_EQ(-ENOTTY, KVM_IOCTL(vm, KVM_GET_VCPU_MMAP_SIZE, 0));
	/* Nor is KVM_RUN. */
	EXPECT_EQ(-ENOTTY, KVM_IOCTL(vm, KVM_RUN, 0));
	/* Still usable. */
	EXPECT_EQ(1, kvm_check_cap(vm, KVM_CAP_CHECK_EXTENSION_VM));
	close(vm);
}

/*
 * The vCPU fd: kvm_vcpu_ioctl() rejects any ioctl whose type is not KVMIO
 * with -EINVAL before looking at it, and kvm_arch_vcpu_ioctl()'s x86
 * default for unknown KVMIO ones is -EINVAL as well.
 */
TEST_F(dev, unknown_ioctl_vcpu)
{
	__u64 v = 0;
	int vm, vcpu;

	vm = vm_create(self->kvm);
	ASSERT_GE(vm, 0);
	vcpu = vcpu_create(vm, 0);
	ASSERT_GE(vcpu, 0);
	EXPECT_EQ(-EINVAL, KVM_IOCTL(vcpu, KVMX_UNKNOWN_KVMIO, 0));
	EXPECT_EQ(-EINVAL, KVM_IOCTL(vcpu, KVMX_UNKNOWN_KVMIO_W, &v));
	EXPECT_EQ(-EINVAL, KVM_IOCTL(vcpu, KVMX_FOREIGN_IOCTL, 0));
	EXPECT_EQ(-EINVAL, KVM_IOCTL(vcpu, KVMX_FOREIGN_IOCTL_W, &v));
	EXPECT_EQ(-EINVAL, KVM_IOCTL(vcpu, _IO(0, 0), 0));
	/* System and VM ioctls are not vCPU ioctls. */
	EXPECT_EQ(-EINVAL, KVM_IOCTL(vcpu, KVM_GET_API_VERSION, 0));
	EXPECT_EQ(-EINVAL, KVM_IOCTL(vcpu, KVM_CREATE_VM, 0));
	EXPECT_EQ(-EINVAL, KVM_IOCTL(vcpu, KVM_CREATE_VCPU, 1));
	EXPECT_EQ(-EINVAL, KVM_IOCTL(vcpu, KVM_CHECK_EXTENSION,
				     KVM_CAP_USER_MEMORY));
	close(vcpu);
	close(vm);
}

/*
 * KVM_ENABLE_CAP (api.rst 4.37): a vCPU ioctl where KVM_CAP_ENABLE_CAP is
 * reported, a VM ioctl where KVM_CAP_ENABLE_CAP_VM is (the stock KVM on
 * x86 reports both).  A capability that cannot be enabled, or any flags,
 * is EINVAL (6.1: kvm_vm_ioctl_enable_cap() and
 * kvm_vcpu_ioctl_enable_cap() in arch/x86/kvm/x86.c); a bad pointer
 * EFAULT.  /dev/kvm has no KVM_ENABLE_CAP: EINVAL, like any unknown ioctl.
 */
TEST_F(dev, enable_cap_invalid)
{
	struct kvm_enable_cap unknown = { .cap = 0x7fffffff };
	struct kvm_enable_cap not_enablable = { .cap = KVM_CAP_USER_MEMORY };
	struct kvm_enable_cap flagged = { .cap = 0x7fffffff, .flags = 1 };
	bool on_vm, on_vcpu;
	int vm, vcpu, i;

	EXPECT_EQ(-EINVAL, KVM_IOCTL(self->kvm, KVM_ENABLE_CAP, &unknown));
	vm = vm_create(self->kvm);
	ASSERT_GE(vm, 0);
	vcpu = vcpu_create(vm, 0);
	ASSERT_GE(vcpu, 0);
	on_vm = kvm_check_cap(vm, KVM_CAP_ENABLE_CAP_VM) > 0;
	on_vcpu = kvm_check_cap(vm, KVM_CAP_ENABLE_CAP) > 0;
	/* The capabilities are the same whichever fd is asked. */
	EXPECT_EQ(on_vm, kvm_check_cap(self->kvm, KVM_CAP_ENABLE_CAP_VM) > 0);
	EXPECT_EQ(on_vcpu, kvm_check_cap(self->kvm, KVM_CAP_ENABLE_CAP) > 0);
	if (!on_vm && !on_vcpu) {
		close(vcpu);
		close(vm);
		SKIP(return, "neither KVM_CAP_ENABLE_CAP_VM nor KVM_CAP_ENABLE_CAP");
	}
	for (i = 0; i < 2; i++) {
		const char *what = i ? "vcpu" : "vm";
		int fd = i ? vcpu : vm;

		if (!(i ? on_vcpu : on_vm))
			continue;
		EXPECT_EQ(-EINVAL, KVM_IOCTL(fd, KVM_ENABLE_CAP, &unknown))
			TH_LOG("%s", what);
		EXPECT_EQ(-EINVAL, KVM_IOCTL(fd, KVM_ENABLE_CAP, &not_enablable))
			TH_LOG("%s", what);
		EXPECT_EQ(-EINVAL, KVM_IOCTL(fd, KVM_ENABLE_CAP, &flagged))
			TH_LOG("%s", what);
		EXPECT_EQ(-EFAULT, KVM_IOCTL(fd, KVM_ENABLE_CAP, NULL))
			TH_LOG("%s", what);
	}
	close(vcpu);
	close(vm);
}

/*
 * Neither /dev/kvm nor a VM fd can be read, written or mapped: they have
 * no read/write/mmap file operations (so read/write give EINVAL and mmap
 * ENODEV, the VFS's answers).
 */
TEST_F(dev, no_read_write_mmap)
{
	char buf[8];
	void *p;
	int vm, i;

	vm = vm_create(self->kvm);
	ASSERT_GE(vm, 0);
	for (i = 0; i < 2; i++) {
		int fd = i ? vm : self->kvm;

		errno = 0;
		EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
		EXPECT_EQ(EINVAL, errno);
		errno = 0;
		EXPECT_EQ(-1, write(fd, buf, sizeof(buf)));
		EXPECT_EQ(EINVAL, errno);
		errno = 0;
		p = mmap(NULL, host_page_size(), PROT_READ, MAP_SHARED, fd, 0);
		EXPECT_EQ(MAP_FAILED, p);
		EXPECT_EQ(ENODEV, errno);
		if (p != MAP_FAILED)
			munmap(p, host_page_size());
	}
	close(vm);
}

TEST_HARNESS_MAIN
