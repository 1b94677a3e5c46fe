/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny guest-building library for the kvmx selftests: one VM, one
 * memslot of guest RAM at GPA 0, one vCPU, and the register state for
 * real mode, 32-bit protected mode or 64-bit long mode.  Much smaller than
 * upstream's tools/testing/selftests/kvm/lib, and written against the same
 * ABI only: it runs unchanged on the stock KVM and on kvmx.
 *
 * Guest code is written in the test file as an asm() block (GUEST_CODE()),
 * assembled into the test binary's .rodata and copied into guest memory
 * at GUEST_CODE_GPA.  It must be position independent: relative jumps,
 * RIP-relative data in 64-bit code, and absolute addresses only for the
 * fixed GPAs below.  In real mode CS.base is GUEST_CODE_GPA and IP starts
 * at 0, so "label - start" is a label's offset in CS.
 *
 * Guest memory layout (slot 0, GPA 0 .. mem_size, identity mapped in long
 * mode with 2 MiB pages over the first 4 GiB, so GPAs outside every
 * memslot can be reached too, e.g. for MMIO):
 *
 *   0x01000  IDT (long mode: 32 exception gates to the stubs below)
 *   0x02000  GDT (null, code64 0x08, data 0x10, code32 0x18)
 *   0x03000  PML4, 0x4000 PDPT, 0x5000-0x8fff four page directories
 *   0x09000  exception stubs (64-bit)
 *   0x0f000  initial stack pointer (grows down)
 *   0x10000  guest code
 *   0x20000  free for the tests (GUEST_DATA_GPA)
 *
 * Reports: the guest tells the host something with an OUT to a port:
 *   GUEST_PORT_DONE (0xe9)  "done", the value in RAX (more in RBX, RCX...)
 *   GUEST_PORT_FAIL (0xea)  a check in the guest failed, RAX = code
 *   GUEST_PORT_EXC  (0xeb)  an exception reached the stubs: RAX = vector,
 *                           RBX = error code (0 if none), RCX = RIP pushed
 * The host reads the registers with KVM_GET_REGS; the next KVM_RUN goes on
 * after the OUT.
 */
#ifndef KVMX_GUEST_H
#define KVMX_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#define GUEST_MEM_SIZE_DEFAULT	(2UL << 20)

/* KVM's limit on CPUID entries (not in the uapi header). */
#define GUEST_MAX_CPUID_ENTRIES	256

#define GUEST_IDT_GPA		0x1000UL
#define GUEST_GDT_GPA		0x2000UL
#define GUEST_PML4_GPA		0x3000UL
#define GUEST_PDPT_GPA		0x4000UL
#define GUEST_PD_GPA		0x5000UL	/* 4 pages: 0 .. 4 GiB */
#define GUEST_STUBS_GPA		0x9000UL
#define GUEST_STACK_TOP		0xf000UL
#define GUEST_CODE_GPA		0x10000UL
#define GUEST_CODE_MAX		0x10000UL
#define GUEST_DATA_GPA		0x20000UL

/* GDT selectors. */
#define GUEST_SEL_CODE64	0x08
#define GUEST_SEL_DATA		0x10
#define GUEST_SEL_CODE32	0x18

#define GUEST_PORT_DONE		0xe9
#define GUEST_PORT_FAIL		0xea
#define GUEST_PORT_EXC		0xeb

#define GUEST_XSTR(x)		#x
#define GUEST_STR(x)		GUEST_XSTR(x)

/* Guest asm snippets (any mode: the assembler adds the size prefix). */
#define GUEST_ASM_DONE		"out %eax, $" GUEST_STR(GUEST_PORT_DONE) "\n\t"
#define GUEST_ASM_FAIL		"out %eax, $" GUEST_STR(GUEST_PORT_FAIL) "\n\t"
/* Report "done", then stay halted (each KVM_RUN gives KVM_EXIT_HLT). */
#define GUEST_ASM_DONE_HLT	GUEST_ASM_DONE "1001: hlt\n\tjmp 1001b\n\t"

/*
 * GUEST_CODE(name, bits, "asm") defines the byte arrays name[] ..
 * name_end[] holding the code assembled for bits = 16, 32 or 64.  Labels
 * inside it may be declared with GUEST_LABEL() and located in the guest
 * with GUEST_ADDR().  Use numeric local labels (1:, 1b) or names unique in
 * the file.
 */
#define GUEST_CODE(name, bits, body)					\
	extern const uint8_t name[], name##_end[];			\
	asm(".pushsection .rodata.guest_code, \"a\"\n"			\
	    ".balign 16\n"						\
	    #name ":\n"							\
	    ".code" #bits "\n\t"					\
	    body "\n"							\
	    ".code64\n"							\
	    #name "_end:\n"						\
	    ".popsection\n")

#define GUEST_LABEL(label)	extern const uint8_t label[]

/* The GPA of label in code loaded at GUEST_CODE_GPA. */
#define GUEST_ADDR(code, label)						\
	(GUEST_CODE_GPA + ((uintptr_t)(label) - (uintptr_t)(code)))

enum guest_mode {
	GUEST_MODE_REAL,	/* CS = GUEST_CODE_GPA >> 4, IP = 0 */
	GUEST_MODE_PROT32,	/* flat 4 GiB segments, CR0.PE, no paging */
	GUEST_MODE_LONG64,	/* 4-level paging, 2 MiB pages, EFER.LMA */
};

struct guest {
	int kvm;			/* /dev/kvm */
	int vm;
	int vcpu;
	unsigned long vcpu_id;		/* KVM_CREATE_VCPU's id */
	bool secondary;			/* guest_add_vcpu(): shares kvm, vm, mem */
	struct kvm_run *run;		/* the vCPU's mmap */
	size_t run_size;
	uint8_t *mem;			/* slot 0: GPA 0 .. mem_size */
	size_t mem_size;
	struct kvm_cpuid2 *cpuid;	/* KVM_GET_SUPPORTED_CPUID, as set */
	unsigned int timeout_ms;	/* KVM_RUN watchdog, 0: none */
	bool timed_out;			/* the last run hit the watchdog */
};

/*
 * Open /dev/kvm, create the VM, slot 0 of mem_size bytes (0: the default)
 * at GPA 0, vCPU 0, and give it KVM_GET_SUPPORTED_CPUID as its CPUID (as
 * upstream's selftests do; 6.12 refuses EFER.LME without CPUID.LM).
 * 0 or -errno.
 */
int guest_create(struct guest *g, size_t mem_size);

/* Options of guest_create_flags(). */
#define GUEST_F_IRQCHIP		(1u << 0)	/* KVM_CREATE_IRQCHIP before the vCPU */
#define GUEST_F_SPLIT_IRQCHIP	(1u << 1)	/* KVM_CAP_SPLIT_IRQCHIP, 24 pins */

/* guest_create() with GUEST_F_* options.  0 or -errno. */
int guest_create_flags(struct guest *g, size_t mem_size, unsigned int flags);

/*
 * Another vCPU of g's VM, with id id: ap shares g's /dev/kvm, VM and
 * memory and gets the same CPUID.  All the vCPU helpers work on ap.
 * guest_destroy(ap) closes only the vCPU; destroy every ap before g.
 * 0 or -errno.
 */
int guest_add_vcpu(struct guest *g, struct guest *ap, unsigned long id);

void guest_destroy(struct guest *g);

/* Host pointer to guest physical address gpa in slot 0. */
void *guest_ptr(struct guest *g, uint64_t gpa);

/* Copy [start, end) to gpa. */
void guest_load(struct guest *g, uint64_t gpa, const void *start,
		const void *end);

/*
 * Copy code .. code_end to GUEST_CODE_GPA, build the tables mode needs in
 * guest memory, and set SREGS and REGS: RIP at the code's first byte,
 * RSP = GUEST_STACK_TOP, RFLAGS = 2, the other GPRs 0.  0 or -errno.
 */
int guest_start(struct guest *g, enum guest_mode mode, const uint8_t *code,
		const uint8_t *code_end);

/* The same without loading code; RIP = rip (an offset in CS in real mode). */
int guest_setup_mode(struct guest *g, enum guest_mode mode, uint64_t rip);

/*
 * Point IDT gate vector (long mode) at handler, a GPA, and make the IDT
 * limit cover all 256 gates (KVM_SET_SREGS).  0 or -errno.
 */
int guest_set_idt_gate(struct guest *g, unsigned int vector, uint64_t handler);

/* Fill sregs for mode (and write its tables to guest memory). */
void guest_mode_sregs(struct guest *g, enum guest_mode mode,
		      struct kvm_sregs *sregs);

/* KVM_RUN once: 0 or -errno (with the watchdog, -EINTR and timed_out). */
int vcpu_run(struct guest *g);

/* KVM_RUN once: run->exit_reason, or -errno if KVM_RUN failed. */
int vcpu_run_until_exit(struct guest *g);

/* Register accessors: 0 or -errno. */
int vcpu_get_regs(struct guest *g, struct kvm_regs *regs);
int vcpu_set_regs(struct guest *g, const struct kvm_regs *regs);
int vcpu_get_sregs(struct guest *g, struct kvm_sregs *sregs);
int vcpu_set_sregs(struct guest *g, const struct kvm_sregs *sregs);
uint64_t vcpu_rip(struct guest *g);

/* KVM_GET_MSRS / KVM_SET_MSRS of one MSR: the ioctl's result (1 = done). */
int vcpu_get_msr(struct guest *g, uint32_t index, uint64_t *value);
int vcpu_set_msr(struct guest *g, uint32_t index, uint64_t value);

/* Data of the current KVM_EXIT_IO, in the kvm_run mapping. */
void *guest_io_data(struct guest *g);

/*
 * If the last exit is an OUT to one of the report ports, return that port
 * and fill regs (may be NULL); else 0.
 */
int guest_report(struct guest *g, struct kvm_regs *regs);

/*
 * KVM_RUN, then guest_report(): the port (GUEST_PORT_*), 0 for another
 * exit (see run->exit_reason), or -errno.
 */
int guest_run_report(struct guest *g, struct kvm_regs *regs);

/*
 * Run and expect GUEST_PORT_DONE: return RAX.  Anything else fails the
 * test (TEST_ASSERT: exit(1)) after describing the exit.
 */
uint64_t guest_run_done(struct guest *g);

/* Run and expect KVM_EXIT_HLT, as guest_run_done(). */
void guest_run_hlt(struct guest *g);

/* A description of the last exit and the vCPU's RIP, for messages. */
const char *guest_exit_str(struct guest *g);
const char *exit_reason_str(unsigned int reason);

/* KVM_GET_SUPPORTED_CPUID, malloc()ed with room for 256: NULL on error. */
struct kvm_cpuid2 *kvm_supported_cpuid(int kvm_fd);
struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t function,
				    uint32_t index);

/* The host CPU's virtualization extension: true for VMX, false for SVM. */
bool host_is_vmx(void);

#endif /* KVMX_GUEST_H */
