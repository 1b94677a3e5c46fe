/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMX world switch.  Called with interrupts off and the vCPU's VMCS
 * current on this CPU.
 *
 *   int kvmx_vmx_vmenter(unsigned long *regs, bool launched)
 *
 * The VMCS switches RSP, RIP and RFLAGS (the C side copies them); the
 * other fifteen GPRs are swapped here from and to regs[] (KVMX_* order).
 * Returns 0 after a VM exit, 1 if VMLAUNCH/VMRESUME failed (VMfail, or a
 * fault because VMX is off): the caller reads VM_INSTRUCTION_ERROR.
 *
 * A VM exit lands at kvmx_vmx_vmexit (HOST_RIP) with RSP = HOST_RSP, which
 * is written here on every entry: the stack the exit path unwinds.
 */
#include <linux/linkage.h>
#include <linux/version.h>
#include <asm/asm.h>
#include <asm/ibt.h>
#include <asm/nospec-branch.h>
#include <asm/segment.h>
#include <asm/unwind_hints.h>

#define REG(n)	(n * 8)

/* <asm/vmx.h> is C only: the HOST_RSP field encoding. */
#define VMCS_HOST_RSP	0x00006c14

/* The kernel's NMI entry that KVM calls after an NMI exit. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
#define KVMX_NMI_ENTRY	asm_exc_nmi_noist
#else
#define KVMX_NMI_ENTRY	asm_exc_nmi_kvm_vmx
#endif

.text

SYM_FUNC_START(kvmx_vmx_vmenter)
	push %rbp
	mov  %rsp, %rbp
	push %r15
	push %r14
	push %r13
	push %r12
	push %rbx
	push %rdi		/* regs: the exit path finds it at (%rsp) */

	/* The exit resumes on exactly this stack. */
	mov $VMCS_HOST_RSP, %eax
	vmwrite %rsp, %rax
	jbe .Lfail

	/* ZF from here to the branch picks VMLAUNCH or VMRESUME. */
	test %sil, %sil

	mov %rdi, %rax
	mov REG(1)(%rax), %rcx
	mov REG(2)(%rax), %rdx
	mov REG(3)(%rax), %rbx
	mov REG(5)(%rax), %rbp
	mov REG(6)(%rax), %rsi
	mov REG(7)(%rax), %rdi
	mov REG(8)(%rax), %r8
	mov REG(9)(%rax), %r9
	mov REG(10)(%rax), %r10
	mov REG(11)(%rax), %r11
	mov REG(12)(%rax), %r12
	mov REG(13)(%rax), %r13
	mov REG(14)(%rax), %r14
	mov REG(15)(%rax), %r15
	mov REG(0)(%rax), %rax

	jnz .Lresume

	/* Success continues at kvmx_vmx_vmexit, on the stack saved above. */
	UNWIND_HINT_SAVE
.Llaunch:
	vmlaunch
	jmp .Lfail
.Lresume:
	vmresume
	jmp .Lfail

	_ASM_EXTABLE(.Llaunch, .Lfail)
	_ASM_EXTABLE(.Lresume, .Lfail)

SYM_INNER_LABEL(kvmx_vmx_vmexit, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ENDBR

	push %rax
	mov 8(%rsp), %rax	/* regs */
	pop REG(0)(%rax)
	mov %rcx, REG(1)(%rax)
	mov %rdx, REG(2)(%rax)
	mov %rbx, REG(3)(%rax)
	mov %rbp, REG(5)(%rax)
	mov %rsi, REG(6)(%rax)
	mov %rdi, REG(7)(%rax)
	mov %r8,  REG(8)(%rax)
	mov %r9,  REG(9)(%rax)
	mov %r10, REG(10)(%rax)
	mov %r11, REG(11)(%rax)
	mov %r12, REG(12)(%rax)
	mov %r13, REG(13)(%rax)
	mov %r14, REG(14)(%rax)
	mov %r15, REG(15)(%rax)
	xor %ebx, %ebx
	jmp .Lout

.Lfail:
	/* VMfail or a fault: guest registers were never live. */
	mov $1, %ebx

.Lout:
	/*
	 * Leave no guest value behind in a register, and no guest return
	 * address in the RSB before the first unbalanced RET.
	 */
	xor %eax, %eax
	xor %ecx, %ecx
	xor %edx, %edx
	xor %ebp, %ebp
	xor %esi, %esi
	xor %edi, %edi
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r11d, %r11d
	xor %r12d, %r12d
	xor %r13d, %r13d
	xor %r14d, %r14d
	xor %r15d, %r15d
	FILL_RETURN_BUFFER %rcx, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT, \
			   X86_FEATURE_RSB_VMEXIT_LITE

	mov %ebx, %eax
	add $8, %rsp		/* regs */
	pop %rbx
	pop %r12
	pop %r13
	pop %r14
	pop %r15
	pop %rbp
	RET
SYM_FUNC_END(kvmx_vmx_vmenter)

/*
 * An NMI that caused a VM exit was not delivered to the host, and NMIs
 * stay blocked until the next IRET.  Run the kernel's NMI handler as if
 * the CPU had delivered it here: an interrupt frame (SS, RSP, RFLAGS, CS,
 * return address) on a 16-byte aligned stack; its IRET unblocks NMIs.
 */
SYM_FUNC_START(kvmx_vmx_do_nmi)
	push %rbp
	mov %rsp, %rbp
	and $-16, %rsp
	push $__KERNEL_DS
	push %rbp
	pushf
	push $__KERNEL_CS
	call KVMX_NMI_ENTRY
	/* IRET restored RSP already; say so in a way objtool follows. */
	mov %rbp, %rsp
	pop %rbp
	RET
SYM_FUNC_END(kvmx_vmx_do_nmi)
