// SPDX-License-Identifier: GPL-2.0
/*
 * Emulator tests that the real CPU cannot check from user space: the MMIO
 * exit/resume protocol, segmentation in real and 16/32-bit protected mode,
 * canonical checks, instruction fetch across pages and the CS limit,
 * SSE/AVX availability faults, decode assists, and unhandleable reports.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_guest.h"
#include "harness.h"

#define RAM_SIZE	0x20000
#define GPA_MMIO	0x100000ULL

static struct fake_guest g;
static struct x86_emul em;
static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));
static uint8_t mmio[0x2000];
static uint8_t pt[16 * 4096] __attribute__((aligned(4096)));
static const struct x86_emul_cpu cpu = { .maxphyaddr = 40, .gbpages = 1 };

static void seg(int s, uint64_t base, uint32_t limit, uint8_t type, bool db)
{
	struct x86_seg_desc *d = &g.seg[s];

	memset(d, 0, sizeof(*d));
	d->base = base;
	d->limit = limit;
	d->type = type;
	d->s = 1;
	d->p = 1;
	d->db = db;
	d->sel = base >> 4;
}

/* Protected mode without paging, flat 4 GiB segments of size @db. */
static void setup_prot(bool db)
{
	int i;

	fg_init(&g);
	memset(ram, 0, sizeof(ram));
	memset(mmio, 0, sizeof(mmio));
	fg_add_region(&g, 0, ram, RAM_SIZE, false);
	fg_add_region(&g, GPA_MMIO, mmio, sizeof(mmio), true);
	for (i = 0; i < 6; i++)
		seg(i, 0, 0xffffffff, 3, db);
	seg(X86_SEG_CS, 0, 0xffffffff, 11, db);
	g.cr0 = X86_CR0_PE;
	g.cr4 = X86_CR4_OSFXSR | X86_CR4_OSXSAVE;
	g.xcr0 = 7;
	g.rflags = 0x2;
	g.rip = 0x1000;
	x86_emul_init(&em, &fg_ops, &g, &cpu);
}

static void setup_real(void)
{
	int i;

	setup_prot(false);
	g.cr0 = 0;
	for (i = 0; i < 6; i++)
		seg(i, 0, 0xffff, 3, false);
	seg(X86_SEG_CS, 0, 0xffff, 11, false);
}

/* 64-bit mode, CPL 0, 4-level paging; RAM identity-mapped. */
static void setup_long(void)
{
	uint64_t a;

	fg_init(&g);
	memset(ram, 0, sizeof(ram));
	fg_add_region(&g, 0, ram, RAM_SIZE, false);
	fg_add_region(&g, GPA_MMIO, mmio, sizeof(mmio), true);
	fg_setup_long64(&g, 0x200000, pt, sizeof(pt));
	g.cpl = 0;
	for (a = 0; a < RAM_SIZE; a += 4096)
		fg_map4k(&g, a, a, 3);
	fg_map4k(&g, GPA_MMIO, GPA_MMIO, 3);
	fg_map4k(&g, GPA_MMIO + 4096, GPA_MMIO + 4096, 3);
	g.rflags = 0x2;
	g.rip = 0x1000;
	x86_emul_init(&em, &fg_ops, &g, &cpu);
}

static int put(uint64_t gpa, const char *hex)
{
	int n = 0;

	while (*hex) {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		ram[gpa + n++] = strtoul((char[]){ hex[0], hex[1], 0 }, NULL,
					 16);
		hex += 2;
	}
	return n;
}

/* Run the code at RIP to completion; returns the final status. */
static int run(const char *hex)
{
	put(g.rip, hex);
	return fg_run(&g, &em);
}

static bool exc(int r, int vec, uint32_t ec)
{
	return r == X86EMUL_EXCEPTION && em.exc.vector == vec &&
	       (!em.exc.has_error_code || em.exc.error_code == ec);
}

static void test_mmio_protocol(void)
{
	uint32_t v = 0xdeadbeef;
	int r;

	setup_prot(true);
	put(0x1000, "8b 05 00 00 10 00");	/* mov eax, [0x100000] */
	g.gpr[X86_RAX] = 0x1111;
	r = x86_emulate(&em, NULL, 0);
	T_CHECK("mmio: read exits with gpa/len",
		r == X86EMUL_MMIO && !em.mmio.is_write &&
		em.mmio.gpa == GPA_MMIO && em.mmio.len == 4);
	T_CHECK("mmio: nothing committed before the data is in",
		g.rip == 0x1000 && g.gpr[X86_RAX] == 0x1111);
	memcpy(em.mmio.data, &v, 4);
	r = x86_emulate_resume(&em);
	T_CHECK("mmio: read completes on resume",
		r == X86EMUL_OK && g.gpr[X86_RAX] == v && g.rip == 0x1006);

	put(0x1006, "89 0d fe 0f 10 00");	/* mov [0x100ffe], ecx */
	g.gpr[X86_RCX] = 0x44332211;
	r = x86_emulate(&em, NULL, 0);
	T_CHECK("mmio: write exits, instruction committed",
		r == X86EMUL_MMIO && em.mmio.is_write &&
		em.mmio.gpa == GPA_MMIO + 0xffe && em.mmio.len == 2 &&
		em.mmio.data[0] == 0x11 && em.mmio.data[1] == 0x22 &&
		g.rip == 0x100c);
	r = x86_emulate_resume(&em);
	T_CHECK("mmio: page-split write, second piece",
		r == X86EMUL_MMIO && em.mmio.is_write &&
		em.mmio.gpa == GPA_MMIO + 0x1000 && em.mmio.len == 2 &&
		em.mmio.data[0] == 0x33 && em.mmio.data[1] == 0x44);
	T_CHECK("mmio: write done", x86_emulate_resume(&em) == X86EMUL_OK);

	/* RMW: read exit, then write exit with the sum. */
	put(0x100c, "83 05 10 00 10 00 05");	/* add dword [..10], 5 */
	r = x86_emulate(&em, NULL, 0);
	T_CHECK("mmio: RMW read first", r == X86EMUL_MMIO &&
		!em.mmio.is_write && em.mmio.gpa == GPA_MMIO + 0x10);
	em.mmio.data[0] = 0xfe;
	r = x86_emulate_resume(&em);
	T_CHECK("mmio: RMW then write", r == X86EMUL_MMIO &&
		em.mmio.is_write && em.mmio.data[0] == 3 &&
		em.mmio.data[1] == 1 && (g.rflags & X86_FL_CF) == 0);
	T_CHECK("mmio: RMW done", x86_emulate_resume(&em) == X86EMUL_OK &&
		g.rip == 0x1013);

	/* A 16-byte load comes in 8-byte pieces. */
	memset(g.vec[1], 0xaa, 32);
	put(0x1013, "f3 0f 6f 0d 00 00 10 00");	/* movdqu xmm1, [..] */
	r = x86_emulate(&em, NULL, 0);
	T_CHECK("mmio: 16-byte read, piece 1", r == X86EMUL_MMIO &&
		em.mmio.len == 8 && em.mmio.gpa == GPA_MMIO);
	memset(em.mmio.data, 0x11, 8);
	r = x86_emulate_resume(&em);
	T_CHECK("mmio: 16-byte read, piece 2", r == X86EMUL_MMIO &&
		em.mmio.len == 8 && em.mmio.gpa == GPA_MMIO + 8);
	memset(em.mmio.data, 0x22, 8);
	r = x86_emulate_resume(&em);
	T_CHECK("mmio: 16-byte read done, upper YMM kept",
		r == X86EMUL_OK && g.vec[1][0] == 0x11 && g.vec[1][8] == 0x22 &&
		g.vec[1][16] == 0xaa);

	/* REP MOVSB from MMIO: one iteration per call, RIP at the end. */
	put(0x101b, "f3 a4");
	g.gpr[X86_RSI] = GPA_MMIO + 0x100;
	g.gpr[X86_RDI] = 0x3000;
	g.gpr[X86_RCX] = 3;
	memcpy(mmio + 0x100, "xyz", 3);
	r = x86_emulate(&em, NULL, 0);
	T_CHECK("mmio: rep movsb reads", r == X86EMUL_MMIO);
	em.mmio.data[0] = 'x';
	r = x86_emulate_resume(&em);
	T_CHECK("mmio: rep iteration commits, RIP stays",
		r == X86EMUL_OK && em.rep_pending && g.rip == 0x101b &&
		g.gpr[X86_RCX] == 2 && g.gpr[X86_RSI] == GPA_MMIO + 0x101 &&
		ram[0x3000] == 'x');
	r = fg_run(&g, &em);
	T_CHECK("mmio: rep finishes", r == X86EMUL_OK && g.rip == 0x101d &&
		g.gpr[X86_RCX] == 0 && !memcmp(ram + 0x3000, "xyz", 3));

	/* TF: the caller is told to raise the single-step #DB. */
	g.rflags |= X86_FL_TF;
	r = run("89 0d 00 30 00 00");
	T_CHECK("singlestep flagged with TF", r == X86EMUL_OK &&
		em.singlestep);
	g.rflags &= ~X86_FL_TF;
	r = run("89 0d 00 30 00 00");
	T_CHECK("no singlestep without TF", r == X86EMUL_OK &&
		!em.singlestep);

	/* Decode assists: the bytes come from the caller, no fetch. */
	g.rip = 0x7000;		/* nothing there */
	r = x86_emulate(&em, (const uint8_t *)"\x8b\x05\x00\x00\x10\x00", 6);
	T_CHECK("decode assist bytes used", r == X86EMUL_MMIO &&
		em.mmio.gpa == GPA_MMIO);
}

static void test_segments32(void)
{
	int r;

	setup_prot(true);
	seg(X86_SEG_DS, 0x2000, 0xfff, 3, true);
	g.gpr[X86_RBX] = 0xffc;
	ram[0x2ffc] = 0x5a;
	r = run("8b 03");		/* mov eax, [ebx] */
	T_CHECK("seg32: base added, last dword in limit",
		r == X86EMUL_OK && g.gpr[X86_RAX] == 0x5a);
	g.rip = 0x1000;
	g.gpr[X86_RBX] = 0xffd;
	T_CHECK("seg32: dword over the limit: #GP(0)",
		exc(run("8b 03"), X86_VEC_GP, 0));
	g.gpr[X86_RBX] = 0xff0;
	g.gpr[X86_RBP] = 0x10;
	seg(X86_SEG_SS, 0, 0xfff, 3, true);
	T_CHECK("seg32: SS over the limit: #SS(0)",
		exc(run("8b 84 1d f0 0f 00 00"), X86_VEC_SS, 0));
	T_CHECK("seg32: DS: override of [ebp] goes to DS limits",
		exc(run("3e 8b 84 1d f0 0f 00 00"), X86_VEC_GP, 0));

	setup_prot(true);
	seg(X86_SEG_DS, 0, 0xffff, 1, true);	/* read-only data */
	g.gpr[X86_RBX] = 0x3000;
	T_CHECK("seg32: write to read-only data: #GP",
		exc(run("89 03"), X86_VEC_GP, 0));
	T_CHECK("seg32: read from read-only data",
		run("8b 03") == X86EMUL_OK);
	g.rip = 0x1000;
	T_CHECK("seg32: write through CS: #GP",
		exc(run("2e 89 03"), X86_VEC_GP, 0));
	T_CHECK("seg32: read through readable CS",
		run("2e 8b 03") == X86EMUL_OK);
	g.rip = 0x1000;
	seg(X86_SEG_CS, 0, 0xffffffff, 9, true);	/* execute-only */
	T_CHECK("seg32: read through execute-only CS: #GP",
		exc(run("2e 8b 03"), X86_VEC_GP, 0));

	/* Expand-down: offsets above the limit are the valid ones. */
	setup_prot(true);
	seg(X86_SEG_DS, 0, 0x1fff, 7, true);
	g.gpr[X86_RBX] = 0x1800;
	T_CHECK("seg32: expand-down below limit: #GP",
		exc(run("8b 03"), X86_VEC_GP, 0));
	g.gpr[X86_RBX] = 0x3000;
	T_CHECK("seg32: expand-down above limit", run("8b 03") == X86EMUL_OK);
	g.rip = 0x1000;
	seg(X86_SEG_DS, 0, 0x1fff, 7, false);
	g.gpr[X86_RBX] = 0xfffe;
	T_CHECK("seg32: expand-down 16-bit top is 0xffff: #GP",
		exc(run("8b 03"), X86_VEC_GP, 0));

	/* A null ES stops MOVS at the destination. */
	setup_prot(true);
	g.seg[X86_SEG_ES].unusable = 1;
	g.gpr[X86_RSI] = 0x3000;
	g.gpr[X86_RDI] = 0x4000;
	T_CHECK("seg32: null ES: #GP", exc(run("a4"), X86_VEC_GP, 0));

	/* CS limit cuts the fetch: #GP only if the bytes are needed. */
	setup_prot(true);
	seg(X86_SEG_CS, 0, 0x1002, 11, true);
	g.gpr[X86_RBX] = 0x3000;
	T_CHECK("seg32: insn across CS limit: #GP",
		exc(run("8b 83 00 01 00 00"), X86_VEC_GP, 0));
	T_CHECK("seg32: insn ending at CS limit", run("89 03") == X86EMUL_OK);

	/* 16-bit addressing in a 32-bit segment. */
	setup_prot(true);
	g.gpr[X86_RBX] = 0xffff1000;
	g.gpr[X86_RSI] = 0x20;
	ram[0x1030] = 0x77;
	r = run("67 8a 40 10");		/* mov al, [bx+si+0x10] */
	T_CHECK("seg32: 16-bit addressing wraps in 64K",
		r == X86EMUL_OK && (g.gpr[X86_RAX] & 0xff) == 0x77);
}

static void test_real_mode(void)
{
	int r;

	setup_real();
	seg(X86_SEG_DS, 0x5000, 0xffff, 3, false);
	g.gpr[X86_RBX] = 0xfff0;
	g.gpr[X86_RSI] = 0x20;
	ram[0x5010] = 0x99;
	r = run("8a 00");		/* mov al, [bx+si] */
	T_CHECK("real: [bx+si] wraps at 64K, DS base",
		r == X86EMUL_OK && (g.gpr[X86_RAX] & 0xff) == 0x99 &&
		g.rip == 0x1002);
	g.gpr[X86_RBX] = 0xffff;
	T_CHECK("real: word at 0xffff: #GP",
		exc(run("8b 07"), X86_VEC_GP, 0));
	g.rip = 0x1000;
	g.gpr[X86_RBP] = 0xffff;
	T_CHECK("real: word at ss:0xffff: #SS",
		exc(run("8b 46 00"), X86_VEC_SS, 0));

	/* REP STOSW with 16-bit DI and CX. */
	setup_real();
	seg(X86_SEG_ES, 0x6000, 0xffff, 3, false);
	g.gpr[X86_RDI] = 0xabcd0010;
	g.gpr[X86_RCX] = 0x12340002;
	g.gpr[X86_RAX] = 0xbeef;
	r = run("f3 ab");
	T_CHECK("real: rep stosw with 16-bit registers",
		r == X86EMUL_OK && g.gpr[X86_RDI] == 0xabcd0014 &&
		g.gpr[X86_RCX] == 0x12340000 && ram[0x6010] == 0xef &&
		ram[0x6013] == 0xbe && g.rip == 0x1002);
	g.rip = 0xfffe;
	g.gpr[X86_RBX] = 0x100;
	seg(X86_SEG_DS, 0, 0xffff, 3, false);
	r = run("88 07");	/* mov [bx], al at the very end of CS */
	T_CHECK("real: IP wraps at 64K", r == X86EMUL_OK && g.rip == 0);
}

/* Virtual-8086 mode: real-mode segments, CPL 3. */
static void test_vm86(void)
{
	int r;

	setup_real();
	g.cr0 = X86_CR0_PE | X86_CR0_AM;
	g.rflags |= X86_FL_VM;
	g.cpl = 3;
	seg(X86_SEG_DS, 0x5000, 0xffff, 3, false);
	g.gpr[X86_RBX] = 0x10;
	ram[0x5010] = 0x34;
	r = run("8a 07");
	T_CHECK("vm86: DS base, 16-bit addressing", r == X86EMUL_OK &&
		(g.gpr[X86_RAX] & 0xff) == 0x34 && g.rip == 0x1002);
	g.rflags |= X86_FL_AC;
	g.gpr[X86_RBX] = 0x11;
	T_CHECK("vm86: CPL 3 alignment check", exc(run("8b 07"), X86_VEC_AC,
						   0));
	g.rflags &= ~X86_FL_AC;
	T_CHECK("vm86: no AC flag, no #AC", run("8b 07") == X86EMUL_OK);
	g.gpr[X86_RBX] = 0xffff;
	T_CHECK("vm86: limit still applies", exc(run("8b 07"), X86_VEC_GP,
						 0));
	T_CHECK("vm86: no VEX, C5 with a register is LDS: #UD",
		exc(run("c5 f9 6f 07"), X86_VEC_UD, 0));
}

static void test_long_mode(void)
{
	int r;

	setup_long();
	g.gpr[X86_RBX] = 0x0000800000000000ULL;
	T_CHECK("long: non-canonical: #GP(0)",
		exc(run("8b 03"), X86_VEC_GP, 0));
	g.gpr[X86_RBP] = 0x0000800000000000ULL;
	T_CHECK("long: non-canonical via RBP: #SS(0)",
		exc(run("8b 45 00"), X86_VEC_SS, 0));
	g.gpr[X86_R13] = 0x0000800000000000ULL;
	T_CHECK("long: non-canonical via R13 is #GP",
		exc(run("41 8b 45 00"), X86_VEC_GP, 0));
	g.gpr[X86_RBX] = 0x7ffffffffffeULL;
	T_CHECK("long: access crossing the canonical edge: #GP",
		exc(run("8b 03"), X86_VEC_GP, 0));
	g.cr4 |= X86_CR4_LA57;
	g.gpr[X86_RBX] = 0x0000800000000000ULL;
	g.gpr[X86_RBX] = 0x0000800000000000ULL;
	put(g.rip, "8b 03");
	r = x86_emulate(&em, (const uint8_t *)"\x8b\x03", 2);
	T_CHECK("long: LA57 makes it canonical",
		!exc(r, X86_VEC_GP, 0) && !exc(r, X86_VEC_SS, 0));
	g.cr4 &= ~X86_CR4_LA57;

	/* FS base applies, DS base does not. */
	g.seg[X86_SEG_FS].base = 0x3000;
	g.seg[X86_SEG_DS].base = 0x9999000;
	g.gpr[X86_RBX] = 0x10;
	ram[0x3010] = 0x42;
	ram[0x10] = 0x24;
	r = run("64 8a 03");
	T_CHECK("long: FS base", r == X86EMUL_OK &&
		(g.gpr[X86_RAX] & 0xff) == 0x42);
	r = run("3e 8a 03");
	T_CHECK("long: DS base ignored", r == X86EMUL_OK &&
		(g.gpr[X86_RAX] & 0xff) == 0x24);

	/* Fetch across a page: the second page only matters if needed. */
	setup_long();
	fg_map4k(&g, 0x5000, 0, 0);		/* not present */
	g.rip = 0x4fff;
	g.gpr[X86_RDI] = 0x3000;
	r = run("aa");				/* stosb, last byte */
	T_CHECK("long: one-byte insn at page end", r == X86EMUL_OK &&
		g.rip == 0x5000);
	g.rip = 0x4ffe;
	r = run("89 07");
	T_CHECK("long: insn ending at page end", r == X86EMUL_OK);
	g.rip = 0x4ffe;
	r = run("8b 47");
	T_CHECK("long: insn running into a missing page: #PF on it",
		exc(r, X86_VEC_PF, X86_PFEC_I) && em.exc.cr2 == 0x5000);
	g.cpl = 3;
	g.rip = 0x1000;
	r = run("89 07");
	T_CHECK("long: user fetch of supervisor page: #PF U|I|P",
		exc(r, X86_VEC_PF, X86_PFEC_P | X86_PFEC_U | X86_PFEC_I) &&
		em.exc.cr2 == 0x1000);
	g.cpl = 0;

	/* Data page faults report CR2 and W. */
	setup_long();
	fg_map4k(&g, 0x5000, 0, 0);
	g.gpr[X86_RDI] = 0x5008;
	r = run("89 07");
	T_CHECK("long: write to missing page: #PF W",
		exc(r, X86_VEC_PF, X86_PFEC_W) && em.exc.cr2 == 0x5008);
	g.gpr[X86_RDI] = 0x4ffe;
	r = run("83 07 01");
	T_CHECK("long: RMW read faults as a write, on the 2nd page",
		exc(r, X86_VEC_PF, X86_PFEC_W) && em.exc.cr2 == 0x5000);
	T_CHECK("long: nothing written on a split fault",
		ram[0x4ffe] == 0 && ram[0x4fff] == 0);
}

static void test_faults_and_refusals(void)
{
	int r;

	setup_long();
	T_CHECK("ud: lock mov", exc(run("f0 89 07"), X86_VEC_UD, 0));
	T_CHECK("ud: lock add to a register",
		exc(run("f0 01 c0"), X86_VEC_UD, 0));
	T_CHECK("ud: lock cmp", exc(run("f0 39 07"), X86_VEC_UD, 0));
	T_CHECK("ud: movntdq register form",
		exc(run("66 0f e7 c0"), X86_VEC_UD, 0));
	T_CHECK("ud: movbe register form",
		exc(run("0f 38 f0 c0"), X86_VEC_UD, 0));
	T_CHECK("ud: vmovdqu with vvvv != 1111",
		exc(run("c5 f6 6f 07"), X86_VEC_UD, 0));
	T_CHECK("ud: vmovd with VEX.L=1",
		exc(run("c5 fd 6e 07"), X86_VEC_UD, 0));
	T_CHECK("ud: 0f 04 decodes as #UD", exc(run("0f 04"), X86_VEC_UD, 0));
	T_CHECK("gp: 16-byte instruction",
		exc(run("66 66 66 66 66 66 66 66 66 66 66 66 66 66 89 07"),
		    X86_VEC_GP, 0));

	g.cr0 |= X86_CR0_TS;
	T_CHECK("nm: SSE with CR0.TS", exc(run("f3 0f 6f 07"), X86_VEC_NM, 0));
	g.cr0 &= ~X86_CR0_TS;
	g.cr4 &= ~X86_CR4_OSFXSR;
	T_CHECK("ud: SSE without OSFXSR",
		exc(run("f3 0f 6f 07"), X86_VEC_UD, 0));
	g.cr4 |= X86_CR4_OSFXSR;
	g.xcr0 = 3;
	T_CHECK("ud: AVX without XCR0.YMM",
		exc(run("c5 fe 6f 07"), X86_VEC_UD, 0));
	g.xcr0 = 7;

	r = run("0f a2");
	T_CHECK("unhandleable: cpuid, bytes reported",
		r == X86EMUL_UNHANDLEABLE && em.insn.len == 2 &&
		em.insn.bytes[0] == 0x0f && em.insn.bytes[1] == 0xa2 &&
		em.why);
	T_CHECK("unhandleable: div", run("f7 37") == X86EMUL_UNHANDLEABLE);
	T_CHECK("unhandleable: imul", run("0f af 07") ==
		X86EMUL_UNHANDLEABLE);
	T_CHECK("unhandleable: MMX movq", run("0f 6f 07") ==
		X86EMUL_UNHANDLEABLE);
	T_CHECK("unhandleable: crc32 (f2 0f 38 f0)",
		run("f2 0f 38 f0 07") == X86EMUL_UNHANDLEABLE);
	T_CHECK("unhandleable: EVEX", run("62 f1 7c 48 10 07") ==
		X86EMUL_UNHANDLEABLE);
	T_CHECK("unhandleable: guest state untouched", g.rip == 0x1000);

	/* Next-RIP for intercepted instructions. */
	put(0x1000, "0f 01 d9");
	T_CHECK("decode at rip: vmmcall",
		x86_emul_decode_at_rip(&em) == X86EMUL_OK && em.insn.len == 3);
	put(0x1000, "f3 66 67 6f");
	T_CHECK("decode at rip: rep outsw a32",
		x86_emul_decode_at_rip(&em) == X86EMUL_OK && em.insn.len == 4);

	/* LOCKed RMW on RAM is a cmpxchg; a lost race means RETRY. */
	g.gpr[X86_RDI] = 0x3000;
	ram[0x3000] = 1;
	put(0x1000, "f0 80 07 00");	/* sets A/D, so only the data races */
	fg_run(&g, &em);
	g.rip = 0x1000;
	g.cmpxchg_fail = 1;
	put(0x1000, "f0 80 07 01");
	T_CHECK("lock add: lost race retries",
		x86_emulate(&em, NULL, 0) == X86EMUL_RETRY &&
		g.rip == 0x1000 && ram[0x3000] == 1);
	T_CHECK("lock add: retry succeeds",
		x86_emulate(&em, NULL, 0) == X86EMUL_OK && ram[0x3000] == 2);
}

void test_emul_misc(void)
{
	test_mmio_protocol();
	test_segments32();
	test_real_mode();
	test_vm86();
	test_long_mode();
	test_faults_and_refusals();
}
