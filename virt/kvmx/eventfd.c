// SPDX-License-Identifier: GPL-2.0
/*
 * kvmx: ioeventfds, and the I/O bus that guest port and MMIO writes are
 * checked against before they would exit to userspace.
 *
 * An ioeventfd turns a guest write to one address (with one length and,
 * optionally, one value) into an eventfd signal, so the VMM's device
 * thread wakes without a trip through the vCPU thread.  The list is read
 * under vm->srcu on every write and changed under vm->slots_lock.
 */
#include <linux/eventfd.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "kvmx.h"

struct kvmx_ioeventfd {
	struct list_head link;
	struct eventfd_ctx *eventfd;
	u64 addr;
	u64 datamatch;
	u32 len;			/* 0: any length */
	u8 bus;
	bool wildcard;			/* no datamatch */
};

static int kvmx_ioeventfd_bus(u32 flags)
{
	if (flags & KVM_IOEVENTFD_FLAG_PIO)
		return KVMX_PIO_BUS;
	if (flags & KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY)
		return KVMX_CCW_BUS;	/* accepted, as KVM; x86 never writes it */
	return KVMX_MMIO_BUS;
}

/* Would @a and @b both fire for some write?  KVM refuses such pairs. */
static bool kvmx_ioeventfd_collide(const struct kvmx_ioeventfd *a,
				   const struct kvmx_ioeventfd *b)
{
	return a->bus == b->bus && a->addr == b->addr &&
	       (!a->len || !b->len ||
		(a->len == b->len &&
		 (a->wildcard || b->wildcard || a->datamatch == b->datamatch)));
}

static int kvmx_ioeventfd_assign(struct kvmx_vm *vm,
				 const struct kvm_ioeventfd *args)
{
	struct kvmx_ioeventfd *p, *q;
	int r;

	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p)
		return -ENOMEM;
	p->eventfd = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(p->eventfd)) {
		r = PTR_ERR(p->eventfd);
		kfree(p);
		return r;
	}
	p->addr = args->addr;
	p->len = args->len;
	p->bus = kvmx_ioeventfd_bus(args->flags);
	p->wildcard = !(args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH);
	if (!p->wildcard)
		p->datamatch = args->datamatch;

	mutex_lock(&vm->slots_lock);
	r = -EEXIST;
	list_for_each_entry(q, &vm->ioeventfds, link)
		if (kvmx_ioeventfd_collide(p, q))
			goto fail;
	r = -ENOSPC;
	if (vm->nr_ioeventfds >= KVMX_MAX_IOEVENTFDS)
		goto fail;
	vm->nr_ioeventfds++;
	list_add_tail_rcu(&p->link, &vm->ioeventfds);
	mutex_unlock(&vm->slots_lock);
	return 0;

fail:
	mutex_unlock(&vm->slots_lock);
	eventfd_ctx_put(p->eventfd);
	kfree(p);
	return r;
}

static int kvmx_ioeventfd_deassign(struct kvmx_vm *vm,
				   const struct kvm_ioeventfd *args)
{
	bool wildcard = !(args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH);
	int bus = kvmx_ioeventfd_bus(args->flags);
	struct kvmx_ioeventfd *p, *found = NULL;
	struct eventfd_ctx *eventfd;

	eventfd = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(eventfd))
		return PTR_ERR(eventfd);

	mutex_lock(&vm->slots_lock);
	list_for_each_entry(p, &vm->ioeventfds, link) {
		if (p->bus != bus || p->eventfd != eventfd ||
		    p->addr != args->addr || p->len != args->len ||
		    p->wildcard != wildcard ||
		    (!wildcard && p->datamatch != args->datamatch))
			continue;
		list_del_rcu(&p->link);
		vm->nr_ioeventfds--;
		found = p;
		break;
	}
	mutex_unlock(&vm->slots_lock);
	eventfd_ctx_put(eventfd);
	if (!found)
		return -ENOENT;

	synchronize_srcu(&vm->srcu);
	eventfd_ctx_put(found->eventfd);
	kfree(found);
	return 0;
}

int kvmx_ioeventfd(struct kvmx_vm *vm, const struct kvm_ioeventfd *args)
{
	switch (args->len) {
	case 0:
	case 1:
	case 2:
	case 4:
	case 8:
		break;
	default:
		return -EINVAL;
	}
	if (args->addr + args->len < args->addr)
		return -EINVAL;
	if (args->flags & ~KVM_IOEVENTFD_VALID_FLAG_MASK)
		return -EINVAL;
	/* Without a length there is no value to match. */
	if (!args->len && (args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH))
		return -EINVAL;

	if (args->flags & KVM_IOEVENTFD_FLAG_DEASSIGN)
		return kvmx_ioeventfd_deassign(vm, args);
	return kvmx_ioeventfd_assign(vm, args);
}

/*
 * A guest write of @len bytes at @addr on @bus: true when an in-kernel
 * handler took it, so the vCPU need not exit.
 */
bool kvmx_ioeventfd_write(struct kvmx_vm *vm, int bus, u64 addr, int len,
			 const void *val)
{
	struct kvmx_ioeventfd *p;
	bool done = false;
	u64 v = 0;
	int idx;

	if (list_empty(&vm->ioeventfds))
		return false;
	memcpy(&v, val, min(len, 8));

	idx = srcu_read_lock(&vm->srcu);
	list_for_each_entry_srcu(p, &vm->ioeventfds, link,
				 srcu_read_lock_held(&vm->srcu)) {
		if (p->bus != bus || p->addr != addr)
			continue;
		if (p->len && (p->len != len ||
			       (!p->wildcard && p->datamatch != v)))
			continue;
		kvmx_eventfd_signal(p->eventfd);
		done = true;
		break;
	}
	srcu_read_unlock(&vm->srcu, idx);
	return done;
}

void kvmx_ioeventfds_free(struct kvmx_vm *vm)
{
	struct kvmx_ioeventfd *p, *n;

	list_for_each_entry_safe(p, n, &vm->ioeventfds, link) {
		eventfd_ctx_put(p->eventfd);
		kfree(p);
	}
}
