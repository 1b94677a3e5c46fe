// SPDX-License-Identifier: GPL-2.0
/*
 * kvmx: the VM file descriptor, its lifetime and its generic ioctls.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "kvmx.h"

long kvmx_check_extension(struct kvmx_vm *vm, long ext)
{
	switch (ext) {
	case KVM_CAP_USER_MEMORY:
	case KVM_CAP_DESTROY_MEMORY_REGION_WORKS:
	case KVM_CAP_JOIN_MEMORY_REGIONS_WORKS:
	case KVM_CAP_CHECK_EXTENSION_VM:
	case KVM_CAP_ENABLE_CAP_VM:
	case KVM_CAP_READONLY_MEM:
	case KVM_CAP_IOEVENTFD:
	case KVM_CAP_IOEVENTFD_NO_LENGTH:
	case KVM_CAP_IOEVENTFD_ANY_LENGTH:
		return 1;
	case KVM_CAP_IRQ_ROUTING:
		return KVMX_MAX_IRQ_ROUTES;
	case KVM_CAP_NR_VCPUS:
		return min_t(unsigned int, num_online_cpus(), KVMX_MAX_VCPUS);
	case KVM_CAP_MAX_VCPUS:
		return KVMX_MAX_VCPUS;
	case KVM_CAP_MAX_VCPU_ID:
		return KVMX_MAX_VCPU_IDS;
	case KVM_CAP_NR_MEMSLOTS:
		return KVMX_USER_MEM_SLOTS;
	default:
		return kvmx_arch_check_extension(vm, ext);
	}
}

static void kvmx_vm_destroy(struct kvmx_vm *vm)
{
	struct kvmx_vcpu *vcpu;
	unsigned long i;

	/*
	 * What interrupts vCPUs goes first: irqfds (normally released at the
	 * VM fd's close already), then the devices.
	 */
	kvmx_irqfds_release(vm);
	kvmx_arch_vm_destroy_devices(vm);
	xa_for_each(&vm->vcpus, i, vcpu)
		kvmx_vcpu_destroy(vcpu);
	xa_destroy(&vm->vcpus);
	kvmx_arch_vm_destroy(vm);
	kvmx_ioeventfds_free(vm);
	kvmx_memslots_free(vm);
	cleanup_srcu_struct(&vm->srcu);
	__free_page(vm->coalesced_mmio_page);
	mmdrop(vm->mm);
	kfree(vm);
}

void kvmx_vm_get(struct kvmx_vm *vm)
{
	refcount_inc(&vm->users);
}

void kvmx_vm_put(struct kvmx_vm *vm)
{
	if (refcount_dec_and_test(&vm->users))
		kvmx_vm_destroy(vm);
}

static int kvmx_vm_release(struct inode *inode, struct file *filp)
{
	/* As KVM: irqfds stop with the VM fd, even while vCPU fds live on. */
	kvmx_irqfds_release(filp->private_data);
	kvmx_vm_put(filp->private_data);
	return 0;
}

/*
 * KVM_CAP_MAX_VCPU_ID: vCPU ids stay below @max.  Set once, before the
 * first vCPU (which fixes the default); setting the same value again is
 * fine, as in KVM.
 */
static int kvmx_vm_set_max_vcpu_ids(struct kvmx_vm *vm, u64 max)
{
	int r = -EINVAL;

	if (max > KVMX_MAX_VCPU_IDS)
		return -EINVAL;
	mutex_lock(&vm->lock);
	if (vm->max_vcpu_ids == max || !vm->max_vcpu_ids) {
		vm->max_vcpu_ids = max;
		r = 0;
	}
	mutex_unlock(&vm->lock);
	return r;
}

static long kvmx_vm_ioctl(struct file *filp, unsigned int ioctl,
			  unsigned long arg)
{
	struct kvmx_vm *vm = filp->private_data;
	void __user *argp = (void __user *)arg;

	/* A forked child shares the fd but not the address space. */
	if (vm->mm != current->mm)
		return -EIO;

	switch (ioctl) {
	case KVM_CREATE_VCPU:
		return kvmx_vm_create_vcpu(vm, arg);
	case KVM_CHECK_EXTENSION:
		return kvmx_check_extension(vm, arg);
	case KVM_SET_USER_MEMORY_REGION: {
		struct kvm_userspace_memory_region mem;

		if (copy_from_user(&mem, argp, sizeof(mem)))
			return -EFAULT;
		return kvmx_set_memory_region(vm, &mem);
	}
	case KVM_IOEVENTFD: {
		struct kvm_ioeventfd args;

		if (copy_from_user(&args, argp, sizeof(args)))
			return -EFAULT;
		return kvmx_ioeventfd(vm, &args);
	}
	case KVM_ENABLE_CAP: {
		struct kvm_enable_cap cap;

		if (copy_from_user(&cap, argp, sizeof(cap)))
			return -EFAULT;
		if (cap.cap == KVM_CAP_MAX_VCPU_ID && !cap.flags)
			return kvmx_vm_set_max_vcpu_ids(vm, cap.args[0]);
		return kvmx_arch_vm_enable_cap(vm, &cap);
	}
	case KVM_IRQFD: {
		struct kvm_irqfd data;

		if (copy_from_user(&data, argp, sizeof(data)))
			return -EFAULT;
		return kvmx_irqfd(vm, &data);
	}
	case KVM_GET_DIRTY_LOG: {
		struct kvm_dirty_log log;

		if (copy_from_user(&log, argp, sizeof(log)))
			return -EFAULT;
		return kvmx_get_dirty_log(vm, &log);
	}
	default:
		return kvmx_arch_vm_ioctl(vm, ioctl, arg);
	}
}

static const struct file_operations kvmx_vm_fops = {
	.owner		= THIS_MODULE,
	.release	= kvmx_vm_release,
	.unlocked_ioctl	= kvmx_vm_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct kvmx_vm *kvmx_vm_create(unsigned long type)
{
	struct kvmx_vm *vm;
	int r = -ENOMEM;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return ERR_PTR(-ENOMEM);

	vm->coalesced_mmio_page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!vm->coalesced_mmio_page)
		goto out_free_vm;

	mmgrab(current->mm);
	vm->mm = current->mm;
	refcount_set(&vm->users, 1);
	mutex_init(&vm->lock);
	mutex_init(&vm->slots_lock);
	xa_init(&vm->vcpus);
	INIT_LIST_HEAD(&vm->ioeventfds);
	INIT_LIST_HEAD(&vm->io_devices);
	spin_lock_init(&vm->irqfds_lock);
	INIT_LIST_HEAD(&vm->irqfds);
	mutex_init(&vm->resampler_lock);
	INIT_LIST_HEAD(&vm->irqfd_resamplers);

	r = init_srcu_struct(&vm->srcu);
	if (r)
		goto out_drop_mm;
	r = kvmx_memslots_init(vm);
	if (r)
		goto out_srcu;
	r = kvmx_arch_vm_init(vm, type);
	if (r)
		goto out_memslots;
	return vm;

out_memslots:
	kvmx_memslots_free(vm);
out_srcu:
	cleanup_srcu_struct(&vm->srcu);
out_drop_mm:
	mmdrop(vm->mm);
	__free_page(vm->coalesced_mmio_page);
out_free_vm:
	kfree(vm);
	return ERR_PTR(r);
}

int kvmx_dev_create_vm(unsigned long type)
{
	struct kvmx_vm *vm;
	struct file *file;
	int fd;

	vm = kvmx_vm_create(type);
	if (IS_ERR(vm))
		return PTR_ERR(vm);

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		goto out_put_vm;

	file = anon_inode_getfile("kvm-vm", &kvmx_vm_fops, vm, O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		fd = PTR_ERR(file);
		goto out_put_vm;
	}
	fd_install(fd, file);
	return fd;

out_put_vm:
	kvmx_vm_put(vm);
	return fd;
}
