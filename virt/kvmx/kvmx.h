/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmx generic core: the VM, the vCPU and the memslots, with no x86 in
 * them.  The architecture supplies the kvmx_arch_*() hooks declared below.
 */
#ifndef KVMX_H
#define KVMX_H

#include <linux/kvm.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/preempt.h>
#include <linux/rcuwait.h>
#include <linux/signal_types.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/xarray.h>

#include "arch.h"
#include "compat.h"

/* Limits, reported through KVM_CHECK_EXTENSION with KVM's values. */
#define KVMX_MAX_VCPUS		1024
#define KVMX_MAX_VCPU_IDS	(KVMX_MAX_VCPUS * 4)
#define KVMX_USER_MEM_SLOTS	32764
#define KVMX_MEM_MAX_NR_PAGES	((1UL << 31) - 1)
#define KVMX_MAX_IRQ_ROUTES	4096

struct kvmx_memslot {
	u64 base_gfn;
	u64 npages;
	u64 userspace_addr;
	u32 flags;
	u16 id;
	unsigned long *dirty_bitmap;	/* NULL unless KVM_MEM_LOG_DIRTY_PAGES */
};

/*
 * One immutable generation of the memslots, sorted by base_gfn.  Writers
 * build a new generation under vm->slots_lock and publish it; readers hold
 * vm->srcu.
 */
struct kvmx_memslots {
	u64 generation;
	int nr;
	struct kvmx_memslot *slots[];
};

struct kvmx_vm {
	struct mm_struct *mm;		/* the creator's; other mms get -EIO */
	refcount_t users;		/* the VM fd and every vCPU fd */

	struct mutex lock;		/* vCPU creation */
	struct mutex slots_lock;	/* memslot updates */
	struct srcu_struct srcu;	/* memslot readers */
	struct kvmx_memslots __rcu *memslots;

	struct xarray vcpus;		/* by creation index */
	atomic_t online_vcpus;
	int created_vcpus;
	u32 max_vcpu_ids;		/* KVM_CAP_MAX_VCPU_ID; 0: not fixed yet */

	struct list_head ioeventfds;	/* under slots_lock, read under srcu */
	int nr_ioeventfds;
	struct list_head io_devices;	/* the same, for kvmx_io_device */

	/* irqfd.c: KVM_IRQFD */
	spinlock_t irqfds_lock;		/* irqfds; taken in eventfd wakeups */
	struct list_head irqfds;
	struct mutex resampler_lock;	/* irqfd_resamplers updates */
	struct list_head irqfd_resamplers;	/* read under srcu */

	/* Page behind KVM_COALESCED_MMIO_PAGE_OFFSET of every vCPU mmap. */
	struct page *coalesced_mmio_page;

	struct kvmx_arch_vm arch;
};

struct kvmx_vcpu {
	struct kvmx_vm *vm;
	u32 vcpu_id;			/* the id userspace chose */
	int vcpu_idx;			/* creation order */
	struct mutex mutex;		/* serialises vCPU ioctls */
	struct kvm_run *run;
	struct page *pio_page;		/* KVM_PIO_PAGE_OFFSET */

	struct preempt_notifier preempt_notifier;
	int cpu;			/* where it is loaded, or -1 */
	int mode;			/* KVMX_MODE_*, read by kickers */
	unsigned long requests;		/* KVMX_REQ_* bits */

	struct rcuwait wait;		/* a halted vCPU sleeps here */
	bool sigset_active;		/* KVM_SET_SIGNAL_MASK */
	sigset_t sigset;

	struct kvmx_arch_vcpu arch;
};

#define KVMX_MODE_OUTSIDE	0
#define KVMX_MODE_IN_GUEST	1

/* Requests, made by any thread, handled by the vCPU before entry. */
#define KVMX_REQ_TLB_FLUSH	0
#define KVMX_REQ_CLOCK_UPDATE	1
#define KVMX_REQ_EVENT		2	/* an interrupt may be deliverable */
#define KVMX_REQ_TPR_ACCESS	3	/* KVM_EXIT_TPR_ACCESS is due */
#define KVMX_REQ_IOAPIC_EOI	4	/* KVM_EXIT_IOAPIC_EOI is due */

static inline void kvmx_make_request(struct kvmx_vcpu *vcpu, int req)
{
	set_bit(req, &vcpu->requests);
}

static inline bool kvmx_check_request(struct kvmx_vcpu *vcpu, int req)
{
	return test_and_clear_bit(req, &vcpu->requests);
}

#define kvmx_for_each_vcpu(idx, vcpu, vm) \
	xa_for_each_range(&(vm)->vcpus, idx, vcpu, 0, \
			  atomic_read(&(vm)->online_vcpus) - 1)

/* virt/kvmx/vm.c */
int kvmx_dev_create_vm(unsigned long type);
void kvmx_vm_get(struct kvmx_vm *vm);
void kvmx_vm_put(struct kvmx_vm *vm);
long kvmx_check_extension(struct kvmx_vm *vm, long ext);

/* virt/kvmx/vcpu.c */
int kvmx_vm_create_vcpu(struct kvmx_vm *vm, u32 id);
void kvmx_vcpu_destroy(struct kvmx_vcpu *vcpu);

void kvmx_vcpu_load(struct kvmx_vcpu *vcpu);
void kvmx_vcpu_put(struct kvmx_vcpu *vcpu);
void kvmx_vm_request_all(struct kvmx_vm *vm, int req);
void kvmx_vcpu_kick(struct kvmx_vcpu *vcpu);
void kvmx_vcpu_halt(struct kvmx_vcpu *vcpu);

/* virt/kvmx/eventfd.c: ioeventfds and the in-kernel I/O bus */
#define KVMX_MAX_IOEVENTFDS	1000
enum { KVMX_MMIO_BUS, KVMX_PIO_BUS, KVMX_CCW_BUS };
int kvmx_ioeventfd(struct kvmx_vm *vm, const struct kvm_ioeventfd *args);
bool kvmx_ioeventfd_write(struct kvmx_vm *vm, int bus, u64 addr, int len,
			 const void *val);
void kvmx_ioeventfds_free(struct kvmx_vm *vm);

/*
 * virt/kvmx/irqfd.c: irqfds.  They raise lines through the architecture's
 * kvmx_set_irq() with KVM's irq source ids (the same as irq/irq.h's: a
 * mismatch would be a macro redefinition warning).
 */
#define KVMX_USERSPACE_IRQ_SOURCE_ID	0
#define KVMX_IRQFD_RESAMPLE_SOURCE_ID	1
int kvmx_set_irq(struct kvmx_vm *vm, int source, u32 gsi, int level,
		 bool line_status);
int kvmx_irqfd_init(void);
void kvmx_irqfd_exit(void);
int kvmx_irqfd(struct kvmx_vm *vm, const struct kvm_irqfd *args);
void kvmx_irqfds_release(struct kvmx_vm *vm);
/* The guest acked @gsi: lower it for resample irqfds and notify them. */
void kvmx_irqfd_resample(struct kvmx_vm *vm, u32 gsi);

/* virt/kvmx/iobus.c: devices modelled in the kernel */
struct kvmx_io_device;
struct kvmx_io_device_ops {
	/* 0 if handled; otherwise the access goes on to userspace. */
	int (*read)(struct kvmx_io_device *dev, u64 addr, int len, void *val);
	int (*write)(struct kvmx_io_device *dev, u64 addr, int len,
		     const void *val);
};

struct kvmx_io_device {
	struct list_head link;
	const struct kvmx_io_device_ops *ops;
	u64 addr;
	u32 len;
	int bus;
};

int kvmx_io_bus_register(struct kvmx_vm *vm, int bus,
			 struct kvmx_io_device *dev, u64 addr, u32 len,
			 const struct kvmx_io_device_ops *ops);
void kvmx_io_bus_unregister(struct kvmx_vm *vm, struct kvmx_io_device *dev);
bool kvmx_io_bus_read(struct kvmx_vm *vm, int bus, u64 addr, int len,
		      void *val);
bool kvmx_io_bus_write(struct kvmx_vm *vm, int bus, u64 addr, int len,
		       const void *val);

/* virt/kvmx/memslot.c */
int kvmx_memslots_init(struct kvmx_vm *vm);
void kvmx_memslots_free(struct kvmx_vm *vm);
int kvmx_set_memory_region(struct kvmx_vm *vm,
			   const struct kvm_userspace_memory_region *mem);
int kvmx_get_dirty_log(struct kvmx_vm *vm, struct kvm_dirty_log *log);
int kvmx_guest_rw(struct kvmx_vm *vm, u64 gpa, void *buf, unsigned int len,
		  bool write);
struct kvmx_memslot *kvmx_gfn_to_memslot(struct kvmx_memslots *slots,
					 u64 gfn);

static inline struct kvmx_memslots *kvmx_memslots(struct kvmx_vm *vm)
{
	return srcu_dereference_check(vm->memslots, &vm->srcu,
				      lockdep_is_held(&vm->slots_lock));
}

/*
 * Architecture hooks.  Return values follow KVM's: an ioctl the
 * architecture does not know returns -ENOTTY on the VM fd and -EINVAL on
 * /dev/kvm and the vCPU fd.
 */
int kvmx_arch_init(void);
void kvmx_arch_exit(void);
long kvmx_arch_check_extension(struct kvmx_vm *vm, long ext);
long kvmx_arch_dev_ioctl(unsigned int ioctl, unsigned long arg);
int kvmx_arch_vm_init(struct kvmx_vm *vm, unsigned long type);
void kvmx_arch_vm_destroy_devices(struct kvmx_vm *vm);
void kvmx_arch_vm_destroy(struct kvmx_vm *vm);
long kvmx_arch_vm_ioctl(struct kvmx_vm *vm, unsigned int ioctl,
			unsigned long arg);
int kvmx_arch_vm_enable_cap(struct kvmx_vm *vm,
			    const struct kvm_enable_cap *cap);
u64 kvmx_arch_max_gfn(void);
/* May KVM_IRQFD assign @args now?  (-EINVAL if not.) */
bool kvmx_arch_irqfd_allowed(struct kvmx_vm *vm, const struct kvm_irqfd *args);
/* After readers of @old are gone; either slot may be NULL. */
void kvmx_arch_commit_memslot(struct kvmx_vm *vm, struct kvmx_memslot *old,
			      struct kvmx_memslot *new);
/* Pages just reported dirty must fault again on their next write. */
void kvmx_arch_protect_dirty(struct kvmx_vm *vm, struct kvmx_memslot *slot,
			     const unsigned long *bits);
int kvmx_arch_vcpu_precreate(struct kvmx_vm *vm, u32 id);
struct kvmx_vcpu *kvmx_arch_vcpu_alloc(void);
int kvmx_arch_vcpu_create(struct kvmx_vcpu *vcpu);
void kvmx_arch_vcpu_load(struct kvmx_vcpu *vcpu, int cpu);
void kvmx_arch_vcpu_put(struct kvmx_vcpu *vcpu);
int kvmx_arch_vcpu_run(struct kvmx_vcpu *vcpu);
/* May a halted vCPU go on (an interrupt, INIT or SIPI for it)? */
bool kvmx_arch_vcpu_runnable(struct kvmx_vcpu *vcpu);
void kvmx_arch_vcpu_destroy(struct kvmx_vcpu *vcpu);
long kvmx_arch_vcpu_ioctl(struct kvmx_vcpu *vcpu, unsigned int ioctl,
			  unsigned long arg);

#endif /* KVMX_H */
