#include "cpu/cr.h"

#include "cpu/cpu.h"
#include "cpu/profile.h"

#define CR3_PCID_BITS 0xfffull
#define CR4_PCIDE (1ull << 17)
#define CR8_TPR_CLASS 0xfull
#define TPR_CLASS_SHIFT 4

/* SDM Vol. 2B, MOV--Move to/from Control Registers, Protected Mode / 64-Bit Mode Exceptions. */
static enum cr_write cr4_check(struct cpu *cpu, uint64_t value)
{
	uint64_t old = cpu_get(cpu, UC_X86_REG_CR4);
	bool ia32e = cpu_rdmsr(cpu, MSR_EFER) & EFER_LMA;

	/* "an attempt to write a 1 to any reserved bit in CR4": a bit of an unsupported feature. */
	if (value & profile_cr4_reserved(cpu->profile))
		return CR_WRITE_GP;
	/* "an attempt is made to clear CR4.PAE while IA-32e mode is active" */
	if (ia32e && !(value & CR4_PAE))
		return CR_WRITE_GP;
	/* "change CR4.PCIDE from 0 to 1 while CR3[11:0] != 000H", or outside IA-32e mode. */
	if ((value & ~old & CR4_PCIDE) && (!ia32e || (cpu_get(cpu, UC_X86_REG_CR3) & CR3_PCID_BITS)))
		return CR_WRITE_GP;
	return CR_WRITE_OK;
}

enum cr_write cr_write_check(struct cpu *cpu, unsigned cr, uint64_t value)
{
	if ((cr == 0 || cr == 4) && cpu->virt && !cpu->virt->cr_allowed(cpu, cr, value))
		return CR_WRITE_GP;
	switch (cr) {
	case 4:
		return cr4_check(cpu, value);
	case 8: /* "an attempt to write a 1 to any reserved bit in CR8" (bits 63:4) */
		return value & ~CR8_TPR_CLASS ? CR_WRITE_GP : CR_WRITE_OK;
	default:
		return CR_WRITE_OK;
	}
}

uint64_t cr8_read(struct cpu *cpu)
{
	return cpu->io.get_tpr ? (uint64_t)(cpu->io.get_tpr(cpu->io.opaque) >> TPR_CLASS_SHIFT) : 0;
}

void cr8_write(struct cpu *cpu, uint64_t value)
{
	if (!cpu->io.set_tpr)
		return;
	cpu->io.set_tpr(cpu->io.opaque, (uint8_t)((value & CR8_TPR_CLASS) << TPR_CLASS_SHIFT));
	cpu_kick(cpu); /* a lower priority may let a held interrupt through at the next boundary */
}
