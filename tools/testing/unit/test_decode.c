// SPDX-License-Identifier: GPL-2.0
/*
 * Decoder tests: lengths of known encodings per mode, with the intercepted
 * instructions whose length is next-RIP on CPUs without NRIPS, the 15-byte
 * limit, prefix corner cases, and operand/address size selection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "harness.h"

#define L64	X86_EXEC_LONG64
#define P32	X86_EXEC_PROT32
#define P16	X86_EXEC_PROT16
#define RM	X86_EXEC_REAL
#define C32	X86_EXEC_COMPAT32

/* Expected results other than a length. */
#define GP	(-X86_DEC_GP)
#define UD	(-X86_DEC_UD)
#define SHORT	(-X86_DEC_SHORT)

struct len_case {
	int mode;
	const char *hex;
	int len;		/* or GP/UD/SHORT */
	const char *what;
};

static const struct len_case len_cases[] = {
	/* Intercepted instructions (next-RIP without NRIPS). */
	{ L64, "0f a2", 2, "cpuid" },
	{ L64, "0f 32", 2, "rdmsr" },
	{ L64, "0f 30", 2, "wrmsr" },
	{ L64, "0f 31", 2, "rdtsc" },
	{ L64, "0f 01 f9", 3, "rdtscp" },
	{ L64, "0f 01 d1", 3, "xsetbv" },
	{ L64, "0f 01 d9", 3, "vmmcall" },
	{ L64, "0f 01 c1", 3, "vmcall" },
	{ L64, "0f 01 d8", 3, "vmrun" },
	{ L64, "0f 01 c8", 3, "monitor" },
	{ L64, "0f 01 c9", 3, "mwait" },
	{ L64, "f4", 1, "hlt" },
	{ L64, "f3 90", 2, "pause" },
	{ L64, "cc", 1, "int3" },
	{ L64, "cd 80", 2, "int imm8" },
	{ L64, "f1", 1, "icebp" },
	{ L64, "0f 09", 2, "wbinvd" },
	{ L64, "0f 08", 2, "invd" },
	{ L64, "0f 33", 2, "rdpmc" },
	{ L64, "0f 06", 2, "clts" },
	{ L64, "0f 01 f0", 3, "lmsw ax" },
	{ L64, "0f 01 e0", 3, "smsw eax" },
	{ L64, "0f 01 38", 3, "invlpg [rax]" },
	{ L64, "0f 01 3c 24", 4, "invlpg [rsp]" },
	{ L64, "0f 01 7d 08", 4, "invlpg [rbp+8]" },
	{ L64, "0f 01 bc 24 00 01 00 00", 8, "invlpg [rsp+0x100]" },
	{ L64, "0f 01 3d 00 00 00 00", 7, "invlpg [rip]" },
	{ L64, "41 0f 01 3c 24", 5, "invlpg [r12]" },
	{ L64, "41 0f 01 7d 00", 5, "invlpg [r13+0]" },
	{ L64, "0f 01 3c 25 00 10 00 00", 8, "invlpg [abs32]" },
	{ L64, "0f 01 3c 85 00 10 00 00", 8, "invlpg [rax*4+d32]" },
	{ L64, "0f 20 d8", 3, "mov rax, cr3" },
	{ L64, "0f 22 d8", 3, "mov cr3, rax" },
	{ L64, "44 0f 20 c0", 4, "mov rax, cr8" },
	{ L64, "0f 21 f8", 3, "mov rax, dr7" },
	{ L64, "0f 23 f8", 3, "mov dr7, rax" },
	{ L64, "0f 20 18", 3, "mov cr: mod ignored" },
	{ L64, "0f 22 84", 3, "mov cr: no SIB/disp" },
	{ L64, "e4 60", 2, "in al, imm8" },
	{ L64, "e5 60", 2, "in eax, imm8" },
	{ L64, "66 e7 80", 3, "out imm8, ax" },
	{ L64, "ec", 1, "in al, dx" },
	{ L64, "66 ed", 2, "in ax, dx" },
	{ L64, "ef", 1, "out dx, eax" },
	{ L64, "6c", 1, "insb" },
	{ L64, "f3 6d", 2, "rep insd" },
	{ L64, "f3 66 6f", 3, "rep outsw" },
	{ L64, "f3 67 6e", 3, "rep outsb a32" },
	{ L64, "2e f3 6e", 3, "rep outsb cs:" },
	{ L64, "65 f3 48 6f", 4, "rep outs gs: rex.w" },

	/* MOV and friends. */
	{ L64, "88 00", 2, "mov [rax], al" },
	{ L64, "89 04 24", 3, "mov [rsp], eax" },
	{ L64, "48 89 84 24 00 01 00 00", 8, "mov [rsp+d32], rax" },
	{ L64, "c7 00 78 56 34 12", 6, "mov dword [rax], imm32" },
	{ L64, "48 c7 00 78 56 34 12", 7, "mov qword [rax], simm32" },
	{ L64, "66 c7 00 34 12", 5, "mov word [rax], imm16" },
	{ L64, "c6 05 00 00 00 00 ff", 7, "mov byte [rip], imm8" },
	{ L64, "a1 00 00 00 00 00 00 00 80", 9, "mov eax, moffs64" },
	{ L64, "48 a3 00 00 00 00 00 00 00 80", 10, "mov moffs64, rax" },
	{ L64, "67 a1 00 00 00 80", 6, "mov eax, moffs32" },
	{ L64, "48 b8 00 00 00 00 00 00 00 80", 10, "mov rax, imm64" },
	{ L64, "b8 00 00 00 80", 5, "mov eax, imm32" },
	{ L64, "66 b8 34 12", 4, "mov ax, imm16" },
	{ L64, "48 66 b8 34 12", 5, "REX cancelled by 66" },
	{ L64, "66 48 b8 00 00 00 00 00 00 00 80", 11, "REX.W beats 66" },
	{ L64, "0f b6 00", 3, "movzx" },
	{ L64, "48 63 c8", 3, "movsxd" },
	{ L64, "0f 38 f0 00", 4, "movbe load" },
	{ L64, "66 0f 38 f1 00", 5, "movbe store" },
	{ L64, "0f c3 00", 3, "movnti" },
	{ L64, "0f ba 20 05", 4, "bt [rax], imm8" },
	{ L64, "0f a3 00", 3, "bt [rax], eax" },
	{ L64, "f0 0f b1 0a", 4, "lock cmpxchg" },
	{ L64, "f6 00 ff", 3, "test byte [rax], imm8" },
	{ L64, "f6 10", 2, "not byte [rax]" },
	{ L64, "f7 00 01 00 00 00", 6, "test dword [rax], imm32" },
	{ L64, "66 f7 00 01 00", 5, "test word [rax], imm16" },
	{ L64, "48 f7 00 01 00 00 00", 7, "test qword, simm32" },
	{ L64, "f7 18", 2, "neg dword [rax]" },
	{ L64, "80 00 01", 3, "add byte [rax], 1" },
	{ L64, "81 00 01 00 00 00", 6, "add dword [rax], imm32" },
	{ L64, "83 00 01", 3, "add dword [rax], simm8" },
	{ L64, "f3 a4", 2, "rep movsb" },
	{ L64, "f3 48 ab", 3, "rep stosq" },

	/* SSE/AVX moves. */
	{ L64, "66 0f 6f 00", 4, "movdqa" },
	{ L64, "f3 0f 7f 40 10", 5, "movdqu store d8" },
	{ L64, "0f 10 00", 3, "movups" },
	{ L64, "66 48 0f 6e c0", 5, "movq xmm0, rax" },
	{ L64, "66 0f d6 00", 4, "movq [rax], xmm0" },
	{ L64, "c5 fe 6f 00", 4, "vmovdqu ymm0, [rax]" },
	{ L64, "c4 e1 7e 6f 00", 5, "vmovdqu ymm0, [rax] (3-byte)" },
	{ L64, "c4 c1 7e 7f 44 24 10", 7, "vmovdqu [r12+16], ymm0" },
	{ L64, "c5 f9 d6 00", 4, "vmovq [rax], xmm0" },
	{ L64, "c4 e3 79 0f c1 08", 6, "vpalignr (map 3 imm8)" },
	{ L64, "c5 f1 71 d0 04", 5, "vpsrlw imm8" },
	{ L64, "c5 f8 77", 3, "vzeroupper" },
	{ L64, "62 f1 7c 48 10 00", 6, "evex vmovups zmm0" },
	{ L64, "62 f1 7c 48 10 40 01", 7, "evex disp8" },
	{ L64, "66 c5 f9 6f 00", UD, "66 before VEX" },
	{ L64, "f0 c5 f9 6f 00", UD, "lock before VEX" },
	{ L64, "48 c5 f9 6f 00", UD, "REX before VEX" },
	{ L64, "0f 3a 0f c1 08", 5, "palignr (0f3a imm8)" },
	{ L64, "0f 38 00 c1", 4, "pshufb (0f38)" },
	{ L64, "0f 0f c1 b4", 4, "3dnow (imm8 suffix)" },

	/* Branches: 64-bit forces 32-bit displacement. */
	{ L64, "e8 00 00 00 00", 5, "call rel32" },
	{ L64, "66 e8 00 00 00 00", 6, "call rel32, 66 ignored" },
	{ L64, "0f 84 00 00 00 00", 6, "jz rel32" },
	{ L64, "eb 00", 2, "jmp rel8" },
	{ L64, "c8 10 00 00", 4, "enter" },
	{ L64, "c2 08 00", 3, "ret imm16" },
	{ L64, "68 00 00 00 00", 5, "push imm32" },
	{ L64, "66 68 00 00", 4, "push imm16" },

	/* Invalid in 64-bit mode. */
	{ L64, "06", UD, "push es" },
	{ L64, "d6", UD, "salc" },
	{ L64, "9a 00 00 00 00 00 00", UD, "call far" },
	{ L64, "0f 04", UD, "0f 04" },
	{ L64, "0f 24 00", UD, "mov tr" },

	/* Limits and truncation. */
	{ L64, "66 66 66 66 66 66 66 66 66 66 66 66 66 66 90", 15, "15 bytes" },
	{ L64, "66 66 66 66 66 66 66 66 66 66 66 66 66 66 66 90", GP,
	  "16 bytes" },
	{ L64, "66 66 66 66 66 66 66 66 66 66 66 48 c7 00 78 56 34 12", GP,
	  "prefixed mov over 15" },
	{ L64, "26 2e 36 3e 64 65 66 67 f0 f3 48 81 00 01 00 00 00", GP,
	  "17 bytes with every prefix" },
	{ L64, "26 2e 64 65 66 67 f3 48 81 00 01 00 00 00", 14,
	  "many prefixes, 66 and W" },
	{ L64, "0f", SHORT, "truncated escape" },
	{ L64, "48", SHORT, "truncated after REX" },
	{ L64, "c7 00 78 56", SHORT, "truncated imm" },
	{ L64, "8b 84 24 00 01", SHORT, "truncated disp" },
	{ L64, "c4 e1", SHORT, "truncated VEX" },

	/* 32-bit protected mode. */
	{ P32, "c4 00", 2, "les" },
	{ P32, "c5 00", 2, "lds" },
	{ P32, "c5 f9 6f 00", 4, "vmovdqa (VEX in 32-bit)" },
	{ P32, "62 00", 2, "bound" },
	{ P32, "40", 1, "inc eax" },
	{ P32, "a1 00 10 00 00", 5, "mov eax, moffs32" },
	{ P32, "67 a1 00 10", 4, "mov eax, moffs16" },
	{ P32, "8b 04 24", 3, "mov eax, [esp]" },
	{ P32, "8b 05 00 10 00 00", 6, "mov eax, [abs32]" },
	{ P32, "67 8b 46 08", 4, "mov eax, [bp+8]" },
	{ P32, "67 8b 06 00 10", 5, "mov eax, [abs16]" },
	{ P32, "67 8b 86 00 10", 5, "mov eax, [bp+d16]" },
	{ P32, "66 b8 34 12", 4, "mov ax, imm16" },
	{ P32, "e8 00 00 00 00", 5, "call rel32" },
	{ P32, "66 e8 00 00", 4, "call rel16" },
	{ P32, "ea 00 00 00 00 08 00", 7, "jmp far 16:32" },
	{ P32, "66 ea 00 00 08 00", 6, "jmp far 16:16" },
	{ P32, "06", 1, "push es" },
	{ C32, "48 8b 00", 1, "dec eax (no REX in compat)" },

	/* 16-bit modes. */
	{ RM, "b8 34 12", 3, "mov ax, imm16" },
	{ RM, "66 b8 78 56 34 12", 6, "mov eax, imm32" },
	{ RM, "8b 46 08", 3, "mov ax, [bp+8]" },
	{ RM, "8b 06 00 10", 4, "mov ax, [abs16]" },
	{ RM, "67 8b 04 24", 4, "mov ax, [esp]" },
	{ RM, "67 8b 05 00 10 00 00", 7, "mov ax, [abs32]" },
	{ RM, "a1 00 10", 3, "mov ax, moffs16" },
	{ RM, "67 a1 00 10 00 00", 6, "mov ax, moffs32" },
	{ RM, "e8 00 10", 3, "call rel16" },
	{ RM, "c7 06 00 10 34 12", 6, "mov word [abs16], imm16" },
	{ RM, "0f 20 c0", 3, "mov eax, cr0" },
	{ RM, "c4 c0", UD, "les with a register" },
	{ P16, "c5 f9 6f 00", 4, "VEX in 16-bit protected mode" },
	{ P16, "66 0f 01 3e 00 10", 6, "invlpg [abs16]" },
};

static int parse_hex(const char *s, uint8_t *out)
{
	int n = 0;

	while (*s) {
		if (*s == ' ') {
			s++;
			continue;
		}
		out[n++] = strtoul((char[]){ s[0], s[1], 0 }, NULL, 16);
		s += 2;
	}
	return n;
}

static void test_lengths(void)
{
	unsigned int i;
	char name[128];

	for (i = 0; i < sizeof(len_cases) / sizeof(len_cases[0]); i++) {
		const struct len_case *c = &len_cases[i];
		struct x86_insn insn;
		uint8_t buf[32];
		int n = parse_hex(c->hex, buf), r, got;

		r = x86_decode(&insn, c->mode, buf, n);
		got = r == X86_DEC_OK ? insn.len : -r;
		snprintf(name, sizeof(name), "decode %s (mode %d): want %d got %d",
			 c->what, c->mode, c->len, got);
		t_result(name, got == c->len);
	}
}

/* Operand/address sizes and operand fields for a few encodings. */
static void test_fields(void)
{
	struct x86_insn insn;
	uint8_t b[16];
	int n;

	n = parse_hex("66 67 41 8b 44 8d 10", b);
	T_CHECK("fields: 66 67 rex.b SIB",
		x86_decode(&insn, L64, b, n) == X86_DEC_OK &&
		insn.op_size == 2 && insn.ad_size == 4 &&
		insn.base == X86_R13 && insn.index == X86_RCX &&
		insn.scale == 4 && insn.disp == 0x10 &&
		insn.mem_seg == X86_SEG_DS);

	n = parse_hex("8b 04 25 00 10 00 00", b);
	T_CHECK("fields: SIB no base no index",
		x86_decode(&insn, L64, b, n) == X86_DEC_OK &&
		insn.base == X86_REG_NONE && insn.index == X86_REG_NONE &&
		insn.disp == 0x1000);

	n = parse_hex("8b 45 f8", b);
	T_CHECK("fields: [rbp-8] defaults to SS",
		x86_decode(&insn, L64, b, n) == X86_DEC_OK &&
		insn.mem_seg == X86_SEG_SS && insn.disp == -8);

	n = parse_hex("41 8b 45 f8", b);
	T_CHECK("fields: [r13-8] defaults to DS",
		x86_decode(&insn, L64, b, n) == X86_DEC_OK &&
		insn.mem_seg == X86_SEG_DS && insn.base == X86_R13);

	n = parse_hex("64 8b 45 f8", b);
	T_CHECK("fields: fs override",
		x86_decode(&insn, L64, b, n) == X86_DEC_OK &&
		insn.mem_seg == X86_SEG_FS);

	n = parse_hex("8b 05 10 00 00 00", b);
	T_CHECK("fields: RIP-relative",
		x86_decode(&insn, L64, b, n) == X86_DEC_OK &&
		insn.base == X86_REG_RIP && insn.disp == 0x10);

	n = parse_hex("8b 42 10", b);
	T_CHECK("fields: 16-bit [bp+si+8]",
		x86_decode(&insn, RM, b, n) == X86_DEC_OK &&
		insn.base == X86_RBP && insn.index == X86_RSI &&
		insn.mem_seg == X86_SEG_SS && insn.ad_size == 2);

	n = parse_hex("c4 41 7d 6f 00", b);
	T_CHECK("fields: VEX.256.66 R X B",
		x86_decode(&insn, L64, b, n) == X86_DEC_OK &&
		insn.vex == 3 && insn.vex_l == 1 && insn.simd_pfx == 0x66 &&
		insn.reg == 8 && insn.base == X86_R8 && insn.vex_vvvv == 0);

	n = parse_hex("f3 f2 0f 10 00", b);
	T_CHECK("fields: last of F2/F3 is the mandatory prefix",
		x86_decode(&insn, L64, b, n) == X86_DEC_OK &&
		insn.simd_pfx == 0xf2);

	n = parse_hex("6a ff", b);
	T_CHECK("fields: push imm8 is 64-bit",
		x86_decode(&insn, L64, b, n) == X86_DEC_OK &&
		insn.op_size == 8);

	n = parse_hex("40 88 e0", b);
	T_CHECK("fields: REX 40 keeps rm 4 = SPL",
		x86_decode(&insn, L64, b, n) == X86_DEC_OK &&
		insn.rex == 0x40 && insn.rm == 0 && insn.reg == 4);
}

void test_decode(void)
{
	test_lengths();
	test_fields();
}
