// SPDX-License-Identifier: GPL-2.0
/*
 * kvmx: irqfds (KVM_IRQFD).  A signal on the eventfd raises a GSI, so a
 * VMM's device thread or vhost interrupts the guest without a trip
 * through the vCPU thread.
 *
 * An irqfd hooks the eventfd's wait queue.  Its wakeup runs with the
 * eventfd's lock held and interrupts off, so it only queues work: the
 * inject work raises the GSI, the shutdown work unhooks and frees the
 * irqfd.  Shutdowns run on one workqueue, so that flushing it means
 * "every irqfd deactivated so far is gone, and will inject no more".
 *
 * A resample irqfd emulates a level-triggered line: a signal asserts the
 * GSI until the guest acks it, then the GSI is lowered and the
 * resamplefd signalled, and the VMM re-signals if its device still needs
 * service.  Its irqfds share one resampler per GSI, found by the ack
 * path under vm->srcu.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "kvmx.h"

struct kvmx_irqfd_resampler {
	struct kvmx_vm *vm;
	struct list_head link;		/* vm->irqfd_resamplers */
	struct list_head irqfds;	/* the irqfds resampling this GSI */
	u32 gsi;
};

struct kvmx_irqfd {
	struct kvmx_vm *vm;
	struct list_head link;		/* vm->irqfds; empty once deactivated */
	u32 gsi;
	struct eventfd_ctx *eventfd;
	wait_queue_entry_t wait;
	poll_table pt;
	struct work_struct inject;
	struct work_struct shutdown;

	/* Resample irqfds only. */
	struct kvmx_irqfd_resampler *resampler;
	struct eventfd_ctx *resamplefd;
	struct list_head resampler_link;
};

static struct workqueue_struct *kvmx_irqfd_wq;

static void kvmx_irqfd_inject(struct work_struct *work)
{
	struct kvmx_irqfd *irqfd = container_of(work, struct kvmx_irqfd, inject);
	struct kvmx_vm *vm = irqfd->vm;

	if (irqfd->resampler) {
		/* Held high until the guest's ack (kvmx_irqfd_resample). */
		kvmx_set_irq(vm, KVMX_IRQFD_RESAMPLE_SOURCE_ID, irqfd->gsi, 1,
			     false);
	} else {
		kvmx_set_irq(vm, KVMX_USERSPACE_IRQ_SOURCE_ID, irqfd->gsi, 1,
			     false);
		kvmx_set_irq(vm, KVMX_USERSPACE_IRQ_SOURCE_ID, irqfd->gsi, 0,
			     false);
	}
}

/* Join the resampler of the irqfd's GSI, creating it if need be. */
static int kvmx_resampler_attach(struct kvmx_irqfd *irqfd)
{
	struct kvmx_vm *vm = irqfd->vm;
	struct kvmx_irqfd_resampler *rs;

	mutex_lock(&vm->resampler_lock);
	list_for_each_entry(rs, &vm->irqfd_resamplers, link)
		if (rs->gsi == irqfd->gsi)
			goto found;

	rs = kzalloc(sizeof(*rs), GFP_KERNEL_ACCOUNT);
	if (!rs) {
		mutex_unlock(&vm->resampler_lock);
		return -ENOMEM;
	}
	rs->vm = vm;
	rs->gsi = irqfd->gsi;
	INIT_LIST_HEAD(&rs->irqfds);
	list_add_rcu(&rs->link, &vm->irqfd_resamplers);
found:
	irqfd->resampler = rs;
	list_add_rcu(&irqfd->resampler_link, &rs->irqfds);
	mutex_unlock(&vm->resampler_lock);
	return 0;
}

/* Leave the resampler; the last one out lowers the line for good. */
static void kvmx_resampler_detach(struct kvmx_irqfd *irqfd)
{
	struct kvmx_irqfd_resampler *rs = irqfd->resampler;
	struct kvmx_vm *vm = irqfd->vm;
	bool last;

	mutex_lock(&vm->resampler_lock);
	list_del_rcu(&irqfd->resampler_link);
	last = list_empty(&rs->irqfds);
	if (last)
		list_del_rcu(&rs->link);
	synchronize_srcu(&vm->srcu);
	if (last) {
		kvmx_set_irq(vm, KVMX_IRQFD_RESAMPLE_SOURCE_ID, rs->gsi, 0,
			     false);
		kfree(rs);
	}
	mutex_unlock(&vm->resampler_lock);
}

void kvmx_irqfd_resample(struct kvmx_vm *vm, u32 gsi)
{
	struct kvmx_irqfd_resampler *rs;
	struct kvmx_irqfd *irqfd;
	int idx;

	idx = srcu_read_lock(&vm->srcu);
	list_for_each_entry_srcu(rs, &vm->irqfd_resamplers, link,
				 srcu_read_lock_held(&vm->srcu)) {
		if (rs->gsi != gsi)
			continue;
		/*
		 * Lower the shared line once, then notify: lowering per irqfd
		 * could undo a re-assert that raced in after the first.
		 */
		kvmx_set_irq(vm, KVMX_IRQFD_RESAMPLE_SOURCE_ID, gsi, 0, false);
		list_for_each_entry_srcu(irqfd, &rs->irqfds, resampler_link,
					 srcu_read_lock_held(&vm->srcu))
			kvmx_eventfd_signal(irqfd->resamplefd);
		break;
	}
	srcu_read_unlock(&vm->srcu, idx);
}

static void kvmx_irqfd_shutdown(struct work_struct *work)
{
	struct kvmx_irqfd *irqfd = container_of(work, struct kvmx_irqfd,
						shutdown);
	u64 cnt;

	/* The assign path may still be hooking into the wait queue. */
	synchronize_srcu(&irqfd->vm->srcu);

	/* No wakeup after this, so no new inject; then wait for the last. */
	eventfd_ctx_remove_wait_queue(irqfd->eventfd, &irqfd->wait, &cnt);
	flush_work(&irqfd->inject);

	if (irqfd->resampler) {
		kvmx_resampler_detach(irqfd);
		eventfd_ctx_put(irqfd->resamplefd);
	}
	eventfd_ctx_put(irqfd->eventfd);
	kfree(irqfd);
}

/* Under vm->irqfds_lock: take it off the list and free it later. */
static void kvmx_irqfd_deactivate(struct kvmx_irqfd *irqfd)
{
	list_del_init(&irqfd->link);
	queue_work(kvmx_irqfd_wq, &irqfd->shutdown);
}

/* Called by the eventfd with its wait queue locked, interrupts off. */
static int kvmx_irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode,
			     int sync, void *key)
{
	struct kvmx_irqfd *irqfd = container_of(wait, struct kvmx_irqfd, wait);
	__poll_t flags = key_to_poll(key);
	struct kvmx_vm *vm = irqfd->vm;
	unsigned long iflags;
	int ret = 0;
	u64 cnt;

	if (flags & EPOLLIN) {
		/* Consume the count: the signal is ours, not the poller's. */
		eventfd_ctx_do_read(irqfd->eventfd, &cnt);
		schedule_work(&irqfd->inject);
		ret = 1;
	}

	if (flags & EPOLLHUP) {
		/* The eventfd is being closed.  Unless deassign got here first. */
		spin_lock_irqsave(&vm->irqfds_lock, iflags);
		if (!list_empty(&irqfd->link))
			kvmx_irqfd_deactivate(irqfd);
		spin_unlock_irqrestore(&vm->irqfds_lock, iflags);
	}
	return ret;
}

static void kvmx_irqfd_queue_proc(struct file *file, wait_queue_head_t *wqh,
				  poll_table *pt)
{
	struct kvmx_irqfd *irqfd = container_of(pt, struct kvmx_irqfd, pt);

	/* First in line, and exclusive: other pollers see no wakeup. */
	add_wait_queue_priority(wqh, &irqfd->wait);
}

static int kvmx_irqfd_assign(struct kvmx_vm *vm, const struct kvm_irqfd *args)
{
	struct kvmx_irqfd *irqfd, *other;
	struct eventfd_ctx *ctx;
	struct file *file;
	__poll_t events;
	int r, idx;

	if (!kvmx_arch_irqfd_allowed(vm, args))
		return -EINVAL;

	irqfd = kzalloc(sizeof(*irqfd), GFP_KERNEL_ACCOUNT);
	if (!irqfd)
		return -ENOMEM;
	irqfd->vm = vm;
	irqfd->gsi = args->gsi;
	INIT_LIST_HEAD(&irqfd->link);
	INIT_WORK(&irqfd->inject, kvmx_irqfd_inject);
	INIT_WORK(&irqfd->shutdown, kvmx_irqfd_shutdown);
	init_waitqueue_func_entry(&irqfd->wait, kvmx_irqfd_wakeup);
	init_poll_funcptr(&irqfd->pt, kvmx_irqfd_queue_proc);

	/* Hold the file until hooked, so that EPOLLHUP cannot come first. */
	file = fget(args->fd);
	if (!file) {
		kfree(irqfd);
		return -EBADF;
	}
	ctx = eventfd_ctx_fileget(file);
	if (IS_ERR(ctx)) {
		r = PTR_ERR(ctx);
		goto fail;
	}
	irqfd->eventfd = ctx;

	if (args->flags & KVM_IRQFD_FLAG_RESAMPLE) {
		ctx = eventfd_ctx_fdget(args->resamplefd);
		if (IS_ERR(ctx)) {
			r = PTR_ERR(ctx);
			goto fail;
		}
		irqfd->resamplefd = ctx;
		r = kvmx_resampler_attach(irqfd);
		if (r)
			goto fail;
	}

	spin_lock_irq(&vm->irqfds_lock);
	list_for_each_entry(other, &vm->irqfds, link) {
		if (other->eventfd == irqfd->eventfd) {
			/* One eventfd, one GSI. */
			spin_unlock_irq(&vm->irqfds_lock);
			r = -EBUSY;
			goto fail;
		}
	}
	/* A shutdown from here on waits for this reader (see shutdown). */
	idx = srcu_read_lock(&vm->srcu);
	list_add_tail(&irqfd->link, &vm->irqfds);
	spin_unlock_irq(&vm->irqfds_lock);

	/* A signal sent before we hooked in still counts. */
	events = vfs_poll(file, &irqfd->pt);
	if (events & EPOLLIN)
		schedule_work(&irqfd->inject);
	srcu_read_unlock(&vm->srcu, idx);
	fput(file);
	return 0;

fail:
	if (irqfd->resampler)
		kvmx_resampler_detach(irqfd);
	if (irqfd->resamplefd)
		eventfd_ctx_put(irqfd->resamplefd);
	if (irqfd->eventfd)
		eventfd_ctx_put(irqfd->eventfd);
	fput(file);
	kfree(irqfd);
	return r;
}

static int kvmx_irqfd_deassign(struct kvmx_vm *vm, const struct kvm_irqfd *args)
{
	struct kvmx_irqfd *irqfd, *tmp;
	struct eventfd_ctx *eventfd;

	eventfd = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(eventfd))
		return PTR_ERR(eventfd);

	spin_lock_irq(&vm->irqfds_lock);
	list_for_each_entry_safe(irqfd, tmp, &vm->irqfds, link)
		if (irqfd->eventfd == eventfd && irqfd->gsi == args->gsi)
			kvmx_irqfd_deactivate(irqfd);
	spin_unlock_irq(&vm->irqfds_lock);
	eventfd_ctx_put(eventfd);

	/* No interrupt from this irqfd once we return.  None found is fine. */
	flush_workqueue(kvmx_irqfd_wq);
	return 0;
}

int kvmx_irqfd(struct kvmx_vm *vm, const struct kvm_irqfd *args)
{
	if (args->flags & ~(KVM_IRQFD_FLAG_DEASSIGN | KVM_IRQFD_FLAG_RESAMPLE))
		return -EINVAL;
	if (args->flags & KVM_IRQFD_FLAG_DEASSIGN)
		return kvmx_irqfd_deassign(vm, args);
	return kvmx_irqfd_assign(vm, args);
}

/* The VM fd is going: detach every irqfd before the irqchip goes. */
void kvmx_irqfds_release(struct kvmx_vm *vm)
{
	struct kvmx_irqfd *irqfd, *tmp;

	spin_lock_irq(&vm->irqfds_lock);
	list_for_each_entry_safe(irqfd, tmp, &vm->irqfds, link)
		kvmx_irqfd_deactivate(irqfd);
	spin_unlock_irq(&vm->irqfds_lock);
	flush_workqueue(kvmx_irqfd_wq);
}

int kvmx_irqfd_init(void)
{
	kvmx_irqfd_wq = alloc_workqueue("kvmx-irqfd-cleanup", 0, 0);
	return kvmx_irqfd_wq ? 0 : -ENOMEM;
}

void kvmx_irqfd_exit(void)
{
	destroy_workqueue(kvmx_irqfd_wq);
}
