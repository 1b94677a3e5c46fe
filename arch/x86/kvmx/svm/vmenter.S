/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SVM world switch.  Called with interrupts off and GIF clear.
 *
 *   void kvmx_svm_vmrun(u64 vmcb_pa, unsigned long *regs, u64 host_pa)
 *
 * The host's VMSAVE state (FS/GS/TR/LDTR bases, syscall MSRs) is saved
 * here too, and restored before returning.
 *
 * VMRUN itself switches RAX, RSP, RIP and RFLAGS through the VMCB; the
 * other fourteen GPRs are swapped here from and to regs[] (KVMX_* order).
 */
#include <linux/linkage.h>
#include <asm/asm.h>

#define REG(n)	(n * 8)

.text

SYM_FUNC_START(kvmx_svm_vmrun)
	push %rbp
	mov  %rsp, %rbp
	push %r15
	push %r14
	push %r13
	push %r12
	push %rbx
	push %rdx		/* host VMSAVE area */
	push %rsi		/* regs */
	push %rdi		/* guest VMCB */

	mov %rdx, %rax
	vmsave %rax

	mov REG(1)(%rsi), %rcx
	mov REG(2)(%rsi), %rdx
	mov REG(3)(%rsi), %rbx
	mov REG(5)(%rsi), %rbp
	mov REG(7)(%rsi), %rdi
	mov REG(8)(%rsi), %r8
	mov REG(9)(%rsi), %r9
	mov REG(10)(%rsi), %r10
	mov REG(11)(%rsi), %r11
	mov REG(12)(%rsi), %r12
	mov REG(13)(%rsi), %r13
	mov REG(14)(%rsi), %r14
	mov REG(15)(%rsi), %r15
	mov REG(6)(%rsi), %rsi

	mov (%rsp), %rax
	vmload %rax
	vmrun %rax
	vmsave %rax

	mov 8(%rsp), %rax	/* regs */
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

	/* Host FS/GS/TR/LDTR and syscall MSRs back before anything uses them. */
	mov 16(%rsp), %rax
	vmload %rax

	/* Leave no guest value behind in a register. */
	xor %ecx, %ecx
	xor %edx, %edx
	xor %esi, %esi
	xor %edi, %edi
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r11d, %r11d

	add $24, %rsp
	pop %rbx
	pop %r12
	pop %r13
	pop %r14
	pop %r15
	pop %rbp
	RET
SYM_FUNC_END(kvmx_svm_vmrun)
