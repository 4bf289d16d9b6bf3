#include "cpu/cpl.h"

#include <stdio.h>

#include "cpu/cpu.h"
#include "cpu/profile.h"

#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084

#define STUB_SYSCALL 0x0   /* 0f 05 */
#define STUB_SYSRET 0x10   /* 48 0f 07 */
#define STUB_DONE 0x20     /* where both stubs end */

bool cpl_init(struct cpu *cpu)
{
	static const uint8_t code[] = {
		[STUB_SYSCALL] = 0x0f, 0x05,
		[STUB_SYSRET] = 0x48, 0x0f, 0x07,
		[STUB_DONE] = 0xf4,
	};
	if (uc_mem_map(cpu->uc, CPL_STUB_PA, 0x1000, UC_PROT_ALL) != UC_ERR_OK)
		return false;
	return uc_mem_write(cpu->uc, CPL_STUB_PA, code, sizeof code) == UC_ERR_OK;
}

/* Execute SYSCALL (to ring 0) or SYSRETQ (to ring 3) with CS/SS taken from 'sel'. */
static bool run_stub(struct cpu *cpu, unsigned to_cpl, uint16_t sel)
{
	uint64_t star = cpu_rdmsr(cpu, MSR_STAR), lstar = cpu_rdmsr(cpu, MSR_LSTAR);
	uint64_t fmask = cpu_rdmsr(cpu, MSR_FMASK), efer = cpu_rdmsr(cpu, MSR_EFER);
	uint64_t rcx = cpu_get(cpu, UC_X86_REG_RCX), r11 = cpu_get(cpu, UC_X86_REG_R11);
	uint64_t start;
	uc_err err;

	if (to_cpl == 0) {
		/* SYSCALL: CS = STAR[47:32], SS = STAR[47:32] + 8, CPL 0 (SDM Vol. 2B, SYSCALL). */
		cpu_wrmsr(cpu, MSR_STAR, (uint64_t)(sel & ~3u) << 32);
		cpu_wrmsr(cpu, MSR_LSTAR, CPL_STUB_VA + STUB_DONE);
		cpu_wrmsr(cpu, MSR_FMASK, 0);
		start = CPL_STUB_VA + STUB_SYSCALL;
	} else {
		/* SYSRETQ: CS = STAR[63:48] + 16, SS = STAR[63:48] + 8, both RPL 3. */
		cpu_wrmsr(cpu, MSR_STAR, (uint64_t)((sel & ~3u) - 16u) << 48);
		cpu_set(cpu, UC_X86_REG_RCX, CPL_STUB_VA + STUB_DONE);
		cpu_set(cpu, UC_X86_REG_R11, 0x2);
		start = CPL_STUB_VA + STUB_SYSRET;
	}
	cpu_wrmsr(cpu, MSR_EFER, efer | EFER_SCE);
	cpu->stub_active = true;
	cpu_flush_tlb(cpu);
	err = uc_emu_start(cpu->uc, start, CPL_STUB_VA + STUB_DONE, 0, 0);
	cpu->stub_active = false;
	cpu_flush_tlb(cpu);
	cpu_wrmsr(cpu, MSR_STAR, star);
	cpu_wrmsr(cpu, MSR_LSTAR, lstar);
	cpu_wrmsr(cpu, MSR_FMASK, fmask);
	cpu_wrmsr(cpu, MSR_EFER, efer);
	cpu_set(cpu, UC_X86_REG_RCX, rcx);
	cpu_set(cpu, UC_X86_REG_R11, r11);
	if (err != UC_ERR_OK || cpu_cpl(cpu) != to_cpl) {
		snprintf(cpu->cpl_error, sizeof cpu->cpl_error,
			 "CPL switch to %u failed (%s, CPL now %u)", to_cpl, uc_strerror(err),
			 cpu_cpl(cpu));
		return false;
	}
	return true;
}

bool cpl_switch(struct cpu *cpu, const struct cpl_target *t)
{
	unsigned cpl = cpu_cpl(cpu);

	if (t->cpl != cpl) {
		if ((t->cpl != 0 && t->cpl != 3) || (cpl != 0 && cpl != 3)) {
			snprintf(cpu->cpl_error, sizeof cpu->cpl_error,
				 "CPL %u -> %u: only rings 0 and 3 are modelled", cpl, t->cpl);
			return false;
		}
		if (!run_stub(cpu, t->cpl, t->cs))
			return false;
	}
	static const int segs[] = { UC_X86_REG_CS, UC_X86_REG_SS };
	const uint64_t sel[] = { t->cs, t->ss };
	for (unsigned i = 0; i < 2; i++) {
		if (cpu_get(cpu, segs[i]) == sel[i])
			continue;
		uc_err err = uc_reg_write(cpu->uc, segs[i], &sel[i]);
		if (err != UC_ERR_OK) {
			snprintf(cpu->cpl_error, sizeof cpu->cpl_error, "cannot load %s selector %#x: %s",
				 i ? "SS" : "CS", (unsigned)sel[i], uc_strerror(err));
			return false;
		}
	}
	cpu_set(cpu, UC_X86_REG_RSP, t->rsp);
	cpu_set(cpu, UC_X86_REG_RFLAGS, t->rflags);
	cpu_set(cpu, UC_X86_REG_RIP, t->rip);
	return true;
}
