/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Template that runs one instruction on the real CPU.  realcpu.c copies
 * tramp_start..tramp_end into an executable page, writes the instruction
 * over the NOPs at tramp_slot and calls it with %rdi = struct cpu_state.
 * Every GPR including RSP, RFLAGS and YMM0-15 are loaded from the state;
 * afterwards they are stored RIP-relative into tramp_out in the copy, so
 * the instruction may clobber any register.
 */
#define ST_RFLAGS	128
#define ST_YMM		160

	.text
	.globl	tramp_start, tramp_slot, tramp_out, tramp_end
	.p2align 6
tramp_start:
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, saved_rsp(%rip)

	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vmovdqu	ST_YMM + \n * 32(%rdi), %ymm\n
	.endr

	pushq	ST_RFLAGS(%rdi)
	popfq
	mov	0(%rdi), %rax
	mov	8(%rdi), %rcx
	mov	16(%rdi), %rdx
	mov	24(%rdi), %rbx
	mov	40(%rdi), %rbp
	mov	48(%rdi), %rsi
	mov	64(%rdi), %r8
	mov	72(%rdi), %r9
	mov	80(%rdi), %r10
	mov	88(%rdi), %r11
	mov	96(%rdi), %r12
	mov	104(%rdi), %r13
	mov	112(%rdi), %r14
	mov	120(%rdi), %r15
	mov	32(%rdi), %rsp
	mov	56(%rdi), %rdi
tramp_slot:
	.fill	16, 1, 0x90
	mov	%rax, tramp_out + 0(%rip)
	mov	%rcx, tramp_out + 8(%rip)
	mov	%rdx, tramp_out + 16(%rip)
	mov	%rbx, tramp_out + 24(%rip)
	mov	%rsp, tramp_out + 32(%rip)
	mov	%rbp, tramp_out + 40(%rip)
	mov	%rsi, tramp_out + 48(%rip)
	mov	%rdi, tramp_out + 56(%rip)
	mov	%r8, tramp_out + 64(%rip)
	mov	%r9, tramp_out + 72(%rip)
	mov	%r10, tramp_out + 80(%rip)
	mov	%r11, tramp_out + 88(%rip)
	mov	%r12, tramp_out + 96(%rip)
	mov	%r13, tramp_out + 104(%rip)
	mov	%r14, tramp_out + 112(%rip)
	mov	%r15, tramp_out + 120(%rip)
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vmovdqu	%ymm\n, tramp_out + ST_YMM + \n * 32(%rip)
	.endr
	mov	saved_rsp(%rip), %rsp
	pushfq
	popq	tramp_out + ST_RFLAGS(%rip)
	pushq	$0x202			/* DF and AC off again for C */
	popfq
	vzeroupper
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret

	.p2align 6
saved_rsp:
	.quad	0
	.p2align 6
tramp_out:
	.fill	ST_YMM + 16 * 32, 1, 0
tramp_end:
	.section .note.GNU-stack, "", @progbits
