#include "cpu/profile.h"

#include <string.h>

#include "cpu/cpu.h"

static const struct cpu_profile profiles[] = {
	{ "broadwell-ep", "Xeon E5 v4: SMAP, SMEP, VMX with EPT A/D and PML (default)",
	  true, true, true, true, true },
	{ "broadwell-ep-nopml", "as broadwell-ep, without Page Modification Logging",
	  true, true, true, false, true },
	{ "broadwell-ep-nosmap", "as broadwell-ep, without SMAP (CPUID hides it)",
	  false, true, true, true, true },
	{ "haswell-ep", "Xeon E5 v3: SMEP, VMX with EPT, no SMAP, no EPT A/D, no PML",
	  false, true, true, false, false },
};

const struct cpu_profile *profile_at(unsigned i)
{
	return i < sizeof profiles / sizeof profiles[0] ? &profiles[i] : NULL;
}

const struct cpu_profile *profile_find(const char *name)
{
	if (!name)
		return &profiles[0];
	for (const struct cpu_profile *p = profiles; p < profiles + sizeof profiles / sizeof profiles[0]; p++)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

#define MAX_BASIC_LEAF 0x7u
#define MAX_EXT_LEAF 0x80000008u

/* "Intel(R) Xeon(R) CPU E5-2699 v4 @ 2.20GHz", 48 bytes over leaves 80000002H..80000004H. */
static const char brand[48] = "Intel(R) Xeon(R) CPU E5-2699 v4 @ 2.20GHz";

static uint32_t *reg_of(struct cpuid_regs *r, char which)
{
	switch (which) {
	case 'a': return &r->eax;
	case 'b': return &r->ebx;
	case 'c': return &r->ecx;
	default: return &r->edx;
	}
}

static void feature_bits(const struct cpu_profile *p, uint32_t leaf, uint32_t subleaf,
			 struct cpuid_regs *out)
{
	(void)p;
#define CPUID_BIT(l, s, reg, bit, name, cond)                                   \
	if (leaf == (l) && subleaf == (s) && (cond))                            \
		*reg_of(out, #reg[1]) |= 1u << (bit);
#include "cpu/cpuid_bits.def"
#undef CPUID_BIT
}

/*
 * Each CR4 bit and the CPUID flag that says the processor supports it (SDM Vol. 3, 2.5 "Control
 * Registers" and Figure 2-7; the flags from Vol. 2A, CPUID). A bit whose flag a profile does
 * not report is reserved, as is every bit not listed (15, 26 and up): MOV to CR4 that sets one
 * is #GP(0). PCE has no flag. CPUID comes from cpuid_bits.def, so CR4 follows it by construction.
 */
static const struct {
	uint8_t cr4_bit;
	bool always;
	uint32_t leaf, subleaf;
	char reg;
	uint8_t flag;
} cr4_features[] = {
	{ 0, false, 0x1, 0, 'd', 1 },	/* VME: VME */
	{ 1, false, 0x1, 0, 'd', 1 },	/* PVI: VME */
	{ 2, false, 0x1, 0, 'd', 4 },	/* TSD: TSC */
	{ 3, false, 0x1, 0, 'd', 2 },	/* DE: DE */
	{ 4, false, 0x1, 0, 'd', 3 },	/* PSE: PSE */
	{ 5, false, 0x1, 0, 'd', 6 },	/* PAE: PAE */
	{ 6, false, 0x1, 0, 'd', 7 },	/* MCE: MCE */
	{ 7, false, 0x1, 0, 'd', 13 },	/* PGE: PGE */
	{ 8, true, 0, 0, 0, 0 },	/* PCE */
	{ 9, false, 0x1, 0, 'd', 24 },	/* OSFXSR: FXSR */
	{ 10, false, 0x1, 0, 'd', 25 },	/* OSXMMEXCPT: SSE */
	{ 11, false, 0x7, 0, 'c', 2 },	/* UMIP: UMIP */
	{ 12, false, 0x7, 0, 'c', 16 },	/* LA57: LA57 */
	{ 13, false, 0x1, 0, 'c', 5 },	/* VMXE: VMX */
	{ 14, false, 0x1, 0, 'c', 6 },	/* SMXE: SMX */
	{ 16, false, 0x7, 0, 'b', 0 },	/* FSGSBASE: FSGSBASE */
	{ 17, false, 0x1, 0, 'c', 17 },	/* PCIDE: PCID */
	{ 18, false, 0x1, 0, 'c', 26 },	/* OSXSAVE: XSAVE */
	{ 19, false, 0x7, 0, 'c', 23 },	/* KL: KL */
	{ 20, false, 0x7, 0, 'b', 7 },	/* SMEP: SMEP */
	{ 21, false, 0x7, 0, 'b', 20 },	/* SMAP: SMAP */
	{ 22, false, 0x7, 0, 'c', 3 },	/* PKE: PKU */
	{ 23, false, 0x7, 0, 'c', 7 },	/* CET: CET_SS */
	{ 24, false, 0x7, 0, 'c', 31 },	/* PKS: PKS */
	{ 25, false, 0x7, 0, 'd', 5 },	/* UINTR: UINTR */
};

uint64_t profile_cr4_reserved(const struct cpu_profile *p)
{
	uint64_t allowed = 0;

	for (unsigned i = 0; i < sizeof cr4_features / sizeof cr4_features[0]; i++) {
		struct cpuid_regs r = { 0 };
		feature_bits(p, cr4_features[i].leaf, cr4_features[i].subleaf, &r);
		if (cr4_features[i].always || (*reg_of(&r, cr4_features[i].reg) >> cr4_features[i].flag & 1))
			allowed |= 1ull << cr4_features[i].cr4_bit;
	}
	return ~allowed;
}

void profile_cpuid(struct cpu *cpu, uint32_t leaf, uint32_t subleaf, struct cpuid_regs *out)
{
	const struct cpu_profile *p = cpu->profile;

	/* Leaves past the maximum return the highest basic leaf (SDM Vol. 2A, CPUID). */
	if ((leaf > MAX_BASIC_LEAF && leaf < 0x80000000u) || leaf > MAX_EXT_LEAF)
		leaf = MAX_BASIC_LEAF;
	if (leaf != 0x7 && leaf != 0x4 && leaf != 0xb && leaf != 0xd)
		subleaf = 0;
	*out = (struct cpuid_regs){ 0 };
	switch (leaf) {
	case 0x0:
		out->eax = MAX_BASIC_LEAF;
		memcpy(&out->ebx, "Genu", 4);
		memcpy(&out->edx, "ineI", 4);
		memcpy(&out->ecx, "ntel", 4);
		return;
	case 0x1:
		out->eax = 0x000406f1; /* family 6, model 0x4f, stepping 1 */
		out->ebx = (1u << 16) | (8u << 8); /* 1 logical CPU, CLFLUSH line 8*8 bytes */
		break;
	case 0x80000000:
		out->eax = MAX_EXT_LEAF;
		return;
	case 0x80000002:
	case 0x80000003:
	case 0x80000004:
		memcpy(out, brand + 16 * (leaf - 0x80000002), 16);
		return;
	case 0x80000008:
		out->eax = (48u << 8) | 46u; /* linear and physical address widths */
		return;
	}
	feature_bits(p, leaf, subleaf, out);
}

/*
 * MSRs Unicorn keeps for us (its helpers read and write them correctly). A switch, not a loop
 * over ranges: every VM entry and exit reads and compares a handful of these.
 */
static bool unicorn_msr(uint32_t index)
{
	switch (index) {
	case 0x8b:			/* IA32_BIOS_SIGN_ID */
	case 0xfe:			/* IA32_MTRRCAP */
	case 0x174 ... 0x176:		/* IA32_SYSENTER_CS/ESP/EIP */
	case 0x179 ... 0x17a:		/* IA32_MCG_CAP/STATUS */
	case 0x1a0:			/* IA32_MISC_ENABLE */
	case 0x200 ... 0x20f:		/* IA32_MTRR_PHYSBASE/MASK0..7 */
	case 0x250: case 0x258 ... 0x259: case 0x268 ... 0x26f: /* fixed MTRRs */
	case 0x277:			/* IA32_PAT */
	case 0x2ff:			/* IA32_MTRR_DEF_TYPE */
	case 0xc0000080 ... 0xc0000084:	/* EFER, STAR, LSTAR, CSTAR, FMASK */
	case 0xc0000100 ... 0xc0000103:	/* FS_BASE, GS_BASE, KERNEL_GS_BASE, TSC_AUX */
		return true;
	default:
		return false;
	}
}

#define FEATURE_CONTROL_LOCK (1ull << 0)

enum msr_result profile_rdmsr(struct cpu *cpu, uint32_t index, uint64_t *value)
{
	switch (index) {
	case MSR_IA32_TSC:
		/* Non-root with "use TSC offsetting" reads the offset TSC (SDM Vol. 3, 26.3). */
		*value = cpu_now(cpu) + cpu->tsc_offset + (cpu->nonroot ? cpu->tsc_offset_guest : 0);
		return MSR_DONE;
	case MSR_IA32_APIC_BASE:
		*value = cpu->msr_apic_base;
		return MSR_DONE;
	case MSR_IA32_FEATURE_CONTROL:
		*value = cpu->msr_feature_control;
		return MSR_DONE;
	}
	if (cpu->virt && cpu->virt->rdmsr && cpu->virt->rdmsr(cpu, index, value))
		return MSR_DONE; /* VMX capability MSRs (vmx/caps.c) */
	return unicorn_msr(index) ? MSR_UNICORN : MSR_GP;
}

enum msr_result profile_wrmsr(struct cpu *cpu, uint32_t index, uint64_t value)
{
	switch (index) {
	case MSR_IA32_TSC:
		cpu->tsc_offset = value - cpu_now(cpu);
		return MSR_DONE;
	case MSR_IA32_APIC_BASE:
		/* Bits 11 (enable), 8 (BSP, read-only) and the 4K-aligned base are defined. */
		if (value & ~(0x00003ffffffff000ull | (1ull << 11) | (1ull << 8)))
			return MSR_GP;
		cpu->msr_apic_base = (value & ~(1ull << 8)) | (cpu->msr_apic_base & (1ull << 8));
		return MSR_DONE;
	case MSR_IA32_FEATURE_CONTROL:
		/* Writable until locked; then any write #GPs (SDM Vol. 3, 24.7 "Enabling VMX"). */
		if (cpu->msr_feature_control & FEATURE_CONTROL_LOCK)
			return MSR_GP;
		cpu->msr_feature_control = value;
		return MSR_DONE;
	}
	return unicorn_msr(index) ? MSR_UNICORN : MSR_GP;
}
