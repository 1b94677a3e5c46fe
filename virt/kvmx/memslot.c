// SPDX-License-Identifier: GPL-2.0
/*
 * kvmx: guest memory slots (KVM_SET_USER_MEMORY_REGION).
 *
 * Each update builds a new kvmx_memslots generation, publishes it with RCU
 * and waits for SRCU readers of the old one before freeing what it no
 * longer holds.  Slots themselves are never modified once published.
 */
#include <linux/bitmap.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "kvmx.h"

enum kvmx_mr_change { KVMX_MR_CREATE, KVMX_MR_DELETE, KVMX_MR_MOVE,
		      KVMX_MR_FLAGS_ONLY };

static struct kvmx_memslots *kvmx_memslots_alloc(int nr)
{
	return kvzalloc(struct_size_t(struct kvmx_memslots, slots, nr),
			GFP_KERNEL_ACCOUNT);
}

int kvmx_memslots_init(struct kvmx_vm *vm)
{
	struct kvmx_memslots *slots = kvmx_memslots_alloc(0);

	if (!slots)
		return -ENOMEM;
	RCU_INIT_POINTER(vm->memslots, slots);
	return 0;
}

static void kvmx_memslot_free(struct kvmx_memslot *slot)
{
	if (slot) {
		kvfree(slot->dirty_bitmap);
		kfree(slot);
	}
}

/* Only at VM destruction: nobody else can see the slots any more. */
void kvmx_memslots_free(struct kvmx_vm *vm)
{
	struct kvmx_memslots *slots = rcu_dereference_protected(vm->memslots, 1);
	int i;

	for (i = 0; i < slots->nr; i++)
		kvmx_memslot_free(slots->slots[i]);
	kvfree(slots);
}

static struct kvmx_memslot *kvmx_id_to_memslot(struct kvmx_memslots *slots,
					       u16 id)
{
	int i;

	for (i = 0; i < slots->nr; i++)
		if (slots->slots[i]->id == id)
			return slots->slots[i];
	return NULL;
}

struct kvmx_memslot *kvmx_gfn_to_memslot(struct kvmx_memslots *slots, u64 gfn)
{
	int lo = 0, hi = slots->nr;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		struct kvmx_memslot *s = slots->slots[mid];

		if (gfn < s->base_gfn)
			hi = mid;
		else if (gfn >= s->base_gfn + s->npages)
			lo = mid + 1;
		else
			return s;
	}
	return NULL;
}

static bool kvmx_memslot_overlaps(struct kvmx_memslots *slots, u16 id,
				  u64 start, u64 end)
{
	int i;

	for (i = 0; i < slots->nr; i++) {
		struct kvmx_memslot *s = slots->slots[i];

		if (s->id != id && start < s->base_gfn + s->npages &&
		    s->base_gfn < end)
			return true;
	}
	return false;
}

static size_t kvmx_dirty_bitmap_bytes(struct kvmx_memslot *slot)
{
	return ALIGN(slot->npages, BITS_PER_LONG) / 8;
}

/*
 * Publish a generation in which @old is replaced by @new.  Either may be
 * NULL, for a create or a delete.  The array stays sorted by base_gfn.
 */
static int kvmx_memslots_replace(struct kvmx_vm *vm, struct kvmx_memslot *old,
				 struct kvmx_memslot *new)
{
	struct kvmx_memslots *cur = kvmx_memslots(vm), *next;
	struct kvmx_memslot *pending = new;
	int i, j = 0;

	next = kvmx_memslots_alloc(cur->nr + !old - !new);
	if (!next)
		return -ENOMEM;

	for (i = 0; i <= cur->nr; i++) {
		struct kvmx_memslot *s = i < cur->nr ? cur->slots[i] : NULL;

		if (pending && (!s || pending->base_gfn < s->base_gfn)) {
			next->slots[j++] = pending;
			pending = NULL;
		}
		if (s && s != old)
			next->slots[j++] = s;
	}
	next->nr = j;
	next->generation = cur->generation + 1;

	rcu_assign_pointer(vm->memslots, next);
	synchronize_srcu_expedited(&vm->srcu);
	kvmx_arch_commit_memslot(vm, old, new);
	kvfree(cur);
	/* A moved slot keeps logging into the same bitmap. */
	if (old && new && old->dirty_bitmap == new->dirty_bitmap)
		old->dirty_bitmap = NULL;
	kvmx_memslot_free(old);
	return 0;
}

static int __kvmx_set_memory_region(struct kvmx_vm *vm,
				    const struct kvm_userspace_memory_region *mem)
{
	struct kvmx_memslots *slots = kvmx_memslots(vm);
	struct kvmx_memslot *old, *new;
	enum kvmx_mr_change change;
	u16 id = (u16)mem->slot;
	u64 base_gfn, npages;
	int r;

	if (mem->flags & ~(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY))
		return -EINVAL;
	if (mem->memory_size & ~PAGE_MASK || mem->guest_phys_addr & ~PAGE_MASK)
		return -EINVAL;
	if (mem->userspace_addr & ~PAGE_MASK ||
	    !access_ok((void __user *)(unsigned long)mem->userspace_addr,
		       mem->memory_size))
		return -EINVAL;
	/* kvmx has a single address space: no SMM. */
	if (mem->slot >> 16)
		return -EINVAL;
	if (mem->guest_phys_addr + mem->memory_size < mem->guest_phys_addr)
		return -EINVAL;
	if ((mem->memory_size >> PAGE_SHIFT) > KVMX_MEM_MAX_NR_PAGES)
		return -EINVAL;

	old = kvmx_id_to_memslot(slots, id);
	if (!mem->memory_size) {
		if (!old)
			return -EINVAL;
		return kvmx_memslots_replace(vm, old, NULL);
	}

	base_gfn = mem->guest_phys_addr >> PAGE_SHIFT;
	npages = mem->memory_size >> PAGE_SHIFT;
	if (!old) {
		change = KVMX_MR_CREATE;
	} else {
		/* A slot can move or change flags, but never be resized. */
		if (mem->userspace_addr != old->userspace_addr ||
		    npages != old->npages ||
		    (mem->flags ^ old->flags) & KVM_MEM_READONLY)
			return -EINVAL;
		if (base_gfn != old->base_gfn)
			change = KVMX_MR_MOVE;
		else if (mem->flags != old->flags)
			change = KVMX_MR_FLAGS_ONLY;
		else
			return 0;
	}

	if (change != KVMX_MR_FLAGS_ONLY) {
		if (kvmx_memslot_overlaps(slots, id, base_gfn, base_gfn + npages))
			return -EEXIST;
		if (base_gfn + npages - 1 > kvmx_arch_max_gfn())
			return -EINVAL;
	}

	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	new->id = id;
	new->base_gfn = base_gfn;
	new->npages = npages;
	new->flags = mem->flags;
	new->userspace_addr = mem->userspace_addr;

	if (!(new->flags & KVM_MEM_LOG_DIRTY_PAGES)) {
		new->dirty_bitmap = NULL;
	} else if (old && old->dirty_bitmap) {
		new->dirty_bitmap = old->dirty_bitmap;
	} else {
		new->dirty_bitmap = kvzalloc(kvmx_dirty_bitmap_bytes(new),
					     GFP_KERNEL_ACCOUNT);
		if (!new->dirty_bitmap) {
			kfree(new);
			return -ENOMEM;
		}
	}

	r = kvmx_memslots_replace(vm, old, new);
	if (r) {
		if (old && new->dirty_bitmap == old->dirty_bitmap)
			new->dirty_bitmap = NULL;
		kvmx_memslot_free(new);
	}
	return r;
}

int kvmx_set_memory_region(struct kvmx_vm *vm,
			   const struct kvm_userspace_memory_region *mem)
{
	int r;

	if ((u16)mem->slot >= KVMX_USER_MEM_SLOTS)
		return -EINVAL;

	mutex_lock(&vm->slots_lock);
	r = __kvmx_set_memory_region(vm, mem);
	mutex_unlock(&vm->slots_lock);
	return r;
}

/*
 * Copy to or from guest-physical memory, within one page.  Returns 0, or
 * -EFAULT when no slot backs the range (or a write hits a read-only
 * one) or the VMM's mapping faults.  Call from a thread of the VM's mm.
 */
int kvmx_guest_rw(struct kvmx_vm *vm, u64 gpa, void *buf, unsigned int len,
		  bool write)
{
	u64 gfn = gpa >> PAGE_SHIFT;
	struct kvmx_memslot *slot;
	void __user *hva;
	int idx, r = -EFAULT;

	if (offset_in_page(gpa) + len > PAGE_SIZE)
		return -EINVAL;
	idx = srcu_read_lock(&vm->srcu);
	slot = kvmx_gfn_to_memslot(srcu_dereference(vm->memslots, &vm->srcu),
				   gfn);
	if (!slot || (write && (slot->flags & KVM_MEM_READONLY)))
		goto out;
	hva = (void __user *)(unsigned long)(slot->userspace_addr +
		((gfn - slot->base_gfn) << PAGE_SHIFT) + offset_in_page(gpa));
	if (write ? copy_to_user(hva, buf, len) : copy_from_user(buf, hva, len))
		goto out;
	if (write && slot->dirty_bitmap)
		set_bit(gfn - slot->base_gfn, slot->dirty_bitmap);
	r = 0;
out:
	srcu_read_unlock(&vm->srcu, idx);
	return r;
}

/*
 * Hand the log to userspace and start a new one.  Each word is taken with
 * xchg, so a page dirtied meanwhile lands in this log or the next one.
 */
int kvmx_get_dirty_log(struct kvmx_vm *vm, struct kvm_dirty_log *log)
{
	struct kvmx_memslot *slot;
	unsigned long *buf = NULL;
	size_t i, n = 0;
	int r = 0;

	if (log->slot >> 16 || (u16)log->slot >= KVMX_USER_MEM_SLOTS)
		return -EINVAL;

	mutex_lock(&vm->slots_lock);
	slot = kvmx_id_to_memslot(kvmx_memslots(vm), log->slot);
	if (!slot || !slot->dirty_bitmap) {
		r = -ENOENT;
		goto out;
	}
	n = kvmx_dirty_bitmap_bytes(slot);
	buf = kvmalloc(n, GFP_KERNEL_ACCOUNT);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n / sizeof(long); i++)
		buf[i] = xchg(&slot->dirty_bitmap[i], 0);
	kvmx_arch_protect_dirty(vm, slot, buf);
out:
	mutex_unlock(&vm->slots_lock);
	if (!r && copy_to_user(log->dirty_bitmap, buf, n))
		r = -EFAULT;
	kvfree(buf);
	return r;
}
