// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-hold: open /dev/kvm, create one VM and sleep until killed.
 *
 * The test-bed runs it in the background while the selftests run against
 * the stock KVM: KVM 6.1 disables virtualization on every CPU whenever its
 * last VM goes away, and under QEMU TCG toggling SVM over and over wedges
 * the machine.  An idle VM that lives for the whole phase avoids that.
 */
#include <unistd.h>

#include "kvmx_util.h"

int main(void)
{
	int vm = vm_create_standalone();

	TEST_ASSERT(vm >= 0, "kvm-hold: cannot create a VM: %s", strerror(-vm));
	for (;;)
		pause();
	return 0;
}
