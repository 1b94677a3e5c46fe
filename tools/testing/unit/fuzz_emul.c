// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the decoder in every mode, then the emulator on a fake
 * guest (RAM, MMIO, paging in 64-bit mode), with MMIO exits answered from
 * the input.  Crashes, sanitizer reports and broken invariants (pieces
 * crossing a page, lengths over 15, RIP not where it should be) are bugs.
 *
 * Input: [0] configuration, [1..15] instruction bytes, then register
 * material, two bytes per register.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_guest.h"

#define RAM_SIZE	0x10000
#define GPA_MMIO	0x100000ULL

static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));
static uint8_t mmio[0x2000];
static uint8_t pt[8 * 4096] __attribute__((aligned(4096)));
static struct fake_guest g;

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "invariant broken: %s\n", what);
		abort();
	}
}

static void decode_all_modes(const uint8_t *b, size_t n)
{
	struct x86_insn insn;
	int mode, r;

	for (mode = X86_EXEC_REAL; mode <= X86_EXEC_LONG64; mode++) {
		r = x86_decode(&insn, mode, b, n);
		check(r != X86_DEC_OK || (insn.len >= 1 && insn.len <= n &&
					  insn.len <= 15), "decoded length");
		check(r != X86_DEC_SHORT || n < 15, "short with 15 bytes");
	}
}

static void set_seg(int s, uint64_t base, uint32_t limit, uint8_t type,
		    bool db, bool l)
{
	struct x86_seg_desc *d = &g.seg[s];

	memset(d, 0, sizeof(*d));
	d->base = base;
	d->limit = limit;
	d->type = type;
	d->s = 1;
	d->p = 1;
	d->db = db;
	d->l = l;
}

static void setup(uint8_t cfg, const uint8_t *m, size_t mn)
{
	static const uint64_t bases[4] = { 0x3000, GPA_MMIO, 0x0ffe,
					   GPA_MMIO + 0xff8 };
	int mode = cfg & 7, i;
	uint64_t a;

	fg_init(&g);
	fg_add_region(&g, 0, ram, RAM_SIZE, false);
	fg_add_region(&g, GPA_MMIO, mmio, sizeof(mmio), true);
	if (mode >= 5) {
		fg_setup_long64(&g, 0x200000, pt, sizeof(pt));
		for (a = 0; a < RAM_SIZE; a += 4096)
			fg_map4k(&g, a, a, (cfg & 0x40) ? 7 : 3);
		fg_map4k(&g, GPA_MMIO, GPA_MMIO, 7);
		fg_map4k(&g, GPA_MMIO + 4096, GPA_MMIO + 4096, 7);
		g.cpl = (cfg & 0x08) ? 3 : 0;
		if (mode == 6)	/* compat mode */
			set_seg(X86_SEG_CS, 0, 0xffffffff, 11, true, false);
		if (cfg & 0x10)
			g.cr4 |= X86_CR4_SMAP | X86_CR4_SMEP;
	} else {
		uint32_t limit = (cfg & 0x10) ? 0xffff : 0xffffffff;

		g.cr0 = mode ? X86_CR0_PE : 0;
		g.cr4 = X86_CR4_OSFXSR | X86_CR4_OSXSAVE;
		g.xcr0 = 7;
		for (i = 0; i < 6; i++)
			set_seg(i, 0, limit, (cfg & 0x20) ? 7 : 3,
				mode >= 3, false);
		set_seg(X86_SEG_CS, 0, limit, (cfg & 0x40) ? 9 : 11,
			mode >= 3, false);
		if (mode == 2)
			g.rflags |= X86_FL_VM;
		if (cfg & 0x80)
			g.seg[X86_SEG_ES].unusable = 1;
	}
	g.rflags |= 0x2 | ((cfg & 0x80) ? X86_FL_DF | X86_FL_AC : 0);
	g.rip = 0x1000;
	for (i = 0; i < 16; i++) {
		uint16_t v = 0;

		if (mn >= 2 * (size_t)i + 2)
			memcpy(&v, m + 2 * i, 2);
		g.gpr[i] = (v & 0x8000) ? ((uint64_t)v << 48 | v) :
			   bases[(v >> 12) & 3] + (v & 0xfff);
	}
	g.gpr[X86_RCX] &= 0x1f;		/* keep REP short */
	for (i = 0; i < 16; i++)
		memset(g.vec[i], i, 32);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct x86_emul_cpu cpu = { .maxphyaddr = 40,
						 .gbpages = true };
	static struct x86_emul em;
	size_t n, steps;
	int r;

	if (size < 2)
		return 0;
	n = size - 1 < 15 ? size - 1 : 15;
	decode_all_modes(data + 1, n);

	setup(data[0], data + 1 + n, size - 1 - n);
	memset(ram, 0, sizeof(ram));
	memset(mmio, 0x5a, sizeof(mmio));
	memcpy(ram + 0x1000, data + 1, n);
	x86_emul_init(&em, &fg_ops, &g, &cpu);

	r = x86_emulate(&em, NULL, 0);
	for (steps = 0; steps < 64; steps++) {
		if (r == X86EMUL_MMIO) {
			check(em.mmio.len >= 1 && em.mmio.len <= 8 &&
			      (em.mmio.gpa & 4095) + em.mmio.len <= 4096,
			      "MMIO piece shape");
			if (!em.mmio.is_write)
				memset(em.mmio.data, (int)steps, 8);
			r = x86_emulate_resume(&em);
			continue;
		}
		if (r == X86EMUL_OK) {
			check(em.insn.len >= 1 && em.insn.len <= 15,
			      "executed length");
			check(em.rep_pending ? g.rip == 0x1000 :
			      (g.rip & 0xffff) == ((0x1000 + em.insn.len) &
						   0xffff),
			      "RIP after completion");
			if (!em.rep_pending)
				break;
			r = x86_emulate(&em, NULL, 0);
			continue;
		}
		if (r == X86EMUL_RETRY) {
			r = x86_emulate(&em, NULL, 0);
			continue;
		}
		check(r == X86EMUL_EXCEPTION || r == X86EMUL_UNHANDLEABLE,
		      "status");
		if (r == X86EMUL_EXCEPTION)
			check(em.exc.vector < 32, "vector");
		break;
	}
	r = x86_emul_decode_at_rip(&em);
	check(r != X86EMUL_OK || em.insn.len <= 15, "decode at rip");
	return 0;
}
