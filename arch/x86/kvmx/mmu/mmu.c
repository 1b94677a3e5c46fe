// SPDX-License-Identifier: GPL-2.0
/*
 * Two-dimensional paging: the NPT or EPT tables that map guest-physical
 * addresses to host memory.
 *
 * Tables start empty and are filled one page per fault, from the memslot
 * that covers the address, with the page the VMM's mapping has there.  No
 * page reference is kept once mapped: an MMU notifier zaps the mapping
 * before the kernel may unmap, migrate, merge or swap the host page.  A
 * fault that raced with such an invalidation sees the sequence count move
 * and is simply retried by the guest.
 */
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "../x86.h"

#define PTES_PER_TABLE	512

/* NPT entries are x86-64 page-table entries; guest accesses count as user. */
#define NPT_P		BIT_ULL(0)
#define NPT_RW		BIT_ULL(1)
#define NPT_US		BIT_ULL(2)
#define NPT_A		BIT_ULL(5)
#define NPT_D		BIT_ULL(6)
#define NPT_PS		BIT_ULL(7)

/* EPT entries: read, write, execute; leaves carry the memory type. */
#define EPT_R		BIT_ULL(0)
#define EPT_W		BIT_ULL(1)
#define EPT_X		BIT_ULL(2)
#define EPT_WB		(6ULL << 3)
#define EPT_IPAT	BIT_ULL(6)

/* Both formats mark a large leaf with bit 7. */
#define TDP_LARGE	BIT_ULL(7)

#define PTE_ADDR_MASK	GENMASK_ULL(51, 12)
#define GFNS_PER_2M	512

struct kvmx_mmu {
	struct kvmx_vm *vm;
	spinlock_t lock;		/* the tables and the counters below */
	u64 *root;
	int levels;
	bool ept;
	unsigned long notifier_seq;	/* bumped by every invalidation */
	int invalidate_in_progress;
	struct mmu_notifier notifier;
};

static bool tdp_present(struct kvmx_mmu *mmu, u64 pte)
{
	return mmu->ept ? pte & (EPT_R | EPT_W | EPT_X) : pte & NPT_P;
}

static u64 make_table(struct kvmx_mmu *mmu, u64 *table)
{
	u64 pa = __pa(table);

	return pa | (mmu->ept ? EPT_R | EPT_W | EPT_X :
				NPT_P | NPT_RW | NPT_US | NPT_A);
}

static u64 make_leaf(struct kvmx_mmu *mmu, u64 pa, bool writable, int level)
{
	u64 large = level > 1 ? TDP_LARGE : 0;

	if (mmu->ept)
		return pa | EPT_R | EPT_X | EPT_WB | EPT_IPAT | large |
		       (writable ? EPT_W : 0);
	return pa | NPT_P | NPT_US | NPT_A | NPT_D | large |
	       (writable ? NPT_RW : 0);
}

static bool tdp_is_leaf(u64 pte, int level)
{
	return level == 1 || (pte & TDP_LARGE);
}

static u64 *tdp_table(u64 pte)
{
	return __va(pte & PTE_ADDR_MASK);
}

static int tdp_index(u64 gpa, int level)
{
	return (gpa >> (PAGE_SHIFT + 9 * (level - 1))) & (PTES_PER_TABLE - 1);
}

/* ---- Zapping ------------------------------------------------------------ */

/*
 * Clear every leaf mapping a gfn in [start, end).  Tables stay, so a
 * later fault only rebuilds the leaf.  Returns whether anything changed.
 */
static bool zap_range(struct kvmx_mmu *mmu, u64 *table, int level,
		      u64 base, u64 start, u64 end)
{
	u64 span = 1ULL << (9 * (level - 1));	/* gfns per entry */
	bool zapped = false;
	int i;

	for (i = 0; i < PTES_PER_TABLE; i++) {
		u64 lo = base + i * span, hi = lo + span;
		u64 pte = table[i];

		if (hi <= start || lo >= end || !tdp_present(mmu, pte))
			continue;
		if (tdp_is_leaf(pte, level)) {
			WRITE_ONCE(table[i], 0);
			zapped = true;
		} else {
			zapped |= zap_range(mmu, tdp_table(pte), level - 1,
					    lo, start, end);
		}
	}
	return zapped;
}

static bool mmu_zap_gfns(struct kvmx_mmu *mmu, u64 start, u64 end)
{
	lockdep_assert_held(&mmu->lock);
	return zap_range(mmu, mmu->root, mmu->levels, 0, start, end);
}

void kvmx_mmu_zap_gfns(struct kvmx_vm *vm, u64 start, u64 end)
{
	struct kvmx_mmu *mmu = vm->arch.mmu;
	bool flush;

	spin_lock(&mmu->lock);
	flush = mmu_zap_gfns(mmu, start, end);
	spin_unlock(&mmu->lock);
	if (flush)
		kvmx_vm_request_all(vm, KVMX_REQ_TLB_FLUSH);
}

/*
 * The pages just reported dirty must fault on their next write: zap each
 * run of them under one lock, then flush once, as KVM write-protects and
 * flushes once per KVM_GET_DIRTY_LOG (not once per page).
 */
void kvmx_mmu_zap_dirty(struct kvmx_vm *vm, struct kvmx_memslot *slot,
			const unsigned long *bits)
{
	struct kvmx_mmu *mmu = vm->arch.mmu;
	unsigned long i = 0, end;
	bool flush = false;

	spin_lock(&mmu->lock);
	for (;;) {
		i = find_next_bit(bits, slot->npages, i);
		if (i >= slot->npages)
			break;
		end = find_next_zero_bit(bits, slot->npages, i);
		flush |= mmu_zap_gfns(mmu, slot->base_gfn + i,
				      slot->base_gfn + end);
		i = end;
		/* A big slot must not hold the lock (and the CPU) for long. */
		cond_resched_lock(&mmu->lock);
	}
	spin_unlock(&mmu->lock);
	if (flush)
		kvmx_vm_request_all(vm, KVMX_REQ_TLB_FLUSH);
}

void kvmx_mmu_zap_slot(struct kvmx_vm *vm, struct kvmx_memslot *slot)
{
	kvmx_mmu_zap_gfns(vm, slot->base_gfn, slot->base_gfn + slot->npages);
}

static void free_tables(u64 *table, int level, struct kvmx_mmu *mmu)
{
	int i;

	if (level > 1)
		for (i = 0; i < PTES_PER_TABLE; i++)
			if (tdp_present(mmu, table[i]) &&
			    !tdp_is_leaf(table[i], level))
				free_tables(tdp_table(table[i]), level - 1, mmu);
	free_page((unsigned long)table);
}

/* ---- Faults ------------------------------------------------------------ */

/*
 * Up to one new table per level, allocated before taking the lock.  The
 * cache belongs to the vCPU and keeps what a fault did not use, so that
 * most faults allocate nothing.
 */

static int cache_fill(struct kvmx_table_cache *c, int n)
{
	while (c->nr < n) {
		u64 *p = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

		if (!p)
			return -ENOMEM;
		c->pages[c->nr++] = p;
	}
	return 0;
}

static void cache_free(struct kvmx_table_cache *c)
{
	while (c->nr)
		free_page((unsigned long)c->pages[--c->nr]);
}

/*
 * Install a leaf for @gpa at @level (1: 4 KiB, 2: 2 MiB).  Returns whether
 * a large leaf had to be split, which the caller must flush.  A 2 MiB
 * leaf is not put where a 4 KiB table already is: tables are only freed
 * with the VM, so the caller maps 4 KiB there instead (see below).
 */
static bool mmu_map(struct kvmx_mmu *mmu, struct kvmx_table_cache *c, u64 gpa,
		    u64 pa, bool writable, int level)
{
	u64 *table = mmu->root;
	bool split = false;
	int l;

	for (l = mmu->levels; l > level; l--) {
		u64 *pte = &table[tdp_index(gpa, l)];

		if (!tdp_present(mmu, *pte) || tdp_is_leaf(*pte, l)) {
			split |= tdp_present(mmu, *pte);
			WRITE_ONCE(*pte, make_table(mmu, c->pages[--c->nr]));
		}
		table = tdp_table(*pte);
	}
	WRITE_ONCE(table[tdp_index(gpa, level)],
		   make_leaf(mmu, pa, writable, level));
	return split;
}

/* Does a 4 KiB table already sit where a 2 MiB leaf for @gpa would go? */
static bool mmu_has_table_at_2m(struct kvmx_mmu *mmu, u64 gpa)
{
	u64 *table = mmu->root;
	int l;

	for (l = mmu->levels; l > 2; l--) {
		u64 pte = table[tdp_index(gpa, l)];

		if (!tdp_present(mmu, pte) || tdp_is_leaf(pte, l))
			return false;
		table = tdp_table(pte);
	}
	return tdp_present(mmu, table[tdp_index(gpa, 2)]) &&
	       !tdp_is_leaf(table[tdp_index(gpa, 2)], 2);
}

/*
 * Does the host map @hva with a huge page (THP or hugetlbfs)?  A lockless
 * walk, as GUP-fast does it: interrupts off keep the tables from being
 * freed under us, and a racing split is caught by the notifier sequence.
 */
static bool host_maps_huge(struct mm_struct *mm, unsigned long hva)
{
	unsigned long flags;
	bool huge = false;
	pgd_t pgd;
	p4d_t p4d;
	pud_t pud;
	pmd_t pmd;

	local_irq_save(flags);
	pgd = READ_ONCE(*pgd_offset(mm, hva));
	if (!pgd_present(pgd))
		goto out;
	p4d = READ_ONCE(*p4d_offset(&pgd, hva));
	if (!p4d_present(p4d))
		goto out;
	pud = READ_ONCE(*pud_offset(&p4d, hva));
	if (!pud_present(pud))
		goto out;
	if (pud_leaf(pud)) {
		huge = true;
		goto out;
	}
	pmd = READ_ONCE(*pmd_offset(&pud, hva));
	huge = pmd_present(pmd) && pmd_leaf(pmd);
out:
	local_irq_restore(flags);
	return huge;
}

/* A 2 MiB leaf needs the whole aligned range inside the slot, in step. */
static bool slot_allows_2m(struct kvmx_memslot *slot, u64 gfn,
			   unsigned long hva)
{
	u64 base = gfn & ~(u64)(GFNS_PER_2M - 1);

	return !slot->dirty_bitmap &&
	       ((hva >> PAGE_SHIFT) & (GFNS_PER_2M - 1)) ==
	       (gfn & (GFNS_PER_2M - 1)) &&
	       base >= slot->base_gfn &&
	       base + GFNS_PER_2M <= slot->base_gfn + slot->npages;
}

/*
 * Map the page at @gpa.  KVMX_PF_MMIO when no memslot may back the access
 * (none covers it, or a write hit a read-only slot).
 */
int kvmx_mmu_page_fault(struct kvmx_vcpu *vcpu, u64 gpa, bool write)
{
	struct kvmx_vm *vm = vcpu->vm;
	struct kvmx_mmu *mmu = vm->arch.mmu;
	struct kvmx_table_cache *cache = &vcpu->arch.table_cache;
	u64 gfn = gpa >> PAGE_SHIFT;
	struct kvmx_memslot *slot;
	unsigned long hva, seq;
	struct page *page;
	bool writable, split;
	int idx, r, level = 1;
	u64 pa;

	idx = srcu_read_lock(&vm->srcu);
	slot = kvmx_gfn_to_memslot(srcu_dereference(vm->memslots, &vm->srcu),
				   gfn);
	if (!slot || (write && (slot->flags & KVM_MEM_READONLY))) {
		r = KVMX_PF_MMIO;
		goto out;
	}
	hva = slot->userspace_addr + ((gfn - slot->base_gfn) << PAGE_SHIFT);

	/* While dirty logging, map writable only on a write, to see it. */
	writable = !(slot->flags & KVM_MEM_READONLY) &&
		   (write || !slot->dirty_bitmap);

	seq = READ_ONCE(mmu->notifier_seq);
	/* Read the count before looking at the page; pairs with the lock. */
	smp_rmb();
	if (get_user_pages_unlocked(hva, 1, &page, writable ? FOLL_WRITE : 0) != 1) {
		r = -EFAULT;
		goto out;
	}

	/* Splitting a large leaf may take one more table than the walk. */
	r = cache_fill(cache, mmu->levels);
	if (r)
		goto out_put;

	pa = page_to_phys(page);
	if (slot_allows_2m(slot, gfn, hva) && host_maps_huge(vm->mm, hva))
		level = 2;

	spin_lock(&mmu->lock);
	if (mmu->invalidate_in_progress || seq != mmu->notifier_seq) {
		/* The page may be going away: let the guest fault again. */
		spin_unlock(&mmu->lock);
		r = KVMX_PF_MAPPED;
		goto out_put;
	}
	if (level == 2 && mmu_has_table_at_2m(mmu, gpa))
		level = 1;
	if (level == 2) {
		/* Huge pages are naturally aligned in host memory too. */
		gpa &= ~(u64)(SZ_2M - 1);
		pa &= ~(u64)(SZ_2M - 1);
	}
	split = mmu_map(mmu, cache, gpa & PAGE_MASK, pa, writable, level);
	spin_unlock(&mmu->lock);
	if (split)
		kvmx_vm_request_all(vm, KVMX_REQ_TLB_FLUSH);

	if (writable) {
		if (slot->dirty_bitmap)
			set_bit(gfn - slot->base_gfn, slot->dirty_bitmap);
		set_page_dirty_lock(page);
	}
	r = KVMX_PF_MAPPED;
out_put:
	put_page(page);
out:
	srcu_read_unlock(&vm->srcu, idx);
	return r;
}

/* ---- MMU notifier ---------------------------------------------------------- */

static struct kvmx_mmu *to_mmu(struct mmu_notifier *mn)
{
	return container_of(mn, struct kvmx_mmu, notifier);
}

/* Zap whatever the host range [start, end) backs, in every slot. */
static bool mmu_zap_hva(struct kvmx_mmu *mmu, unsigned long start,
			unsigned long end)
{
	struct kvmx_vm *vm = mmu->vm;
	struct kvmx_memslots *slots;
	bool flush = false;
	int i, idx;

	idx = srcu_read_lock(&vm->srcu);
	slots = srcu_dereference(vm->memslots, &vm->srcu);
	for (i = 0; i < slots->nr; i++) {
		struct kvmx_memslot *s = slots->slots[i];
		unsigned long s_end = s->userspace_addr +
				      (s->npages << PAGE_SHIFT);
		unsigned long lo = max_t(unsigned long, start, s->userspace_addr);
		unsigned long hi = min(end, s_end);

		if (lo >= hi)
			continue;
		flush |= mmu_zap_gfns(mmu,
			s->base_gfn + ((lo - s->userspace_addr) >> PAGE_SHIFT),
			s->base_gfn + ((hi - s->userspace_addr + PAGE_SIZE - 1) >>
				       PAGE_SHIFT));
	}
	srcu_read_unlock(&vm->srcu, idx);
	return flush;
}

static int kvmx_mn_invalidate_range_start(struct mmu_notifier *mn,
					  const struct mmu_notifier_range *range)
{
	struct kvmx_mmu *mmu = to_mmu(mn);
	bool flush;

	spin_lock(&mmu->lock);
	mmu->invalidate_in_progress++;
	mmu->notifier_seq++;
	flush = mmu_zap_hva(mmu, range->start, range->end);
	spin_unlock(&mmu->lock);

	/* No vCPU may use the old translation once this returns. */
	if (flush)
		kvmx_vm_request_all(mmu->vm, KVMX_REQ_TLB_FLUSH);
	return 0;
}

static void kvmx_mn_invalidate_range_end(struct mmu_notifier *mn,
					 const struct mmu_notifier_range *range)
{
	struct kvmx_mmu *mmu = to_mmu(mn);

	spin_lock(&mmu->lock);
	mmu->notifier_seq++;
	mmu->invalidate_in_progress--;
	spin_unlock(&mmu->lock);
}

/* The address space is going away: nothing may stay mapped. */
static void kvmx_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct kvmx_mmu *mmu = to_mmu(mn);
	bool flush;

	spin_lock(&mmu->lock);
	mmu->notifier_seq++;
	flush = mmu_zap_gfns(mmu, 0, ~0ULL);
	spin_unlock(&mmu->lock);
	if (flush)
		kvmx_vm_request_all(mmu->vm, KVMX_REQ_TLB_FLUSH);
}

static const struct mmu_notifier_ops kvmx_mmu_notifier_ops = {
	.invalidate_range_start	= kvmx_mn_invalidate_range_start,
	.invalidate_range_end	= kvmx_mn_invalidate_range_end,
	.release		= kvmx_mn_release,
};

/* ---- Lifetime ------------------------------------------------------------ */

int kvmx_mmu_create(struct kvmx_vm *vm)
{
	struct kvmx_mmu *mmu;
	int r;

	mmu = kzalloc(sizeof(*mmu), GFP_KERNEL_ACCOUNT);
	if (!mmu)
		return -ENOMEM;
	mmu->root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!mmu->root) {
		kfree(mmu);
		return -ENOMEM;
	}
	mmu->vm = vm;
	spin_lock_init(&mmu->lock);
	mmu->ept = kvmx_vendor->tdp_ept;
	/* NPT walks in the host's paging mode; EPT here is 4-level. */
	mmu->levels = !mmu->ept && pgtable_l5_enabled() ? 5 : 4;

	mmu->notifier.ops = &kvmx_mmu_notifier_ops;
	r = mmu_notifier_register(&mmu->notifier, vm->mm);
	if (r) {
		free_page((unsigned long)mmu->root);
		kfree(mmu);
		return r;
	}
	vm->arch.mmu = mmu;
	return 0;
}

void kvmx_mmu_destroy(struct kvmx_vm *vm)
{
	struct kvmx_mmu *mmu = vm->arch.mmu;

	if (!mmu)
		return;
	mmu_notifier_unregister(&mmu->notifier, vm->mm);
	free_tables(mmu->root, mmu->levels, mmu);
	kfree(mmu);
	vm->arch.mmu = NULL;
}

void kvmx_mmu_vcpu_free(struct kvmx_vcpu *vcpu)
{
	cache_free(&vcpu->arch.table_cache);
}

/* What the vendor loads as nCR3 or the EPT pointer. */
u64 kvmx_mmu_root(struct kvmx_vm *vm)
{
	return __pa(vm->arch.mmu->root);
}

int kvmx_mmu_levels(struct kvmx_vm *vm)
{
	return vm->arch.mmu->levels;
}
