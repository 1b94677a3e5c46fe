// SPDX-License-Identifier: GPL-2.0
/*
 * memslot_test: KVM_SET_USER_MEMORY_REGION (create, modify, move, delete
 * and every way to get it wrong) and KVM_GET_DIRTY_LOG on slots that no
 * vCPU ever touched.
 *
 * Reference: api.rst 4.35 (KVM_SET_USER_MEMORY_REGION), 4.8
 * (KVM_GET_DIRTY_LOG); 6.1 code: __kvm_set_memory_region() and
 * kvm_get_dirty_log_protect() in virt/kvm/kvm_main.c,
 * kvm_arch_prepare_memory_region() in arch/x86/kvm/x86.c.  6.12 has the
 * same checks in the same order.
 */
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvmx_util.h"
#include "kselftest_harness.h"

#define MEM_PAGES	64
#define SLOT_PAGES	16
#define BASE_GPA	0x100000ULL

FIXTURE(slots) {
	int kvm, vm;
	uint64_t page;
	uint8_t *mem;		/* MEM_PAGES pages of anonymous memory */
	uint64_t hva;		/* (uint64_t)mem */
	uint64_t size;		/* SLOT_PAGES pages */
	long nr_slots;		/* KVM_CAP_NR_MEMSLOTS */
	long nr_as;		/* KVM_CAP_MULTI_ADDRESS_SPACE, 1 if absent */
	bool readonly;		/* KVM_CAP_READONLY_MEM */
};

FIXTURE_SETUP(slots)
{
	self->kvm = kvm_open();
	ASSERT_GE(self->kvm, 0);
	self->vm = vm_create(self->kvm);
	ASSERT_GE(self->vm, 0);
	self->page = host_page_size();
	self->mem = guest_mem_alloc(MEM_PAGES * self->page);
	ASSERT_NE(NULL, self->mem);
	self->hva = (uint64_t)(uintptr_t)self->mem;
	self->size = SLOT_PAGES * self->page;
	self->nr_slots = kvm_check_cap(self->vm, KVM_CAP_NR_MEMSLOTS);
	ASSERT_GE(self->nr_slots, 32);
	self->nr_as = kvm_check_cap(self->vm, KVM_CAP_MULTI_ADDRESS_SPACE);
	ASSERT_GE(self->nr_as, 0);
	if (self->nr_as == 0)
		self->nr_as = 1;
	self->readonly = kvm_check_cap(self->vm, KVM_CAP_READONLY_MEM) > 0;
}

FIXTURE_TEARDOWN(slots)
{
	close(self->vm);
	close(self->kvm);
	guest_mem_free(self->mem, MEM_PAGES * self->page);
}

/* Slot `slot` at `gpa` backed by the first SLOT_PAGES of mem. */
static int mk(FIXTURE_DATA(slots) *self, uint32_t slot, uint32_t flags,
	      uint64_t gpa)
{
	return vm_set_mem(self->vm, slot, flags, gpa, self->size, self->hva);
}

static int del(FIXTURE_DATA(slots) *self, uint32_t slot)
{
	return vm_set_mem(self->vm, slot, 0, 0, 0, 0);
}

TEST_F(slots, create_delete)
{
	ASSERT_EQ(0, mk(self, 0, 0, BASE_GPA));
	/* Delete: memory_size 0; the other fields are not looked at... */
	EXPECT_EQ(0, vm_set_mem(self->vm, 0, 0, BASE_GPA, 0, self->hva));
	/* ...so a second delete finds no slot. */
	EXPECT_EQ(-EINVAL, vm_set_mem(self->vm, 0, 0, BASE_GPA, 0, self->hva));
	/* The id and the range can be used again, with another size. */
	EXPECT_EQ(0, vm_set_mem(self->vm, 0, 0, BASE_GPA, 2 * self->size,
				self->hva));
	/* Deleting with every other field zero works as well. */
	EXPECT_EQ(0, del(self, 0));
	EXPECT_EQ(-EINVAL, del(self, 0));
	/* Slot ids need not be dense. */
	EXPECT_EQ(0, mk(self, 7, 0, BASE_GPA));
	EXPECT_EQ(0, del(self, 7));
}

TEST_F(slots, delete_nonexistent)
{
	EXPECT_EQ(-EINVAL, del(self, 0));
	EXPECT_EQ(-EINVAL, del(self, 5));
	EXPECT_EQ(-EINVAL, del(self, self->nr_slots - 1));
	ASSERT_EQ(0, mk(self, 1, 0, BASE_GPA));
	EXPECT_EQ(-EINVAL, del(self, 2));
	/* the same id in another address space */
	if (self->nr_as > 1) {
		EXPECT_EQ(-EINVAL, del(self, (1 << 16) | 1));
	}
	EXPECT_EQ(0, del(self, 1));
}

/* Setting a slot to exactly what it is changes nothing and succeeds. */
TEST_F(slots, recreate_identical)
{
	ASSERT_EQ(0, mk(self, 0, 0, BASE_GPA));
	EXPECT_EQ(0, mk(self, 0, 0, BASE_GPA));
	EXPECT_EQ(0, mk(self, 0, 0, BASE_GPA));
	ASSERT_EQ(0, mk(self, 1, KVM_MEM_LOG_DIRTY_PAGES, BASE_GPA + self->size));
	EXPECT_EQ(0, mk(self, 1, KVM_MEM_LOG_DIRTY_PAGES, BASE_GPA + self->size));
	EXPECT_EQ(0, del(self, 0));
	EXPECT_EQ(0, del(self, 1));
}

/* KVM_MEM_LOG_DIRTY_PAGES can be turned on and off on a live slot. */
TEST_F(slots, flags_change)
{
	uint64_t bitmap[4];

	ASSERT_EQ(0, mk(self, 0, 0, BASE_GPA));
	EXPECT_EQ(-ENOENT, vm_get_dirty_log(self->vm, 0, bitmap));
	EXPECT_EQ(0, mk(self, 0, KVM_MEM_LOG_DIRTY_PAGES, BASE_GPA));
	EXPECT_EQ(0, vm_get_dirty_log(self->vm, 0, bitmap));
	EXPECT_EQ(0, mk(self, 0, 0, BASE_GPA));
	EXPECT_EQ(-ENOENT, vm_get_dirty_log(self->vm, 0, bitmap));
	EXPECT_EQ(0, mk(self, 0, KVM_MEM_LOG_DIRTY_PAGES, BASE_GPA));
	EXPECT_EQ(0, vm_get_dirty_log(self->vm, 0, bitmap));
	EXPECT_EQ(0, del(self, 0));
}

/* A new guest_phys_addr with everything else unchanged moves the slot. */
TEST_F(slots, move)
{
	uint64_t a = BASE_GPA, b = 0x40000000ULL;

	ASSERT_EQ(0, mk(self, 0, 0, a));
	EXPECT_EQ(0, mk(self, 0, 0, b));
	/* The old range is free, the new one taken. */
	EXPECT_EQ(0, mk(self, 1, 0, a));
	EXPECT_EQ(-EEXIST, mk(self, 2, 0, b));
	EXPECT_EQ(0, del(self, 1));
	/* Moving onto a range that overlaps its own old range is fine. */
	EXPECT_EQ(0, mk(self, 0, 0, b + self->page));
	EXPECT_EQ(0, mk(self, 0, 0, b));
	/* Move and change flags in one call. */
	EXPECT_EQ(0, mk(self, 0, KVM_MEM_LOG_DIRTY_PAGES, a));
	EXPECT_EQ(0, del(self, 0));
	/* Deleted: "moving" it now creates it. */
	EXPECT_EQ(0, mk(self, 0, 0, b));
	EXPECT_EQ(0, del(self, 0));
}

/* "it may not be resized"; nor may its memory or its read-only-ness. */
TEST_F(slots, modify_invalid)
{
	ASSERT_EQ(0, mk(self, 0, 0, BASE_GPA));
	/* Resize, smaller or larger. */
	EXPECT_EQ(-EINVAL, vm_set_mem(self->vm, 0, 0, BASE_GPA,
				      self->size - self->page, self->hva));
	EXPECT_EQ(-EINVAL, vm_set_mem(self->vm, 0, 0, BASE_GPA,
				      self->size + self->page, self->hva));
	/* New userspace_addr, alone or with a move. */
	EXPECT_EQ(-EINVAL, vm_set_mem(self->vm, 0, 0, BASE_GPA, self->size,
				      self->hva + self->page));
	EXPECT_EQ(-EINVAL, vm_set_mem(self->vm, 0, 0, 0x40000000ULL,
				      self->size, self->hva + self->page));
	/* Toggling KVM_MEM_READONLY, alone or with dirty logging. */
	EXPECT_EQ(-EINVAL, mk(self, 0, KVM_MEM_READONLY, BASE_GPA));
	EXPECT_EQ(-EINVAL, mk(self, 0, KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES,
			      BASE_GPA));
	/* Nothing changed: the same slot is still there as it was. */
	EXPECT_EQ(0, mk(self, 0, 0, BASE_GPA));
	EXPECT_EQ(-EEXIST, mk(self, 1, 0, BASE_GPA));
	EXPECT_EQ(0, del(self, 0));

	if (!self->readonly)
		return;
	/* And off again, on a read-only slot. */
	ASSERT_EQ(0, mk(self, 0, KVM_MEM_READONLY, BASE_GPA));
	EXPECT_EQ(-EINVAL, mk(self, 0, 0, BASE_GPA));
	EXPECT_EQ(-EINVAL, mk(self, 0, KVM_MEM_LOG_DIRTY_PAGES, BASE_GPA));
	/* Other changes keep the flag. */
	EXPECT_EQ(0, mk(self, 0, KVM_MEM_READONLY, 0x40000000ULL));
	EXPECT_EQ(0, mk(self, 0, KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES,
			0x40000000ULL));
	EXPECT_EQ(0, del(self, 0));
}

/* KVM_CAP_READONLY_MEM: read-only slots can be created and deleted. */
TEST_F(slots, readonly_slot)
{
	if (!self->readonly)
		SKIP(return, "KVM_CAP_READONLY_MEM not reported");
	EXPECT_EQ(0, mk(self, 0, KVM_MEM_READONLY, BASE_GPA));
	EXPECT_EQ(-EEXIST, mk(self, 1, 0, BASE_GPA));
	EXPECT_EQ(0, del(self, 0));
}

/*
 * Flags other than LOG_DIRTY_PAGES and READONLY: bit 2 is
 * KVM_MEM_GUEST_MEMFD in later kernels, valid only through
 * KVM_SET_USER_MEMORY_REGION2; the rest are undefined.
 */
TEST_F(slots, unknown_flags)
{
	unsigned int bit;

	for (bit = 2; bit < 32; bit++) {
		EXPECT_EQ(-EINVAL, mk(self, 0, 1U << bit, BASE_GPA))
			TH_LOG("flag bit %u", bit);
	}
	EXPECT_EQ(-EINVAL, mk(self, 0, ~0U, BASE_GPA));
	EXPECT_EQ(-EINVAL, del(self, 0));	/* none was created */

	/* Nor on a modification, nor on a delete. */
	ASSERT_EQ(0, mk(self, 0, 0, BASE_GPA));
	for (bit = 2; bit < 32; bit++) {
		EXPECT_EQ(-EINVAL, mk(self, 0, 1U << bit, BASE_GPA))
			TH_LOG("flag bit %u", bit);
	}
	EXPECT_EQ(-EINVAL, vm_set_mem(self->vm, 0, 1U << 5, 0, 0, 0));
	EXPECT_EQ(0, del(self, 0));
}

/* guest_phys_addr, memory_size and userspace_addr must be page aligned. */
TEST_F(slots, unaligned)
{
	uint64_t p = self->page;

	EXPECT_EQ(-EINVAL, vm_set_mem(self->vm, 0, 0, BASE_GPA + 1,
				      self->size, self->hva));
	EXPECT_EQ(-EINVAL, vm_set_mem(self->vm, 0, 0, BASE_GPA + p / 2,
				      self->size, self->hva));
	EXPECT_EQ(-EINVAL, vm_set_mem(self->vm, 0, 0, BASE_GPA,
				      p / 2, self->hva));
	EXPECT_EQ(-EINVAL, vm_set_mem(self->vm, 0, 0, BASE_GPA,
				      self->size + 1, self->hva));
	EXPECT_EQ(-EINVAL, vm_set_mem(self->vm, 0, 0, BASE_GPA,
				      self->size - 1, self->hva));
	EXPECT_EQ(-EINVAL, vm_set_mem(self->vm, 0, 0, BASE_GPA,
				      self->size, self->hva + 1));
	EXPECT_EQ(-EINVAL, vm_set_mem(self->vm, 0, 0, BASE_GPA,
				      self->size, self->hva + p / 2));
	/* None of those created anything. */
	EXPECT_EQ(-EINVAL, del(self, 0));

	/* A live slot cannot be moved to an unaligned address either. */
	ASSERT_EQ(0, mk(self, 0, 0, BASE_GPA));
	EXPECT_EQ(-EINVAL, mk(self, 0, 0, BASE_GPA + 0x800));
	EXPECT_EQ(0, del(self, 0));
}

/* "Slots may not overlap in guest physical address space": EEXIST. */
TEST_F(slots, overlap)
{
	uint64_t p = self->page, sz = self->size, g = BASE_GPA;

	ASSERT_EQ(0, mk(self, 0, 0, g));
	/* Same range, head overlap, tail overlap, inside, around. */
	EXPECT_EQ(-EEXIST, mk(self, 1, 0, g));
	EXPECT_EQ(-EEXIST, mk(self, 1, 0, g - sz + p));
	EXPECT_EQ(-EEXIST, mk(self, 1, 0, g + sz - p));
	EXPECT_EQ(-EEXIST, vm_set_mem(self->vm, 1, 0, g + p, p, self->hva));
	EXPECT_EQ(-EEXIST, vm_set_mem(self->vm, 1, 0, g - p, sz + 2 * p,
				      self->hva));
	/* The same with the log-dirty flag makes no difference. */
	EXPECT_EQ(-EEXIST, mk(self, 1, KVM_MEM_LOG_DIRTY_PAGES, g));
	/* Adjacent on either side is not an overlap. */
	EXPECT_EQ(0, mk(self, 1, 0, g - sz));
	EXPECT_EQ(0, mk(self, 2, 0, g + sz));
	/* Moving one slot onto another: EEXIST, and it stays where it was. */
	EXPECT_EQ(-EEXIST, mk(self, 2, 0, g + p));
	EXPECT_EQ(-EEXIST, mk(self, 2, 0, g - sz));
	EXPECT_EQ(0, mk(self, 2, 0, g + sz));
	EXPECT_EQ(-EEXIST, mk(self, 3, 0, g + sz));
	/* Sharing the same host memory is allowed (aliases). */
	EXPECT_EQ(0, mk(self, 3, 0, 0x40000000ULL));
	EXPECT_EQ(0, del(self, 0));
	EXPECT_EQ(0, del(self, 1));
	EXPECT_EQ(0, del(self, 2));
	EXPECT_EQ(0, del(self, 3));
}

/* guest_phys_addr + memory_size must not wrap around 2^64. */
TEST_F(slots, gpa_wrap)
{
	uint64_t p = self->page;

	EXPECT_EQ(-EINVAL, vm_set_mem(self->vm, 0, 0, -p, 2 * p, self->hva));
	EXPECT_EQ(-EINVAL, vm_set_mem(self->vm, 0, 0, -p, p, self->hva));
	EXPECT_EQ(-EINVAL, vm_set_mem(self->vm, 0, 0, -self->size,
				      2 * self->size, self->hva));
	EXPECT_EQ(-EINVAL, del(self, 0));
}

/*
 * The highest guest physical address KVM accepts is below the host's
 * MAXPHYADDR with EPT/NPT, 2^52 with shadow paging (kvm_mmu_max_gfn()):
 * both reject 2^52 and up, both take the last page below MAXPHYADDR.
 */
TEST_F(slots, gpa_beyond_maxphyaddr)
{
	unsigned int maxphy = host_maxphyaddr();
	uint64_t p = self->page;
	uint64_t top = 1ULL << maxphy;

	TH_LOG("host MAXPHYADDR %u", maxphy);
	ASSERT_LE(maxphy, 52);
	ASSERT_GE(maxphy, 32);
	EXPECT_EQ(-EINVAL, vm_set_mem(self->vm, 0, 0, 1ULL << 52, p, self->hva));
	EXPECT_EQ(-EINVAL, vm_set_mem(self->vm, 0, 0, 1ULL << 62, p, self->hva));
	EXPECT_EQ(-EINVAL, vm_set_mem(self->vm, 0, 0, (1ULL << 52) - p,
				      2 * p, self->hva));
	EXPECT_EQ(-EINVAL, del(self, 0));

	/* The very last page below MAXPHYADDR is fine. */
	EXPECT_EQ(0, vm_set_mem(self->vm, 0, 0, top - p, p, self->hva));
	EXPECT_EQ(0, del(self, 0));
	EXPECT_EQ(0, vm_set_mem(self->vm, 0, 0, top - self->size, self->size,
				self->hva));
	/* Moving there is checked like creating. */
	EXPECT_EQ(-EINVAL, vm_set_mem(self->vm, 0, 0, 1ULL << 52, self->size,
				      self->hva));
	EXPECT_EQ(0, vm_set_mem(self->vm, 0, 0, BASE_GPA, self->size,
				self->hva));
	EXPECT_EQ(0, del(self, 0));
}

/*
 * KVM_MEM_MAX_NR_PAGES is 2^31 - 1 in both 6.1 and 6.12: 2^31 pages is
 * too many, whatever the memory behind.  The range is inside the user
 * address space (access_ok() holds), it just is not mapped.
 */
TEST_F(slots, too_many_pages)
{
	uint64_t hva = 0x10000000ULL;

	EXPECT_EQ(-EINVAL, vm_set_mem(self->vm, 0, 0, 0,
				      (1ULL << 31) * self->page, hva));
	EXPECT_EQ(-EINVAL, vm_set_mem(self->vm, 0, 0, 0,
				      (1ULL << 32) * self->page, hva));
	EXPECT_EQ(-EINVAL, del(self, 0));
}

/* userspace_addr must be user memory: kernel and non-canonical addresses. */
TEST_F(slots, kernel_hva)
{
	static const uint64_t bad[] = {
		0xffff800000000000ULL,	/* start of the kernel half */
		0xffff888000000000ULL,	/* direct map */
		0xffffffff80000000ULL,	/* kernel text */
		0xffffffffff600000ULL,	/* vsyscall page */
		0x8000000000000000ULL,	/* non-canonical */
		0xfffffffffffff000ULL,	/* last page */
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, vm_set_mem(self->vm, 0, 0, BASE_GPA,
					      self->page, bad[i]))
			TH_LOG("hva %#llx", (unsigned long long)bad[i]);
	}
	EXPECT_EQ(-EINVAL, del(self, 0));
}

/* Slot ids: bits 0-15 must be below KVM_CAP_NR_MEMSLOTS. */
TEST_F(slots, slot_id_limit)
{
	uint32_t last = (uint32_t)self->nr_slots - 1;

	TH_LOG("KVM_CAP_NR_MEMSLOTS %ld", self->nr_slots);
	EXPECT_EQ(0, mk(self, last, 0, BASE_GPA));
	EXPECT_EQ(0, del(self, last));
	if (self->nr_slots < 0x10000) {
		EXPECT_EQ(-EINVAL, mk(self, last + 1, 0, BASE_GPA));
		EXPECT_EQ(-EINVAL, del(self, last + 1));
	}
	EXPECT_EQ(-EINVAL, mk(self, 0xffff, 0, BASE_GPA));
	/* The failures created nothing: the range is still free. */
	EXPECT_EQ(0, mk(self, 0, 0, BASE_GPA));
	EXPECT_EQ(0, del(self, 0));
}

/*
 * Bits 16-31 of the slot: the address space, below
 * KVM_CAP_MULTI_ADDRESS_SPACE (1 if the capability is absent).  Address
 * spaces are independent: same id, overlapping ranges.
 */
TEST_F(slots, address_space)
{
	uint32_t bad_as = (uint32_t)self->nr_as;
	uint64_t bitmap[4];

	TH_LOG("KVM_CAP_MULTI_ADDRESS_SPACE %ld", self->nr_as);
	EXPECT_EQ(-EINVAL, mk(self, bad_as << 16, 0, BASE_GPA));
	EXPECT_EQ(-EINVAL, mk(self, (bad_as << 16) | 3, 0, BASE_GPA));
	EXPECT_EQ(-EINVAL, mk(self, 0xffff0000U, 0, BASE_GPA));
	EXPECT_EQ(-EINVAL, mk(self, 0x80000000U, 0, BASE_GPA));
	EXPECT_EQ(-EINVAL, vm_get_dirty_log(self->vm, bad_as << 16, bitmap));

	ASSERT_EQ(0, mk(self, 0, KVM_MEM_LOG_DIRTY_PAGES, BASE_GPA));
	if (self->nr_as > 1) {
		uint32_t s = (self->nr_as - 1) << 16;

		EXPECT_EQ(0, mk(self, s, 0, BASE_GPA));
		EXPECT_EQ(0, mk(self, s | 1, 0, BASE_GPA + self->size));
		EXPECT_EQ(-EEXIST, mk(self, s | 2, 0, BASE_GPA));
		/* Dirty logging is per slot: off in the other space. */
		EXPECT_EQ(-ENOENT, vm_get_dirty_log(self->vm, s, bitmap));
		EXPECT_EQ(0, vm_get_dirty_log(self->vm, 0, bitmap));
		EXPECT_EQ(0, mk(self, s, KVM_MEM_LOG_DIRTY_PAGES, BASE_GPA));
		EXPECT_EQ(0, vm_get_dirty_log(self->vm, s, bitmap));
		EXPECT_EQ(0, del(self, s));
		EXPECT_EQ(-EINVAL, del(self, s));
		EXPECT_EQ(-ENOENT, vm_get_dirty_log(self->vm, s, bitmap));
		EXPECT_EQ(0, del(self, s | 1));
	}
	/* The slot in address space 0 was not touched. */
	EXPECT_EQ(0, vm_get_dirty_log(self->vm, 0, bitmap));
	EXPECT_EQ(0, del(self, 0));
}

/* At least 512 slots at once (all of them if the KVM has fewer). */
TEST_F_TIMEOUT(slots, many_slots, 120)
{
	const long want = 512;
	long n = self->nr_slots < want ? self->nr_slots : want;
	uint64_t p = self->page;
	uint8_t *mem;
	long i;
	int r;

	mem = guest_mem_alloc(n * p);
	ASSERT_NE(NULL, mem);
	for (i = 0; i < n; i++) {
		r = vm_set_mem(self->vm, i, 0, BASE_GPA + 2 * i * p, p,
			       (uint64_t)(uintptr_t)(mem + i * p));
		ASSERT_EQ(0, r) TH_LOG("slot %ld of %ld", i, n);
	}
	/* All of them are there: each range is taken. */
	if (n < self->nr_slots) {
		for (i = 0; i < n; i++) {
			ASSERT_EQ(-EEXIST, vm_set_mem(self->vm, n, 0,
						      BASE_GPA + 2 * i * p, p,
						      self->hva))
				TH_LOG("slot %ld", i);
		}
	}
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, del(self, i)) TH_LOG("delete slot %ld", i);
	}
	for (i = 0; i < n; i++) {
		ASSERT_EQ(-EINVAL, del(self, i)) TH_LOG("slot %ld", i);
	}
	guest_mem_free(mem, n * p);
}

/* "Any object may back this memory": shared anonymous memory, a memfd. */
TEST_F(slots, backing_kinds)
{
	size_t sz = self->size;
	uint8_t *shared, *file, *ro;
	int mfd;

	shared = mmap(NULL, sz, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, shared);
	EXPECT_EQ(0, vm_set_mem(self->vm, 0, 0, BASE_GPA, sz,
				(uintptr_t)shared));

	mfd = memfd_create("kvmx-guest", MFD_CLOEXEC);
	ASSERT_GE(mfd, 0);
	ASSERT_EQ(0, ftruncate(mfd, sz));
	file = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, file);
	EXPECT_EQ(0, vm_set_mem(self->vm, 1, KVM_MEM_LOG_DIRTY_PAGES,
				BASE_GPA + sz, sz, (uintptr_t)file));

	/* Read-only memory behind a read-only slot (a ROM). */
	ro = mmap(NULL, sz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	if (self->readonly) {
		EXPECT_EQ(0, vm_set_mem(self->vm, 2, KVM_MEM_READONLY,
					BASE_GPA + 2 * sz, sz, (uintptr_t)ro));
		EXPECT_EQ(0, del(self, 2));
	}

	EXPECT_EQ(0, del(self, 0));
	EXPECT_EQ(0, del(self, 1));
	munmap(ro, sz);
	munmap(file, sz);
	close(mfd);
	munmap(shared, sz);
}

/*
 * Guest memory is faulted in lazily: a slot far larger than the machine's
 * RAM can be created (and deleted) as long as the address range is
 * mapped; nothing is populated up front.
 */
TEST_F(slots, large_lazy_slot)
{
	size_t sz = 4ULL << 30;
	void *big;

	big = mmap(NULL, sz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, big);
	EXPECT_EQ(0, vm_set_mem(self->vm, 0, 0, 1ULL << 32, sz,
				(uintptr_t)big));
	/* It occupies its whole range. */
	EXPECT_EQ(-EEXIST, mk(self, 1, 0, (1ULL << 32) + sz - self->page));
	EXPECT_EQ(0, mk(self, 1, 0, (1ULL << 32) + sz));
	EXPECT_EQ(0, del(self, 1));
	/* Moved and deleted like any other. */
	EXPECT_EQ(0, vm_set_mem(self->vm, 0, 0, 2ULL << 32, sz,
				(uintptr_t)big));
	EXPECT_EQ(0, del(self, 0));
	munmap(big, sz);
}

/* A bad pointer to the struct: EFAULT. */
TEST_F(slots, bad_pointer)
{
	void *unmapped;

	EXPECT_EQ(-EFAULT, KVM_IOCTL(self->vm, KVM_SET_USER_MEMORY_REGION, NULL));
	unmapped = mmap(NULL, self->page, PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, unmapped);
	EXPECT_EQ(-EFAULT, KVM_IOCTL(self->vm, KVM_SET_USER_MEMORY_REGION,
				     unmapped));
	munmap(unmapped, self->page);
}

/* Threads racing for overlapping ranges with different slot ids. */
#define RACERS 8

struct slot_racer {
	pthread_barrier_t *start;
	int vm;
	uint32_t slot;
	uint64_t gpa, size, hva;
	int r;
};

static void *race_set_mem(void *p)
{
	struct slot_racer *s = p;

	pthread_barrier_wait(s->start);
	s->r = vm_set_mem(s->vm, s->slot, 0, s->gpa, s->size, s->hva);
	return NULL;
}

TEST_F(slots, race_overlap)
{
	struct slot_racer r[RACERS];
	pthread_barrier_t start;
	pthread_t t[RACERS];
	int round, i, won;

	for (round = 0; round < 4; round++) {
		pthread_barrier_init(&start, NULL, RACERS);
		for (i = 0; i < RACERS; i++) {
			/* All overlap the page at BASE_GPA + size - page. */
			r[i] = (struct slot_racer){
				.start = &start, .vm = self->vm, .slot = i,
				.gpa = BASE_GPA + (i % 2) * (self->size - self->page),
				.size = self->size, .hva = self->hva,
			};
			pthread_create(&t[i], NULL, race_set_mem, &r[i]);
		}
		won = -1;
		for (i = 0; i < RACERS; i++) {
			pthread_join(t[i], NULL);
		}
		pthread_barrier_destroy(&start);
		for (i = 0; i < RACERS; i++) {
			if (r[i].r == 0) {
				EXPECT_EQ(-1, won) TH_LOG("round %d: slots %d and %d",
							  round, won, i);
				won = i;
			} else {
				EXPECT_EQ(-EEXIST, r[i].r) TH_LOG("round %d", round);
			}
		}
		ASSERT_NE(-1, won);
		for (i = 0; i < RACERS; i++) {
			EXPECT_EQ(i == won ? 0 : -EINVAL, del(self, i));
		}
	}
}

/* ---- KVM_GET_DIRTY_LOG ---------------------------------------------- */

/*
 * No vCPU ever ran, so no page is dirty: the bitmap comes back all zero.
 * KVM writes ALIGN(npages, 64) / 8 bytes, no more.
 */
TEST_F(slots, dirty_log_clean)
{
	static const unsigned int npages[] = { 1, 16, 64, 65, 100 };
	uint8_t *mem, buf[64];
	unsigned int i, j, n;

	mem = guest_mem_alloc(100 * self->page);
	ASSERT_NE(NULL, mem);
	for (i = 0; i < ARRAY_SIZE(npages); i++) {
		n = (npages[i] + 63) / 64 * 8;
		ASSERT_EQ(0, vm_set_mem(self->vm, 0, KVM_MEM_LOG_DIRTY_PAGES,
					BASE_GPA, npages[i] * self->page,
					(uint64_t)(uintptr_t)mem));
		memset(buf, 0xa5, sizeof(buf));
		ASSERT_EQ(0, vm_get_dirty_log(self->vm, 0, buf));
		for (j = 0; j < n; j++) {
			EXPECT_EQ(0, buf[j]) TH_LOG("%u pages: byte %u",
						    npages[i], j);
		}
		for (j = n; j < sizeof(buf); j++) {
			EXPECT_EQ(0xa5, buf[j]) TH_LOG("%u pages: byte %u",
						       npages[i], j);
		}
		/* Reading it again: still clean. */
		memset(buf, 0xa5, n);
		ASSERT_EQ(0, vm_get_dirty_log(self->vm, 0, buf));
		for (j = 0; j < n; j++) {
			EXPECT_EQ(0, buf[j]);
		}
		ASSERT_EQ(0, del(self, 0));
	}
	guest_mem_free(mem, 100 * self->page);
}

/* A slot without KVM_MEM_LOG_DIRTY_PAGES, or no slot at all: ENOENT. */
TEST_F(slots, dirty_log_enoent)
{
	uint64_t bitmap[4];

	EXPECT_EQ(-ENOENT, vm_get_dirty_log(self->vm, 0, bitmap));
	EXPECT_EQ(-ENOENT, vm_get_dirty_log(self->vm, self->nr_slots - 1,
					    bitmap));
	ASSERT_EQ(0, mk(self, 0, 0, BASE_GPA));
	EXPECT_EQ(-ENOENT, vm_get_dirty_log(self->vm, 0, bitmap));
	EXPECT_EQ(0, del(self, 0));
	/* Deleting a logged slot drops its log. */
	ASSERT_EQ(0, mk(self, 0, KVM_MEM_LOG_DIRTY_PAGES, BASE_GPA));
	EXPECT_EQ(0, vm_get_dirty_log(self->vm, 0, bitmap));
	EXPECT_EQ(0, del(self, 0));
	EXPECT_EQ(-ENOENT, vm_get_dirty_log(self->vm, 0, bitmap));
}

/* A slot id out of range: EINVAL (checked before looking for the slot). */
TEST_F(slots, dirty_log_bad_slot)
{
	uint64_t bitmap[4];

	if (self->nr_slots < 0x10000) {
		EXPECT_EQ(-EINVAL, vm_get_dirty_log(self->vm, self->nr_slots,
						    bitmap));
	}
	EXPECT_EQ(-EINVAL, vm_get_dirty_log(self->vm, 0xffff, bitmap));
	EXPECT_EQ(-EINVAL, vm_get_dirty_log(self->vm, (uint32_t)self->nr_as << 16,
					    bitmap));
	EXPECT_EQ(-EINVAL, vm_get_dirty_log(self->vm, ~0U, bitmap));
}

/* Bad pointers: the struct itself, or the bitmap of a logged slot. */
TEST_F(slots, dirty_log_efault)
{
	EXPECT_EQ(-EFAULT, KVM_IOCTL(self->vm, KVM_GET_DIRTY_LOG, NULL));
	ASSERT_EQ(0, mk(self, 0, KVM_MEM_LOG_DIRTY_PAGES, BASE_GPA));
	EXPECT_EQ(-EFAULT, vm_get_dirty_log(self->vm, 0, NULL));
	EXPECT_EQ(-EFAULT, vm_get_dirty_log(self->vm, 0,
					    (void *)0xffff800000000000ULL));
	EXPECT_EQ(0, del(self, 0));
}

TEST_HARNESS_MAIN
