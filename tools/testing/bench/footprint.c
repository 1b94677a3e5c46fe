// SPDX-License-Identifier: GPL-2.0
/*
 * Footprint: kernel memory per VM and per vCPU.  N VMs (100) are created,
 * then one vCPU in each; the deltas, divided by N, of:
 *
 *   mem-vm, mem-vcpu            the memory cgroup's "kernel" in memory.stat
 *                               (MEMCG_KMEM: slab objects, vmalloc, pages
 *                               the hypervisor allocated with
 *                               GFP_KERNEL_ACCOUNT / SLAB_ACCOUNT for the
 *                               creating task), read after a flush (reading
 *                               the cgroup's cpu.stat flushes its rstat)
 *   mem-vm-sys, mem-vcpu-sys    /proc/meminfo, after /proc/sys/vm/stat_refresh:
 *                               Slab + VmallocUsed + PageTables + Percpu
 *                               (kernel stacks are vmalloc'ed): catches
 *                               what is not charged (a kthread per VM),
 *                               misses plain alloc_page()s
 *
 * in KiB; extra fields: the memcg's memory.current (batched per CPU, 64
 * pages at a time: coarse), the meminfo breakdown and MemFree.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

#define CG_ROOT	"/sys/fs/cgroup"
#define CG	CG_ROOT "/kvmx-bench"

static const char *const fields[] = {
	"MemFree", "Slab", "KernelStack", "PageTables", "VmallocUsed", "Percpu",
};
#define NF ARRAY_SIZE(fields)

struct snap {
	long mi[NF];		/* KiB */
	long cg;		/* memory.current, bytes; -1 without memcg */
	long kmem;		/* memory.stat kernel, bytes */
};

static bool write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok;
}

static long read_num(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* The value of key in a "key value" file, or -1. */
static long read_key(const char *path, const char *key)
{
	char line[256];
	size_t kl = strlen(key);
	long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ' ') {
			v = atol(line + kl + 1);
			break;
		}
	fclose(f);
	return v;
}

static void snap(struct snap *s, bool memcg)
{
	char line[256];
	unsigned int i;
	FILE *f;

	write_str("/proc/sys/vm/stat_refresh", "1");
	f = fopen("/proc/meminfo", "r");
	TEST_ASSERT(f, "/proc/meminfo");
	while (fgets(line, sizeof(line), f))
		for (i = 0; i < NF; i++) {
			size_t l = strlen(fields[i]);

			if (!strncmp(line, fields[i], l) && line[l] == ':')
				s->mi[i] = atol(line + l + 1);
		}
	fclose(f);
	s->cg = s->kmem = -1;
	if (memcg) {
		/* cgroup_rstat_flush(): memory.stat alone may be 2 s stale. */
		read_key(CG "/cpu.stat", "usage_usec");
		s->kmem = read_key(CG "/memory.stat", "kernel");
		s->cg = read_num(CG "/memory.current");
	}
}

/* Move into a fresh memory cgroup: false if there is no memcg. */
static bool memcg_enter(void)
{
	char pid[32];

	rmdir(CG);
	if (access(CG_ROOT "/cgroup.controllers", R_OK))
		return false;
	write_str(CG_ROOT "/cgroup.subtree_control", "+memory");
	if (mkdir(CG, 0755) && errno != EEXIST)
		return false;
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	return write_str(CG "/cgroup.procs", pid) &&
	       !access(CG "/memory.current", R_OK);
}

static void memcg_leave(void)
{
	char pid[32];

	snprintf(pid, sizeof(pid), "%d\n", getpid());
	write_str(CG_ROOT "/cgroup.procs", pid);
	rmdir(CG);
}

static void report_delta(const char *name, const struct snap *a,
			 const struct snap *b, unsigned int n)
{
	double d[NF], sum;
	unsigned int i;
	char sys[64];

	for (i = 0; i < NF; i++)
		d[i] = (double)(b->mi[i] - a->mi[i]) / n;
	/* Slab + VmallocUsed + PageTables + Percpu */
	sum = d[1] + d[4] + d[3] + d[5];
	if (a->kmem >= 0 && b->kmem >= 0)
		report(name, (b->kmem - a->kmem) / 1024.0 / n, "KiB", true,
		       "n=%u memory.current=%.1f", n, (b->cg - a->cg) / 1024.0 / n);
	snprintf(sys, sizeof(sys), "%s-sys", name);
	report(sys, sum, "KiB", true,
	       "n=%u slab=%.1f vmalloc=%.1f kstack=%.1f pgtab=%.1f percpu=%.1f memfree=%.1f",
	       n, d[1], d[4], d[2], d[3], d[5], d[0]);
}

int bench_footprint(void)
{
	unsigned int n = 100, i;
	struct snap s0, s1, s2;
	int kvm, one, *vm, *vcpu;
	bool memcg = memcg_enter();

	TEST_ASSERT((vm = calloc(n, sizeof(int))) && (vcpu = calloc(n, sizeof(int))),
		    "calloc");
	raise_nofile_limit(2 * n + 64);
	kvm = kvm_open();
	TEST_ASSERT(kvm >= 0, "open /dev/kvm: %s", strerror(-kvm));
	/* One VM first: whatever is set up once, on the first VM, is not counted. */
	one = vm_create(kvm);
	TEST_ASSERT(one >= 0, "KVM_CREATE_VM: %s", strerror(-one));
	close(vcpu_create(one, 0));
	close(one);

	snap(&s0, memcg);
	for (i = 0; i < n; i++) {
		vm[i] = vm_create(kvm);
		TEST_ASSERT(vm[i] >= 0, "KVM_CREATE_VM %u: %s", i, strerror(-vm[i]));
	}
	snap(&s1, memcg);
	for (i = 0; i < n; i++) {
		vcpu[i] = vcpu_create(vm[i], 0);
		TEST_ASSERT(vcpu[i] >= 0, "KVM_CREATE_VCPU %u: %s", i, strerror(-vcpu[i]));
	}
	snap(&s2, memcg);
	for (i = 0; i < n; i++) {
		close(vcpu[i]);
		close(vm[i]);
	}
	close(kvm);
	if (memcg)
		memcg_leave();
	else
		printf("# footprint: no memory cgroup, /proc/meminfo only\n");
	report_delta("mem-vm", &s0, &s1, n);
	report_delta("mem-vcpu", &s1, &s2, n);
	free(vm);
	free(vcpu);
	return 0;
}
