// SPDX-License-Identifier: GPL-2.0
/*
 * kvmx: the in-kernel I/O bus.  Devices the kernel models (the PIC, the
 * IOAPIC, the PIT) claim a range of ports or guest-physical addresses;
 * an access there is handled without leaving the kernel.  ioeventfds are
 * checked first for writes (eventfd.c).  The device list is changed under
 * vm->slots_lock and read under vm->srcu, like the ioeventfds.
 */
#include <linux/rculist.h>

#include "kvmx.h"

int kvmx_io_bus_register(struct kvmx_vm *vm, int bus,
			 struct kvmx_io_device *dev, u64 addr, u32 len,
			 const struct kvmx_io_device_ops *ops)
{
	struct kvmx_io_device *d;
	int r = 0;

	dev->bus = bus;
	dev->addr = addr;
	dev->len = len;
	dev->ops = ops;
	mutex_lock(&vm->slots_lock);
	list_for_each_entry(d, &vm->io_devices, link) {
		if (d->bus == bus && addr < d->addr + d->len &&
		    d->addr < addr + len) {
			r = -EEXIST;
			goto out;
		}
	}
	list_add_tail_rcu(&dev->link, &vm->io_devices);
out:
	mutex_unlock(&vm->slots_lock);
	return r;
}

/* On return no vCPU is inside @dev's handlers any more. */
void kvmx_io_bus_unregister(struct kvmx_vm *vm, struct kvmx_io_device *dev)
{
	mutex_lock(&vm->slots_lock);
	list_del_rcu(&dev->link);
	mutex_unlock(&vm->slots_lock);
	synchronize_srcu(&vm->srcu);
}

static struct kvmx_io_device *kvmx_io_bus_find(struct kvmx_vm *vm, int bus,
					       u64 addr, int len)
{
	struct kvmx_io_device *d;

	list_for_each_entry_srcu(d, &vm->io_devices, link,
				 srcu_read_lock_held(&vm->srcu))
		if (d->bus == bus && addr >= d->addr &&
		    addr + len <= d->addr + d->len)
			return d;
	return NULL;
}

/* True if an in-kernel device took the access. */
static bool kvmx_io_bus_access(struct kvmx_vm *vm, int bus, u64 addr,
			       int len, void *val, bool write)
{
	struct kvmx_io_device *d;
	bool done = false;
	int idx;

	if (list_empty(&vm->io_devices))
		return false;
	idx = srcu_read_lock(&vm->srcu);
	d = kvmx_io_bus_find(vm, bus, addr, len);
	if (d && write && d->ops->write)
		done = !d->ops->write(d, addr, len, val);
	else if (d && !write && d->ops->read)
		done = !d->ops->read(d, addr, len, val);
	srcu_read_unlock(&vm->srcu, idx);
	return done;
}

bool kvmx_io_bus_read(struct kvmx_vm *vm, int bus, u64 addr, int len,
		      void *val)
{
	return kvmx_io_bus_access(vm, bus, addr, len, val, false);
}

bool kvmx_io_bus_write(struct kvmx_vm *vm, int bus, u64 addr, int len,
		       const void *val)
{
	return kvmx_ioeventfd_write(vm, bus, addr, len, val) ||
	       kvmx_io_bus_access(vm, bus, addr, len, (void *)val, true);
}
