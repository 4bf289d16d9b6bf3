#include "cpu/state.h"

#include <stdio.h>

#include "cpu/cpl.h"
#include "cpu/cpu.h"
#include "cpu/profile.h"

#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
#define MSR_PAT 0x277

/* VMX access rights of flat 64-bit segments (SDM Table 25-2): type, S, DPL, P, L/DB, G. */
#define AR_CODE64 0xa09bu /* execute/read accessed code, L = 1, G = 1 */
#define AR_DATA 0xc093u   /* read/write accessed data, D/B = 1, G = 1 */
#define AR_DPL(n) ((uint32_t)(n) << 5)

static const int seg_regs[SEG_COUNT] = {
	[SEG_ES] = UC_X86_REG_ES, [SEG_CS] = UC_X86_REG_CS, [SEG_SS] = UC_X86_REG_SS,
	[SEG_DS] = UC_X86_REG_DS, [SEG_FS] = UC_X86_REG_FS, [SEG_GS] = UC_X86_REG_GS,
	[SEG_LDTR] = UC_X86_REG_LDTR, [SEG_TR] = UC_X86_REG_TR,
};

#define TSS_TYPE_AVAILABLE 0x9 /* 64-bit TSS (SDM Vol. 3, Table 3-2) */
#define TSS_BUSY_BIT 0x2

/* QEMU keeps descriptor flags as the descriptor's high dword; VMX access rights are bits 8..23. */
static uint32_t ar_of_flags(uint32_t flags)
{
	return (flags >> 8) & 0xf0ffu;
}

static uint32_t flags_of_ar(uint32_t ar)
{
	return (ar & 0xf0ffu) << 8;
}

static void save_table_seg(struct cpu *cpu, enum cpu_seg s, struct cpu_seg_state *out)
{
	uc_x86_mmr m;
	cpu_get_mmr(cpu, seg_regs[s], &m);
	*out = (struct cpu_seg_state){ .selector = m.selector, .base = m.base, .limit = m.limit,
				       .ar = ar_of_flags(m.flags) };
	if (s == SEG_LDTR && !(m.selector & ~3u))
		out->ar = SEG_AR_UNUSABLE;
	/*
	 * LTR marks the TSS busy (SDM Vol. 2, LTR), and TR holds a busy TSS from then on (Vol. 3,
	 * 8.2.4). QEMU's LTR caches the descriptor before setting the busy bit, so TR reads back as
	 * an available TSS: report the type the CPU has.
	 */
	if (s == SEG_TR && (out->ar & 0xf) == TSS_TYPE_AVAILABLE)
		out->ar |= TSS_BUSY_BIT;
}

static void save_flat_seg(struct cpu *cpu, enum cpu_seg s, unsigned cpl, struct cpu_seg_state *out)
{
	uint16_t sel = (uint16_t)cpu_get(cpu, seg_regs[s]);

	*out = (struct cpu_seg_state){ .selector = sel, .limit = 0xffffffffu };
	if (s == SEG_CS)
		out->ar = AR_CODE64 | AR_DPL(cpl);
	else if (s == SEG_SS)
		/* SS.DPL is CPL even when SS is unusable (SDM 28.3.2). */
		out->ar = (sel & ~3u) ? AR_DATA | AR_DPL(cpl) : SEG_AR_UNUSABLE | AR_DPL(cpl);
	else
		out->ar = (sel & ~3u) ? AR_DATA | AR_DPL(sel & 3) : SEG_AR_UNUSABLE;
	if (s == SEG_FS)
		out->base = cpu_get(cpu, UC_X86_REG_FS_BASE);
	if (s == SEG_GS)
		out->base = cpu_get(cpu, UC_X86_REG_GS_BASE);
}

void cpu_state_save(struct cpu *cpu, struct cpu_state *s)
{
	unsigned cpl = cpu_cpl(cpu);
	uc_x86_mmr m;

	s->cr0 = cpu_get(cpu, UC_X86_REG_CR0);
	s->cr3 = cpu_get(cpu, UC_X86_REG_CR3);
	s->cr4 = cpu_get(cpu, UC_X86_REG_CR4);
	s->dr7 = cpu_get(cpu, UC_X86_REG_DR7);
	s->rsp = cpu_get(cpu, UC_X86_REG_RSP);
	s->rip = cpu_get(cpu, UC_X86_REG_RIP);
	s->rflags = cpu_get(cpu, UC_X86_REG_RFLAGS);
	for (int i = 0; i < SEG_COUNT; i++) {
		if (i == SEG_LDTR || i == SEG_TR)
			save_table_seg(cpu, i, &s->seg[i]);
		else
			save_flat_seg(cpu, i, cpl, &s->seg[i]);
	}
	cpu_get_mmr(cpu, UC_X86_REG_GDTR, &m);
	s->gdtr_base = m.base;
	s->gdtr_limit = m.limit;
	cpu_get_mmr(cpu, UC_X86_REG_IDTR, &m);
	s->idtr_base = m.base;
	s->idtr_limit = m.limit;
	s->efer = cpu_rdmsr(cpu, MSR_EFER);
	s->pat = cpu_rdmsr(cpu, MSR_PAT);
	s->sysenter_cs = cpu_rdmsr(cpu, MSR_SYSENTER_CS);
	s->sysenter_esp = cpu_rdmsr(cpu, MSR_SYSENTER_ESP);
	s->sysenter_eip = cpu_rdmsr(cpu, MSR_SYSENTER_EIP);
}

static void set_if_changed(struct cpu *cpu, int reg, uint64_t value)
{
	if (cpu_get(cpu, reg) != value)
		cpu_set(cpu, reg, value);
}

/* GDTR and IDTR hold a base and a 16-bit limit (SDM Vol. 3, 2.4.1); LDTR and TR a segment. */
static void set_mmr_if_changed(struct cpu *cpu, int reg, const uc_x86_mmr *m)
{
	bool table = reg == UC_X86_REG_GDTR || reg == UC_X86_REG_IDTR;
	uc_x86_mmr cur;

	cpu_get_mmr(cpu, reg, &cur);
	if (cur.base != m->base || (uint16_t)cur.limit != (uint16_t)m->limit ||
	    (!table && (cur.limit != m->limit || cur.selector != m->selector || cur.flags != m->flags)))
		cpu_set_mmr(cpu, reg, m);
}

static void load_table_seg(struct cpu *cpu, enum cpu_seg s, const struct cpu_seg_state *in)
{
	uc_x86_mmr m = { .selector = in->selector, .base = in->base, .limit = in->limit,
			 .flags = (in->ar & SEG_AR_UNUSABLE) ? 0 : flags_of_ar(in->ar) };
	set_mmr_if_changed(cpu, seg_regs[s], &m);
}

/*
 * Writing an MSR its current value changes nothing (QEMU's helper_wrmsr stores it; for EFER it
 * recomputes hflags from the same bits), and each write is a trip through the interposed helper.
 */
static void wrmsr_if_changed(struct cpu *cpu, uint32_t index, uint64_t value)
{
	if (cpu_rdmsr(cpu, index) != value)
		cpu_wrmsr(cpu, index, value);
}

bool cpu_state_load(struct cpu *cpu, const struct cpu_state *s)
{
	uc_x86_mmr gdtr = { .base = s->gdtr_base, .limit = s->gdtr_limit };
	uc_x86_mmr idtr = { .base = s->idtr_base, .limit = s->idtr_limit };
	unsigned cpl = (s->seg[SEG_CS].ar >> 5) & 3;

	wrmsr_if_changed(cpu, MSR_EFER, s->efer);
	/* Unchanged control registers are not rewritten: a CR3 write alone flushes QEMU's TLB. */
	set_if_changed(cpu, UC_X86_REG_CR0, s->cr0);
	set_if_changed(cpu, UC_X86_REG_CR4, s->cr4);
	set_if_changed(cpu, UC_X86_REG_CR3, s->cr3);
	set_if_changed(cpu, UC_X86_REG_DR7, s->dr7);
	wrmsr_if_changed(cpu, MSR_PAT, s->pat);
	wrmsr_if_changed(cpu, MSR_SYSENTER_CS, s->sysenter_cs);
	wrmsr_if_changed(cpu, MSR_SYSENTER_ESP, s->sysenter_esp);
	wrmsr_if_changed(cpu, MSR_SYSENTER_EIP, s->sysenter_eip);
	set_mmr_if_changed(cpu, UC_X86_REG_GDTR, &gdtr);
	set_mmr_if_changed(cpu, UC_X86_REG_IDTR, &idtr);
	load_table_seg(cpu, SEG_LDTR, &s->seg[SEG_LDTR]);
	load_table_seg(cpu, SEG_TR, &s->seg[SEG_TR]);

	/* CPL first (it may run a stub), then the data selectors, then the bases they reset. */
	struct cpl_target t = { .cpl = cpl, .cs = s->seg[SEG_CS].selector,
				.ss = s->seg[SEG_SS].selector, .rip = s->rip, .rsp = s->rsp,
				.rflags = s->rflags };
	if (!cpl_switch(cpu, &t)) {
		snprintf(cpu->error, sizeof cpu->error, "loading CPU state: %s", cpu->cpl_error);
		return false;
	}
	static const enum cpu_seg data[] = { SEG_ES, SEG_DS, SEG_FS, SEG_GS };
	for (unsigned i = 0; i < sizeof data / sizeof data[0]; i++)
		set_if_changed(cpu, seg_regs[data[i]], s->seg[data[i]].selector);
	set_if_changed(cpu, UC_X86_REG_FS_BASE, s->seg[SEG_FS].base);
	set_if_changed(cpu, UC_X86_REG_GS_BASE, s->seg[SEG_GS].base);
	cpu_flush_tlb(cpu);
	return true;
}
