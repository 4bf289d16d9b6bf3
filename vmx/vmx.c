#include "vmx/vmx.h"

#include <string.h>

#include "vmx/caps.h"
#include "vmx/internal.h"

static bool vmx_rdmsr(struct cpu *cpu, uint32_t index, uint64_t *value)
{
	return vmx_caps_rdmsr(cpu->profile, index, value);
}

static bool vmx_cr_allowed(struct cpu *cpu, unsigned cr, uint64_t value)
{
	uint64_t fixed0 = vmx_caps_cr_fixed0(cpu->profile, cr);
	uint64_t fixed1 = vmx_caps_cr_fixed1(cpu->profile, cr);
	return !vmx_of(cpu)->on || ((value & fixed0) == fixed0 && !(value & ~fixed1));
}

static uint64_t vmx_deadline(struct cpu *cpu)
{
	struct vmx *v = vmx_of(cpu);
	/*
	 * "Interrupt-window exiting" (26.2, 27.7.5): the window opens when RFLAGS.IF becomes 1
	 * (STI, POPF, IRET, each of which ends a translated block), so the run loop looks again
	 * after every block.
	 */
	if (v->intr_window)
		return cpu->vtime + 1;
	return v->preempt_deadline;
}

static const struct virt_ops vmx_ops = {
	.invalid_insn = vmx_invalid_insn,
	.exits = vmx_exits,
	.vm_exit = vmx_virt_exit,
	.translate = vmx_translate,
	.deadline = vmx_deadline,
	.cr_read = vmx_cr_read,
	.cr_write = vmx_cr_write,
	.cr_allowed = vmx_cr_allowed,
	.rdmsr = vmx_rdmsr,
};

void vmx_attach(struct vmx *v, struct cpu *cpu)
{
	memset(v, 0, sizeof *v);
	v->cpu = cpu;
	vmx_set_vmcs(v, VMCS_NONE);
	v->preempt_deadline = UINT64_MAX;
	vmx_caps_ept(cpu->profile, &v->ept_caps);
	cpu->virt = &vmx_ops;
	cpu->virt_opaque = v;
}
