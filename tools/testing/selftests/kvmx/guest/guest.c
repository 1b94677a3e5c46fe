// SPDX-License-Identifier: GPL-2.0
/*
 * The guest-building library of the kvmx selftests; see guest.h.
 */
#include <cpuid.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#include "kvmx_util.h"
#include "guest.h"

#define X86_CR0_PE	(1UL << 0)
#define X86_CR0_MP	(1UL << 1)
#define X86_CR0_ET	(1UL << 4)
#define X86_CR0_NE	(1UL << 5)
#define X86_CR0_WP	(1UL << 16)
#define X86_CR0_PG	(1UL << 31)
#define X86_CR4_PAE	(1UL << 5)
#define X86_CR4_OSFXSR	(1UL << 9)
#define X86_CR4_OSXMMEXCPT (1UL << 10)
#define EFER_LME	(1UL << 8)
#define EFER_LMA	(1UL << 10)

/* Seconds a single KVM_RUN may take before the watchdog interrupts it. */
#define GUEST_TIMEOUT_DEFAULT	10

/*
 * Exception stubs, 16 bytes apart: vector v at GUEST_STUBS_GPA + 16 * v.
 * Each pushes a 0 error code where the CPU pushes none, then the vector,
 * and reports both with the RIP of the exception frame to
 * GUEST_PORT_EXC, then halts for good.
 */
GUEST_CODE(guest_exc_stubs, 64,
	".irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n\t"
	".balign 16\n\t"
	".if (\\vec == 8) || ((\\vec >= 10) && (\\vec <= 14)) || (\\vec == 17) || (\\vec == 21) || (\\vec == 29) || (\\vec == 30)\n\t"
	".else\n\t"
	"push $0\n\t"
	".endif\n\t"
	"push $\\vec\n\t"
	"jmp 2f\n\t"
	".endr\n\t"
	".balign 16\n"
	"2:\n\t"
	"pop %rax\n\t"
	"pop %rbx\n\t"
	"mov (%rsp), %rcx\n\t"
	"out %eax, $" GUEST_STR(GUEST_PORT_EXC) "\n"
	"3:\n\t"
	"hlt\n\t"
	"jmp 3b\n\t");

static volatile sig_atomic_t watchdog_fired;
static int last_run_err;	/* of the last vcpu_run(), for messages */

static void watchdog_handler(int sig)
{
	(void)sig;
	watchdog_fired = 1;
}

static unsigned int guest_timeout_ms(void)
{
	const char *s = getenv("KVMX_GUEST_TIMEOUT");
	long v = s ? strtol(s, NULL, 0) : GUEST_TIMEOUT_DEFAULT;

	return v > 0 ? (unsigned int)v * 1000 : 0;
}

struct kvm_cpuid2 *kvm_supported_cpuid(int kvm_fd)
{
	struct kvm_cpuid2 *c;
	size_t sz = sizeof(*c) + GUEST_MAX_CPUID_ENTRIES * sizeof(c->entries[0]);
	long r;

	c = calloc(1, sz);
	if (!c)
		return NULL;
	c->nent = GUEST_MAX_CPUID_ENTRIES;
	r = KVM_IOCTL(kvm_fd, KVM_GET_SUPPORTED_CPUID, c);
	if (r < 0) {
		free(c);
		errno = (int)-r;
		return NULL;
	}
	return c;
}

struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t function,
				    uint32_t index)
{
	uint32_t i;

	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function != function)
			continue;
		if ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) &&
		    e->index != index)
			continue;
		return e;
	}
	return NULL;
}

bool host_is_vmx(void)
{
	unsigned int eax, ebx, ecx, edx;

	__cpuid(1, eax, ebx, ecx, edx);
	(void)eax; (void)ebx; (void)edx;
	return ecx & (1u << 5);
}

/* The vCPU fd, its mapping and CPUID; g->kvm and g->vm are set. */
static int guest_vcpu_init(struct guest *g, unsigned long id)
{
	long r;

	g->vcpu_id = id;
	g->vcpu = vcpu_create(g->vm, id);
	if (g->vcpu < 0)
		return g->vcpu;
	r = vcpu_mmap_size(g->kvm);
	if (r < 0)
		return (int)r;
	g->run_size = (size_t)r;
	g->run = mmap(NULL, g->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      g->vcpu, 0);
	if (g->run == MAP_FAILED) {
		g->run = NULL;
		return -errno;
	}

	g->cpuid = kvm_supported_cpuid(g->kvm);
	if (!g->cpuid)
		return -errno;
	r = KVM_IOCTL(g->vcpu, KVM_SET_CPUID2, g->cpuid);
	return r < 0 ? (int)r : 0;
}

int guest_create(struct guest *g, size_t mem_size)
{
	return guest_create_flags(g, mem_size, 0);
}

int guest_create_flags(struct guest *g, size_t mem_size, unsigned int flags)
{
	struct sigaction sa;
	long r;

	memset(g, 0, sizeof(*g));
	g->kvm = g->vm = g->vcpu = -1;
	g->timeout_ms = guest_timeout_ms();
	g->mem_size = mem_size ? mem_size : GUEST_MEM_SIZE_DEFAULT;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watchdog_handler;	/* no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);

	g->kvm = kvm_open();
	if (g->kvm < 0)
		return g->kvm;
	g->vm = vm_create(g->kvm);
	if (g->vm < 0)
		return g->vm;

	g->mem = mmap(NULL, g->mem_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (g->mem == MAP_FAILED) {
		g->mem = NULL;
		return -errno;
	}
	r = vm_set_mem(g->vm, 0, 0, 0, g->mem_size,
		       (uint64_t)(uintptr_t)g->mem);
	if (r < 0)
		return (int)r;

	/* KVM refuses it once a vCPU exists. */
	if (flags & GUEST_F_IRQCHIP) {
		r = KVM_IOCTL(g->vm, KVM_CREATE_IRQCHIP, 0);
		if (r < 0)
			return (int)r;
	}
	if (flags & GUEST_F_SPLIT_IRQCHIP) {
		struct kvm_enable_cap cap = {
			.cap = KVM_CAP_SPLIT_IRQCHIP,
			.args = { 24 },
		};

		r = KVM_IOCTL(g->vm, KVM_ENABLE_CAP, &cap);
		if (r < 0)
			return (int)r;
	}
	return guest_vcpu_init(g, 0);
}

int guest_add_vcpu(struct guest *g, struct guest *ap, unsigned long id)
{
	memset(ap, 0, sizeof(*ap));
	ap->kvm = g->kvm;
	ap->vm = g->vm;
	ap->vcpu = -1;
	ap->secondary = true;
	ap->mem = g->mem;
	ap->mem_size = g->mem_size;
	ap->timeout_ms = g->timeout_ms;
	return guest_vcpu_init(ap, id);
}

void guest_destroy(struct guest *g)
{
	if (g->run)
		munmap(g->run, g->run_size);
	if (g->vcpu >= 0)
		close(g->vcpu);
	if (!g->secondary) {
		if (g->vm >= 0)
			close(g->vm);
		if (g->kvm >= 0)
			close(g->kvm);
		if (g->mem)
			munmap(g->mem, g->mem_size);
	}
	free(g->cpuid);
	memset(g, 0, sizeof(*g));
	g->kvm = g->vm = g->vcpu = -1;
}

void *guest_ptr(struct guest *g, uint64_t gpa)
{
	TEST_ASSERT(gpa < g->mem_size, "GPA %#llx outside slot 0",
		    (unsigned long long)gpa);
	return g->mem + gpa;
}

void guest_load(struct guest *g, uint64_t gpa, const void *start,
		const void *end)
{
	size_t len = (const uint8_t *)end - (const uint8_t *)start;

	TEST_ASSERT(gpa + len <= g->mem_size, "code too big");
	memcpy(g->mem + gpa, start, len);
}

/* A flat segment (base 0, 4 GiB) or a 64 KiB real-mode one. */
static void seg_set(struct kvm_segment *s, uint16_t sel, uint64_t base,
		    uint32_t limit, uint8_t type, bool db, bool l)
{
	memset(s, 0, sizeof(*s));
	s->base = base;
	s->limit = limit;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->dpl = 0;
	s->db = db;
	s->s = 1;
	s->l = l;
	s->g = limit > 0xfffff;
}

static void write_gdt(struct guest *g)
{
	uint64_t *gdt = guest_ptr(g, GUEST_GDT_GPA);

	gdt[0] = 0;
	gdt[GUEST_SEL_CODE64 / 8] = 0x00af9b000000ffffULL;	/* L, P, code RX, A */
	gdt[GUEST_SEL_DATA / 8] = 0x00cf93000000ffffULL;	/* D/B, G, data RW, A */
	gdt[GUEST_SEL_CODE32 / 8] = 0x00cf9b000000ffffULL;	/* D/B, G, code RX, A */
}

/* Identity map 0..4 GiB with 2 MiB pages, A and D already set. */
static void write_page_tables(struct guest *g)
{
	uint64_t *pml4 = guest_ptr(g, GUEST_PML4_GPA);
	uint64_t *pdpt = guest_ptr(g, GUEST_PDPT_GPA);
	uint64_t *pd = guest_ptr(g, GUEST_PD_GPA);
	uint64_t i;

	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = GUEST_PDPT_GPA | 0x23;		/* P, RW, A */
	for (i = 0; i < 4; i++)
		pdpt[i] = (GUEST_PD_GPA + i * 4096) | 0x23;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | 0xe3;		/* P, RW, A, D, PS */
}

static void write_idt64(struct guest *g)
{
	uint64_t *idt = guest_ptr(g, GUEST_IDT_GPA);
	uint64_t v, h;

	memset(idt, 0, 4096);
	for (v = 0; v < 32; v++) {
		h = GUEST_STUBS_GPA + 16 * v;
		idt[2 * v] = (h & 0xffff) | ((uint64_t)GUEST_SEL_CODE64 << 16) |
			     (0x8eULL << 40) | (((h >> 16) & 0xffff) << 48);
		idt[2 * v + 1] = h >> 32;
	}
	guest_load(g, GUEST_STUBS_GPA, guest_exc_stubs, guest_exc_stubs_end);
}

int guest_set_idt_gate(struct guest *g, unsigned int vector, uint64_t handler)
{
	uint64_t *idt = guest_ptr(g, GUEST_IDT_GPA);
	struct kvm_sregs sr;
	int r;

	if (vector > 255)
		return -EINVAL;
	idt[2 * vector] = (handler & 0xffff) |
			  ((uint64_t)GUEST_SEL_CODE64 << 16) | (0x8eULL << 40) |
			  (((handler >> 16) & 0xffff) << 48);
	idt[2 * vector + 1] = handler >> 32;
	r = vcpu_get_sregs(g, &sr);
	if (r || sr.idt.limit == 256 * 16 - 1)
		return r;
	sr.idt.limit = 256 * 16 - 1;
	return vcpu_set_sregs(g, &sr);
}

void guest_mode_sregs(struct guest *g, enum guest_mode mode,
		      struct kvm_sregs *sr)
{
	struct kvm_segment data;

	/* All tables, whatever the mode: the guest may switch by itself. */
	write_gdt(g);
	write_page_tables(g);
	write_idt64(g);
	sr->cr2 = 0;
	sr->cr8 = 0;
	sr->gdt.base = GUEST_GDT_GPA;
	sr->gdt.limit = 4 * 8 - 1;
	sr->idt.base = GUEST_IDT_GPA;
	sr->idt.limit = 0;
	/* A 32/64-bit busy TSS, as the VMX entry checks want. */
	memset(&sr->tr, 0, sizeof(sr->tr));
	sr->tr.limit = 0x67;
	sr->tr.type = 11;
	sr->tr.present = 1;

	switch (mode) {
	case GUEST_MODE_REAL:
		sr->cr0 = X86_CR0_ET | X86_CR0_NE;
		sr->cr3 = 0;
		sr->cr4 = 0;
		sr->efer = 0;
		seg_set(&sr->cs, GUEST_CODE_GPA >> 4, GUEST_CODE_GPA, 0xffff,
			11, false, false);
		seg_set(&data, 0, 0, 0xffff, 3, false, false);
		sr->gdt.base = 0;
		sr->gdt.limit = 0xffff;
		sr->idt.base = 0;
		sr->idt.limit = 0x3ff;
		sr->tr.limit = 0xffff;
		sr->tr.type = 3;	/* busy 16-bit TSS: the reset state */
		break;
	case GUEST_MODE_PROT32:
		sr->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
		sr->cr3 = 0;
		sr->cr4 = 0;
		sr->efer = 0;
		seg_set(&sr->cs, GUEST_SEL_CODE32, 0, 0xffffffff, 11, true,
			false);
		seg_set(&data, GUEST_SEL_DATA, 0, 0xffffffff, 3, true, false);
		break;
	case GUEST_MODE_LONG64:
	default:
		sr->cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE |
			  X86_CR0_WP | X86_CR0_PG;
		sr->cr3 = GUEST_PML4_GPA;
		sr->cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
		sr->efer = EFER_LME | EFER_LMA;
		seg_set(&sr->cs, GUEST_SEL_CODE64, 0, 0xffffffff, 11, false,
			true);
		seg_set(&data, GUEST_SEL_DATA, 0, 0xffffffff, 3, true, false);
		sr->idt.limit = 32 * 16 - 1;
		break;
	}
	sr->ds = sr->es = sr->fs = sr->gs = sr->ss = data;
}

int guest_setup_mode(struct guest *g, enum guest_mode mode, uint64_t rip)
{
	struct kvm_sregs sr;
	struct kvm_regs regs;
	int r;

	r = vcpu_get_sregs(g, &sr);
	if (r)
		return r;
	guest_mode_sregs(g, mode, &sr);
	r = vcpu_set_sregs(g, &sr);
	if (r)
		return r;
	memset(&regs, 0, sizeof(regs));
	regs.rip = rip;
	regs.rsp = GUEST_STACK_TOP;
	regs.rflags = 2;
	return vcpu_set_regs(g, &regs);
}

int guest_start(struct guest *g, enum guest_mode mode, const uint8_t *code,
		const uint8_t *code_end)
{
	TEST_ASSERT(code_end - code <= (long)GUEST_CODE_MAX, "code too big");
	guest_load(g, GUEST_CODE_GPA, code, code_end);
	return guest_setup_mode(g, mode,
				mode == GUEST_MODE_REAL ? 0 : GUEST_CODE_GPA);
}

int vcpu_run(struct guest *g)
{
	struct itimerval it;
	int r;

	g->timed_out = false;
	memset(&it, 0, sizeof(it));
	if (g->timeout_ms) {
		watchdog_fired = 0;
		it.it_value.tv_sec = g->timeout_ms / 1000;
		it.it_value.tv_usec = (g->timeout_ms % 1000) * 1000;
		setitimer(ITIMER_REAL, &it, NULL);
	}
	r = (int)kvm_ioctl(g->vcpu, KVM_RUN, 0);
	last_run_err = r;
	if (g->timeout_ms) {
		memset(&it, 0, sizeof(it));
		setitimer(ITIMER_REAL, &it, NULL);
		g->timed_out = r == -EINTR && watchdog_fired;
	}
	return r;
}

int vcpu_run_until_exit(struct guest *g)
{
	int r = vcpu_run(g);

	return r < 0 ? r : (int)g->run->exit_reason;
}

int vcpu_get_regs(struct guest *g, struct kvm_regs *regs)
{
	return (int)KVM_IOCTL(g->vcpu, KVM_GET_REGS, regs);
}

int vcpu_set_regs(struct guest *g, const struct kvm_regs *regs)
{
	return (int)KVM_IOCTL(g->vcpu, KVM_SET_REGS, regs);
}

int vcpu_get_sregs(struct guest *g, struct kvm_sregs *sregs)
{
	return (int)KVM_IOCTL(g->vcpu, KVM_GET_SREGS, sregs);
}

int vcpu_set_sregs(struct guest *g, const struct kvm_sregs *sregs)
{
	return (int)KVM_IOCTL(g->vcpu, KVM_SET_SREGS, sregs);
}

uint64_t vcpu_rip(struct guest *g)
{
	struct kvm_regs regs;

	TEST_ASSERT(vcpu_get_regs(g, &regs) == 0, "KVM_GET_REGS");
	return regs.rip;
}

struct one_msr {
	struct kvm_msrs hdr;
	struct kvm_msr_entry e;
};

int vcpu_get_msr(struct guest *g, uint32_t index, uint64_t *value)
{
	struct one_msr m;
	int r;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = 1;
	m.e.index = index;
	r = (int)KVM_IOCTL(g->vcpu, KVM_GET_MSRS, &m);
	*value = m.e.data;
	return r;
}

int vcpu_set_msr(struct guest *g, uint32_t index, uint64_t value)
{
	struct one_msr m;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = 1;
	m.e.index = index;
	m.e.data = value;
	return (int)KVM_IOCTL(g->vcpu, KVM_SET_MSRS, &m);
}

void *guest_io_data(struct guest *g)
{
	return (uint8_t *)g->run + g->run->io.data_offset;
}

int guest_report(struct guest *g, struct kvm_regs *regs)
{
	struct kvm_run *run = g->run;
	struct kvm_regs tmp;

	if (run->exit_reason != KVM_EXIT_IO ||
	    run->io.direction != KVM_EXIT_IO_OUT)
		return 0;
	if (run->io.port != GUEST_PORT_DONE && run->io.port != GUEST_PORT_FAIL &&
	    run->io.port != GUEST_PORT_EXC)
		return 0;
	if (!regs)
		regs = &tmp;
	TEST_ASSERT(vcpu_get_regs(g, regs) == 0, "KVM_GET_REGS");
	return run->io.port;
}

int guest_run_report(struct guest *g, struct kvm_regs *regs)
{
	int r = vcpu_run(g);

	if (r < 0)
		return r;
	return guest_report(g, regs);
}

uint64_t guest_run_done(struct guest *g)
{
	struct kvm_regs regs;
	int r = guest_run_report(g, &regs);

	TEST_ASSERT(r == GUEST_PORT_DONE, "expected the guest's DONE report, got: %s",
		    guest_exit_str(g));
	return regs.rax;
}

void guest_run_hlt(struct guest *g)
{
	int r = vcpu_run(g);

	TEST_ASSERT(r == 0 && g->run->exit_reason == KVM_EXIT_HLT,
		    "expected KVM_EXIT_HLT, got: %s", guest_exit_str(g));
}

const char *exit_reason_str(unsigned int reason)
{
	static const char *const names[] = {
		[KVM_EXIT_UNKNOWN] = "KVM_EXIT_UNKNOWN",
		[KVM_EXIT_EXCEPTION] = "KVM_EXIT_EXCEPTION",
		[KVM_EXIT_IO] = "KVM_EXIT_IO",
		[KVM_EXIT_HYPERCALL] = "KVM_EXIT_HYPERCALL",
		[KVM_EXIT_DEBUG] = "KVM_EXIT_DEBUG",
		[KVM_EXIT_HLT] = "KVM_EXIT_HLT",
		[KVM_EXIT_MMIO] = "KVM_EXIT_MMIO",
		[KVM_EXIT_IRQ_WINDOW_OPEN] = "KVM_EXIT_IRQ_WINDOW_OPEN",
		[KVM_EXIT_SHUTDOWN] = "KVM_EXIT_SHUTDOWN",
		[KVM_EXIT_FAIL_ENTRY] = "KVM_EXIT_FAIL_ENTRY",
		[KVM_EXIT_INTR] = "KVM_EXIT_INTR",
		[KVM_EXIT_SET_TPR] = "KVM_EXIT_SET_TPR",
		[KVM_EXIT_TPR_ACCESS] = "KVM_EXIT_TPR_ACCESS",
		[KVM_EXIT_NMI] = "KVM_EXIT_NMI",
		[KVM_EXIT_INTERNAL_ERROR] = "KVM_EXIT_INTERNAL_ERROR",
		[KVM_EXIT_SYSTEM_EVENT] = "KVM_EXIT_SYSTEM_EVENT",
		[KVM_EXIT_X86_RDMSR] = "KVM_EXIT_X86_RDMSR",
		[KVM_EXIT_X86_WRMSR] = "KVM_EXIT_X86_WRMSR",
	};

	if (reason < ARRAY_SIZE(names) && names[reason])
		return names[reason];
	return "KVM_EXIT_?";
}

const char *guest_exit_str(struct guest *g)
{
	static char buf[512];
	struct kvm_run *run = g->run;
	struct kvm_regs regs;
	size_t n = 0;
	unsigned int i;

#define ADD(...) (n += snprintf(buf + n, n < sizeof(buf) ? sizeof(buf) - n : 0, __VA_ARGS__))
	buf[0] = 0;
	if (g->timed_out)
		ADD("KVM_RUN interrupted by the %u ms watchdog (guest stuck?); ",
		    g->timeout_ms);
	else if (last_run_err < 0)
		ADD("KVM_RUN failed: %s; ", strerror(-last_run_err));
	ADD("exit_reason %u (%s)", run->exit_reason,
	    exit_reason_str(run->exit_reason));
	switch (run->exit_reason) {
	case KVM_EXIT_IO: {
		uint8_t *d = guest_io_data(g);

		ADD(" %s port %#x size %u count %u data",
		    run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
		    run->io.port, run->io.size, run->io.count);
		for (i = 0; i < run->io.size && i < 8; i++)
			ADD(" %02x", d[i]);
		break;
	}
	case KVM_EXIT_MMIO:
		ADD(" %s gpa %#llx len %u data",
		    run->mmio.is_write ? "write" : "read",
		    (unsigned long long)run->mmio.phys_addr, run->mmio.len);
		for (i = 0; i < run->mmio.len && i < 8; i++)
			ADD(" %02x", run->mmio.data[i]);
		break;
	case KVM_EXIT_DEBUG:
		ADD(" exception %u pc %#llx", run->debug.arch.exception,
		    (unsigned long long)run->debug.arch.pc);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		ADD(" hardware_entry_failure_reason %#llx",
		    (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		ADD(" suberror %u data", run->internal.suberror);
		for (i = 0; i < run->internal.ndata && i < 16; i++)
			ADD(" %#llx", (unsigned long long)run->internal.data[i]);
		break;
	}
	if (vcpu_get_regs(g, &regs) == 0) {
		ADD("; rip %#llx", (unsigned long long)regs.rip);
		if (guest_report(g, NULL) == GUEST_PORT_FAIL)
			ADD("; guest check failed: code %llu rbx %#llx rcx %#llx",
			    (unsigned long long)regs.rax,
			    (unsigned long long)regs.rbx,
			    (unsigned long long)regs.rcx);
		else if (guest_report(g, NULL) == GUEST_PORT_EXC)
			ADD("; guest exception vector %llu error code %#llx at rip %#llx",
			    (unsigned long long)regs.rax,
			    (unsigned long long)regs.rbx,
			    (unsigned long long)regs.rcx);
	}
#undef ADD
	return buf;
}
