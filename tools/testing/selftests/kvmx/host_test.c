// SPDX-License-Identifier: GPL-2.0
/*
 * host_test: how the hypervisor module lives with the host kernel.
 *
 *  - Module references: while /dev/kvm or a VM fd is open, the module
 *    behind /dev/kvm (kvmx, kvm_amd or kvm_intel) cannot be removed.
 *    delete_module() is only ever called while references are held, so a
 *    passing run never unloads anything.
 *  - CPU hotplug: a CPU taken offline and brought back runs guests again,
 *    so virtualization was turned back on there.
 *
 * Needs root (the test-bed runs as root); skips otherwise.
 */
#include <fcntl.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kvmx_util.h"
#include "guest/guest.h"
#include "kselftest_harness.h"

/* The loaded module that provides /dev/kvm, or NULL. */
static const char *kvm_module(void)
{
	static const char *const names[] = { "kvmx", "kvm_amd", "kvm_intel" };
	static char line[256];
	const char *found = NULL;
	FILE *f = fopen("/proc/modules", "r");
	unsigned int i;

	if (!f)
		return NULL;
	while (!found && fgets(line, sizeof(line), f))
		for (i = 0; i < ARRAY_SIZE(names); i++)
			if (!strncmp(line, names[i], strlen(names[i])) &&
			    line[strlen(names[i])] == ' ')
				found = names[i];
	fclose(f);
	return found;
}

static int try_unload(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

TEST(module_refs)
{
	const char *mod = kvm_module();
	int kvm, vm;

	if (geteuid())
		SKIP(return, "needs root");
	ASSERT_NE(NULL, mod);

	kvm = kvm_open();
	ASSERT_GE(kvm, 0);
	EXPECT_EQ(-EWOULDBLOCK, try_unload(mod));

	vm = vm_create(kvm);
	ASSERT_GE(vm, 0);
	close(kvm);
	/* The VM alone still pins the module. */
	EXPECT_EQ(-EWOULDBLOCK, try_unload(mod));
	close(vm);
}

static int set_online(int cpu, int online)
{
	char path[64];
	int fd, r = 0;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, online ? "1" : "0", 1) != 1)
		r = -errno;
	close(fd);
	return r;
}

static int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

GUEST_CODE(hp_code, 64,
	"mov $0x5a, %eax\n\t"
	GUEST_ASM_DONE_HLT);

static uint64_t run_guest_on(int cpu)
{
	struct guest g;
	uint64_t v;

	TEST_ASSERT(pin_to(cpu) == 0, "pin to CPU %d", cpu);
	TEST_ASSERT(guest_create(&g, 0) == 0, "guest_create");
	TEST_ASSERT(guest_start(&g, GUEST_MODE_LONG64, hp_code, hp_code_end) == 0,
		    "guest_start");
	v = guest_run_done(&g);
	guest_destroy(&g);
	return v;
}

TEST(cpu_hotplug)
{
	int kvm;

	if (geteuid())
		SKIP(return, "needs root");
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || access("/sys/devices/system/cpu/cpu1/online", W_OK))
		SKIP(return, "needs a second CPU that can go offline");

	/* An open VM keeps stock KVM from turning virtualization off. */
	kvm = kvm_open();
	ASSERT_GE(kvm, 0);
	ASSERT_EQ(0x5a, run_guest_on(1));
	ASSERT_EQ(0, pin_to(0));
	ASSERT_EQ(0, set_online(1, 0));
	ASSERT_EQ(0x5a, run_guest_on(0));
	ASSERT_EQ(0, set_online(1, 1));
	ASSERT_EQ(0x5a, run_guest_on(1));
	close(kvm);
}

TEST_HARNESS_MAIN
