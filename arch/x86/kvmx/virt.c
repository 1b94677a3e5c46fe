// SPDX-License-Identifier: GPL-2.0
/*
 * Turning virtualization on and off on every CPU.
 *
 * kvmx turns it on at load and off at unload, not per VM: switching SVM
 * on and off over and over costs time, and wedges some emulators.  It
 * follows CPU hotplug, suspend, reboot, and kexec/crash (through the
 * kernel's emergency callback, which runs in NMI context).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/percpu.h>
#include <linux/reboot.h>
#include <linux/syscore_ops.h>
#include <asm/reboot.h>

#include "vendor.h"

static DEFINE_PER_CPU(bool, kvmx_virt_on);
static enum cpuhp_state kvmx_cpuhp_state;

static int kvmx_virt_enable_this_cpu(void)
{
	unsigned long flags;
	int r = 0;

	local_irq_save(flags);
	if (!__this_cpu_read(kvmx_virt_on)) {
		r = kvmx_vendor->cpu_enable();
		if (!r)
			__this_cpu_write(kvmx_virt_on, true);
	}
	local_irq_restore(flags);
	if (r)
		pr_err("cannot enable %s on CPU %d (%d)%s\n", kvmx_vendor->name,
		       raw_smp_processor_id(), r,
		       r == -EBUSY ? ": in use by another hypervisor" : "");
	return r;
}

/* Also the emergency callback: NMI context, so no locks and no printk. */
static void kvmx_virt_disable_this_cpu(void)
{
	if (__this_cpu_read(kvmx_virt_on)) {
		kvmx_vendor->cpu_disable();
		__this_cpu_write(kvmx_virt_on, false);
	}
}

static void kvmx_virt_disable_ipi(void *unused)
{
	kvmx_virt_disable_this_cpu();
}

static int kvmx_cpu_online(unsigned int cpu)
{
	return kvmx_virt_enable_this_cpu();
}

static int kvmx_cpu_offline(unsigned int cpu)
{
	unsigned long flags;

	local_irq_save(flags);
	kvmx_virt_disable_this_cpu();
	local_irq_restore(flags);
	return 0;
}

/* Syscore hooks run on the last CPU standing, with interrupts off. */
static int kvmx_suspend(void)
{
	kvmx_virt_disable_this_cpu();
	return 0;
}

static void kvmx_resume(void)
{
	WARN_ON_ONCE(kvmx_virt_enable_this_cpu());
}

static struct syscore_ops kvmx_syscore_ops = {
	.suspend = kvmx_suspend,
	.resume  = kvmx_resume,
};

static int kvmx_reboot(struct notifier_block *nb, unsigned long code,
		       void *unused)
{
	on_each_cpu(kvmx_virt_disable_ipi, NULL, 1);
	return NOTIFY_OK;
}

static struct notifier_block kvmx_reboot_nb = {
	.notifier_call = kvmx_reboot,
	.priority = 0,
};

int kvmx_virt_enable_all(void)
{
	int r;

	/* If any CPU fails, cpuhp undoes the ones already enabled. */
	r = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "kvmx:online",
			      kvmx_cpu_online, kvmx_cpu_offline);
	if (r < 0)
		return r;
	kvmx_cpuhp_state = r;

	cpu_emergency_register_virt_callback(kvmx_virt_disable_this_cpu);
	register_syscore_ops(&kvmx_syscore_ops);
	register_reboot_notifier(&kvmx_reboot_nb);
	return 0;
}

void kvmx_virt_disable_all(void)
{
	unregister_reboot_notifier(&kvmx_reboot_nb);
	unregister_syscore_ops(&kvmx_syscore_ops);
	cpuhp_remove_state(kvmx_cpuhp_state);
	cpu_emergency_unregister_virt_callback(kvmx_virt_disable_this_cpu);
}
