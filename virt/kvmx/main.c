// SPDX-License-Identifier: GPL-2.0
/*
 * kvmx: the module, and the /dev/kvm character device.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#include "kvmx.h"

static char *devname = "kvm";
module_param(devname, charp, 0444);
MODULE_PARM_DESC(devname,
	"Device name under /dev (default \"kvm\"). Any other name takes a dynamic minor, so kvmx can be tried while KVM owns /dev/kvm.");

static long kvmx_dev_ioctl(struct file *filp, unsigned int ioctl,
			   unsigned long arg)
{
	switch (ioctl) {
	case KVM_GET_API_VERSION:
		return arg ? -EINVAL : KVM_API_VERSION;
	case KVM_CREATE_VM:
		return kvmx_dev_create_vm(arg);
	case KVM_CHECK_EXTENSION:
		return kvmx_check_extension(NULL, arg);
	case KVM_GET_VCPU_MMAP_SIZE:
		if (arg)
			return -EINVAL;
		/* kvm_run, the PIO data page and the coalesced MMIO ring. */
		return 3 * PAGE_SIZE;
	default:
		return kvmx_arch_dev_ioctl(ioctl, arg);
	}
}

static const struct file_operations kvmx_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= kvmx_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice kvmx_dev = {
	.fops	= &kvmx_dev_fops,
	.mode	= 0666,
};

static int __init kvmx_init(void)
{
	int r;

	r = kvmx_arch_init();
	if (r)
		return r;
	r = kvmx_irqfd_init();
	if (r) {
		kvmx_arch_exit();
		return r;
	}
	preempt_notifier_inc();

	kvmx_dev.name = devname;
	kvmx_dev.minor = strcmp(devname, "kvm") ? MISC_DYNAMIC_MINOR : KVM_MINOR;
	r = misc_register(&kvmx_dev);
	if (r) {
		pr_err("cannot register /dev/%s (%d)%s\n", devname, r,
		       r == -EBUSY ? ": taken, is KVM loaded? Try devname=kvmx" : "");
		preempt_notifier_dec();
		kvmx_irqfd_exit();
		kvmx_arch_exit();
		return r;
	}
	pr_info("/dev/%s ready\n", devname);
	return 0;
}

static void __exit kvmx_exit(void)
{
	misc_deregister(&kvmx_dev);
	preempt_notifier_dec();
	kvmx_irqfd_exit();
	kvmx_arch_exit();
}

module_init(kvmx_init);
module_exit(kvmx_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kvmx: a small KVM-compatible hypervisor");
