// SPDX-License-Identifier: GPL-2.0
/*
 * memory_test: guest memory as the guest and the host see it.
 *
 *  - what the guest writes the host reads in the memslot's mapping, and
 *    the other way round, in slot 0 and in a second slot;
 *  - a KVM_MEM_READONLY slot: guest reads work, a guest write is
 *    KVM_EXIT_MMIO (is_write, address, data) and leaves memory alone;
 *  - a slot deleted and created again at another GPA: the guest finds the
 *    data at the new GPA, and the old GPA is MMIO;
 *  - MADV_DONTNEED and munmap+mmap of guest memory while the VM exists:
 *    the guest then sees the new (zero, or new host-written) pages, not
 *    stale ones (KVM's MMU notifier); munmap alone makes the guest's
 *    access fail KVM_RUN with EFAULT;
 *  - dirty logging: KVM_GET_DIRTY_LOG reports the pages the guest wrote
 *    since the last call (not those the host wrote), then nothing.  Pages
 *    the guest only read are not reported once they are mapped: a read
 *    fault that maps a page writable marks it dirty up front (6.1 and
 *    6.12 make_spte()), so the guest first reads every page and that log
 *    is thrown away.  The logged slot holds data only: code, stack and
 *    page tables (with A/D bits preset) are in slot 0.
 *
 * Reference: api.rst 4.8 (KVM_GET_DIRTY_LOG), 4.35
 * (KVM_SET_USER_MEMORY_REGION, KVM_MEM_READONLY), 5 (KVM_EXIT_MMIO); 6.1
 * code: kvm_handle_error_pfn() and the MMU notifier hooks in
 * arch/x86/kvm/mmu/mmu.c, virt/kvm/kvm_main.c.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "kvmx_util.h"
#include "guest/guest.h"
#include "kselftest_harness.h"

#define SLOT1		1
#define SLOT1_GPA	0x400000ULL
#define SLOT1_MOVED	0x600000ULL
#define SLOT1_PAGES	64
#define PAGE		4096ULL

/*
 * The guest's memory operations, driven by a list at GUEST_DATA_GPA:
 * {u64 op, u64 gpa, u64 value}, op 0 = end, 1 = write 64 bits, 2 = read
 * 64 bits (the value read is stored in place of value), 3 = sum of a page
 * as 64-bit words (stored in value).  After the list, report DONE and
 * start over from the top.
 */
GUEST_CODE(mem_code, 64,
	"mem_top:\n\t"
	"mov $" GUEST_STR(GUEST_DATA_GPA) ", %esi\n"
	"1:\n\t"
	"mov (%rsi), %rax\n\t"
	"test %rax, %rax\n\t"
	"jz 9f\n\t"
	"mov 8(%rsi), %rdi\n\t"
	"cmp $1, %rax\n\t"
	"jne 2f\n\t"
	"mov 16(%rsi), %rdx\n\t"
	"mov %rdx, (%rdi)\n\t"
	"jmp 8f\n"
	"2:\n\t"
	"cmp $2, %rax\n\t"
	"jne 3f\n\t"
	"mov (%rdi), %rdx\n\t"
	"mov %rdx, 16(%rsi)\n\t"
	"jmp 8f\n"
	"3:\n\t"
	"xor %edx, %edx\n\t"
	"mov $512, %ecx\n"
	"4:\n\t"
	"add (%rdi), %rdx\n\t"
	"add $8, %rdi\n\t"
	"loop 4b\n\t"
	"mov %rdx, 16(%rsi)\n"
	"8:\n\t"
	"add $24, %rsi\n\t"
	"jmp 1b\n"
	"9:\n\t"
	GUEST_ASM_DONE
	"jmp mem_top\n\t");

enum { OP_END, OP_WRITE, OP_READ, OP_SUM };

struct mem_op {
	uint64_t op, gpa, value;
};

FIXTURE(mem) {
	struct guest g;
	uint8_t *slot1;		/* SLOT1_PAGES pages */
	size_t slot1_size;
};

FIXTURE_SETUP(mem)
{
	int r = guest_create(&self->g, 0);

	ASSERT_EQ(0, r) TH_LOG("guest_create: %s", strerror(-r));
	self->slot1_size = SLOT1_PAGES * PAGE;
	self->slot1 = guest_mem_alloc(self->slot1_size);
	ASSERT_NE(NULL, self->slot1);
	ASSERT_EQ(0, guest_start(&self->g, GUEST_MODE_LONG64, mem_code, mem_code_end));
}

FIXTURE_TEARDOWN(mem)
{
	guest_destroy(&self->g);
	guest_mem_free(self->slot1, self->slot1_size);
}

static struct mem_op *ops(struct guest *g)
{
	return guest_ptr(g, GUEST_DATA_GPA);
}

/* Set the list of operations (at most 128). */
static void set_ops(struct guest *g, const struct mem_op *o, unsigned int n)
{
	memcpy(ops(g), o, n * sizeof(*o));
	memset(&ops(g)[n], 0, sizeof(*o));
}

static int slot1_set(FIXTURE_DATA(mem) *self, uint32_t flags, uint64_t gpa)
{
	return vm_set_mem(self->g.vm, SLOT1, flags, gpa, self->slot1_size,
			  (uint64_t)(uintptr_t)self->slot1);
}

static uint64_t page_sum(const void *p)
{
	const uint64_t *q = p;
	uint64_t s = 0;
	unsigned int i;

	for (i = 0; i < PAGE / 8; i++)
		s += q[i];
	return s;
}

TEST_F(mem, guest_and_host_share)
{
	struct guest *g = &self->g;
	uint64_t *host0 = guest_ptr(g, 0x30000), *host1;
	unsigned int i;

	ASSERT_EQ(0, slot1_set(self, 0, SLOT1_GPA));
	host1 = (uint64_t *)(self->slot1 + 5 * PAGE);
	for (i = 0; i < 512; i++) {
		host0[i] = i * 3;
		host1[i] = 0x100000000ULL * i + 7;
	}
	{
		struct mem_op o[] = {
			{ OP_SUM, 0x30000, 0 },
			{ OP_SUM, SLOT1_GPA + 5 * PAGE, 0 },
			{ OP_WRITE, 0x31008, 0x0123456789abcdefULL },
			{ OP_WRITE, SLOT1_GPA + 9 * PAGE + 16, 0xfedcba9876543210ULL },
			{ OP_READ, SLOT1_GPA + 5 * PAGE + 8 * 100, 0 },
		};
		set_ops(g, o, ARRAY_SIZE(o));
	}
	guest_run_done(g);
	EXPECT_EQ(page_sum(host0), ops(g)[0].value);
	EXPECT_EQ(page_sum(host1), ops(g)[1].value);
	EXPECT_EQ(0x0123456789abcdefULL, *(uint64_t *)guest_ptr(g, 0x31008));
	EXPECT_EQ(0xfedcba9876543210ULL,
		  *(uint64_t *)(self->slot1 + 9 * PAGE + 16));
	EXPECT_EQ(host1[100], ops(g)[4].value);

	/* The host changes memory while the guest's mappings exist. */
	host1[100] = 0xabcdef;
	host0[0] = 0x5555;
	guest_run_done(g);
	EXPECT_EQ(page_sum(host0), ops(g)[0].value);
	EXPECT_EQ(0xabcdef, ops(g)[4].value);
}

TEST_F(mem, readonly_slot)
{
	struct guest *g = &self->g;
	struct kvm_run *run = g->run;
	uint64_t v;

	if (kvm_check_cap(g->vm, KVM_CAP_READONLY_MEM) <= 0)
		SKIP(return, "no KVM_CAP_READONLY_MEM");
	memset(self->slot1, 0x11, self->slot1_size);
	ASSERT_EQ(0, slot1_set(self, KVM_MEM_READONLY, SLOT1_GPA));
	{
		struct mem_op o[] = {
			{ OP_READ, SLOT1_GPA + 2 * PAGE, 0 },
			{ OP_WRITE, SLOT1_GPA + 2 * PAGE, 0x0102030405060708ULL },
			{ OP_READ, SLOT1_GPA + 2 * PAGE, 0 },
		};
		set_ops(g, o, ARRAY_SIZE(o));
	}
	ASSERT_EQ(KVM_EXIT_MMIO, vcpu_run_until_exit(g)) TH_LOG("%s", guest_exit_str(g));
	EXPECT_EQ(SLOT1_GPA + 2 * PAGE, run->mmio.phys_addr);
	EXPECT_EQ(8, run->mmio.len);
	EXPECT_EQ(1, run->mmio.is_write);
	memcpy(&v, run->mmio.data, 8);
	EXPECT_EQ(0x0102030405060708ULL, v);

	guest_run_done(g);
	EXPECT_EQ(0x1111111111111111ULL, ops(g)[0].value);
	EXPECT_EQ(0x1111111111111111ULL, ops(g)[2].value);
	EXPECT_EQ(0x1111111111111111ULL, *(uint64_t *)(self->slot1 + 2 * PAGE));
}

TEST_F(mem, move_slot)
{
	struct guest *g = &self->g;
	struct kvm_run *run = g->run;

	memset(self->slot1, 0, self->slot1_size);
	*(uint64_t *)(self->slot1 + 3 * PAGE) = 0x3333;
	ASSERT_EQ(0, slot1_set(self, 0, SLOT1_GPA));
	{
		struct mem_op o[] = {
			{ OP_READ, SLOT1_GPA + 3 * PAGE, 0 },
			{ OP_WRITE, SLOT1_GPA + 4 * PAGE, 0x4444 },
		};
		set_ops(g, o, ARRAY_SIZE(o));
	}
	guest_run_done(g);
	EXPECT_EQ(0x3333, ops(g)[0].value);

	/* Delete, then the same memory at another GPA. */
	ASSERT_EQ(0, vm_set_mem(g->vm, SLOT1, 0, SLOT1_GPA, 0, 0));
	ASSERT_EQ(0, slot1_set(self, 0, SLOT1_MOVED));
	{
		struct mem_op o[] = {
			{ OP_READ, SLOT1_MOVED + 3 * PAGE, 0 },
			{ OP_READ, SLOT1_MOVED + 4 * PAGE, 0 },
			{ OP_READ, SLOT1_GPA + 3 * PAGE, 0 },
		};
		set_ops(g, o, ARRAY_SIZE(o));
	}
	/* The old GPA is no memory any more: MMIO. */
	ASSERT_EQ(KVM_EXIT_MMIO, vcpu_run_until_exit(g)) TH_LOG("%s", guest_exit_str(g));
	EXPECT_EQ(SLOT1_GPA + 3 * PAGE, run->mmio.phys_addr);
	EXPECT_EQ(0, run->mmio.is_write);
	EXPECT_EQ(8, run->mmio.len);
	memset(run->mmio.data, 0x77, 8);
	guest_run_done(g);
	EXPECT_EQ(0x3333, ops(g)[0].value);
	EXPECT_EQ(0x4444, ops(g)[1].value);
	EXPECT_EQ(0x7777777777777777ULL, ops(g)[2].value);
}

TEST_F(mem, dontneed_and_remap)
{
	struct guest *g = &self->g;
	void *p;

	ASSERT_EQ(0, slot1_set(self, 0, SLOT1_GPA));
	{
		struct mem_op o[] = {
			{ OP_WRITE, SLOT1_GPA + 7 * PAGE, 0x7777 },
			{ OP_READ, SLOT1_GPA + 7 * PAGE, 0 },
		};
		set_ops(g, o, ARRAY_SIZE(o));
	}
	guest_run_done(g);
	EXPECT_EQ(0x7777, ops(g)[1].value);
	EXPECT_EQ(0x7777, *(uint64_t *)(self->slot1 + 7 * PAGE));

	/* MADV_DONTNEED: fresh zero pages, for the host and the guest. */
	ASSERT_EQ(0, madvise(self->slot1, self->slot1_size, MADV_DONTNEED));
	EXPECT_EQ(0, *(uint64_t *)(self->slot1 + 7 * PAGE));
	ops(g)[0].op = OP_READ;
	guest_run_done(g);
	EXPECT_EQ(0, ops(g)[0].value);
	EXPECT_EQ(0, ops(g)[1].value);

	/* The guest writes again, then the host replaces the mapping. */
	ops(g)[0].op = OP_WRITE;
	ops(g)[0].value = 0x7777;
	guest_run_done(g);
	EXPECT_EQ(0x7777, *(uint64_t *)(self->slot1 + 7 * PAGE));
	p = mmap(self->slot1, self->slot1_size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ((void *)self->slot1, p);
	*(uint64_t *)(self->slot1 + 7 * PAGE + 8) = 0x8888;
	{
		struct mem_op o[] = {
			{ OP_READ, SLOT1_GPA + 7 * PAGE, 0 },
			{ OP_READ, SLOT1_GPA + 7 * PAGE + 8, 0 },
		};
		set_ops(g, o, ARRAY_SIZE(o));
	}
	guest_run_done(g);
	EXPECT_EQ(0, ops(g)[0].value);
	EXPECT_EQ(0x8888, ops(g)[1].value);

	/* Unmapped for good: the guest's access cannot be satisfied. */
	ASSERT_EQ(0, munmap(self->slot1, self->slot1_size));
	EXPECT_EQ(-EFAULT, vcpu_run(g)) TH_LOG("%s", guest_exit_str(g));
	/* The teardown must not unmap what is already gone. */
	self->slot1 = mmap(NULL, self->slot1_size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, (void *)self->slot1);
}

static uint64_t dirty_log(struct __test_metadata *_metadata, struct guest *g)
{
	uint64_t bitmap[SLOT1_PAGES / 64];

	memset(bitmap, 0xff, sizeof(bitmap));
	EXPECT_EQ(0, vm_get_dirty_log(g->vm, SLOT1, bitmap));
	return bitmap[0];
}

TEST_F(mem, dirty_log)
{
	struct guest *g = &self->g;

	struct mem_op all[SLOT1_PAGES];
	unsigned int i;

	memset(self->slot1, 0x5a, self->slot1_size);
	ASSERT_EQ(0, slot1_set(self, KVM_MEM_LOG_DIRTY_PAGES, SLOT1_GPA));
	/* Nothing ran: nothing is dirty. */
	EXPECT_EQ(0, dirty_log(_metadata, g));

	/* Map every page with a read; forget that log. */
	for (i = 0; i < SLOT1_PAGES; i++) {
		all[i].op = OP_READ;
		all[i].gpa = SLOT1_GPA + i * PAGE + 8 * i;
		all[i].value = 0;
	}
	set_ops(g, all, SLOT1_PAGES);
	guest_run_done(g);
	for (i = 0; i < SLOT1_PAGES; i++) {
		EXPECT_EQ(0x5a5a5a5a5a5a5a5aULL, ops(g)[i].value);
	}
	dirty_log(_metadata, g);
	EXPECT_EQ(0, dirty_log(_metadata, g));
	/* Reads of mapped pages are not writes. */
	guest_run_done(g);
	EXPECT_EQ(0, dirty_log(_metadata, g));

	{
		struct mem_op o[] = {
			{ OP_WRITE, SLOT1_GPA + 3 * PAGE, 1 },
			{ OP_WRITE, SLOT1_GPA + 17 * PAGE + 8, 2 },
			{ OP_READ, SLOT1_GPA + 5 * PAGE, 0 },
			{ OP_SUM, SLOT1_GPA + 6 * PAGE, 0 },
			{ OP_WRITE, SLOT1_GPA + 63 * PAGE + 4088, 3 },
			{ OP_WRITE, SLOT1_GPA + 3 * PAGE + 64, 4 },
		};
		set_ops(g, o, ARRAY_SIZE(o));
	}
	guest_run_done(g);
	EXPECT_EQ((1ULL << 3) | (1ULL << 17) | (1ULL << 63), dirty_log(_metadata, g));
	/* Read and cleared: nothing new. */
	EXPECT_EQ(0, dirty_log(_metadata, g));

	/* Host writes are not logged; guest writes to the same pages again are. */
	self->slot1[40 * PAGE] = 1;
	{
		struct mem_op o[] = {
			{ OP_READ, SLOT1_GPA + 3 * PAGE, 0 },
			{ OP_WRITE, SLOT1_GPA + 17 * PAGE, 5 },
			{ OP_WRITE, SLOT1_GPA, 6 },
		};
		set_ops(g, o, ARRAY_SIZE(o));
	}
	guest_run_done(g);
	EXPECT_EQ((1ULL << 17) | 1ULL, dirty_log(_metadata, g));
	EXPECT_EQ(0, dirty_log(_metadata, g));
	EXPECT_EQ(5, *(uint64_t *)(self->slot1 + 17 * PAGE));
	EXPECT_EQ(6, *(uint64_t *)self->slot1);

	/* A slot without the flag has no log. */
	ASSERT_EQ(0, slot1_set(self, 0, SLOT1_GPA));
	{
		uint64_t bitmap[SLOT1_PAGES / 64];

		EXPECT_EQ(-ENOENT, vm_get_dirty_log(g->vm, SLOT1, bitmap));
	}
}

TEST_HARNESS_MAIN
