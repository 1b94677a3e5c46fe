// SPDX-License-Identifier: GPL-2.0
/*
 * kvmclock: KVM's paravirtual clock, and KVM_GET/SET_CLOCK.
 *
 * The guest reads time as system_time + scale(TSC - tsc_timestamp) from a
 * pvclock page it registers with MSR_KVM_SYSTEM_TIME(_NEW).  All vCPUs of
 * a VM share one line through a (host TSC, host boot time) pair taken at
 * VM creation, the "master clock": with a stable, synchronized host TSC
 * every vCPU computes the same time, so the page says PVCLOCK_TSC_STABLE
 * and the guest need not force monotonicity across vCPUs itself.
 */
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include <asm/pvclock-abi.h>
#include <asm/kvm_para.h>
#include <asm/tsc.h>

#include "x86.h"

/*
 * mul and shift such that ns = ((ticks << shift) * mul) >> 32, a negative
 * shift meaning a right shift.  The TSC rate is brought into (1 GHz, 2 GHz]
 * by the shift, so that mul lands in [2^31, 2^32).
 */
static void kvmclock_scale(u64 tsc_hz, u32 *mul, s8 *shift)
{
	u64 hz = tsc_hz;
	s8 s = 0;

	*mul = 0;
	*shift = 0;
	if (!hz)
		return;
	while (hz > 2 * NSEC_PER_SEC) {
		hz >>= 1;
		s--;
	}
	while (hz <= NSEC_PER_SEC) {
		hz <<= 1;
		s++;
	}
	*mul = div64_u64((u64)NSEC_PER_SEC << 32, hz);
	*shift = s;
}

static u64 kvmclock_ticks_to_ns(struct kvmx_vm *vm, u64 ticks)
{
	s8 shift = vm->arch.clock_shift;

	ticks = shift < 0 ? ticks >> -shift : ticks << shift;
	return ((unsigned __int128)ticks * vm->arch.clock_mul) >> 32;
}

void kvmx_kvmclock_init(struct kvmx_vm *vm)
{
	unsigned long flags;

	kvmclock_scale((u64)vm->arch.tsc_khz * 1000, &vm->arch.clock_mul,
		       &vm->arch.clock_shift);
	local_irq_save(flags);
	vm->arch.master_ns = ktime_get_boottime_ns();
	vm->arch.master_tsc = rdtsc();
	local_irq_restore(flags);
	/* The clock starts at zero with the VM, as in KVM. */
	vm->arch.kvmclock_offset = -(s64)vm->arch.master_ns;
	vm->arch.master_stable = !check_tsc_unstable();
}

/* The guest's kvmclock now, in ns, on the master clock line. */
static u64 kvmclock_now(struct kvmx_vm *vm)
{
	return vm->arch.master_ns + vm->arch.kvmclock_offset +
	       kvmclock_ticks_to_ns(vm, rdtsc() - vm->arch.master_tsc);
}

/* Write the vCPU's pvclock page, under the version protocol. */
void kvmx_kvmclock_update(struct kvmx_vcpu *vcpu)
{
	struct kvmx_vm *vm = vcpu->vm;
	struct pvclock_vcpu_time_info ti = {};
	u64 gpa = vcpu->arch.msr_system_time & ~1ULL;

	if (!(vcpu->arch.msr_system_time & 1))
		return;

	ti.version = ++vcpu->arch.pvclock_version;	/* odd: in flux */
	if (kvmx_guest_rw(vm, gpa, &ti.version, sizeof(ti.version), true))
		return;
	smp_wmb();
	ti.tsc_timestamp = vm->arch.master_tsc +
			   kvmx_vendor->get_reg(vcpu, KVMX_TSC_OFFSET);
	ti.system_time = vm->arch.master_ns + vm->arch.kvmclock_offset;
	ti.tsc_to_system_mul = vm->arch.clock_mul;
	ti.tsc_shift = vm->arch.clock_shift;
	ti.flags = vm->arch.master_stable ? PVCLOCK_TSC_STABLE_BIT : 0;
	kvmx_guest_rw(vm, gpa, &ti, sizeof(ti), true);
	smp_wmb();
	ti.version = ++vcpu->arch.pvclock_version;	/* even: done */
	kvmx_guest_rw(vm, gpa, &ti.version, sizeof(ti.version), true);
}

/* MSR_KVM_WALL_CLOCK(_NEW): the wall-clock time at kvmclock zero. */
void kvmx_kvmclock_write_wall(struct kvmx_vcpu *vcpu, u64 gpa)
{
	struct kvmx_vm *vm = vcpu->vm;
	struct pvclock_wall_clock wc = {};
	struct timespec64 now;
	u64 boot_ns;

	ktime_get_real_ts64(&now);
	boot_ns = timespec64_to_ns(&now) - kvmclock_now(vm);

	wc.version = ++vm->arch.wall_version;
	if (kvmx_guest_rw(vm, gpa, &wc.version, sizeof(wc.version), true))
		return;
	smp_wmb();
	wc.sec = div_u64_rem(boot_ns, NSEC_PER_SEC, &wc.nsec);
	kvmx_guest_rw(vm, gpa, &wc, sizeof(wc), true);
	smp_wmb();
	wc.version = ++vm->arch.wall_version;
	kvmx_guest_rw(vm, gpa, &wc.version, sizeof(wc.version), true);
}

#define KVMX_CLOCK_FLAGS (KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | \
			  KVM_CLOCK_HOST_TSC)

int kvmx_get_clock(struct kvmx_vm *vm, struct kvm_clock_data *data)
{
	struct timespec64 now;
	unsigned long flags;

	memset(data, 0, sizeof(*data));
	local_irq_save(flags);
	data->host_tsc = rdtsc();
	ktime_get_real_ts64(&now);
	data->clock = kvmclock_now(vm);
	local_irq_restore(flags);
	data->realtime = timespec64_to_ns(&now);
	data->flags = KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC |
		      (vm->arch.master_stable ? KVM_CLOCK_TSC_STABLE : 0);
	return 0;
}

int kvmx_set_clock(struct kvmx_vm *vm, const struct kvm_clock_data *data)
{
	struct timespec64 now;
	u64 clock = data->clock;
	s64 delta;

	if (data->flags & ~KVMX_CLOCK_FLAGS)
		return -EINVAL;
	/* With REALTIME, account for the time that passed since it was read. */
	if (data->flags & KVM_CLOCK_REALTIME) {
		ktime_get_real_ts64(&now);
		delta = timespec64_to_ns(&now) - data->realtime;
		if (delta > 0)
			clock += delta;
	}

	mutex_lock(&vm->lock);
	vm->arch.kvmclock_offset += clock - kvmclock_now(vm);
	mutex_unlock(&vm->lock);
	kvmx_vm_request_all(vm, KVMX_REQ_CLOCK_UPDATE);
	return 0;
}
