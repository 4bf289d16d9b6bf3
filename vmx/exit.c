/*
 * VM exits (SDM Vol. 3, 28 "VM Exits"): record the exit information (28.2), save guest state
 * (28.3), save MSRs (28.4), load host state (28.5) and MSRs (28.6). Every exit goes through
 * vmx_vm_exit(), which also keeps the statistics and the ring of recent exits.
 */
#include <stdio.h>

#include "cpu/profile.h"
#include "cpu/state.h"
#include "vmx/caps.h"
#include "vmx/controls.h"
#include "vmx/internal.h"

static const char *const reason_names[EXIT_REASON_LIMIT] = {
#define EXIT_REASON(name, n, text) [n] = text,
#include "vmx/exit_reasons.def"
#undef EXIT_REASON
};

const char *vmx_exit_reason_name(unsigned reason)
{
	reason &= 0xffff;
	return reason < EXIT_REASON_LIMIT && reason_names[reason] ? reason_names[reason] : "?";
}


static void record_info(struct vmx *v, const struct vmx_exit *e)
{
	vmcs_set(v, VMCS_EXIT_REASON, e->reason);
	vmcs_set(v, VMCS_EXIT_QUALIFICATION, e->qual);
	vmcs_set(v, VMCS_GUEST_LINEAR_ADDRESS, e->gla_valid ? e->gla : 0);
	vmcs_set(v, VMCS_GUEST_PHYSICAL_ADDRESS, e->gpa_valid ? e->gpa : 0);
	vmcs_set(v, VMCS_EXIT_INTR_INFO, e->intr_info);
	vmcs_set(v, VMCS_EXIT_INTR_ERROR_CODE, e->intr_error);
	vmcs_set(v, VMCS_EXIT_INSTRUCTION_LENGTH, e->has_insn ? e->insn_len : 0);
	vmcs_set(v, VMCS_EXIT_INSTRUCTION_INFO, e->has_insn ? e->insn_info : 0);
	vmcs_set(v, VMCS_IDT_VECTORING_INFO, e->idt_vectoring);
	vmcs_set(v, VMCS_IDT_VECTORING_ERROR_CODE, e->idt_vectoring_error);
}

/* 28.3: guest state, as it is after the event that caused the exit. */
static void save_guest(struct vmx *v)
{
	struct cpu *cpu = v->cpu;
	uint32_t exit = (uint32_t)vmcs_get(v, VMCS_EXIT_CONTROLS);
	uint32_t pin = (uint32_t)vmcs_get(v, VMCS_PIN_BASED_CONTROLS);
	struct cpu_state s;

	cpu_state_save(cpu, &s);
	for (int i = 0; i < SEG_COUNT; i++) {
		vmcs_set(v, vmcs_guest_segs[i].sel, s.seg[i].selector);
		vmcs_set(v, vmcs_guest_segs[i].base, s.seg[i].base);
		vmcs_set(v, vmcs_guest_segs[i].limit, s.seg[i].limit);
		vmcs_set(v, vmcs_guest_segs[i].ar, s.seg[i].ar);
	}
	vmcs_set(v, VMCS_GUEST_CR0, s.cr0);
	vmcs_set(v, VMCS_GUEST_CR3, s.cr3);
	vmcs_set(v, VMCS_GUEST_CR4, s.cr4);
	vmcs_set(v, VMCS_GUEST_RSP, s.rsp);
	vmcs_set(v, VMCS_GUEST_RIP, s.rip);
	vmcs_set(v, VMCS_GUEST_RFLAGS, s.rflags);
	vmcs_set(v, VMCS_GUEST_GDTR_BASE, s.gdtr_base);
	vmcs_set(v, VMCS_GUEST_GDTR_LIMIT, s.gdtr_limit);
	vmcs_set(v, VMCS_GUEST_IDTR_BASE, s.idtr_base);
	vmcs_set(v, VMCS_GUEST_IDTR_LIMIT, s.idtr_limit);
	vmcs_set(v, VMCS_GUEST_IA32_SYSENTER_CS, s.sysenter_cs);
	vmcs_set(v, VMCS_GUEST_IA32_SYSENTER_ESP, s.sysenter_esp);
	vmcs_set(v, VMCS_GUEST_IA32_SYSENTER_EIP, s.sysenter_eip);
	if (exit & EXIT_SAVE_DEBUG_CONTROLS)
		vmcs_set(v, VMCS_GUEST_DR7, s.dr7);
	if (exit & EXIT_SAVE_PAT)
		vmcs_set(v, VMCS_GUEST_IA32_PAT, s.pat);
	if (exit & EXIT_SAVE_EFER)
		vmcs_set(v, VMCS_GUEST_IA32_EFER, s.efer);
	vmcs_set(v, VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmcs_set(v, VMCS_GUEST_ACTIVITY_STATE, 0);
	if ((pin & PIN_PREEMPTION_TIMER) && (exit & EXIT_SAVE_PREEMPTION_TIMER)) {
		uint64_t left = v->preempt_deadline > cpu->vtime ? v->preempt_deadline - cpu->vtime : 0;
		vmcs_set(v, VMCS_PREEMPTION_TIMER_VALUE, left >> VMX_PREEMPTION_TIMER_RATE);
	}
	/* IA32_VMX_MISC bit 5: EFER.LMA goes into the "IA-32e mode guest" entry control. */
	uint64_t entry = vmcs_get(v, VMCS_ENTRY_CONTROLS) & ~(uint64_t)ENTRY_IA32E_GUEST;
	vmcs_set(v, VMCS_ENTRY_CONTROLS, entry | ((s.efer & EFER_LMA) ? ENTRY_IA32E_GUEST : 0));
	if (v->ept_on)
		vmcs_set(v, VMCS_PML_INDEX, v->ept.pml_index);
}

/* 28.4: VM-exit MSR-store area. */
static void store_msrs(struct vmx *v)
{
	struct cpu *cpu = v->cpu;
	uint64_t n = vmcs_get(v, VMCS_EXIT_MSR_STORE_COUNT), base = vmcs_get(v, VMCS_EXIT_MSR_STORE_ADDR);

	for (uint64_t i = 0; i < n; i++) {
		uint32_t msr = (uint32_t)phys_read64(&cpu->phys, base + 16 * i);
		uint64_t value = 0;
		if (profile_rdmsr(cpu, msr, &value) == MSR_UNICORN)
			value = cpu_rdmsr(cpu, msr);
		phys_write64(&cpu->phys, base + 16 * i + 8, value);
	}
}

/* 28.5: host state. The host is 64-bit ("host address-space size" was checked at entry). */
static void host_state(struct vmx *v, struct cpu_state *s)
{
	uint32_t exit = (uint32_t)vmcs_get(v, VMCS_EXIT_CONTROLS);
	static const struct {
		enum cpu_seg seg;
		enum vmcs_field sel;
	} sels[] = {
		{ SEG_ES, VMCS_HOST_ES_SELECTOR }, { SEG_CS, VMCS_HOST_CS_SELECTOR },
		{ SEG_SS, VMCS_HOST_SS_SELECTOR }, { SEG_DS, VMCS_HOST_DS_SELECTOR },
		{ SEG_FS, VMCS_HOST_FS_SELECTOR }, { SEG_GS, VMCS_HOST_GS_SELECTOR },
	};

	*s = (struct cpu_state){
		.cr0 = vmcs_get(v, VMCS_HOST_CR0), .cr3 = vmcs_get(v, VMCS_HOST_CR3),
		.cr4 = vmcs_get(v, VMCS_HOST_CR4), .dr7 = 0x400,
		.rsp = vmcs_get(v, VMCS_HOST_RSP), .rip = vmcs_get(v, VMCS_HOST_RIP), .rflags = 0x2,
		.gdtr_base = vmcs_get(v, VMCS_HOST_GDTR_BASE), .gdtr_limit = 0xffff,
		.idtr_base = vmcs_get(v, VMCS_HOST_IDTR_BASE), .idtr_limit = 0xffff,
		.sysenter_cs = vmcs_get(v, VMCS_HOST_IA32_SYSENTER_CS),
		.sysenter_esp = vmcs_get(v, VMCS_HOST_IA32_SYSENTER_ESP),
		.sysenter_eip = vmcs_get(v, VMCS_HOST_IA32_SYSENTER_EIP),
	};
	for (unsigned i = 0; i < sizeof sels / sizeof sels[0]; i++) {
		uint16_t sel = (uint16_t)vmcs_get(v, sels[i].sel);
		s->seg[sels[i].seg] = (struct cpu_seg_state){
			.selector = sel, .limit = 0xffffffffu,
			.ar = sels[i].seg == SEG_CS ? 0xa09bu : sel ? 0xc093u : SEG_AR_UNUSABLE,
		};
	}
	s->seg[SEG_FS].base = vmcs_get(v, VMCS_HOST_FS_BASE);
	s->seg[SEG_GS].base = vmcs_get(v, VMCS_HOST_GS_BASE);
	s->seg[SEG_TR] = (struct cpu_seg_state){ .selector = (uint16_t)vmcs_get(v, VMCS_HOST_TR_SELECTOR),
						 .base = vmcs_get(v, VMCS_HOST_TR_BASE),
						 .limit = 0x67, .ar = 0x8b };
	s->seg[SEG_LDTR] = (struct cpu_seg_state){ .ar = SEG_AR_UNUSABLE };
	s->efer = cpu_rdmsr(v->cpu, MSR_EFER) | EFER_LMA | EFER_LME;
	if (exit & EXIT_LOAD_EFER)
		s->efer = vmcs_get(v, VMCS_HOST_IA32_EFER);
	s->pat = (exit & EXIT_LOAD_PAT) ? vmcs_get(v, VMCS_HOST_IA32_PAT) : cpu_rdmsr(v->cpu, 0x277);
}

static bool load_host_msrs(struct vmx *v)
{
	struct cpu *cpu = v->cpu;
	uint64_t n = vmcs_get(v, VMCS_EXIT_MSR_LOAD_COUNT), base = vmcs_get(v, VMCS_EXIT_MSR_LOAD_ADDR);

	for (uint64_t i = 0; i < n; i++) {
		uint32_t msr = (uint32_t)phys_read64(&cpu->phys, base + 16 * i);
		uint64_t value = phys_read64(&cpu->phys, base + 16 * i + 8), dummy;
		switch (profile_rdmsr(cpu, msr, &dummy) == MSR_GP ? MSR_GP : profile_wrmsr(cpu, msr, value)) {
		case MSR_GP:
			/* 28.7 "VMX Aborts": a failed VM-exit MSR load shuts the logical processor down. */
			snprintf(cpu->error, sizeof cpu->error,
				 "VMX abort: VM-exit MSR-load entry %llu (MSR %#x) failed",
				 (unsigned long long)i + 1, msr);
			return false;
		case MSR_UNICORN:
			cpu_wrmsr(cpu, msr, value);
			break;
		case MSR_DONE:
			break;
		}
	}
	return true;
}

void vmx_log_exit(struct vmx *v, const struct vmx_exit *e, uint64_t rip)
{
	struct vmx_exit_log *l = &v->ring[v->exits % VMX_EXIT_RING];
	unsigned basic = e->reason & 0xffff;

	*l = (struct vmx_exit_log){ .vtime = v->cpu->vtime, .rip = rip, .qual = e->qual,
				    .gpa = e->gpa_valid ? e->gpa : 0, .reason = e->reason };
	v->exits++;
	if (basic < EXIT_REASON_LIMIT)
		v->exit_count[basic]++;
	if (v->cpu->cfg.log & CPU_LOG_VMX)
		cpu_log(v->cpu, "vmx: exit %u (%s) qual=%#llx gpa=%#llx rip=%#llx vtime=%llu\n",
			basic, vmx_exit_reason_name(basic), (unsigned long long)e->qual,
			(unsigned long long)l->gpa, (unsigned long long)rip,
			(unsigned long long)v->cpu->vtime);
}

void vmx_dump_exits(const struct vmx *v, FILE *out)
{
	uint64_t first = v->exits > VMX_EXIT_RING ? v->exits - VMX_EXIT_RING : 0;

	if (v->entry_error[0])
		fprintf(out, "hvsim: last VM-entry check that failed: %s\n", v->entry_error);
	if (!v->exits)
		return;
	fprintf(out, "hvsim: last %llu of %llu VM exits (oldest first):\n",
		(unsigned long long)(v->exits - first), (unsigned long long)v->exits);
	for (uint64_t i = first; i < v->exits; i++) {
		const struct vmx_exit_log *l = &v->ring[i % VMX_EXIT_RING];
		fprintf(out, "  vtime=%llu exit %u (%s) qual=%#llx gpa=%#llx rip=%#llx\n",
			(unsigned long long)l->vtime, l->reason & 0xffff,
			vmx_exit_reason_name(l->reason), (unsigned long long)l->qual,
			(unsigned long long)l->gpa, (unsigned long long)l->rip);
	}
}

bool vmx_vm_exit(struct vmx *v, const struct vmx_exit *e)
{
	struct cpu *cpu = v->cpu;
	bool entry_failure = e->reason & EXIT_REASON_ENTRY_FAILURE;
	struct cpu_state host;

	vmx_log_exit(v, e, cpu_get(cpu, UC_X86_REG_RIP));
	record_info(v, e);
	if (!entry_failure) {
		save_guest(v);
		store_msrs(v);
	}
	/* 28.2.4: every VM exit clears the valid bit of the VM-entry interruption information. */
	vmcs_set(v, VMCS_ENTRY_INTR_INFO, vmcs_get(v, VMCS_ENTRY_INTR_INFO) & ~(uint64_t)INTR_INFO_VALID);
	cpu_set_nonroot(cpu, false);
	cpu->tsc_offset_guest = 0;
	v->ept_on = false;
	v->preempt_deadline = UINT64_MAX;
	host_state(v, &host);
	if (!cpu_state_load(cpu, &host))
		return false;
	return load_host_msrs(v);
}
