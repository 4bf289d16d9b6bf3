/*
 * VM entry (SDM Vol. 3, 27 "VM Entries"): the checks on controls and host state (27.2, failures
 * are VMfailValid 7 and 8), the checks on guest state (27.3.1, failures are VM exits with reason
 * 33), loading guest state and MSRs (27.3.2, 27.4; MSR failures exit with reason 34), event
 * injection (27.6) and the switch to non-root operation.
 */
#include <stdio.h>

#include "cpu/events.h"
#include "cpu/profile.h"
#include "cpu/state.h"
#include "vmx/caps.h"
#include "vmx/controls.h"
#include "vmx/internal.h"

#define VA_BITS 48
#define PA_BITS 46

static bool canonical(uint64_t va)
{
	uint64_t top = va >> (VA_BITS - 1);
	return top == 0 || top == (1ull << (64 - VA_BITS + 1)) - 1;
}

static bool phys_ok(uint64_t pa)
{
	return !(pa >> PA_BITS);
}

/* PAT entries may only hold types 0, 1, 4, 5, 6, 7 (SDM Vol. 3, 13.12.2). */
static bool pat_ok(uint64_t pat)
{
	for (int i = 0; i < 8; i++) {
		unsigned t = (pat >> (8 * i)) & 0xff;
		if (t == 2 || t == 3 || t > 7)
			return false;
	}
	return true;
}

#define EFER_DEFINED (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)

/* Record which check failed, for --log vmx and the error report. */
static bool failed(struct vmx *v, const char *what)
{
	snprintf(v->entry_error, sizeof v->entry_error, "%s", what);
	return false;
}

#define CHECK(cond, what)                  \
	do {                               \
		if (!(cond))               \
			return failed(v, what); \
	} while (0)

static bool cr_fixed_ok(struct vmx *v, unsigned cr, uint64_t value)
{
	const struct cpu_profile *p = v->cpu->profile;
	uint64_t f0 = vmx_caps_cr_fixed0(p, cr), f1 = vmx_caps_cr_fixed1(p, cr);
	return (value & f0) == f0 && !(value & ~f1);
}

static bool msr_area_ok(struct vmx *v, enum vmcs_field count, enum vmcs_field addr)
{
	uint64_t a = vmcs_get(v, addr), n = vmcs_get(v, count);
	return n == 0 || (!(a & 0xf) && phys_ok(a + 16 * n - 1));
}

/* 27.2.1.1-27.2.1.3: VM-execution, VM-exit and VM-entry control fields. */
static bool check_execution_controls(struct vmx *v)
{
	const struct cpu_profile *p = v->cpu->profile;
	uint32_t pin = (uint32_t)vmcs_get(v, VMCS_PIN_BASED_CONTROLS);
	uint32_t proc = (uint32_t)vmcs_get(v, VMCS_PROC_BASED_CONTROLS);
	uint32_t proc2 = (proc & PROC_SECONDARY_CONTROLS) ? (uint32_t)vmcs_get(v, VMCS_SECONDARY_CONTROLS) : 0;

	CHECK(vmx_caps_controls_ok(p, MSR_IA32_VMX_TRUE_PINBASED_CTLS, pin),
	      "pin-based controls not allowed by IA32_VMX_TRUE_PINBASED_CTLS");
	CHECK(vmx_caps_controls_ok(p, MSR_IA32_VMX_TRUE_PROCBASED_CTLS, proc),
	      "processor-based controls not allowed by IA32_VMX_TRUE_PROCBASED_CTLS");
	CHECK(vmx_caps_controls_ok(p, MSR_IA32_VMX_PROCBASED_CTLS2, proc2),
	      "secondary controls not allowed by IA32_VMX_PROCBASED_CTLS2");
	CHECK(vmcs_get(v, VMCS_CR3_TARGET_COUNT) <= VMX_CR3_TARGETS, "CR3-target count above 4");
	if (proc & PROC_USE_IO_BITMAPS) {
		uint64_t a = vmcs_get(v, VMCS_IO_BITMAP_A), b = vmcs_get(v, VMCS_IO_BITMAP_B);
		CHECK(!(a & 0xfff) && !(b & 0xfff) && phys_ok(a) && phys_ok(b),
		      "I/O bitmap address not 4K-aligned or beyond the physical-address width");
	}
	if (proc & PROC_USE_MSR_BITMAPS) {
		uint64_t a = vmcs_get(v, VMCS_MSR_BITMAP);
		CHECK(!(a & 0xfff) && phys_ok(a), "MSR bitmap address not 4K-aligned or too wide");
	}
	if (proc2 & PROC2_ENABLE_EPT) {
		enum eptp_check c = ept_check_eptp(&v->ept_caps, vmcs_get(v, VMCS_EPT_POINTER));
		if (c != EPTP_OK) {
			snprintf(v->entry_error, sizeof v->entry_error, "EPTP invalid: %s",
				 eptp_check_name(c));
			return false;
		}
	}
	if (proc2 & PROC2_ENABLE_PML) {
		uint64_t a = vmcs_get(v, VMCS_PML_ADDRESS);
		CHECK(proc2 & PROC2_ENABLE_EPT, "\"enable PML\" requires \"enable EPT\"");
		CHECK(!(a & 0xfff) && phys_ok(a), "PML address not 4K-aligned or too wide");
	}
	if (proc2 & PROC2_ENABLE_VPID)
		CHECK(vmcs_get(v, VMCS_VPID) != 0, "\"enable VPID\" with VPID 0");
	return true;
}

static bool check_exit_entry_controls(struct vmx *v)
{
	const struct cpu_profile *p = v->cpu->profile;
	uint32_t pin = (uint32_t)vmcs_get(v, VMCS_PIN_BASED_CONTROLS);
	uint32_t exit = (uint32_t)vmcs_get(v, VMCS_EXIT_CONTROLS);
	uint32_t entry = (uint32_t)vmcs_get(v, VMCS_ENTRY_CONTROLS);

	CHECK(vmx_caps_controls_ok(p, MSR_IA32_VMX_TRUE_EXIT_CTLS, exit),
	      "VM-exit controls not allowed by IA32_VMX_TRUE_EXIT_CTLS");
	CHECK(!(exit & EXIT_SAVE_PREEMPTION_TIMER) || (pin & PIN_PREEMPTION_TIMER),
	      "\"save VMX-preemption timer value\" without \"activate VMX-preemption timer\"");
	CHECK(msr_area_ok(v, VMCS_EXIT_MSR_STORE_COUNT, VMCS_EXIT_MSR_STORE_ADDR) &&
		      msr_area_ok(v, VMCS_EXIT_MSR_LOAD_COUNT, VMCS_EXIT_MSR_LOAD_ADDR),
	      "VM-exit MSR-store/load address not 16-byte aligned or too wide");
	CHECK(vmx_caps_controls_ok(p, MSR_IA32_VMX_TRUE_ENTRY_CTLS, entry),
	      "VM-entry controls not allowed by IA32_VMX_TRUE_ENTRY_CTLS");
	CHECK(msr_area_ok(v, VMCS_ENTRY_MSR_LOAD_COUNT, VMCS_ENTRY_MSR_LOAD_ADDR),
	      "VM-entry MSR-load address not 16-byte aligned or too wide");
	return true;
}

/* 27.2.1.3: the VM-entry interruption-information field, if valid. */
static bool check_injection(struct vmx *v)
{
	uint32_t info = (uint32_t)vmcs_get(v, VMCS_ENTRY_INTR_INFO);
	uint32_t type = info & INTR_TYPE_MASK, vector = info & 0xff;
	uint64_t len = vmcs_get(v, VMCS_ENTRY_INSTRUCTION_LENGTH);

	if (!(info & INTR_INFO_VALID))
		return true;
	CHECK(type != (1u << 8) && type != (7u << 8), "injected event type reserved");
	CHECK(type != INTR_TYPE_NMI || vector == 2, "injected NMI with vector other than 2");
	CHECK(type != INTR_TYPE_HW_EXCEPTION || vector <= 31, "injected exception vector above 31");
	CHECK(!(info & 0x7ffff000u), "reserved bits of the injected-event field set");
	if (info & INTR_INFO_ERROR_CODE) {
		CHECK(type == INTR_TYPE_HW_EXCEPTION && event_has_error_code(vector),
		      "injected event delivers an error code it does not have");
		CHECK(!(vmcs_get(v, VMCS_ENTRY_EXCEPTION_ERROR_CODE) & 0xffff8000u),
		      "injected error code has bits 31:15 set");
	} else if (type == INTR_TYPE_HW_EXCEPTION) {
		CHECK(!event_has_error_code(vector), "injected exception needs its error code");
	}
	if (type >= INTR_TYPE_SW_INTERRUPT)
		CHECK(len >= 1 && len <= 15, "VM-entry instruction length not in 1..15");
	return true;
}

/* 27.2.2: host-state area (this CPU is in IA-32e mode, so the host is 64-bit). */
static bool check_host_state(struct vmx *v)
{
	uint32_t exit = (uint32_t)vmcs_get(v, VMCS_EXIT_CONTROLS);
	static const enum vmcs_field sels[] = { VMCS_HOST_ES_SELECTOR, VMCS_HOST_CS_SELECTOR,
						VMCS_HOST_SS_SELECTOR, VMCS_HOST_DS_SELECTOR,
						VMCS_HOST_FS_SELECTOR, VMCS_HOST_GS_SELECTOR,
						VMCS_HOST_TR_SELECTOR };
	static const enum vmcs_field bases[] = { VMCS_HOST_FS_BASE, VMCS_HOST_GS_BASE,
						 VMCS_HOST_GDTR_BASE, VMCS_HOST_IDTR_BASE,
						 VMCS_HOST_TR_BASE, VMCS_HOST_IA32_SYSENTER_ESP,
						 VMCS_HOST_IA32_SYSENTER_EIP };

	CHECK(cr_fixed_ok(v, 0, vmcs_get(v, VMCS_HOST_CR0)), "host CR0 violates IA32_VMX_CR0_FIXED0/1");
	CHECK(cr_fixed_ok(v, 4, vmcs_get(v, VMCS_HOST_CR4)), "host CR4 violates IA32_VMX_CR4_FIXED0/1");
	CHECK(phys_ok(vmcs_get(v, VMCS_HOST_CR3)), "host CR3 beyond the physical-address width");
	for (unsigned i = 0; i < sizeof bases / sizeof bases[0]; i++)
		CHECK(canonical(vmcs_get(v, bases[i])), "a host base or SYSENTER address is not canonical");
	if (exit & EXIT_LOAD_PAT)
		CHECK(pat_ok(vmcs_get(v, VMCS_HOST_IA32_PAT)), "host IA32_PAT holds a reserved type");
	if (exit & EXIT_LOAD_EFER) {
		uint64_t efer = vmcs_get(v, VMCS_HOST_IA32_EFER);
		bool wide = exit & EXIT_HOST_ADDR_SPACE_SIZE;
		CHECK(!(efer & ~EFER_DEFINED), "host IA32_EFER reserved bits set");
		CHECK(!!(efer & EFER_LMA) == wide && !!(efer & EFER_LME) == wide,
		      "host IA32_EFER.LMA/LME differ from \"host address-space size\"");
	}
	for (unsigned i = 0; i < sizeof sels / sizeof sels[0]; i++)
		CHECK(!(vmcs_get(v, sels[i]) & 7), "host selector with RPL or TI set");
	CHECK(vmcs_get(v, VMCS_HOST_CS_SELECTOR) != 0, "host CS selector is 0");
	CHECK(vmcs_get(v, VMCS_HOST_TR_SELECTOR) != 0, "host TR selector is 0");
	CHECK(exit & EXIT_HOST_ADDR_SPACE_SIZE,
	      "\"host address-space size\" is 0 while the CPU is in IA-32e mode");
	CHECK(vmcs_get(v, VMCS_HOST_CR4) & CR4_PAE, "host CR4.PAE is 0 for a 64-bit host");
	CHECK(canonical(vmcs_get(v, VMCS_HOST_RIP)), "host RIP not canonical");
	return true;
}

/* Segment access rights (SDM Table 25-2). */
typedef union {
	uint32_t raw;
	struct {
		uint32_t type : 4, s : 1, dpl : 2, p : 1, rsvd1 : 4, avl : 1, l : 1, db : 1, g : 1,
			unusable : 1, rsvd2 : 15;
	};
} seg_ar_t;
_Static_assert(sizeof(seg_ar_t) == 4, "access rights are 32 bits");

static bool limit_g_ok(uint32_t limit, seg_ar_t ar)
{
	/* 27.3.1.2: a 0 in limit bits 11:0 needs G = 0; a 1 in bits 31:20 needs G = 1. */
	if ((limit & 0xfff) != 0xfff && ar.g)
		return false;
	return !(limit & 0xfff00000u) || ar.g;
}


static void read_guest_state(struct vmx *v, struct cpu_state *s)
{
	for (int i = 0; i < SEG_COUNT; i++)
		s->seg[i] = (struct cpu_seg_state){
			.selector = (uint16_t)vmcs_get(v, vmcs_guest_segs[i].sel),
			.base = vmcs_get(v, vmcs_guest_segs[i].base),
			.limit = (uint32_t)vmcs_get(v, vmcs_guest_segs[i].limit),
			.ar = (uint32_t)vmcs_get(v, vmcs_guest_segs[i].ar),
		};
	s->cr0 = vmcs_get(v, VMCS_GUEST_CR0);
	s->cr3 = vmcs_get(v, VMCS_GUEST_CR3);
	s->cr4 = vmcs_get(v, VMCS_GUEST_CR4);
	s->dr7 = vmcs_get(v, VMCS_GUEST_DR7);
	s->rsp = vmcs_get(v, VMCS_GUEST_RSP);
	s->rip = vmcs_get(v, VMCS_GUEST_RIP);
	s->rflags = vmcs_get(v, VMCS_GUEST_RFLAGS);
	s->gdtr_base = vmcs_get(v, VMCS_GUEST_GDTR_BASE);
	s->gdtr_limit = (uint32_t)vmcs_get(v, VMCS_GUEST_GDTR_LIMIT);
	s->idtr_base = vmcs_get(v, VMCS_GUEST_IDTR_BASE);
	s->idtr_limit = (uint32_t)vmcs_get(v, VMCS_GUEST_IDTR_LIMIT);
	s->sysenter_cs = vmcs_get(v, VMCS_GUEST_IA32_SYSENTER_CS);
	s->sysenter_esp = vmcs_get(v, VMCS_GUEST_IA32_SYSENTER_ESP);
	s->sysenter_eip = vmcs_get(v, VMCS_GUEST_IA32_SYSENTER_EIP);
}

/* 27.3.1.1-27.3.1.2: control registers, MSRs, segment registers. */
static bool check_guest_registers(struct vmx *v, const struct cpu_state *s, bool ia32e)
{
	uint32_t entry = (uint32_t)vmcs_get(v, VMCS_ENTRY_CONTROLS);
	const struct cpu_seg_state *cs = &s->seg[SEG_CS], *ss = &s->seg[SEG_SS];
	const struct cpu_seg_state *tr = &s->seg[SEG_TR], *ldtr = &s->seg[SEG_LDTR];
	seg_ar_t cs_ar = { .raw = cs->ar }, ss_ar = { .raw = ss->ar }, tr_ar = { .raw = tr->ar };
	seg_ar_t ldtr_ar = { .raw = ldtr->ar };

	CHECK(cr_fixed_ok(v, 0, s->cr0), "guest CR0 violates IA32_VMX_CR0_FIXED0/1");
	CHECK(cr_fixed_ok(v, 4, s->cr4), "guest CR4 violates IA32_VMX_CR4_FIXED0/1");
	CHECK(!ia32e || (s->cr4 & CR4_PAE), "IA-32e mode guest with CR4.PAE = 0");
	CHECK(phys_ok(s->cr3), "guest CR3 beyond the physical-address width");
	if (entry & ENTRY_LOAD_DEBUG_CONTROLS)
		CHECK(!(s->dr7 >> 32), "guest DR7 bits 63:32 set");
	CHECK(canonical(s->sysenter_esp) && canonical(s->sysenter_eip),
	      "guest SYSENTER_ESP/EIP not canonical");
	if (entry & ENTRY_LOAD_PAT)
		CHECK(pat_ok(vmcs_get(v, VMCS_GUEST_IA32_PAT)), "guest IA32_PAT holds a reserved type");
	if (entry & ENTRY_LOAD_EFER) {
		uint64_t efer = vmcs_get(v, VMCS_GUEST_IA32_EFER);
		CHECK(!(efer & ~EFER_DEFINED), "guest IA32_EFER reserved bits set");
		CHECK(!!(efer & EFER_LMA) == ia32e, "guest IA32_EFER.LMA differs from \"IA-32e mode guest\"");
		CHECK(!(s->cr0 & CR0_PG) || !!(efer & EFER_LME) == ia32e,
		      "guest IA32_EFER.LME differs from \"IA-32e mode guest\" with paging on");
	}
	CHECK(!(tr->selector & 4), "guest TR selector has TI set");
	CHECK(ldtr_ar.unusable || !(ldtr->selector & 4), "guest LDTR selector has TI set");
	CHECK((ss->selector & 3) == (cs->selector & 3), "guest SS.RPL differs from CS.RPL");
	CHECK(canonical(tr->base) && canonical(s->seg[SEG_FS].base) && canonical(s->seg[SEG_GS].base) &&
		      (ldtr_ar.unusable || canonical(ldtr->base)),
	      "guest FS/GS/TR/LDTR base not canonical");
	CHECK(!(cs->base >> 32), "guest CS base bits 63:32 set");
	CHECK((cs_ar.type | 2) == 11 || (cs_ar.type | 2) == 15, "guest CS type not code/accessed");
	CHECK(cs_ar.s && cs_ar.p && !cs_ar.rsvd1 && !cs_ar.rsvd2 && !cs_ar.unusable,
	      "guest CS access rights: S, P or reserved bits wrong");
	CHECK((cs_ar.type & 4) || cs_ar.dpl == ss_ar.dpl, "guest CS.DPL differs from SS.DPL");
	CHECK(!(ia32e && cs_ar.l && cs_ar.db), "guest CS.L and CS.D both set");
	CHECK(limit_g_ok(cs->limit, cs_ar), "guest CS limit inconsistent with G");
	if (!ss_ar.unusable) {
		CHECK(ss_ar.type == 3 || ss_ar.type == 7, "guest SS type not read/write data");
		CHECK(ss_ar.s && ss_ar.p && !ss_ar.rsvd1 && !ss_ar.rsvd2, "guest SS access rights wrong");
	}
	CHECK(ss_ar.dpl == (ss->selector & 3), "guest SS.DPL differs from SS.RPL");
	CHECK(!tr_ar.unusable && tr_ar.p && !tr_ar.s && tr_ar.type == (ia32e ? 11 : tr_ar.type) &&
		      (tr_ar.type == 11 || tr_ar.type == 3),
	      "guest TR must be a present, usable, busy TSS (type 11 in IA-32e mode)");
	CHECK(limit_g_ok(tr->limit, tr_ar), "guest TR limit inconsistent with G");
	if (!ldtr_ar.unusable)
		CHECK(ldtr_ar.type == 2 && !ldtr_ar.s && ldtr_ar.p, "guest LDTR must be a present LDT");
	CHECK(canonical(s->gdtr_base) && canonical(s->idtr_base), "guest GDTR/IDTR base not canonical");
	CHECK(!(s->gdtr_limit >> 16) && !(s->idtr_limit >> 16), "guest GDTR/IDTR limit above 0xffff");
	return true;
}

#define RFLAGS_RESERVED 0xffffffffffc08028ull /* 63:22, 15, 5, 3 */
#define RFLAGS_IF (1ull << 9)
#define RFLAGS_VM (1ull << 17)

/* 27.3.1.3-27.3.1.5: RIP, RFLAGS, non-register state, VMCS link pointer (qualification 4). */
static bool check_guest_other(struct vmx *v, const struct cpu_state *s, bool ia32e, uint64_t *qual)
{
	seg_ar_t cs_ar = { .raw = s->seg[SEG_CS].ar };
	uint32_t inject = (uint32_t)vmcs_get(v, VMCS_ENTRY_INTR_INFO);
	bool extint = (inject & INTR_INFO_VALID) && (inject & INTR_TYPE_MASK) == INTR_TYPE_EXTERNAL;
	uint64_t intr = vmcs_get(v, VMCS_GUEST_INTERRUPTIBILITY);
	uint64_t link = vmcs_get(v, VMCS_VMCS_LINK_POINTER);

	if (ia32e && cs_ar.l)
		CHECK(canonical(s->rip), "guest RIP not canonical");
	else
		CHECK(!(s->rip >> 32), "guest RIP bits 63:32 set outside 64-bit mode");
	CHECK(!(s->rflags & RFLAGS_RESERVED) && (s->rflags & 2), "guest RFLAGS reserved bits wrong");
	CHECK(!(ia32e && (s->rflags & RFLAGS_VM)), "guest RFLAGS.VM set in IA-32e mode");
	CHECK(!extint || (s->rflags & RFLAGS_IF), "injecting an external interrupt with RFLAGS.IF = 0");
	CHECK(vmcs_get(v, VMCS_GUEST_ACTIVITY_STATE) == 0,
	      "guest activity state other than active (IA32_VMX_MISC reports none)");
	CHECK(!(intr & ~0x1full) && (intr & 3) != 3, "guest interruptibility state reserved bits");
	CHECK((s->rflags & RFLAGS_IF) || !(intr & 1), "blocking by STI with RFLAGS.IF = 0");
	CHECK(!extint || !(intr & 3), "injecting an external interrupt while blocked by STI/MOV SS");
	CHECK(!(vmcs_get(v, VMCS_GUEST_PENDING_DBG_EXCEPTIONS) & ~0x1500full),
	      "guest pending debug exceptions reserved bits set");
	if (link != ~0ull) {
		*qual = 4;
		CHECK(!(link & 0xfff) && phys_ok(link) &&
			      vmcs_read32_at(&v->cpu->phys, link) == VMX_REVISION,
		      "VMCS link pointer invalid (not all ones, misaligned or wrong revision)");
		*qual = 0;
	}
	return true;
}

/* 27.4: VM-entry MSR loading; returns 0 or the 1-based index of the entry that failed. */
static uint32_t load_msrs(struct vmx *v, enum vmcs_field count, enum vmcs_field addr)
{
	struct cpu *cpu = v->cpu;
	uint64_t n = vmcs_get(v, count), base = vmcs_get(v, addr);

	for (uint64_t i = 0; i < n; i++) {
		uint64_t idx = phys_read64(&cpu->phys, base + 16 * i);
		uint64_t val = phys_read64(&cpu->phys, base + 16 * i + 8);
		uint32_t msr = (uint32_t)idx;
		uint64_t dummy;
		/* 27.4: FS/GS base, x2APIC MSRs, SMM monitor control and reserved bits fail. */
		if ((idx >> 32) || msr == 0xc0000100 || msr == 0xc0000101 || (msr >> 8) == 0x8 ||
		    msr == 0x9b || profile_rdmsr(cpu, msr, &dummy) == MSR_GP ||
		    profile_wrmsr(cpu, msr, val) == MSR_GP)
			return (uint32_t)i + 1;
		if (profile_rdmsr(cpu, msr, &dummy) == MSR_UNICORN)
			cpu_wrmsr(cpu, msr, val);
	}
	return 0;
}

static void guest_msrs(struct vmx *v, struct cpu_state *s, bool ia32e)
{
	uint32_t entry = (uint32_t)vmcs_get(v, VMCS_ENTRY_CONTROLS);
	uint64_t efer = cpu_rdmsr(v->cpu, MSR_EFER);

	/* 27.3.2.1: without "load IA32_EFER", LMA = LME = "IA-32e mode guest" (with CR0.PG). */
	if (entry & ENTRY_LOAD_EFER)
		efer = vmcs_get(v, VMCS_GUEST_IA32_EFER);
	else {
		efer &= ~(EFER_LMA | EFER_LME);
		if (ia32e)
			efer |= EFER_LMA | EFER_LME;
	}
	s->efer = efer;
	s->pat = (entry & ENTRY_LOAD_PAT) ? vmcs_get(v, VMCS_GUEST_IA32_PAT) : cpu_rdmsr(v->cpu, 0x277);
	if (!(entry & ENTRY_LOAD_DEBUG_CONTROLS))
		s->dr7 = cpu_get(v->cpu, UC_X86_REG_DR7);
}

static enum virt_insn entry_failure(struct vmx *v, uint32_t reason, uint64_t qual)
{
	struct vmx_exit e = { .reason = reason | EXIT_REASON_ENTRY_FAILURE, .qual = qual };
	if (v->cpu->cfg.log & CPU_LOG_VMX)
		cpu_log(v->cpu, "vmx: VM-entry failure (%u): %s\n", reason, v->entry_error);
	return vmx_vm_exit(v, &e) ? VIRT_INSN_DONE : VIRT_INSN_STOP;
}

static enum virt_insn entry_fail_valid(struct vmx *v, enum vmx_error err, unsigned len)
{
	if (v->cpu->cfg.log & CPU_LOG_VMX)
		cpu_log(v->cpu, "vmx: VM entry failed (VMfailValid %d): %s\n", err, v->entry_error);
	vmx_fail(v, err);
	cpu_set(v->cpu, UC_X86_REG_RIP, cpu_get(v->cpu, UC_X86_REG_RIP) + len);
	return VIRT_INSN_DONE;
}

/* Set up what non-root operation consults (EPT, timer, window) from the VMCS controls. */
static void arm_nonroot(struct vmx *v)
{
	uint32_t pin = (uint32_t)vmcs_get(v, VMCS_PIN_BASED_CONTROLS);
	uint32_t proc = (uint32_t)vmcs_get(v, VMCS_PROC_BASED_CONTROLS);
	uint32_t proc2 = (proc & PROC_SECONDARY_CONTROLS) ? (uint32_t)vmcs_get(v, VMCS_SECONDARY_CONTROLS) : 0;
	struct cpu *cpu = v->cpu;

	v->ept_on = proc2 & PROC2_ENABLE_EPT;
	/* Guest-physical mappings are per EPTP (SDM Vol. 3, 29.4.2): another one, other mappings. */
	if (vmcs_get(v, VMCS_EPT_POINTER) != v->ept.eptp)
		cpu->gpa_gen++;
	v->ept = (struct ept_ctx){
		.phys = &cpu->phys, .caps = &v->ept_caps, .eptp = vmcs_get(v, VMCS_EPT_POINTER),
		.pml = proc2 & PROC2_ENABLE_PML, .pml_address = vmcs_get(v, VMCS_PML_ADDRESS),
		.pml_index = (uint16_t)vmcs_get(v, VMCS_PML_INDEX),
	};
	v->preempt_deadline = UINT64_MAX;
	if (pin & PIN_PREEMPTION_TIMER)
		v->preempt_deadline = cpu->vtime +
				      (vmcs_get(v, VMCS_PREEMPTION_TIMER_VALUE) << VMX_PREEMPTION_TIMER_RATE);
	v->intr_window = proc & PROC_INTR_WINDOW;
	cpu->tsc_offset_guest = (proc & PROC_TSC_OFFSETTING) ? vmcs_get(v, VMCS_TSC_OFFSET) : 0;
	cpu_set_nonroot(cpu, true);
	/* The TLB is flushed by cpu_state_load(), which comes next. */
}

/* 27.6: deliver the injected event through the guest IDT, as if it had just occurred. */
static enum virt_insn inject(struct vmx *v)
{
	uint32_t info = (uint32_t)vmcs_get(v, VMCS_ENTRY_INTR_INFO);
	uint32_t type = info & INTR_TYPE_MASK;
	struct fault f = { .vector = info & 0xff, .has_error_code = !!(info & INTR_INFO_ERROR_CODE),
			   .error_code = (uint32_t)vmcs_get(v, VMCS_ENTRY_EXCEPTION_ERROR_CODE) };
	enum event_kind kind = EVENT_EXCEPTION;

	if (!(info & INTR_INFO_VALID))
		return VIRT_INSN_DONE;
	if (type == INTR_TYPE_EXTERNAL)
		kind = EVENT_EXTERNAL;
	else if (type >= INTR_TYPE_SW_INTERRUPT) {
		uint64_t rip = cpu_get(v->cpu, UC_X86_REG_RIP);
		unsigned len = (unsigned)vmcs_get(v, VMCS_ENTRY_INSTRUCTION_LENGTH);
		cpu_set(v->cpu, UC_X86_REG_RIP, rip + len);
		kind = type == INTR_TYPE_SW_INTERRUPT ? EVENT_SOFTWARE : EVENT_EXCEPTION;
		/* A fault during its delivery rewinds RIP by this length (cpu/events.c). */
		v->cpu->soft_insn_len = len;
	}
	if (f.vector == X86_PF)
		f.cr2 = cpu_get(v->cpu, UC_X86_REG_CR2);
	switch (event_deliver_injected(v->cpu, f, kind)) {
	case EVENT_DELIVERED:
	case EVENT_VM_EXIT:
		return VIRT_INSN_DONE;
	default:
		return VIRT_INSN_STOP;
	}
}

enum virt_insn vmx_enter(struct vmx *v, bool launch, unsigned insn_len, struct fault *f)
{
	struct cpu *cpu = v->cpu;
	uint32_t entry = (uint32_t)vmcs_get(v, VMCS_ENTRY_CONTROLS);
	bool ia32e = entry & ENTRY_IA32E_GUEST;
	struct cpu_state s;
	uint64_t qual = 0;
	(void)f;

	v->entry_error[0] = 0;
	if (!check_execution_controls(v) || !check_exit_entry_controls(v) || !check_injection(v))
		return entry_fail_valid(v, VMXERR_ENTRY_INVALID_CONTROLS, insn_len);
	if (!check_host_state(v))
		return entry_fail_valid(v, VMXERR_ENTRY_INVALID_HOST_STATE, insn_len);
	/* From here on the instruction has happened: failures are VM exits (27.8). */
	cpu_set(cpu, UC_X86_REG_RIP, cpu_get(cpu, UC_X86_REG_RIP) + insn_len);
	read_guest_state(v, &s);
	if (!check_guest_registers(v, &s, ia32e) || !check_guest_other(v, &s, ia32e, &qual))
		return entry_failure(v, EXIT_INVALID_GUEST_STATE, qual);
	seg_ar_t cs_ar = { .raw = s.seg[SEG_CS].ar };
	if (!ia32e || !cs_ar.l) {
		snprintf(cpu->error, sizeof cpu->error,
			 "VM entry to a guest outside 64-bit mode (IA-32e mode guest %d, CS.L %d): "
			 "hvsim models 64-bit VMX guests only", ia32e, cs_ar.l);
		return VIRT_INSN_STOP;
	}
	guest_msrs(v, &s, ia32e);
	arm_nonroot(v);
	if (!cpu_state_load(cpu, &s))
		return VIRT_INSN_STOP;
	uint32_t bad = load_msrs(v, VMCS_ENTRY_MSR_LOAD_COUNT, VMCS_ENTRY_MSR_LOAD_ADDR);
	if (bad) {
		snprintf(v->entry_error, sizeof v->entry_error, "VM-entry MSR-load entry %u", bad);
		return entry_failure(v, EXIT_MSR_LOADING, bad);
	}
	/* Only an entry that got past MSR loading makes the VMCS "launched" (31.3 VMLAUNCH). */
	if (launch)
		vmcs_write32_at(&cpu->phys, v->vmcs + VMCS_OFF_LAUNCHED, 1);
	if (cpu->cfg.log & CPU_LOG_VMX)
		cpu_log(cpu, "vmx: %s rip=%#llx vtime=%llu\n", launch ? "VMLAUNCH" : "VMRESUME",
			(unsigned long long)s.rip, (unsigned long long)cpu->vtime);
	return inject(v);
}
