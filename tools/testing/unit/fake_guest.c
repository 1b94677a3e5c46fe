// SPDX-License-Identifier: GPL-2.0
/* See fake_guest.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_guest.h"

void fg_init(struct fake_guest *g)
{
	memset(g, 0, sizeof(*g));
}

void fg_add_region(struct fake_guest *g, uint64_t gpa, void *host,
		   uint64_t size, bool mmio)
{
	struct fg_region *r;

	if (g->nregion == FG_MAX_REGIONS)
		abort();
	r = &g->region[g->nregion++];
	r->gpa = gpa;
	r->size = size;
	r->host = host;
	r->mmio = mmio;
}

struct fg_region *fg_find(struct fake_guest *g, uint64_t gpa, uint64_t len)
{
	int i;

	for (i = 0; i < g->nregion; i++) {
		struct fg_region *r = &g->region[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size &&
		    len <= r->size - (gpa - r->gpa))
			return r;
	}
	return NULL;
}

static u64 get_gpr(void *o, unsigned int reg)
{
	return ((struct fake_guest *)o)->gpr[reg];
}

static void set_gpr(void *o, unsigned int reg, u64 v)
{
	((struct fake_guest *)o)->gpr[reg] = v;
}

static u64 get_rip(void *o)
{
	return ((struct fake_guest *)o)->rip;
}

static void set_rip(void *o, u64 v)
{
	((struct fake_guest *)o)->rip = v;
}

static u64 get_rflags(void *o)
{
	return ((struct fake_guest *)o)->rflags;
}

static void set_rflags(void *o, u64 v)
{
	((struct fake_guest *)o)->rflags = v;
}

static void get_seg(void *o, enum x86_seg s, struct x86_seg_desc *d)
{
	*d = ((struct fake_guest *)o)->seg[s];
}

static u64 get_ctl(void *o, enum x86_ctl c)
{
	struct fake_guest *g = o;

	switch (c) {
	case X86_CTL_CR0: return g->cr0;
	case X86_CTL_CR3: return g->cr3;
	case X86_CTL_CR4: return g->cr4;
	case X86_CTL_EFER: return g->efer;
	case X86_CTL_XCR0: return g->xcr0;
	case X86_CTL_PKRU: return g->pkru;
	case X86_CTL_CPL: return g->cpl;
	}
	return 0;
}

static int access_phys(void *o, u64 gpa, void *buf, unsigned int len,
		       bool write)
{
	struct fake_guest *g = o;
	struct fg_region *r;

	if (len == 0 || len > 4096 || (gpa & 4095) + len > 4096)
		abort();	/* the emulator promised page-bounded pieces */
	r = fg_find(g, gpa, len);
	if (!r || r->mmio)
		return X86_PHYS_MMIO;
	if (write)
		memcpy(r->host + (gpa - r->gpa), buf, len);
	else
		memcpy(buf, r->host + (gpa - r->gpa), len);
	return X86_PHYS_OK;
}

static int cmpxchg_phys(void *o, u64 gpa, const void *old, const void *new,
			unsigned int len)
{
	struct fake_guest *g = o;
	struct fg_region *r = fg_find(g, gpa, len);
	uint8_t *p;

	if (!r || r->mmio)
		return X86_PHYS_MMIO;
	p = r->host + (gpa - r->gpa);
	if (g->cmpxchg_fail) {
		g->cmpxchg_fail--;
		return X86_PHYS_CHANGED;
	}
	if (memcmp(p, old, len))
		return X86_PHYS_CHANGED;
	memcpy(p, new, len);
	return X86_PHYS_OK;
}

static void get_vec(void *o, unsigned int reg, void *buf, unsigned int len)
{
	memcpy(buf, ((struct fake_guest *)o)->vec[reg & 15], len);
}

static void set_vec(void *o, unsigned int reg, const void *buf,
		    unsigned int len, bool zero_upper)
{
	uint8_t *v = ((struct fake_guest *)o)->vec[reg & 15];

	memcpy(v, buf, len);
	if (zero_upper)
		memset(v + len, 0, 32 - len);
}

const struct x86_emul_ops fg_ops = {
	.get_gpr = get_gpr,
	.set_gpr = set_gpr,
	.get_rip = get_rip,
	.set_rip = set_rip,
	.get_rflags = get_rflags,
	.set_rflags = set_rflags,
	.get_seg = get_seg,
	.get_ctl = get_ctl,
	.access_phys = access_phys,
	.cmpxchg_phys = cmpxchg_phys,
	.get_vec = get_vec,
	.set_vec = set_vec,
};

static void flat_seg(struct x86_seg_desc *d, uint8_t type, bool l, bool db)
{
	memset(d, 0, sizeof(*d));
	d->limit = 0xffffffff;
	d->type = type;
	d->s = 1;
	d->dpl = 3;
	d->p = 1;
	d->l = l;
	d->db = db;
	d->g = 1;
}

void fg_setup_long64(struct fake_guest *g, uint64_t pt_gpa, void *pt,
		     uint64_t pt_size)
{
	int i;

	for (i = 0; i < 6; i++)
		flat_seg(&g->seg[i], 3, false, true);
	flat_seg(&g->seg[X86_SEG_CS], 11, true, false);
	g->cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_WP | X86_CR0_PG |
		 X86_CR0_AM;
	g->cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXSAVE;
	g->efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
	g->xcr0 = 7;
	g->cpl = 3;
	g->pt = pt;
	g->pt_gpa = pt_gpa;
	g->pt_size = pt_size;
	g->pt_used = 4096;
	memset(pt, 0, pt_size);
	g->cr3 = pt_gpa;
	fg_add_region(g, pt_gpa, pt, pt_size, false);
}

int fg_map4k(struct fake_guest *g, uint64_t la, uint64_t gpa, uint64_t flags)
{
	uint64_t table = g->cr3 & ~0xfffULL;
	int lvl;

	for (lvl = 4; lvl > 1; lvl--) {
		uint64_t *e = (uint64_t *)(g->pt + (table - g->pt_gpa)) +
			      ((la >> (12 + 9 * (lvl - 1))) & 511);

		if (!(*e & 1)) {
			if (g->pt_used + 4096 > g->pt_size)
				return -1;
			*e = (g->pt_gpa + g->pt_used) | 7;
			g->pt_used += 4096;
		}
		table = *e & 0x000ffffffffff000ULL;
	}
	((uint64_t *)(g->pt + (table - g->pt_gpa)))[(la >> 12) & 511] =
		gpa | flags;
	return 0;
}

static void service_mmio(struct fake_guest *g, struct x86_mmio *m)
{
	struct fg_region *r = fg_find(g, m->gpa, m->len);

	g->mmio_exits++;
	if (m->len < 1 || m->len > 8 || (g->strict && (!r || !r->mmio))) {
		fprintf(stderr, "bad MMIO piece gpa %#llx len %u\n",
			(unsigned long long)m->gpa, m->len);
		abort();
	}
	if (!r) {
		if (!m->is_write)
			memset(m->data, 0xff, m->len);
		return;
	}
	if (m->is_write)
		memcpy(r->host + (m->gpa - r->gpa), m->data, m->len);
	else
		memcpy(m->data, r->host + (m->gpa - r->gpa), m->len);
}

int fg_run(struct fake_guest *g, struct x86_emul *e)
{
	int r, iter;

	r = x86_emulate(e, NULL, 0);
	for (iter = 0; iter < 100000; iter++) {
		while (r == X86EMUL_MMIO) {
			service_mmio(g, &e->mmio);
			r = x86_emulate_resume(e);
		}
		/* A lost cmpxchg race and a REP iteration both re-enter. */
		if (r == X86EMUL_RETRY ||
		    (r == X86EMUL_OK && e->rep_pending)) {
			r = x86_emulate(e, NULL, 0);
			continue;
		}
		break;
	}
	return r;
}
