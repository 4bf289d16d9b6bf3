/*
 * Finding the fields of QEMU's CPUX86State (see cpu/glue_env.h). For every register in marks[]
 * two rounds of marker values are written through the API and the CPU context is saved after
 * each; a field is where (and only where) the context held both values. Registers whose writes
 * have side effects get markers that only toggle harmless bits of their current value. The
 * original values are written back before anything else runs.
 */
#include "cpu/glue_env.h"

#include <stdio.h>

#include "cpu/cpu.h"
#include "cpu/profile.h"
#include "cpu/uc_glue.h"

#define MSR_PAT 0x277
#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176

#define CR0_MP (1ull << 1)
#define CR0_NE (1ull << 5)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)

#define ROUNDS 2
#define NO_EXCEPTION (-1)

struct mark {
	int reg;          /* UC_X86_REG_*; UC_X86_REG_MSR: the MSR 'msr' */
	uint32_t msr;
	uint8_t width;    /* bytes of the field (a selector, limit or SYSENTER_CS is 16 bits of 4) */
	uint64_t toggle;  /* 0: markers replace the value; else the bits the two rounds set and clear */
	int part;         /* a descriptor-table register's enum glue_env_part, or -1 */
};

#define REG(r) { UC_X86_REG_##r, 0, 8, 0, -1 }
#define SEL(r) { UC_X86_REG_##r, 0, 4, 0, -1 }
#define MSR(index, width, toggle) { UC_X86_REG_MSR, index, width, toggle, -1 }
#define TOGGLE(r, bits) { UC_X86_REG_##r, 0, 8, bits, -1 }
#define PART(r, p) { UC_X86_REG_##r, 0, GLUE_##p == GLUE_BASE ? 8 : 4, 0, GLUE_##p }
/*
 * RAX comes first: it opens CPUX86State, which is how the context's header is measured.
 * FS and GS selectors are left out (a write loads a descriptor); CR2 too (Unicorn 2.1.1
 * writes CR3 along with it, cpu/cpu.c).
 */
static const struct mark marks[] = {
	REG(RAX), REG(RCX), REG(RDX), REG(RBX), REG(RSP), REG(RBP), REG(RSI), REG(RDI),
	REG(R8), REG(R9), REG(R10), REG(R11), REG(R12), REG(R13), REG(R14), REG(R15),
	REG(RIP), REG(CR3), REG(FS_BASE), REG(GS_BASE),
	REG(DR0), REG(DR1), REG(DR2), REG(DR3), REG(DR4), REG(DR5), REG(DR6), REG(DR7),
	SEL(CS), SEL(SS), SEL(DS), SEL(ES),
	TOGGLE(CR0, CR0_MP | CR0_NE), TOGGLE(CR4, CR4_OSFXSR | CR4_OSXMMEXCPT),
	MSR(MSR_EFER, 8, EFER_SCE | EFER_NXE), MSR(MSR_PAT, 8, 0), MSR(MSR_SYSENTER_CS, 4, 0),
	MSR(MSR_SYSENTER_ESP, 8, 0), MSR(MSR_SYSENTER_EIP, 8, 0),
	PART(GDTR, BASE), PART(GDTR, LIMIT), PART(IDTR, BASE), PART(IDTR, LIMIT),
	PART(LDTR, SELECTOR), PART(LDTR, BASE), PART(LDTR, LIMIT), PART(LDTR, FLAGS),
	PART(TR, SELECTOR), PART(TR, BASE), PART(TR, LIMIT), PART(TR, FLAGS),
};
#define MARKS (sizeof marks / sizeof marks[0])
_Static_assert(MARKS < 64, "marker numbers fit in a selector's low bits");

/* The slot of an MSR read in place (enum glue_env_msr), or -1. */
static int msr_slot(uint32_t index)
{
	switch (index) {
	case MSR_EFER: return GLUE_MSR_EFER;
	case MSR_PAT: return GLUE_MSR_PAT;
	case MSR_SYSENTER_CS: return GLUE_MSR_SYSENTER_CS;
	case MSR_SYSENTER_ESP: return GLUE_MSR_SYSENTER_ESP;
	case MSR_SYSENTER_EIP: return GLUE_MSR_SYSENTER_EIP;
	default: return -1;
	}
}

static int table_slot(int reg)
{
	switch (reg) {
	case UC_X86_REG_GDTR: return GLUE_GDTR;
	case UC_X86_REG_IDTR: return GLUE_IDTR;
	case UC_X86_REG_LDTR: return GLUE_LDTR;
	case UC_X86_REG_TR: return GLUE_TR;
	default: return -1;
	}
}

static struct glue_env_field *field_of(struct glue_env *g, const struct mark *m)
{
	if (m->part >= 0)
		return &g->table[table_slot(m->reg)][m->part];
	return m->msr ? &g->msr[msr_slot(m->msr)] : &g->reg[m->reg];
}

static uint64_t get(struct cpu *cpu, const struct mark *m)
{
	uc_x86_mmr mmr;

	if (m->msr)
		return cpu_rdmsr(cpu, m->msr);
	if (m->part < 0)
		return cpu_get(cpu, m->reg);
	cpu_get_mmr(cpu, m->reg, &mmr);
	switch (m->part) {
	case GLUE_SELECTOR: return mmr.selector;
	case GLUE_BASE: return mmr.base;
	case GLUE_LIMIT: return mmr.limit;
	default: return mmr.flags;
	}
}

static void set(struct cpu *cpu, const struct mark *m, uint64_t v)
{
	uc_x86_mmr mmr;

	if (m->msr) {
		cpu_wrmsr(cpu, m->msr, v);
		return;
	}
	if (m->part < 0) {
		cpu_set(cpu, m->reg, v);
		return;
	}
	cpu_get_mmr(cpu, m->reg, &mmr);
	switch (m->part) {
	case GLUE_SELECTOR: mmr.selector = (uint16_t)v; break;
	case GLUE_BASE: mmr.base = v; break;
	case GLUE_LIMIT: mmr.limit = (uint32_t)v; break;
	default: mmr.flags = (uint32_t)v; break;
	}
	cpu_set_mmr(cpu, m->reg, &mmr);
}

/* The value mark 'i' gets in 'round': unlike any other mark's, round's or ordinary value. */
static uint64_t marker(const struct mark *m, unsigned i, unsigned round, uint64_t orig)
{
	if (m->toggle)
		return round ? orig & ~m->toggle : orig | m->toggle;
	if (m->width == 4)
		return 0x6800u | (round << 6) | i;
	return 0x6876736d00000000ull | ((uint64_t)round << 16) | i;
}

static bool same(const uint8_t *p, uint64_t v, unsigned width)
{
	return !memcmp(p, &v, width);
}

/* The one byte offset of 'v' in the context, or -1. */
static long find_once(const uint8_t *blob, size_t size, uint64_t v)
{
	long found = -1;
	for (size_t off = 0; off + sizeof v <= size; off++) {
		if (!same(blob + off, v, sizeof v))
			continue;
		if (found >= 0)
			return -1;
		found = (long)off;
	}
	return found;
}

/*
 * The one offset in the state (aligned to the field's width) that held both rounds' values;
 * 'hdr' is where the state begins in a saved context.
 */
static struct glue_env_field locate(uint8_t *const blob[ROUNDS], size_t size, size_t hdr,
				    unsigned width, const uint64_t v[ROUNDS])
{
	struct glue_env_field f = { 0 };
	for (size_t off = 0; hdr + off + width <= size; off += width) {
		if (!same(blob[0] + hdr + off, v[0], width) || !same(blob[1] + hdr + off, v[1], width))
			continue;
		if (f.at)
			return (struct glue_env_field){ 0 };
		f = (struct glue_env_field){ .at = (uint16_t)(off + 1), .width = width };
	}
	return f;
}

/*
 * Where the state begins in a saved context: RAX's round-0 marker is found once in the context
 * and, while RAX holds it again, in the state itself at the first offset that holds it (QEMU's
 * regs[] opens CPUX86State, so the search stops at offset 0).
 */
static bool measure_header(struct cpu *cpu, const uint8_t *env, const uint8_t *blob, size_t size,
			   uint64_t rax, size_t *hdr)
{
	uint64_t orig = cpu_get(cpu, UC_X86_REG_RAX);
	long c = find_once(blob, size, rax);
	bool found = false;

	cpu_set(cpu, UC_X86_REG_RAX, rax);
	for (long e = 0; c >= 0 && e <= c && !found; e += 8) {
		found = same(env + e, rax, sizeof rax);
		*hdr = (size_t)(c - e);
	}
	cpu_set(cpu, UC_X86_REG_RAX, orig);
	return found;
}

/*
 * Every field found must read back what the API reads now, and an MSR must be one the CPU
 * profile leaves to Unicorn (cpu_rdmsr reads it without asking the profile); others are dropped.
 */
static void verify(struct cpu *cpu, struct glue_env *g)
{
	for (unsigned i = 0; i < MARKS; i++) {
		struct glue_env_field *f = field_of(g, &marks[i]);
		uint64_t v;
		if (f->at && (glue_env_load(g, *f) != get(cpu, &marks[i]) ||
			      (marks[i].msr && profile_rdmsr(cpu, marks[i].msr, &v) != MSR_UNICORN)))
			*f = (struct glue_env_field){ 0 };
	}
}

/*
 * QEMU's exception record sits around DR0-DR7 (Unicorn 2.1's CPUX86State):
 *     int error_code; int exception_is_int; target_ulong exception_next_eip;
 *     target_ulong dr[8]; void *cpu_breakpoint[4]; int old_exception;
 * It is accepted only if DR0..DR7 are contiguous and old_exception holds what QEMU's
 * check_exception() leaves there when nothing is in flight: -1.
 */
static bool locate_exception(struct glue_env *g)
{
	struct glue_env_field dr0 = g->reg[UC_X86_REG_DR0], dr7 = g->reg[UC_X86_REG_DR7];
	unsigned before = 2 * sizeof(int) + sizeof(uint64_t);
	unsigned after = 8 * sizeof(uint64_t) + 4 * sizeof(void *);

	if (!dr0.at || dr7.at != dr0.at + 7 * sizeof(uint64_t) || dr0.at <= before)
		return false;
	g->exc_error = (struct glue_env_field){ .at = (uint16_t)(dr0.at - before), .width = 4 };
	g->exc_is_int = (struct glue_env_field){ .at = (uint16_t)(dr0.at - before + 4), .width = 4 };
	g->exc_old = (struct glue_env_field){ .at = (uint16_t)(dr0.at + after), .width = 4 };
	return (int32_t)glue_env_load(g, g->exc_old) == NO_EXCEPTION;
}

/* Write each round's markers and save a context after each; then the original values again. */
static bool mark_and_save(struct cpu *cpu, uc_context *ctx[ROUNDS], uint64_t v[MARKS][ROUNDS])
{
	uint64_t orig[MARKS];
	bool ok = true;

	for (unsigned i = 0; i < MARKS; i++)
		orig[i] = get(cpu, &marks[i]);
	for (unsigned r = 0; r < ROUNDS; r++) {
		for (unsigned i = 0; i < MARKS; i++) {
			v[i][r] = marker(&marks[i], i, r, orig[i]);
			set(cpu, &marks[i], v[i][r]);
		}
		ok &= uc_context_save(cpu->uc, ctx[r]) == UC_ERR_OK;
	}
	for (unsigned i = 0; i < MARKS; i++)
		set(cpu, &marks[i], orig[i]);
	return ok;
}

static bool locate_all(struct cpu *cpu, uc_context *ctx[ROUNDS], struct glue_env *g)
{
	uint64_t v[MARKS][ROUNDS];
	size_t size = uc_context_size(cpu->uc), hdr;
	uint8_t *blob[ROUNDS] = { (uint8_t *)ctx[0], (uint8_t *)ctx[1] };

	g->base = glue_env_seen(cpu);
	if (!g->base || !mark_and_save(cpu, ctx, v) ||
	    !measure_header(cpu, g->base, blob[0], size, v[0][0], &hdr))
		return false;
	for (unsigned i = 0; i < MARKS; i++)
		*field_of(g, &marks[i]) = locate(blob, size, hdr, marks[i].width, v[i]);
	verify(cpu, g);
	return locate_exception(g);
}

bool glue_env_locate(struct cpu *cpu, char *why, unsigned len)
{
	uc_context *ctx[ROUNDS] = { NULL, NULL };
	struct glue_env g = { 0 };
	bool ok = uc_context_alloc(cpu->uc, &ctx[0]) == UC_ERR_OK &&
		  uc_context_alloc(cpu->uc, &ctx[1]) == UC_ERR_OK && locate_all(cpu, ctx, &g);

	for (unsigned r = 0; r < ROUNDS; r++)
		if (ctx[r])
			uc_context_free(ctx[r]);
	if (!ok) {
		snprintf(why, len, "Unicorn's CPU state does not have the layout of Unicorn 2.1 "
				   "(QEMU's exception state cannot be located)");
		return false;
	}
	cpu->env = g;
	return true;
}

bool glue_env_msr(const struct glue_env *g, uint32_t index, uint64_t *v)
{
	int slot = msr_slot(index);

	if (slot < 0 || !g->msr[slot].at)
		return false;
	*v = glue_env_load(g, g->msr[slot]);
	return true;
}

bool glue_env_mmr(const struct glue_env *g, int reg, uc_x86_mmr *m)
{
	int t = table_slot(reg);
	const struct glue_env_field *f = t >= 0 ? g->table[t] : NULL;
	bool segment = t == GLUE_LDTR || t == GLUE_TR; /* GDTR and IDTR: base and limit only */

	if (!f || !f[GLUE_BASE].at || !f[GLUE_LIMIT].at ||
	    (segment && (!f[GLUE_SELECTOR].at || !f[GLUE_FLAGS].at)))
		return false;
	m->base = glue_env_load(g, f[GLUE_BASE]);
	m->limit = (uint32_t)glue_env_load(g, f[GLUE_LIMIT]);
	if (!segment) {
		m->limit = (uint16_t)m->limit; /* Unicorn's reg_read returns 16 bits of it */
		return true;
	}
	m->selector = (uint16_t)glue_env_load(g, f[GLUE_SELECTOR]);
	m->flags = (uint32_t)glue_env_load(g, f[GLUE_FLAGS]);
	return true;
}
