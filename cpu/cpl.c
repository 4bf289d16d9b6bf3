#include "cpu/cpl.h"

#include <stdio.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/profile.h"

#define MSR_STAR 0xc0000081

/*
 * Layout of the stub page (visible at CPL_STUB_VA only while a stub runs). Unicorn's SYSCALL is a
 * no-op that only calls hooks, so the way into ring 0 is a far call through a 64-bit call gate in
 * a GDT of the stub's own, with a TSS whose RSP0 points into the page; the way out to ring 3 is
 * SYSRETQ, which Unicorn executes as the SDM says.
 */
#define STUB_LCALL 0x000  /* 48 ff 1d disp32: lcall *farptr(%rip) */
#define STUB_SYSRET 0x010 /* 48 0f 07: sysretq */
#define STUB_DONE 0x020   /* where both stubs end */
#define STUB_FARPTR 0x040 /* m16:64 for the far call: offset (ignored for gates), selector */
#define STUB_GDT 0x080
#define STUB_TSS 0x100
#define STUB_STACK_TOP 0x1000

#define GATE_SEL 0x10 /* GDT slot 2 (16 bytes) */
#define TSS_SEL 0x20  /* GDT slots 4-5 */
#define STUB_CODE_SEL 0x08

static void put64(uint8_t *page, unsigned off, uint64_t v)
{
	memcpy(page + off, &v, 8);
}

bool cpl_init(struct cpu *cpu)
{
	uint8_t page[0x1000] = { 0 };
	static const uint8_t lcall[] = { 0x48, 0xff, 0x1d, 0x39, 0x00, 0x00, 0x00 }; /* rip+7+0x39 = 0x40 */
	static const uint8_t sysret[] = { 0x48, 0x0f, 0x07 };
	uint64_t target = CPL_STUB_VA + STUB_DONE, tss = CPL_STUB_VA + STUB_TSS;

	memcpy(page + STUB_LCALL, lcall, sizeof lcall);
	memcpy(page + STUB_SYSRET, sysret, sizeof sysret);
	page[STUB_DONE] = 0xf4;
	put64(page, STUB_FARPTR, 0);
	page[STUB_FARPTR + 8] = GATE_SEL | 3;
	/* GDT: null, 64-bit DPL-0 code, a DPL-3 64-bit call gate, a 64-bit busy TSS (SDM 5.8.3.1). */
	put64(page, STUB_GDT + 0x08, 0x00af9b000000ffffull);
	put64(page, STUB_GDT + GATE_SEL,
	      (target & 0xffff) | ((uint64_t)STUB_CODE_SEL << 16) | (0xecull << 40) |
		      ((target >> 16 & 0xffff) << 48));
	put64(page, STUB_GDT + GATE_SEL + 8, target >> 32);
	put64(page, STUB_GDT + TSS_SEL,
	      0x67 | ((tss & 0xffffff) << 16) | (0x8bull << 40) | ((tss >> 24 & 0xff) << 56));
	put64(page, STUB_GDT + TSS_SEL + 8, tss >> 32);
	put64(page, STUB_TSS + 4, CPL_STUB_VA + STUB_STACK_TOP); /* RSP0 */

	if (uc_mem_map(cpu->uc, CPL_STUB_PA, sizeof page, UC_PROT_ALL) != UC_ERR_OK)
		return false;
	return uc_mem_write(cpu->uc, CPL_STUB_PA, page, sizeof page) == UC_ERR_OK;
}

static bool run(struct cpu *cpu, uint64_t start)
{
	uc_err err;

	/* The stub page is writable during the run only (cpu/tlbfill.c). */
	cpu->stub_active = true;
	cpu_flush_tlb(cpu);
	cpu_flush_tlb_page(cpu, CPL_STUB_VA);
	err = uc_emu_start(cpu->uc, start, CPL_STUB_VA + STUB_DONE, 0, 0);
	cpu->stub_active = false;
	cpu_flush_tlb(cpu);
	cpu_flush_tlb_page(cpu, CPL_STUB_VA);
	if (err != UC_ERR_OK)
		snprintf(cpu->cpl_error, sizeof cpu->cpl_error, "CPL stub at %#llx failed: %s",
			 (unsigned long long)start, uc_strerror(err));
	return err == UC_ERR_OK;
}

/* Ring 3 -> 0: far call through the stub GDT's call gate, with the stub TSS loaded. */
static bool to_ring0(struct cpu *cpu)
{
	uc_x86_mmr gdtr, tr;
	uc_x86_mmr stub_gdtr = { .base = CPL_STUB_VA + STUB_GDT, .limit = 0x2f };
	uc_x86_mmr stub_tr = { .selector = TSS_SEL, .base = CPL_STUB_VA + STUB_TSS, .limit = 0x67,
			       .flags = 0x8b00 /* P, busy 64-bit TSS */ };
	bool ok;

	cpu_get_mmr(cpu, UC_X86_REG_GDTR, &gdtr);
	cpu_get_mmr(cpu, UC_X86_REG_TR, &tr);
	cpu_set_mmr(cpu, UC_X86_REG_GDTR, &stub_gdtr);
	cpu_set_mmr(cpu, UC_X86_REG_TR, &stub_tr);
	ok = run(cpu, CPL_STUB_VA + STUB_LCALL);
	cpu_set_mmr(cpu, UC_X86_REG_GDTR, &gdtr);
	cpu_set_mmr(cpu, UC_X86_REG_TR, &tr);
	return ok;
}

/* Ring 0 -> 3: SYSRETQ (SDM Vol. 2B): CS = STAR[63:48] + 16, SS = STAR[63:48] + 8, RPL 3. */
static bool to_ring3(struct cpu *cpu, uint16_t cs)
{
	uint64_t star = cpu_rdmsr(cpu, MSR_STAR), efer = cpu_rdmsr(cpu, MSR_EFER);
	uint64_t rcx = cpu_get(cpu, UC_X86_REG_RCX), r11 = cpu_get(cpu, UC_X86_REG_R11);
	bool ok;

	cpu_wrmsr(cpu, MSR_STAR, (uint64_t)((cs & ~3u) - 16u) << 48);
	cpu_wrmsr(cpu, MSR_EFER, efer | EFER_SCE);
	cpu_set(cpu, UC_X86_REG_RCX, CPL_STUB_VA + STUB_DONE);
	cpu_set(cpu, UC_X86_REG_R11, 0x2);
	ok = run(cpu, CPL_STUB_VA + STUB_SYSRET);
	cpu_wrmsr(cpu, MSR_STAR, star);
	cpu_wrmsr(cpu, MSR_EFER, efer);
	cpu_set(cpu, UC_X86_REG_RCX, rcx);
	cpu_set(cpu, UC_X86_REG_R11, r11);
	return ok;
}

static bool load_selector(struct cpu *cpu, int reg, uint64_t sel, const char *name)
{
	if (cpu_get(cpu, reg) == sel)
		return true;
	uc_err err = uc_reg_write(cpu->uc, reg, &sel);
	if (err != UC_ERR_OK)
		snprintf(cpu->cpl_error, sizeof cpu->cpl_error, "cannot load %s selector %#llx: %s",
			 name, (unsigned long long)sel, uc_strerror(err));
	return err == UC_ERR_OK;
}

bool cpl_switch(struct cpu *cpu, const struct cpl_target *t)
{
	unsigned cpl = cpu_cpl(cpu);

	cpu->cpl_error[0] = 0;
	if (t->cpl != cpl) {
		if ((t->cpl != 0 && t->cpl != 3) || (cpl != 0 && cpl != 3)) {
			snprintf(cpu->cpl_error, sizeof cpu->cpl_error,
				 "CPL %u -> %u: only rings 0 and 3 are modelled", cpl, t->cpl);
			return false;
		}
		if (!(t->cpl == 0 ? to_ring0(cpu) : to_ring3(cpu, t->cs)))
			return false;
		if (cpu_cpl(cpu) != t->cpl) {
			snprintf(cpu->cpl_error, sizeof cpu->cpl_error,
				 "CPL stub left CPL %u, wanted %u", cpu_cpl(cpu), t->cpl);
			return false;
		}
	}
	if (!load_selector(cpu, UC_X86_REG_CS, t->cs, "CS") ||
	    !load_selector(cpu, UC_X86_REG_SS, t->ss, "SS"))
		return false;
	cpu_set(cpu, UC_X86_REG_RSP, t->rsp);
	cpu_set(cpu, UC_X86_REG_RFLAGS, t->rflags);
	cpu_set(cpu, UC_X86_REG_RIP, t->rip);
	return true;
}
