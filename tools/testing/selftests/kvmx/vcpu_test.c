// SPDX-License-Identifier: GPL-2.0
/*
 * vcpu_test: KVM_CREATE_VCPU (ids, duplicates, the id and count limits,
 * the fd it returns) and the vCPU fd's mmap: struct kvm_run at offset 0,
 * the PIO data page, the coalesced MMIO ring, SIGBUS past them.
 *
 * No vCPU is ever run here.
 *
 * Reference: api.rst 4.7 (KVM_CREATE_VCPU), 4.5 (KVM_GET_VCPU_MMAP_SIZE),
 * 5 (struct kvm_run); 6.1 code: kvm_vm_ioctl_create_vcpu(),
 * create_vcpu_fd(), kvm_vcpu_mmap(), kvm_vcpu_fault() in
 * virt/kvm/kvm_main.c, kvm_arch_vcpu_precreate() and
 * kvm_arch_vcpu_fault() in arch/x86/kvm/x86.c.
 */
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvmx_util.h"
#include "kselftest_harness.h"

/*
 * Creating every vCPU a VM may have is only tried up to this many (each
 * costs real memory and time under emulation); KVMX_MAX_VCPUS_TRY in the
 * environment overrides it.  6.1 reports 1024, Debian's 6.12 4096; 4096
 * vCPUs take ~6 s under QEMU TCG.
 */
#ifndef MAX_VCPUS_TRY_DEFAULT
#define MAX_VCPUS_TRY_DEFAULT 4096
#endif

FIXTURE(vcpu) {
	int kvm, vm;
	long max_vcpus, max_id, mmap_size;
	size_t page;
};

FIXTURE_SETUP(vcpu)
{
	self->kvm = kvm_open();
	ASSERT_GE(self->kvm, 0);
	self->vm = vm_create(self->kvm);
	ASSERT_GE(self->vm, 0);
	self->max_vcpus = kvm_check_cap(self->vm, KVM_CAP_MAX_VCPUS);
	ASSERT_GT(self->max_vcpus, 0);
	self->max_id = kvm_check_cap(self->vm, KVM_CAP_MAX_VCPU_ID);
	ASSERT_GE(self->max_id, self->max_vcpus);
	self->mmap_size = vcpu_mmap_size(self->kvm);
	ASSERT_GT(self->mmap_size, 0);
	self->page = host_page_size();
}

FIXTURE_TEARDOWN(vcpu)
{
	close(self->vm);
	close(self->kvm);
}

TEST_F(vcpu, create_ids)
{
	int fds[8], i, j;

	for (i = 0; i < 8; i++) {
		fds[i] = vcpu_create(self->vm, i);
		ASSERT_GE(fds[i], 0) TH_LOG("id %d: %s", i, strerror(-fds[i]));
		/* Like the VM fd, the vCPU fd is O_CLOEXEC. */
		EXPECT_EQ(1, fd_is_cloexec(fds[i]));
		for (j = 0; j < i; j++) {
			EXPECT_NE(fds[j], fds[i]);
		}
		EXPECT_NE(self->vm, fds[i]);
	}
	for (i = 0; i < 8; i++)
		close(fds[i]);
}

/* Ids need not be dense nor created in order. */
TEST_F(vcpu, sparse_ids)
{
	unsigned long ids[] = { self->max_id - 1, 5, 0, self->max_id / 2, 1 };
	unsigned int i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		fd = vcpu_create(self->vm, ids[i]);
		ASSERT_GE(fd, 0) TH_LOG("id %lu: %s", ids[i], strerror(-fd));
		close(fd);
	}
}

TEST_F(vcpu, duplicate_id)
{
	int a, b;

	a = vcpu_create(self->vm, 0);
	ASSERT_GE(a, 0);
	EXPECT_EQ(-EEXIST, vcpu_create(self->vm, 0));
	b = vcpu_create(self->vm, 3);
	ASSERT_GE(b, 0);
	EXPECT_EQ(-EEXIST, vcpu_create(self->vm, 3));
	EXPECT_EQ(-EEXIST, vcpu_create(self->vm, 0));
	/* Closing its fd does not destroy a vCPU: the id stays taken. */
	close(a);
	EXPECT_EQ(-EEXIST, vcpu_create(self->vm, 0));
	close(b);
	EXPECT_EQ(-EEXIST, vcpu_create(self->vm, 3));
	/* A failed creation does not count against the VM. */
	a = vcpu_create(self->vm, 1);
	ASSERT_GE(a, 0);
	close(a);
}

/* api.rst: "The vcpu id is an integer in the range [0, max_vcpu_id)". */
TEST_F(vcpu, id_limit)
{
	static const unsigned long bad_extra[] = {
		0x7fffffffUL, 0x80000000UL, 0xffffffffUL,
	};
	unsigned int i;
	int fd;

	TH_LOG("KVM_CAP_MAX_VCPU_ID %ld", self->max_id);
	EXPECT_EQ(-EINVAL, vcpu_create(self->vm, self->max_id));
	EXPECT_EQ(-EINVAL, vcpu_create(self->vm, self->max_id + 1));
	for (i = 0; i < ARRAY_SIZE(bad_extra); i++) {
		EXPECT_EQ(-EINVAL, vcpu_create(self->vm, bad_extra[i]))
			TH_LOG("id %#lx", bad_extra[i]);
	}
	/*
	 * (1UL << 32) + n is not tried: 6.1 truncates the id to u32, 6.12
	 * rejects it.  ~0UL is out of range either way.
	 */
	EXPECT_EQ(-EINVAL, vcpu_create(self->vm, ~0UL));

	fd = vcpu_create(self->vm, self->max_id - 1);
	ASSERT_GE(fd, 0) TH_LOG("id %ld: %s", self->max_id - 1, strerror(-fd));
	close(fd);
	/* The failures used up nothing. */
	fd = vcpu_create(self->vm, 0);
	ASSERT_GE(fd, 0);
	close(fd);
}

/*
 * KVM_CAP_MAX_VCPU_ID as an enable-cap (x86): lowers the id limit, once,
 * before the first vCPU; above KVM_CAP_MAX_VCPU_ID, or a second different
 * value, is EINVAL; the same value again is fine.  The first vCPU fixes
 * the default.
 */
static int set_max_vcpu_id(int vm, uint64_t max)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_MAX_VCPU_ID };

	cap.args[0] = max;
	return (int)KVM_IOCTL(vm, KVM_ENABLE_CAP, &cap);
}

TEST_F(vcpu, max_vcpu_id_cap)
{
	int vm, fd;

	EXPECT_EQ(-EINVAL, set_max_vcpu_id(self->vm, self->max_id + 1));
	EXPECT_EQ(0, set_max_vcpu_id(self->vm, 4));
	EXPECT_EQ(0, set_max_vcpu_id(self->vm, 4));
	EXPECT_EQ(-EINVAL, set_max_vcpu_id(self->vm, 5));
	EXPECT_EQ(-EINVAL, set_max_vcpu_id(self->vm, 3));
	EXPECT_EQ(-EINVAL, vcpu_create(self->vm, 4));
	fd = vcpu_create(self->vm, 3);
	EXPECT_GE(fd, 0);
	close(fd);
	/* The check-extension value stays KVM's limit. */
	EXPECT_EQ(self->max_id, kvm_check_cap(self->vm, KVM_CAP_MAX_VCPU_ID));

	/* After a vCPU, only the default it fixed is accepted. */
	vm = vm_create(self->kvm);
	ASSERT_GE(vm, 0);
	fd = vcpu_create(vm, 0);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EINVAL, set_max_vcpu_id(vm, 4));
	EXPECT_EQ(0, set_max_vcpu_id(vm, self->max_id));
	close(fd);
	close(vm);
}

/* A good number of vCPUs in one VM, each with its own run page. */
TEST_F_TIMEOUT(vcpu, many_vcpus, 120)
{
	long n = self->max_vcpus < 64 ? self->max_vcpus : 64;
	int fds[64];
	long i;

	for (i = 0; i < n; i++) {
		fds[i] = vcpu_create(self->vm, i * 2);
		ASSERT_GE(fds[i], 0) TH_LOG("vcpu %ld: %s", i, strerror(-fds[i]));
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
}

/*
 * KVM_CAP_MAX_VCPUS is the most vCPUs one VM can have: that many can be
 * created (ids 0..max-1), the next one fails with EINVAL whatever its id.
 * The fds are closed as we go: the vCPUs live on in the VM.
 */
TEST_F_TIMEOUT(vcpu, max_vcpus, 300)
{
	const char *env = getenv("KVMX_MAX_VCPUS_TRY");
	long limit = env ? atol(env) : MAX_VCPUS_TRY_DEFAULT;
	long i;
	int fd;

	TH_LOG("KVM_CAP_MAX_VCPUS %ld", self->max_vcpus);
	if (self->max_vcpus > limit)
		SKIP(return, "KVM_CAP_MAX_VCPUS is %ld, more than the %ld tried here (KVMX_MAX_VCPUS_TRY)",
		     self->max_vcpus, limit);
	for (i = 0; i < self->max_vcpus; i++) {
		fd = vcpu_create(self->vm, i);
		ASSERT_GE(fd, 0) TH_LOG("vcpu %ld of %ld: %s", i,
					self->max_vcpus, strerror(-fd));
		close(fd);
	}
	if (self->max_vcpus < self->max_id) {
		EXPECT_EQ(-EINVAL, vcpu_create(self->vm, self->max_vcpus));
	}
	if (self->max_id - 1 >= self->max_vcpus) {
		EXPECT_EQ(-EINVAL, vcpu_create(self->vm, self->max_id - 1));
	}
	/* Another VM is not affected. */
	fd = vm_create(self->kvm);
	ASSERT_GE(fd, 0);
	i = vcpu_create(fd, 0);
	EXPECT_GE(i, 0);
	if (i >= 0)
		close(i);
	close(fd);
}

/* ---- concurrent creation --------------------------------------------- */

#define RACERS 8

struct racer {
	pthread_barrier_t *start;
	int vm;
	unsigned long id;
	int fd;			/* result: fd or -errno */
};

static void *race_create(void *p)
{
	struct racer *r = p;

	pthread_barrier_wait(r->start);
	r->fd = vcpu_create(r->vm, r->id);
	return NULL;
}

static void run_racers(struct racer *r, int n)
{
	pthread_barrier_t start;
	pthread_t t[RACERS];
	int i;

	pthread_barrier_init(&start, NULL, n);
	for (i = 0; i < n; i++) {
		r[i].start = &start;
		pthread_create(&t[i], NULL, race_create, &r[i]);
	}
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
}

/* Threads racing to create the same id: exactly one wins, the rest EEXIST. */
TEST_F(vcpu, race_same_id)
{
	struct racer r[RACERS];
	int round, i, won;

	for (round = 0; round < 4; round++) {
		for (i = 0; i < RACERS; i++)
			r[i] = (struct racer){ .vm = self->vm, .id = round };
		run_racers(r, RACERS);
		won = 0;
		for (i = 0; i < RACERS; i++) {
			if (r[i].fd >= 0) {
				won++;
				close(r[i].fd);
			} else {
				EXPECT_EQ(-EEXIST, r[i].fd) TH_LOG("round %d", round);
			}
		}
		EXPECT_EQ(1, won) TH_LOG("round %d", round);
	}
}

/* Threads creating different ids at once: all succeed. */
TEST_F(vcpu, race_distinct_ids)
{
	struct racer r[RACERS];
	int i;

	for (i = 0; i < RACERS; i++)
		r[i] = (struct racer){ .vm = self->vm, .id = 100 + i };
	run_racers(r, RACERS);
	for (i = 0; i < RACERS; i++) {
		EXPECT_GE(r[i].fd, 0) TH_LOG("id %lu: %s", r[i].id,
					     strerror(-r[i].fd));
		if (r[i].fd >= 0)
			close(r[i].fd);
	}
	for (i = 0; i < RACERS; i++) {
		EXPECT_EQ(-EEXIST, vcpu_create(self->vm, 100 + i));
	}
}

/* ---- mmap of the vCPU fd -------------------------------------------- */

static struct kvm_run *map_run(int vcpu, size_t size, int prot)
{
	void *p = mmap(NULL, size, prot, MAP_SHARED, vcpu, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Offset 0 is struct kvm_run, readable and writable, shared. */
TEST_F(vcpu, mmap_run)
{
	struct kvm_run *run, *run2;
	uint8_t v;
	int fd;

	fd = vcpu_create(self->vm, 0);
	ASSERT_GE(fd, 0);
	run = map_run(fd, self->mmap_size, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, run) TH_LOG("mmap(%ld): %s", self->mmap_size,
				    strerror(errno));
	EXPECT_EQ(0, probe_read(&run->exit_reason, NULL));
	EXPECT_EQ(0, probe_write(&run->request_interrupt_window, 1));
	EXPECT_EQ(1, run->request_interrupt_window);
	EXPECT_EQ(0, probe_write(&run->immediate_exit, 0));

	/* A second mapping sees the same page. */
	run2 = map_run(fd, self->page, PROT_READ);
	ASSERT_NE(NULL, run2);
	EXPECT_EQ(0, probe_read(&run2->request_interrupt_window, &v));
	EXPECT_EQ(1, v);
	run->request_interrupt_window = 0;
	EXPECT_EQ(0, run2->request_interrupt_window);
	EXPECT_EQ(0, munmap(run2, self->page));

	/* Every page of the advertised size can be touched. */
	for (size_t off = 0; off < (size_t)self->mmap_size; off += self->page) {
		EXPECT_EQ(0, probe_read((uint8_t *)run + off, NULL))
			TH_LOG("offset %#zx", off);
	}
	EXPECT_EQ(0, munmap(run, self->mmap_size));
	close(fd);
}

/* Each vCPU has its own kvm_run. */
TEST_F(vcpu, mmap_run_per_vcpu)
{
	struct kvm_run *r0, *r1;
	int a, b;

	a = vcpu_create(self->vm, 0);
	b = vcpu_create(self->vm, 1);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	r0 = map_run(a, self->page, PROT_READ | PROT_WRITE);
	r1 = map_run(b, self->page, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, r0);
	ASSERT_NE(NULL, r1);
	EXPECT_NE(r0, r1);
	r0->request_interrupt_window = 0x11;
	r1->request_interrupt_window = 0x22;
	EXPECT_EQ(0x11, r0->request_interrupt_window);
	EXPECT_EQ(0x22, r1->request_interrupt_window);
	munmap(r0, self->page);
	munmap(r1, self->page);
	close(a);
	close(b);
}

/* x86: the PIO data page is page KVM_PIO_PAGE_OFFSET of the vCPU fd. */
TEST_F(vcpu, mmap_pio_page)
{
	uint8_t *pio;
	int fd;

	ASSERT_GE((size_t)self->mmap_size, (KVM_PIO_PAGE_OFFSET + 1) * self->page);
	fd = vcpu_create(self->vm, 0);
	ASSERT_GE(fd, 0);
	pio = mmap(NULL, self->page, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   KVM_PIO_PAGE_OFFSET * self->page);
	ASSERT_NE(MAP_FAILED, pio) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(0, probe_read(pio, NULL));
	EXPECT_EQ(0, probe_write(pio + self->page - 1, 0x5a));
	EXPECT_EQ(0x5a, pio[self->page - 1]);
	munmap(pio, self->page);
	close(fd);
}

/*
 * KVM_CAP_COALESCED_MMIO returns the page offset of the coalesced MMIO
 * ring in the vCPU mapping (inside KVM_GET_VCPU_MMAP_SIZE); the ring is
 * per VM, so every vCPU maps the same one.
 */
TEST_F(vcpu, mmap_coalesced_mmio)
{
	long off = kvm_check_cap(self->vm, KVM_CAP_COALESCED_MMIO);
	uint8_t *r0, *r1;
	int a, b;

	if (off <= 0)
		SKIP(return, "KVM_CAP_COALESCED_MMIO not reported");
	EXPECT_EQ(off, kvm_check_cap(self->kvm, KVM_CAP_COALESCED_MMIO));
	ASSERT_LE((off + 1) * (long)self->page, self->mmap_size);
	a = vcpu_create(self->vm, 0);
	b = vcpu_create(self->vm, 1);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	r0 = mmap(NULL, self->page, PROT_READ | PROT_WRITE, MAP_SHARED, a,
		  off * self->page);
	r1 = mmap(NULL, self->page, PROT_READ | PROT_WRITE, MAP_SHARED, b,
		  off * self->page);
	ASSERT_NE(MAP_FAILED, r0);
	ASSERT_NE(MAP_FAILED, r1);
	EXPECT_EQ(0, probe_read(r0, NULL));
	/* The same page: a byte at the end (past the ring header) shows. */
	EXPECT_EQ(0, probe_write(r0 + self->page - 1, 0x3c));
	EXPECT_EQ(0x3c, r1[self->page - 1]);
	r0[self->page - 1] = 0;
	munmap(r0, self->page);
	munmap(r1, self->page);
	close(a);
	close(b);
}

/*
 * Past the advertised size: mmap() itself succeeds (kvm_vcpu_mmap() checks
 * nothing but the dirty ring), touching the page raises SIGBUS
 * (kvm_arch_vcpu_fault() returns VM_FAULT_SIGBUS on x86).
 */
TEST_F(vcpu, mmap_beyond_size)
{
	size_t size = self->mmap_size;
	uint8_t *p;
	int fd;

	fd = vcpu_create(self->vm, 0);
	ASSERT_GE(fd, 0);

	p = mmap(NULL, self->page, PROT_READ, MAP_SHARED, fd, size);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap at %#zx: %s", size, strerror(errno));
	EXPECT_EQ(SIGBUS, probe_read(p, NULL));
	munmap(p, self->page);

	/* One mapping that runs past the end: the tail faults, the rest not. */
	p = mmap(NULL, size + self->page, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, probe_read(p, NULL));
	EXPECT_EQ(0, probe_read(p + size - 1, NULL));
	EXPECT_EQ(SIGBUS, probe_read(p + size, NULL));
	munmap(p, size + self->page);
	close(fd);
}

TEST_HARNESS_MAIN
