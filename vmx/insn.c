/*
 * The VMX instructions as SDM Vol. 3, 31.3 "VMX Instructions" describes them: the #UD and #GP
 * conditions, VM exits in non-root operation, and the VMsucceed / VMfailInvalid / VMfailValid
 * conventions of 31.2.
 */
#include <string.h>

#include "cpu/profile.h"
#include "vmx/caps.h"
#include "vmx/internal.h"

#define RFLAGS_CF (1ull << 0)
#define RFLAGS_PF (1ull << 2)
#define RFLAGS_AF (1ull << 4)
#define RFLAGS_ZF (1ull << 6)
#define RFLAGS_SF (1ull << 7)
#define RFLAGS_OF (1ull << 11)
#define RFLAGS_VM (1ull << 17)
#define RFLAGS_ARITH (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)

#define FEATURE_CONTROL_LOCK (1ull << 0)
#define FEATURE_CONTROL_VMXON_OUTSIDE_SMX (1ull << 2)

static void set_arith_flags(struct vmx *v, uint64_t flags)
{
	uint64_t rf = cpu_get(v->cpu, UC_X86_REG_RFLAGS);
	cpu_set(v->cpu, UC_X86_REG_RFLAGS, (rf & ~RFLAGS_ARITH) | flags);
}

void vmx_succeed(struct vmx *v)
{
	set_arith_flags(v, 0);
}

void vmx_fail_invalid(struct vmx *v)
{
	set_arith_flags(v, RFLAGS_CF);
}

/* VMfail(n): VMfailValid with the error number if there is a current VMCS, else VMfailInvalid. */
void vmx_fail(struct vmx *v, enum vmx_error err)
{
	if (v->vmcs == VMCS_NONE) {
		vmx_fail_invalid(v);
		return;
	}
	set_arith_flags(v, RFLAGS_ZF);
	vmcs_set(v, VMCS_VM_INSTRUCTION_ERROR, err);
}

static struct fault gp0(void)
{
	return (struct fault){ .vector = X86_GP, .has_error_code = 1 };
}

/* A physical address operand: 4K-aligned and within the physical-address width (46 bits). */
static bool valid_region_address(uint64_t pa)
{
	return !(pa & 0xfff) && !(pa >> 46);
}

static uint32_t region_revision(struct vmx *v, uint64_t pa)
{
	return vmcs_read32_at(&v->cpu->phys, pa + VMCS_OFF_REVISION);
}

/* Read or write the memory operand as the instruction would (#PF, #GP on failure). */
static bool operand_rw(struct vmx *v, const struct vmx_insn *in, void *buf, size_t len, bool write,
		       struct fault *f)
{
	bool user = cpu_cpl(v->cpu) == 3;
	return cpu_virt_rw(v->cpu, in->addr, buf, len, write, user, false, f);
}

/* The #UD conditions every VMX instruction shares (SDM 31.3, "Operation"). */
static bool undefined_here(struct vmx *v, const struct vmx_insn *in)
{
	struct cpu *cpu = v->cpu;
	uint64_t cr0 = cpu_get(cpu, UC_X86_REG_CR0), cr4 = cpu_get(cpu, UC_X86_REG_CR4);

	/*
	 * VMFUNC is #UD unless "enable VM functions" is 1 in non-root operation (31.3 VMFUNC);
	 * IA32_VMX_PROCBASED_CTLS2 never allows that control, so it is #UD everywhere.
	 */
	if (in->kind == VMX_INSN_VMFUNC)
		return true;
	if (!(cr0 & CR0_PE) || (cpu_get(cpu, UC_X86_REG_RFLAGS) & RFLAGS_VM))
		return true;
	if (in->kind == VMX_INSN_VMXON)
		return !(cr4 & CR4_VMXE) || (in->has_modrm && !in->mem);
	if (!v->on)
		return true;
	/* Memory-only operands: VMCLEAR, VMPTRLD, VMPTRST, INVEPT, INVVPID. */
	switch (in->kind) {
	case VMX_INSN_VMCLEAR:
	case VMX_INSN_VMPTRLD:
	case VMX_INSN_VMPTRST:
	case VMX_INSN_INVEPT:
	case VMX_INSN_INVVPID:
		return !in->mem;
	default:
		return false;
	}
}

static enum virt_insn done(struct vmx *v, const struct vmx_insn *in)
{
	uint64_t rip = cpu_get(v->cpu, UC_X86_REG_RIP);
	cpu_set(v->cpu, UC_X86_REG_RIP, rip + in->len);
	return VIRT_INSN_DONE;
}

static enum virt_insn fault(struct fault *out, struct fault f)
{
	*out = f;
	return VIRT_INSN_FAULT;
}

static bool cr_fixed_ok(struct vmx *v, unsigned cr, uint64_t value)
{
	const struct cpu_profile *p = v->cpu->profile;
	uint64_t fixed0 = vmx_caps_cr_fixed0(p, cr), fixed1 = vmx_caps_cr_fixed1(p, cr);
	return (value & fixed0) == fixed0 && !(value & ~fixed1 & 0xffffffffull);
}

static enum virt_insn do_vmxon(struct vmx *v, const struct vmx_insn *in, struct fault *f)
{
	struct cpu *cpu = v->cpu;
	uint64_t fc = cpu->msr_feature_control, ptr;

	if (v->on) {
		if (cpu_cpl(cpu) > 0)
			return fault(f, gp0());
		vmx_fail(v, VMXERR_VMXON_IN_ROOT);
		return done(v, in);
	}
	if (cpu_cpl(cpu) > 0 || !cr_fixed_ok(v, 0, cpu_get(cpu, UC_X86_REG_CR0)) ||
	    !cr_fixed_ok(v, 4, cpu_get(cpu, UC_X86_REG_CR4)) || !(fc & FEATURE_CONTROL_LOCK) ||
	    !(fc & FEATURE_CONTROL_VMXON_OUTSIDE_SMX))
		return fault(f, gp0());
	if (!operand_rw(v, in, &ptr, 8, false, f))
		return VIRT_INSN_FAULT;
	if (!valid_region_address(ptr) || (region_revision(v, ptr) & 0x7fffffffu) != VMX_REVISION ||
	    (region_revision(v, ptr) >> 31)) {
		vmx_fail_invalid(v);
		return done(v, in);
	}
	v->on = true;
	v->vmxon_ptr = ptr;
	vmx_set_vmcs(v, VMCS_NONE);
	vmx_succeed(v);
	return done(v, in);
}

static enum virt_insn do_vmxoff(struct vmx *v, const struct vmx_insn *in)
{
	v->on = false;
	vmx_set_vmcs(v, VMCS_NONE);
	vmx_succeed(v);
	return done(v, in);
}

static enum virt_insn do_vmclear(struct vmx *v, const struct vmx_insn *in, struct fault *f)
{
	uint64_t ptr;

	if (!operand_rw(v, in, &ptr, 8, false, f))
		return VIRT_INSN_FAULT;
	if (!valid_region_address(ptr))
		vmx_fail(v, VMXERR_VMCLEAR_INVALID_ADDRESS);
	else if (ptr == v->vmxon_ptr)
		vmx_fail(v, VMXERR_VMCLEAR_VMXON_POINTER);
	else {
		/* The VMCS data is always in memory in hvsim: only the launch state changes. */
		vmcs_write32_at(&v->cpu->phys, ptr + VMCS_OFF_LAUNCHED, 0);
		if (ptr == v->vmcs)
			vmx_set_vmcs(v, VMCS_NONE);
		vmx_succeed(v);
	}
	return done(v, in);
}

static enum virt_insn do_vmptrld(struct vmx *v, const struct vmx_insn *in, struct fault *f)
{
	uint64_t ptr;

	if (!operand_rw(v, in, &ptr, 8, false, f))
		return VIRT_INSN_FAULT;
	if (!valid_region_address(ptr))
		vmx_fail(v, VMXERR_VMPTRLD_INVALID_ADDRESS);
	else if (ptr == v->vmxon_ptr)
		vmx_fail(v, VMXERR_VMPTRLD_VMXON_POINTER);
	else if (region_revision(v, ptr) != VMX_REVISION) /* bit 31: no VMCS shadowing */
		vmx_fail(v, VMXERR_VMPTRLD_BAD_REVISION);
	else {
		vmx_set_vmcs(v, ptr);
		vmx_succeed(v);
	}
	return done(v, in);
}

static enum virt_insn do_vmptrst(struct vmx *v, const struct vmx_insn *in, struct fault *f)
{
	uint64_t ptr = v->vmcs;

	if (!operand_rw(v, in, &ptr, 8, true, f))
		return VIRT_INSN_FAULT;
	vmx_succeed(v);
	return done(v, in);
}

/* VMREAD r/m64, r64 and VMWRITE r64, r/m64 in 64-bit mode (SDM 31.3, VMREAD / VMWRITE). */
static enum virt_insn do_vmread_vmwrite(struct vmx *v, const struct vmx_insn *in, struct fault *f)
{
	bool write = in->kind == VMX_INSN_VMWRITE;
	uint64_t encoding = vmx_gpr(v->cpu, in->reg), value = 0;
	enum vmcs_field field;
	bool high;

	if (v->vmcs == VMCS_NONE) {
		vmx_fail_invalid(v);
		return done(v, in);
	}
	if (write) {
		if (in->mem && !operand_rw(v, in, &value, 8, false, f))
			return VIRT_INSN_FAULT;
		if (!in->mem)
			value = vmx_gpr(v->cpu, in->rm);
	}
	if (!vmcs_lookup(encoding, &field, &high) || !vmx_caps_field_exists(v->cpu->profile, field)) {
		vmx_fail(v, VMXERR_UNSUPPORTED_FIELD);
		return done(v, in);
	}
	if (write && vmcs_fields[field].type == EXIT_INFO) {
		vmx_fail(v, VMXERR_READ_ONLY_FIELD); /* IA32_VMX_MISC bit 29 is 0 */
		return done(v, in);
	}
	uint64_t old = vmcs_get(v, field);
	if (!write) {
		value = high ? old >> 32 : old;
		if (in->mem && !operand_rw(v, in, &value, 8, true, f))
			return VIRT_INSN_FAULT;
		if (!in->mem)
			vmx_set_gpr(v->cpu, in->rm, value);
	} else {
		vmcs_set(v, field, high ? (old & 0xffffffffull) | (value << 32) : value);
	}
	vmx_succeed(v);
	return done(v, in);
}

/* INVEPT / INVVPID (SDM 31.3): the descriptor is 128 bits; types per IA32_VMX_EPT_VPID_CAP. */
static enum virt_insn do_invalidate(struct vmx *v, const struct vmx_insn *in, struct fault *f)
{
	uint64_t type = vmx_gpr(v->cpu, in->reg), desc[2];
	bool ept = in->kind == VMX_INSN_INVEPT;
	bool ok = ept ? type == 1 || type == 2 : type <= 3;

	/* An unsupported type fails before the descriptor is read (31.3 INVEPT, INVVPID). */
	if (ok && !operand_rw(v, in, desc, sizeof desc, false, f))
		return VIRT_INSN_FAULT;
	if (ok && ept) /* 1: single-context, 2: all-context */
		ok = type == 2 || ept_check_eptp(&v->ept_caps, desc[0]) == EPTP_OK;
	else if (ok)   /* 0: individual address, 1: single-context, 2: all-context, 3: single, retaining globals */
		ok = !(desc[0] >> 16) && (type == 2 || (uint16_t)desc[0] != 0) &&
		     (type != 0 || (desc[1] >> 47 == 0 || desc[1] >> 47 == 0x1ffff));
	if (!ok) {
		vmx_fail(v, VMXERR_INVALID_INVEPT_OPERAND);
		return done(v, in);
	}
	/* Combined mappings live in Unicorn's TLB; guest-physical ones also in a trace stand-in. */
	cpu_flush_tlb(v->cpu);
	if (ept)
		v->cpu->gpa_gen++;
	vmx_succeed(v);
	return done(v, in);
}

static enum virt_insn do_launch(struct vmx *v, const struct vmx_insn *in, struct fault *f)
{
	bool launch = in->kind == VMX_INSN_VMLAUNCH;

	if (v->vmcs == VMCS_NONE) {
		vmx_fail_invalid(v);
		return done(v, in);
	}
	uint32_t launched = vmcs_read32_at(&v->cpu->phys, v->vmcs + VMCS_OFF_LAUNCHED);
	if (launch && launched) {
		vmx_fail(v, VMXERR_VMLAUNCH_NOT_CLEAR);
		return done(v, in);
	}
	if (!launch && !launched) {
		vmx_fail(v, VMXERR_VMRESUME_NOT_LAUNCHED);
		return done(v, in);
	}
	return vmx_enter(v, launch, in->len, f);
}

/* Non-root: every VMX instruction exits (SDM 26.1.2), after its #UD checks. */
static enum virt_insn exit_for(struct vmx *v, const struct vmx_insn *in)
{
	struct vmx_exit e = {
		.reason = vmx_insn_exit_reason(in->kind), .insn_len = in->len, .has_insn = true,
		.insn_info = in->info, /* 0 for the operand-less ones (VMCALL, VMLAUNCH, ...) */
		.qual = in->mem ? (uint64_t)in->disp : 0,
	};
	/* 28.2.1: RIP-relative operands report the displacement plus the next instruction's RIP. */
	if (in->rip_relative)
		e.qual += cpu_get(v->cpu, UC_X86_REG_RIP) + in->len;
	return vmx_vm_exit(v, &e) ? VIRT_INSN_DONE : VIRT_INSN_STOP;
}

enum virt_insn vmx_invalid_insn(struct cpu *cpu, struct fault *f)
{
	struct vmx *v = vmx_of(cpu);
	struct vmx_insn in;

	if (!cpu->profile->vmx || !vmx_decode(cpu, &in) || undefined_here(v, &in))
		return VIRT_INSN_UD;
	if (cpu->nonroot)
		return exit_for(v, &in);
	if (in.kind == VMX_INSN_VMXON)
		return do_vmxon(v, &in, f);
	if (cpu_cpl(cpu) > 0)
		return fault(f, gp0());
	switch (in.kind) {
	case VMX_INSN_VMCALL:
		vmx_fail(v, VMXERR_VMCALL_IN_ROOT);
		return done(v, &in);
	case VMX_INSN_VMXOFF:
		return do_vmxoff(v, &in);
	case VMX_INSN_VMCLEAR:
		return do_vmclear(v, &in, f);
	case VMX_INSN_VMPTRLD:
		return do_vmptrld(v, &in, f);
	case VMX_INSN_VMPTRST:
		return do_vmptrst(v, &in, f);
	case VMX_INSN_VMREAD:
	case VMX_INSN_VMWRITE:
		return do_vmread_vmwrite(v, &in, f);
	case VMX_INSN_INVEPT:
	case VMX_INSN_INVVPID:
		return do_invalidate(v, &in, f);
	case VMX_INSN_VMLAUNCH:
	case VMX_INSN_VMRESUME:
		return do_launch(v, &in, f);
	default:
		return VIRT_INSN_UD;
	}
}
