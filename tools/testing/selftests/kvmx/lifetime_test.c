// SPDX-License-Identifier: GPL-2.0
/*
 * lifetime_test: /dev/kvm, VM and vCPU fds (and vCPU mappings) closed in
 * every order, VMs created and destroyed in bulk, threads, and fork(): a
 * VM belongs to the mm that created it, so a child's ioctls on its
 * parent's VM or vCPU fds fail with EIO (kvm_vm_ioctl() and
 * kvm_vcpu_ioctl() check kvm->mm != current->mm first), while /dev/kvm
 * keeps working in the child.
 *
 * Reference: 6.1 virt/kvm/kvm_main.c: kvm_vm_release(), kvm_vcpu_release()
 * (each vCPU fd holds a reference on the VM), kvm_vm_ioctl(),
 * kvm_vcpu_ioctl().  api.rst 1 says fds moved to another process by fork()
 * or SCM_RIGHTS are "explicitly not supported" and that a VM lives as long
 * as any reference to its fd; what such a process gets, EIO, is what 6.1
 * and 6.12 both do (the check is older than either).
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvmx_util.h"
#include "kselftest_harness.h"

#define GPA	0x100000ULL
#define PAGES	16

static size_t page(void)
{
	return host_page_size();
}

static long run_size(void)
{
	int kvm = kvm_open();
	long sz;

	if (kvm < 0)
		return kvm;
	sz = vcpu_mmap_size(kvm);
	close(kvm);
	return sz;
}

/* An unknown vCPU ioctl: EINVAL from a live vCPU fd, EIO from a foreign mm. */
static long vcpu_poke(int vcpu)
{
	return KVM_IOCTL(vcpu, KVMX_UNKNOWN_KVMIO, 0);
}

/* ---- closing in every order ----------------------------------------- */

/* The VM lives on without /dev/kvm. */
TEST(close_kvm_first)
{
	int kvm, vm, vcpu;
	uint8_t *mem;

	kvm = kvm_open();
	ASSERT_GE(kvm, 0);
	vm = vm_create(kvm);
	ASSERT_GE(vm, 0);
	ASSERT_EQ(0, close(kvm));

	EXPECT_EQ(1, kvm_check_cap(vm, KVM_CAP_CHECK_EXTENSION_VM));
	mem = guest_mem_alloc(PAGES * page());
	ASSERT_NE(NULL, mem);
	EXPECT_EQ(0, vm_set_mem(vm, 0, 0, GPA, PAGES * page(),
				(uintptr_t)mem));
	vcpu = vcpu_create(vm, 0);
	ASSERT_GE(vcpu, 0);
	EXPECT_EQ(-EINVAL, vcpu_poke(vcpu));
	EXPECT_EQ(0, vm_set_mem(vm, 0, 0, GPA, 0, 0));
	close(vcpu);
	close(vm);
	guest_mem_free(mem, PAGES * page());
}

/*
 * A vCPU fd holds the VM: after close(vm) the vCPU fd still answers (not
 * EIO, not EBADF) and can still be mapped.
 */
TEST(close_vm_keep_vcpu)
{
	long sz = run_size();
	struct kvm_run *run, *early;
	int vm, v0, v1;

	ASSERT_GT(sz, 0);
	vm = vm_create_standalone();
	ASSERT_GE(vm, 0);
	v0 = vcpu_create(vm, 0);
	v1 = vcpu_create(vm, 1);
	ASSERT_GE(v0, 0);
	ASSERT_GE(v1, 0);
	early = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, v0, 0);
	ASSERT_NE(MAP_FAILED, early);
	ASSERT_EQ(0, close(vm));

	EXPECT_EQ(-EINVAL, vcpu_poke(v0));
	EXPECT_EQ(-EINVAL, vcpu_poke(v1));
	run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, v0, 0);
	ASSERT_NE(MAP_FAILED, run);
	EXPECT_EQ(0, probe_write(&run->request_interrupt_window, 1));
	EXPECT_EQ(1, early->request_interrupt_window);
	EXPECT_EQ(0, munmap(run, sz));
	EXPECT_EQ(0, munmap(early, sz));
	ASSERT_EQ(0, close(v0));
	/* The other vCPU still holds the VM. */
	EXPECT_EQ(-EINVAL, vcpu_poke(v1));
	run = mmap(NULL, sz, PROT_READ, MAP_SHARED, v1, 0);
	ASSERT_NE(MAP_FAILED, run);
	EXPECT_EQ(0, probe_read(&run->exit_reason, NULL));
	EXPECT_EQ(0, munmap(run, sz));
	EXPECT_EQ(0, close(v1));
}

/* A mapping of the vCPU outlives every fd: the last munmap frees all. */
TEST(mapping_outlives_fds)
{
	long sz = run_size();
	struct kvm_run *run;
	uint8_t *pio;
	int vm, vcpu;

	ASSERT_GT(sz, 0);
	vm = vm_create_standalone();
	ASSERT_GE(vm, 0);
	vcpu = vcpu_create(vm, 0);
	ASSERT_GE(vcpu, 0);
	run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	ASSERT_NE(MAP_FAILED, run);
	ASSERT_EQ(0, close(vcpu));
	ASSERT_EQ(0, close(vm));

	EXPECT_EQ(0, probe_write(&run->request_interrupt_window, 1));
	EXPECT_EQ(0, probe_read(&run->exit_reason, NULL));
	pio = (uint8_t *)run + KVM_PIO_PAGE_OFFSET * page();
	EXPECT_EQ(0, probe_write(pio, 0x77));
	EXPECT_EQ(0x77, *pio);
	EXPECT_EQ(0, munmap(run, sz));
}

/* The VM goes first while vCPU fds are still being created from it. */
TEST(close_vm_then_vcpus_in_order)
{
	int vm, v[4], i;

	for (int order = 0; order < 2; order++) {
		vm = vm_create_standalone();
		ASSERT_GE(vm, 0);
		for (i = 0; i < 4; i++) {
			v[i] = vcpu_create(vm, i);
			ASSERT_GE(v[i], 0);
		}
		close(vm);
		for (i = 0; i < 4; i++) {
			int k = order ? 3 - i : i;

			EXPECT_EQ(-EINVAL, vcpu_poke(v[k]));
			EXPECT_EQ(0, close(v[k]));
		}
	}
}

/*
 * Guest memory may be unmapped while a memslot still points at it; the
 * slot can then be deleted, and the VM closed, as usual.
 */
TEST(guest_memory_unmapped_first)
{
	size_t sz = PAGES * page();
	uint8_t *mem;
	int vm, vcpu;

	vm = vm_create_standalone();
	ASSERT_GE(vm, 0);
	vcpu = vcpu_create(vm, 0);
	ASSERT_GE(vcpu, 0);
	mem = guest_mem_alloc(sz);
	ASSERT_NE(NULL, mem);
	memset(mem, 0x5a, sz);
	ASSERT_EQ(0, vm_set_mem(vm, 0, KVM_MEM_LOG_DIRTY_PAGES, GPA, sz,
				(uintptr_t)mem));
	ASSERT_EQ(0, vm_set_mem(vm, 1, 0, GPA + sz, sz, (uintptr_t)mem));
	ASSERT_EQ(0, munmap(mem, sz));
	EXPECT_EQ(0, vm_set_mem(vm, 0, 0, GPA, 0, 0));
	/* Slot 1 is left for the VM's destruction to clean up. */
	close(vcpu);
	close(vm);
}

/* The lowest free fd number: the same before and after means no leak. */
static int lowest_free_fd(void)
{
	int fd = fcntl(0, F_DUPFD, 0);

	if (fd >= 0)
		close(fd);
	return fd;
}

/*
 * Out of fds: KVM_CREATE_VM and KVM_CREATE_VCPU fail with EMFILE, and the
 * failed vCPU is gone for good (6.1 destroys it when create_vcpu_fd()
 * fails), so its id can be created once fds are available again.
 */
TEST(out_of_fds)
{
	struct rlimit old, tight;
	int kvm, vm, vcpu, low;

	kvm = kvm_open();
	ASSERT_GE(kvm, 0);
	vm = vm_create(kvm);
	ASSERT_GE(vm, 0);
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &old));
	low = lowest_free_fd();
	ASSERT_GT(low, 0);
	tight = old;
	tight.rlim_cur = low;	/* every fd below the limit is in use */
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &tight));

	EXPECT_EQ(-EMFILE, vm_create(kvm));
	EXPECT_EQ(-EMFILE, vcpu_create(vm, 0));
	EXPECT_EQ(-EMFILE, vcpu_create(vm, 0));

	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &old));
	vcpu = vcpu_create(vm, 0);
	EXPECT_GE(vcpu, 0) TH_LOG("vcpu 0 after EMFILE: %s", strerror(-vcpu));
	EXPECT_EQ(-EEXIST, vcpu_create(vm, 0));
	if (vcpu >= 0)
		close(vcpu);
	close(vm);
	vm = vm_create(kvm);
	EXPECT_GE(vm, 0);
	if (vm >= 0)
		close(vm);
	close(kvm);
}

/* VMs in bulk, sharing one /dev/kvm fd and one buffer of guest memory. */
FIXTURE(bulk) {
	int kvm;
	size_t runsz;
	uint8_t *mem;
	size_t memsz;
};

FIXTURE_SETUP(bulk)
{
	self->kvm = kvm_open();
	ASSERT_GE(self->kvm, 0);
	self->runsz = vcpu_mmap_size(self->kvm);
	ASSERT_GT((long)self->runsz, 0);
	self->memsz = PAGES * page();
	self->mem = guest_mem_alloc(self->memsz);
	ASSERT_NE(NULL, self->mem);
}

FIXTURE_TEARDOWN(bulk)
{
	guest_mem_free(self->mem, self->memsz);
	close(self->kvm);
}

/*
 * Many VMs, each with vCPUs, memslots and a vCPU mapping, torn down in
 * four different orders.  Stock KVM takes ~70 ms per VM under QEMU TCG
 * (6.1), so 128 rounds keep lifetime_test well inside the test-bed's 60 s
 * per binary even when QEMU shares the machine with Bochs.
 */
#ifndef MANY_VMS
#define MANY_VMS 128
#endif

TEST_F_TIMEOUT(bulk, many_vms, 300)
{
	int first = lowest_free_fd();
	int i, vm, v0, v1;
	struct kvm_run *run;
	uint64_t hva = (uintptr_t)self->mem;
	size_t half = self->memsz / 2;

	ASSERT_GE(first, 0);
	for (i = 0; i < MANY_VMS; i++) {
		vm = vm_create(self->kvm);
		ASSERT_GE(vm, 0) TH_LOG("VM %d: %s", i, strerror(-vm));
		v0 = vcpu_create(vm, 0);
		ASSERT_GE(v0, 0) TH_LOG("VM %d", i);
		v1 = vcpu_create(vm, 1);
		ASSERT_GE(v1, 0) TH_LOG("VM %d", i);
		ASSERT_EQ(0, vm_set_mem(vm, 0, 0, GPA, half, hva));
		ASSERT_EQ(0, vm_set_mem(vm, 1, KVM_MEM_LOG_DIRTY_PAGES,
					GPA + half, half, hva + half));
		run = mmap(NULL, self->runsz, PROT_READ | PROT_WRITE,
			   MAP_SHARED, v0, 0);
		ASSERT_NE(MAP_FAILED, run);
		run->request_interrupt_window = 1;

		switch (i % 4) {
		case 0:	/* VM first */
			ASSERT_EQ(0, close(vm));
			ASSERT_EQ(0, close(v0));
			ASSERT_EQ(0, close(v1));
			ASSERT_EQ(1, run->request_interrupt_window);
			ASSERT_EQ(0, munmap(run, self->runsz));
			break;
		case 1:	/* exact reverse of creation */
			ASSERT_EQ(0, munmap(run, self->runsz));
			ASSERT_EQ(0, close(v1));
			ASSERT_EQ(0, close(v0));
			ASSERT_EQ(0, close(vm));
			break;
		case 2:	/* slots deleted by hand first */
			ASSERT_EQ(0, vm_set_mem(vm, 1, 0, 0, 0, 0));
			ASSERT_EQ(0, vm_set_mem(vm, 0, 0, 0, 0, 0));
			ASSERT_EQ(0, close(v0));
			ASSERT_EQ(0, munmap(run, self->runsz));
			ASSERT_EQ(0, close(vm));
			ASSERT_EQ(-EINVAL, vcpu_poke(v1));
			ASSERT_EQ(0, close(v1));
			break;
		case 3:	/* the mapping last of all */
			ASSERT_EQ(0, close(v1));
			ASSERT_EQ(0, close(vm));
			ASSERT_EQ(0, close(v0));
			ASSERT_EQ(0, probe_read(&run->exit_reason, NULL));
			ASSERT_EQ(0, munmap(run, self->runsz));
			break;
		}
	}
	EXPECT_EQ(first, lowest_free_fd());
}

/* Many VMs alive at the same time, each independent of the others. */
TEST_F_TIMEOUT(bulk, many_vms_at_once, 120)
{
	enum { N = 32 };
	int vm[N], vcpu[N], i;
	uint64_t hva = (uintptr_t)self->mem;

	for (i = 0; i < N; i++) {
		vm[i] = vm_create(self->kvm);
		ASSERT_GE(vm[i], 0) TH_LOG("VM %d: %s", i, strerror(-vm[i]));
		/* The same slot id, range and memory in every VM. */
		ASSERT_EQ(0, vm_set_mem(vm[i], 0, 0, GPA, self->memsz, hva));
		vcpu[i] = vcpu_create(vm[i], 0);
		ASSERT_GE(vcpu[i], 0);
	}
	/* Deleting the slot in one VM leaves the others alone. */
	EXPECT_EQ(0, vm_set_mem(vm[0], 0, 0, 0, 0, 0));
	EXPECT_EQ(-EINVAL, vm_set_mem(vm[0], 0, 0, 0, 0, 0));
	for (i = 1; i < N; i++) {
		EXPECT_EQ(-EEXIST, vm_set_mem(vm[i], 1, 0, GPA, self->memsz, hva));
	}
	for (i = N - 1; i >= 0; i--) {
		EXPECT_EQ(0, close(vm[i]));
		EXPECT_EQ(0, close(vcpu[i]));
	}
}

/* ---- threads: same mm, so the VM is theirs too ----------------------- */

struct thread_arg {
	int vm;
	int vcpu;		/* created by the main thread */
	uint64_t hva;
	size_t size;
	long r_vcpu, r_slot, r_poke, r_cap;
};

static void *thread_fn(void *p)
{
	struct thread_arg *a = p;

	a->r_vcpu = vcpu_create(a->vm, 7);
	a->r_slot = vm_set_mem(a->vm, 3, 0, GPA, a->size, a->hva);
	a->r_poke = vcpu_poke(a->vcpu);
	a->r_cap = kvm_check_cap(a->vm, KVM_CAP_USER_MEMORY);
	return NULL;
}

TEST_F(bulk, other_thread)
{
	struct thread_arg a = { .hva = (uintptr_t)self->mem, .size = self->memsz };
	pthread_t t;

	a.vm = vm_create(self->kvm);
	ASSERT_GE(a.vm, 0);
	a.vcpu = vcpu_create(a.vm, 0);
	ASSERT_GE(a.vcpu, 0);
	ASSERT_EQ(0, pthread_create(&t, NULL, thread_fn, &a));
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_GE(a.r_vcpu, 0);
	EXPECT_EQ(0, a.r_slot);
	EXPECT_EQ(-EINVAL, a.r_poke);
	EXPECT_LT(0, a.r_cap);
	/* What the thread made is the main thread's too. */
	EXPECT_EQ(-EEXIST, vcpu_create(a.vm, 7));
	EXPECT_EQ(0, vm_set_mem(a.vm, 3, 0, 0, 0, 0));
	if (a.r_vcpu >= 0)
		close(a.r_vcpu);
	close(a.vcpu);
	close(a.vm);
}

/* ---- fork ------------------------------------------------------------ */

/*
 * Checks made in a forked child, which cannot use the harness' macros:
 * each failure is printed and counted, the count is the exit status.
 */
static int child_failures;

#define CHILD_EQ(expected, seen) do {					\
	long __e = (long)(expected), __s = (long)(seen);		\
	if (__e != __s) {						\
		fprintf(stderr, "# child: %s:%d: %s == %s: expected %ld, got %ld\n", \
			__FILE__, __LINE__, #expected, #seen, __e, __s); \
		child_failures++;					\
	}								\
} while (0)

#define CHILD_TRUE(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "# child: %s:%d: %s is false\n",	\
			__FILE__, __LINE__, #cond);			\
		child_failures++;					\
	}								\
} while (0)

static void child_exit(void)
{
	fflush(stderr);
	_exit(child_failures > 100 ? 100 : child_failures);
}

/* Wait for pid; return its exit status, or 128 + signal. */
static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

FIXTURE(parent) {
	int kvm, vm, vcpu;
	uint8_t *mem;
	size_t memsz, runsz;
	struct kvm_run *run;
};

FIXTURE_SETUP(parent)
{
	self->kvm = kvm_open();
	ASSERT_GE(self->kvm, 0);
	self->vm = vm_create(self->kvm);
	ASSERT_GE(self->vm, 0);
	self->vcpu = vcpu_create(self->vm, 0);
	ASSERT_GE(self->vcpu, 0);
	self->memsz = PAGES * page();
	self->mem = guest_mem_alloc(self->memsz);
	ASSERT_NE(NULL, self->mem);
	ASSERT_EQ(0, vm_set_mem(self->vm, 0, KVM_MEM_LOG_DIRTY_PAGES, GPA,
				self->memsz, (uintptr_t)self->mem));
	self->runsz = vcpu_mmap_size(self->kvm);
	self->run = mmap(NULL, self->runsz, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->vcpu, 0);
	ASSERT_NE(MAP_FAILED, self->run);
}

FIXTURE_TEARDOWN(parent)
{
	munmap(self->run, self->runsz);
	close(self->vcpu);
	close(self->vm);
	close(self->kvm);
	guest_mem_free(self->mem, self->memsz);
}

/* Everything the parent made must still work, unchanged. */
static void parent_still_works(struct __test_metadata *_metadata,
			       FIXTURE_DATA(parent) *self)
{
	static int next_id = 10;
	uint64_t bitmap[1];
	int v;

	EXPECT_EQ(1, kvm_check_cap(self->vm, KVM_CAP_CHECK_EXTENSION_VM));
	EXPECT_EQ(0, vm_get_dirty_log(self->vm, 0, bitmap));
	EXPECT_EQ(-EEXIST, vm_set_mem(self->vm, 1, 0, GPA, self->memsz,
				      (uintptr_t)self->mem));
	EXPECT_EQ(-EEXIST, vcpu_create(self->vm, 0));
	v = vcpu_create(self->vm, next_id);
	EXPECT_GE(v, 0) TH_LOG("vCPU %d: %s", next_id, strerror(-v));
	next_id++;
	if (v >= 0)
		close(v);
	EXPECT_EQ(-EINVAL, vcpu_poke(self->vcpu));
	EXPECT_EQ(0, probe_read(&self->run->exit_reason, NULL));
	EXPECT_EQ(0, vm_set_mem(self->vm, 2, 0, GPA + self->memsz, self->memsz,
				(uintptr_t)self->mem));
	EXPECT_EQ(0, vm_set_mem(self->vm, 2, 0, 0, 0, 0));
}

/*
 * In the child every ioctl on the parent's VM and vCPU fds fails with EIO,
 * whatever the ioctl (the mm check comes before anything else), while the
 * inherited /dev/kvm fd works and makes VMs that are the child's own.
 */
TEST_F(parent, child_gets_eio)
{
	pid_t pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		uint64_t bitmap[1];
		int vm, vcpu;

		CHILD_EQ(-EIO, vcpu_create(self->vm, 1));
		CHILD_EQ(-EIO, vm_set_mem(self->vm, 1, 0, GPA + self->memsz,
					  self->memsz, (uintptr_t)self->mem));
		CHILD_EQ(-EIO, vm_set_mem(self->vm, 0, 0, 0, 0, 0));
		CHILD_EQ(-EIO, kvm_check_cap(self->vm, KVM_CAP_USER_MEMORY));
		CHILD_EQ(-EIO, vm_get_dirty_log(self->vm, 0, bitmap));
		CHILD_EQ(-EIO, KVM_IOCTL(self->vm, KVMX_UNKNOWN_KVMIO, 0));
		CHILD_EQ(-EIO, KVM_IOCTL(self->vm, KVMX_FOREIGN_IOCTL, 0));
		CHILD_EQ(-EIO, vcpu_poke(self->vcpu));
		CHILD_EQ(-EIO, KVM_IOCTL(self->vcpu, KVMX_FOREIGN_IOCTL, 0));

		/* /dev/kvm is not tied to an mm. */
		CHILD_EQ(12, KVM_IOCTL(self->kvm, KVM_GET_API_VERSION, 0));
		CHILD_TRUE(kvm_check_cap(self->kvm, KVM_CAP_USER_MEMORY) > 0);
		CHILD_EQ((long)self->runsz, vcpu_mmap_size(self->kvm));
		vm = vm_create(self->kvm);
		CHILD_TRUE(vm >= 0);
		if (vm >= 0) {
			CHILD_EQ(1, kvm_check_cap(vm, KVM_CAP_CHECK_EXTENSION_VM));
			/* Its own slot 0 and vCPU 0: the parent's are not its. */
			CHILD_EQ(0, vm_set_mem(vm, 0, 0, GPA, self->memsz,
					       (uintptr_t)self->mem));
			vcpu = vcpu_create(vm, 0);
			CHILD_TRUE(vcpu >= 0);
			CHILD_EQ(-EINVAL, vcpu_poke(vcpu));
			CHILD_EQ(-ENOTTY, KVM_IOCTL(vm, KVMX_UNKNOWN_KVMIO, 0));
			close(vcpu);
			close(vm);
		}
		/* A fresh open of /dev/kvm works as well. */
		vm = vm_create_standalone();
		CHILD_TRUE(vm >= 0);
		if (vm >= 0)
			close(vm);
		/* And still EIO on the parent's: nothing got adopted. */
		CHILD_EQ(-EIO, vcpu_create(self->vm, 1));
		child_exit();
	}
	ASSERT_EQ(0, wait_child(pid));
	parent_still_works(_metadata, self);
}

/* A child closing its copies of the fds (and mapping) harms nothing. */
TEST_F(parent, child_closes_fds)
{
	pid_t pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		/* The inherited mapping is the same page. */
		CHILD_EQ(0, probe_read(&self->run->exit_reason, NULL));
		CHILD_EQ(0, munmap(self->run, self->runsz));
		CHILD_EQ(0, close(self->vcpu));
		CHILD_EQ(0, close(self->vm));
		CHILD_EQ(0, close(self->kvm));
		child_exit();
	}
	ASSERT_EQ(0, wait_child(pid));
	parent_still_works(_metadata, self);
}

/* The parent's VM works while a child holds copies of its fds. */
TEST_F(parent, child_alive)
{
	int go[2];
	pid_t pid;
	char c = 0;

	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(go[1]);
		CHILD_EQ(-EIO, vcpu_poke(self->vcpu));
		/* Wait for the parent to be done. */
		CHILD_EQ(0, read(go[0], &c, 1));
		CHILD_EQ(-EIO, vcpu_poke(self->vcpu));
		child_exit();
	}
	close(go[0]);
	parent_still_works(_metadata, self);
	close(go[1]);
	ASSERT_EQ(0, wait_child(pid));
	parent_still_works(_metadata, self);
}

/* The child exits without closing anything; the parent is unaffected. */
TEST_F(parent, child_dies)
{
	pid_t pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int vm = vm_create(self->kvm);

		/* Leave a VM of its own behind as well. */
		if (vm >= 0)
			vcpu_create(vm, 0);
		kill(getpid(), SIGKILL);
		_exit(99);
	}
	ASSERT_EQ(128 + SIGKILL, wait_child(pid));
	parent_still_works(_metadata, self);
}

/*
 * A VM fd handed to another process over a unix socket gives EIO there
 * too: what counts is the mm that created the VM, not who holds the fd.
 */
TEST_F(parent, fd_passed_to_other_process)
{
	int sv[2], vm, vcpu;
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int fds[2] = { -1, -1 };

		close(sv[0]);
		vm = vm_create(self->kvm);
		CHILD_TRUE(vm >= 0);
		vcpu = vm >= 0 ? vcpu_create(vm, 0) : -1;
		CHILD_TRUE(vcpu >= 0);
		fds[0] = vm;
		fds[1] = vcpu;
		CHILD_EQ(0, send_fds(sv[1], fds, 2));
		/* Keep them open here until the parent is done. */
		CHILD_EQ(1, read(sv[1], &vm, 1));
		child_exit();
	}
	close(sv[1]);
	{
		int fds[2] = { -1, -1 };
		char c = 0;

		ASSERT_EQ(0, recv_fds(sv[0], fds, 2));
		EXPECT_EQ(-EIO, vcpu_create(fds[0], 1));
		EXPECT_EQ(-EIO, kvm_check_cap(fds[0], KVM_CAP_USER_MEMORY));
		EXPECT_EQ(-EIO, vcpu_poke(fds[1]));
		EXPECT_EQ(1, write(sv[0], &c, 1));
		ASSERT_EQ(0, wait_child(pid));
		/* Still EIO after the creator is gone. */
		EXPECT_EQ(-EIO, vcpu_create(fds[0], 1));
		EXPECT_EQ(-EIO, vcpu_poke(fds[1]));
		close(fds[0]);
		close(fds[1]);
	}
	close(sv[0]);
	parent_still_works(_metadata, self);
}

TEST_HARNESS_MAIN
