// SPDX-License-Identifier: GPL-2.0
/*
 * kvmx: the vCPU file descriptor.  A vCPU lives as long as its VM; closing
 * its fd only drops the fd's reference on the VM, as in KVM.
 */
#include <linux/anon_inodes.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/rcuwait.h>
#include <linux/sched/signal.h>
#include <linux/sched/stat.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/uaccess.h>
#include <trace/events/ipi.h>

#include "kvmx.h"

static vm_fault_t kvmx_vcpu_fault(struct vm_fault *vmf)
{
	struct kvmx_vcpu *vcpu = vmf->vma->vm_file->private_data;
	struct page *page;

	switch (vmf->pgoff) {
	case 0:
		page = virt_to_page(vcpu->run);
		break;
	case KVM_PIO_PAGE_OFFSET:
		page = vcpu->pio_page;
		break;
	case KVM_COALESCED_MMIO_PAGE_OFFSET:
		page = vcpu->vm->coalesced_mmio_page;
		break;
	default:
		return VM_FAULT_SIGBUS;
	}
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct kvmx_vcpu_vm_ops = {
	.fault = kvmx_vcpu_fault,
};

static int kvmx_vcpu_mmap(struct file *file, struct vm_area_struct *vma)
{
	vma->vm_ops = &kvmx_vcpu_vm_ops;
	return 0;
}

/*
 * Loading: the architecture gets vcpu_load/put whenever the vCPU thread
 * gains or loses a host CPU while inside a vCPU ioctl, preemption included.
 */
static struct kvmx_vcpu *preempt_notifier_to_vcpu(struct preempt_notifier *pn)
{
	return container_of(pn, struct kvmx_vcpu, preempt_notifier);
}

static void kvmx_sched_in(struct preempt_notifier *pn, int cpu)
{
	kvmx_arch_vcpu_load(preempt_notifier_to_vcpu(pn), cpu);
}

static void kvmx_sched_out(struct preempt_notifier *pn,
			   struct task_struct *next)
{
	kvmx_arch_vcpu_put(preempt_notifier_to_vcpu(pn));
}

static struct preempt_ops kvmx_preempt_ops = {
	.sched_in = kvmx_sched_in,
	.sched_out = kvmx_sched_out,
};

void kvmx_vcpu_load(struct kvmx_vcpu *vcpu)
{
	int cpu = get_cpu();

	preempt_notifier_register(&vcpu->preempt_notifier);
	kvmx_arch_vcpu_load(vcpu, cpu);
	put_cpu();
}

void kvmx_vcpu_put(struct kvmx_vcpu *vcpu)
{
	preempt_disable();
	kvmx_arch_vcpu_put(vcpu);
	preempt_notifier_unregister(&vcpu->preempt_notifier);
	preempt_enable();
}

static void kvmx_kick_ipi(void *unused)
{
	/* The interrupt itself forced the guest out; nothing to do. */
}

/*
 * Make every vCPU handle @req before it next enters the guest.  A vCPU
 * already in guest mode gets an IPI; waiting for it means that vCPU has
 * left guest mode when this returns.  Pairs with the barrier between
 * setting KVMX_MODE_IN_GUEST and checking requests in the run loop.
 */
void kvmx_vm_request_all(struct kvmx_vm *vm, int req)
{
	struct kvmx_vcpu *vcpu;
	unsigned long i;

	kvmx_for_each_vcpu(i, vcpu, vm)
		kvmx_make_request(vcpu, req);
	smp_mb__after_atomic();
	kvmx_for_each_vcpu(i, vcpu, vm)
		if (READ_ONCE(vcpu->mode) == KVMX_MODE_IN_GUEST)
			smp_call_function_single(READ_ONCE(vcpu->cpu),
						 kvmx_kick_ipi, NULL, 1);
}

/*
 * Make the vCPU look at its interrupt state soon: wake it if it sleeps in
 * a halt, interrupt it if it is in guest mode.  Any context, hard-irq
 * included (the APIC timer kicks from its hrtimer).
 */
void kvmx_vcpu_kick(struct kvmx_vcpu *vcpu)
{
	int cpu;

	kvmx_make_request(vcpu, KVMX_REQ_EVENT);
	/* Pairs with the barrier between mode and requests in the run loop. */
	smp_mb__after_atomic();
	if (rcuwait_wake_up(&vcpu->wait))
		return;
	cpu = READ_ONCE(vcpu->cpu);
	if (READ_ONCE(vcpu->mode) == KVMX_MODE_IN_GUEST &&
	    cpu != raw_smp_processor_id() && cpu >= 0 && cpu_online(cpu))
		smp_send_reschedule(cpu);
}

/* How long a halted vCPU spins for a wakeup before it sleeps. */
static unsigned int halt_poll_ns = 200000;
module_param(halt_poll_ns, uint, 0644);
MODULE_PARM_DESC(halt_poll_ns, "ns a halted vCPU polls before sleeping");

static bool kvmx_vcpu_should_wake(struct kvmx_vcpu *vcpu)
{
	return kvmx_arch_vcpu_runnable(vcpu) || signal_pending(current) ||
	       test_bit(KVMX_REQ_EVENT, &vcpu->requests);
}

/*
 * A halted vCPU: poll briefly (a wakeup often follows soon, and sleeping
 * costs two context switches), then sleep until kicked or signalled.
 * As KVM, only when nothing else wants this CPU: the thread that would
 * wake us may be waiting for it (make bench's wake-ipi spent 2 x 200 us
 * per round trip spinning for nothing).
 */
void kvmx_vcpu_halt(struct kvmx_vcpu *vcpu)
{
	u64 stop = ktime_get_ns() + READ_ONCE(halt_poll_ns);

	/*
	 * A kick already seen is stale; kicks from now on end the wait.
	 * Nothing to wait for (runnable already) returns at once below.
	 */
	clear_bit(KVMX_REQ_EVENT, &vcpu->requests);
	smp_mb__after_atomic();
	while (ktime_get_ns() < stop && single_task_running()) {
		if (kvmx_vcpu_should_wake(vcpu))
			return;
		if (need_resched())
			break;
		cpu_relax();
	}
	rcuwait_wait_event(&vcpu->wait, kvmx_vcpu_should_wake(vcpu),
			   TASK_INTERRUPTIBLE);
}

static int kvmx_vcpu_run(struct kvmx_vcpu *vcpu)
{
	sigset_t saved;
	int r;

	if (vcpu->sigset_active)
		sigprocmask(SIG_SETMASK, &vcpu->sigset, &saved);
	kvmx_vcpu_load(vcpu);
	r = kvmx_arch_vcpu_run(vcpu);
	kvmx_vcpu_put(vcpu);
	if (vcpu->sigset_active)
		sigprocmask(SIG_SETMASK, &saved, NULL);
	return r;
}

static int kvmx_vcpu_set_sigmask(struct kvmx_vcpu *vcpu,
				 struct kvm_signal_mask __user *argp)
{
	struct kvm_signal_mask hdr;
	sigset_t set;

	if (!argp) {
		vcpu->sigset_active = false;
		return 0;
	}
	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.len != sizeof(set))
		return -EINVAL;
	if (copy_from_user(&set, argp->sigset, sizeof(set)))
		return -EFAULT;
	sigdelsetmask(&set, sigmask(SIGKILL) | sigmask(SIGSTOP));
	vcpu->sigset = set;
	vcpu->sigset_active = true;
	return 0;
}

static int kvmx_vcpu_release(struct inode *inode, struct file *filp)
{
	struct kvmx_vcpu *vcpu = filp->private_data;

	kvmx_vm_put(vcpu->vm);
	return 0;
}

static long kvmx_vcpu_ioctl(struct file *filp, unsigned int ioctl,
			    unsigned long arg)
{
	struct kvmx_vcpu *vcpu = filp->private_data;
	long r;

	if (vcpu->vm->mm != current->mm)
		return -EIO;
	if (_IOC_TYPE(ioctl) != KVMIO)
		return -EINVAL;

	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;
	switch (ioctl) {
	case KVM_RUN:
		r = arg ? -EINVAL : kvmx_vcpu_run(vcpu);
		break;
	case KVM_SET_SIGNAL_MASK:
		r = kvmx_vcpu_set_sigmask(vcpu, (void __user *)arg);
		break;
	default:
		/* State ioctls touch hardware state: load the vCPU first. */
		kvmx_vcpu_load(vcpu);
		r = kvmx_arch_vcpu_ioctl(vcpu, ioctl, arg);
		kvmx_vcpu_put(vcpu);
		break;
	}
	mutex_unlock(&vcpu->mutex);
	return r;
}

static const struct file_operations kvmx_vcpu_fops = {
	.owner		= THIS_MODULE,
	.release	= kvmx_vcpu_release,
	.unlocked_ioctl	= kvmx_vcpu_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= kvmx_vcpu_mmap,
	.llseek		= noop_llseek,
};

static struct kvmx_vcpu *kvmx_vcpu_find(struct kvmx_vm *vm, u32 id)
{
	struct kvmx_vcpu *vcpu;
	unsigned long i;

	xa_for_each(&vm->vcpus, i, vcpu)
		if (vcpu->vcpu_id == id)
			return vcpu;
	return NULL;
}

void kvmx_vcpu_destroy(struct kvmx_vcpu *vcpu)
{
	kvmx_arch_vcpu_destroy(vcpu);
	__free_page(vcpu->pio_page);
	free_page((unsigned long)vcpu->run);
	kfree(vcpu);
}

int kvmx_vm_create_vcpu(struct kvmx_vm *vm, u32 id)
{
	struct kvmx_vcpu *vcpu;
	char name[32];
	int r;

	if (id >= KVMX_MAX_VCPU_IDS)
		return -EINVAL;

	/* Count the vCPU first, so that racing creators respect the limit. */
	mutex_lock(&vm->lock);
	if (vm->created_vcpus >= KVMX_MAX_VCPUS) {
		mutex_unlock(&vm->lock);
		return -EINVAL;
	}
	if (!vm->max_vcpu_ids)
		vm->max_vcpu_ids = KVMX_MAX_VCPU_IDS;
	if (id >= vm->max_vcpu_ids) {
		mutex_unlock(&vm->lock);
		return -EINVAL;
	}
	r = kvmx_arch_vcpu_precreate(vm, id);
	if (r) {
		mutex_unlock(&vm->lock);
		return r;
	}
	vm->created_vcpus++;
	mutex_unlock(&vm->lock);

	r = -ENOMEM;
	vcpu = kvmx_arch_vcpu_alloc();
	if (!vcpu)
		goto out_uncount;
	vcpu->run = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	vcpu->pio_page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!vcpu->run || !vcpu->pio_page)
		goto out_free;
	vcpu->vm = vm;
	vcpu->vcpu_id = id;
	vcpu->cpu = -1;
	mutex_init(&vcpu->mutex);
	rcuwait_init(&vcpu->wait);
	preempt_notifier_init(&vcpu->preempt_notifier, &kvmx_preempt_ops);

	r = kvmx_arch_vcpu_create(vcpu);
	if (r)
		goto out_free;

	mutex_lock(&vm->lock);
	if (kvmx_vcpu_find(vm, id)) {
		r = -EEXIST;
		goto out_unlock;
	}
	vcpu->vcpu_idx = atomic_read(&vm->online_vcpus);
	r = xa_insert(&vm->vcpus, vcpu->vcpu_idx, vcpu, GFP_KERNEL_ACCOUNT);
	if (r)
		goto out_unlock;

	/* The fd holds a reference; the VM owns the vCPU from here on. */
	kvmx_vm_get(vm);
	snprintf(name, sizeof(name), "kvm-vcpu:%u", id);
	r = anon_inode_getfd(name, &kvmx_vcpu_fops, vcpu, O_RDWR | O_CLOEXEC);
	if (r < 0) {
		xa_erase(&vm->vcpus, vcpu->vcpu_idx);
		refcount_dec(&vm->users);
		goto out_unlock;
	}
	atomic_inc(&vm->online_vcpus);
	mutex_unlock(&vm->lock);
	return r;

out_unlock:
	mutex_unlock(&vm->lock);
	kvmx_arch_vcpu_destroy(vcpu);
out_free:
	if (vcpu) {
		if (vcpu->pio_page)
			__free_page(vcpu->pio_page);
		free_page((unsigned long)vcpu->run);
		kfree(vcpu);
	}
out_uncount:
	mutex_lock(&vm->lock);
	vm->created_vcpus--;
	mutex_unlock(&vm->lock);
	return r;
}
