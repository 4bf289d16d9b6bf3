/*
 * The VMX capability MSRs of each CPU profile against the consistency rules of SDM Vol. 3,
 * Appendix A "VMX Capability Reporting Facility", and the VMCS fields VMREAD accepts against
 * Appendix B "Field Encoding in VMCS" (a field of a feature the CPU lacks does not exist; Appendix
 * B's footnotes name the control each depends on). tests/guests/vmx_caps.c reports the MSRs and
 * every encoding VMREAD accepts; the rules and the field list are written here.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/harness.h"

#define MSR_FIRST 0x480
#define MSR_LAST 0x493
enum {
	BASIC = 0x480, PIN = 0x481, PROC = 0x482, EXIT = 0x483, ENTRY = 0x484, MISC = 0x485,
	CR0_FIXED0 = 0x486, CR0_FIXED1 = 0x487, CR4_FIXED0 = 0x488, CR4_FIXED1 = 0x489,
	VMCS_ENUM = 0x48a, PROC2 = 0x48b, EPT_VPID_CAP = 0x48c, TRUE_PIN = 0x48d, TRUE_PROC = 0x48e,
	TRUE_EXIT = 0x48f, TRUE_ENTRY = 0x490, VMFUNC = 0x491, PROC3 = 0x492, EXIT2 = 0x493,
};

/* What each profile is documented to have (`hvsim info`, README): the expectations' source. */
static const struct profile {
	const char *name;
	bool pml, ept_ad;
} profiles[] = {
	{ "broadwell-ep", true, true },
	{ "broadwell-ep-nopml", false, true },
	{ "haswell-ep", false, false },
};

struct caps {
	bool present[MSR_LAST - MSR_FIRST + 1];
	uint64_t value[MSR_LAST - MSR_FIRST + 1];
	bool cpuid_vmx;
	bool field[1u << 15]; /* VMREAD succeeded on this encoding */
};

static bool has(const struct caps *c, uint32_t msr)
{
	return c->present[msr - MSR_FIRST];
}

static uint64_t msr(const struct caps *c, uint32_t m)
{
	return c->value[m - MSR_FIRST];
}

/* A control's allowed 1-setting (bits 63:32 of its capability MSR, A.3-A.5). */
static bool allowed1(const struct caps *c, uint32_t m, unsigned bit)
{
	return has(c, m) && (msr(c, m) >> 32 >> bit & 1);
}

static void parse(const char *out, struct caps *c)
{
	memset(c, 0, sizeof *c);
	for (const char *p = out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		unsigned m, enc, b;
		uint64_t v;
		if (sscanf(p, "msr %x=%" SCNx64, &m, &v) == 2 && m >= MSR_FIRST && m <= MSR_LAST &&
		    strncmp(strchr(p, '=') + 1, "#GP", 3)) {
			c->present[m - MSR_FIRST] = true;
			c->value[m - MSR_FIRST] = v;
		} else if (sscanf(p, "field %x", &enc) == 1 && enc < (1u << 15)) {
			c->field[enc] = true;
		} else if (sscanf(p, "cpuid-vmx=%u", &b) == 1) {
			c->cpuid_vmx = b;
		}
	}
}

#define RULE(rep, p, cond, ...)                                           \
	do {                                                              \
		if (!(cond))                                              \
			report_broken(rep, "[%s] " __VA_ARGS__);                   \
	} while (0)

/* ---- Appendix A ---- */

/* The default1 controls: reserved, reported as 1 by the non-TRUE MSRs (A.3.1, A.3.2, A.4, A.5). */
#define BITS(hi, lo) ((~0u >> (31 - (hi))) & ~((1u << (lo)) - 1))
static const struct {
	uint32_t msr, true_msr, default1;
	const char *name;
} control_msrs[] = {
	{ PIN, TRUE_PIN, 1u << 1 | 1u << 2 | 1u << 4, "pin-based (A.3.1: bits 1, 2, 4)" },
	{ PROC, TRUE_PROC, 1u << 1 | BITS(6, 4) | 1u << 8 | BITS(16, 13) | 1u << 26,
	  "primary processor-based (A.3.2: bits 1, 4-6, 8, 13-16, 26)" },
	{ EXIT, TRUE_EXIT, BITS(8, 0) | 1u << 10 | 1u << 11 | 1u << 13 | 1u << 14 | 1u << 16 | 1u << 17,
	  "VM-exit (A.4: bits 0-8, 10, 11, 13, 14, 16, 17)" },
	{ ENTRY, TRUE_ENTRY, BITS(8, 0) | 1u << 12, "VM-entry (A.5: bits 0-8, 12)" },
};

static void basic_rules(struct report *rep, const char *p, const struct caps *c)
{
	uint64_t b = msr(c, BASIC);

	RULE(rep, p, c->cpuid_vmx, "CPUID.1:ECX.VMX[bit 5] = 1 (23.6)", p);
	RULE(rep, p, has(c, BASIC), "IA32_VMX_BASIC readable when CPUID reports VMX (A.1)", p);
	RULE(rep, p, !(b >> 31 & 1), "A.1: IA32_VMX_BASIC bit 31 is 0 (revision is 31 bits)", p);
	RULE(rep, p, (b >> 32 & 0x1fff) == 4096,
	     "A.1: bits 44:32 give the VMXON/VMCS region size: 4096 (never more; got %" PRIu64 ")", p,
	     b >> 32 & 0x1fff);
	RULE(rep, p, !(b >> 48 & 1), "A.1: bit 48 is 0 on Intel 64 (regions anywhere in the physical space)", p);
	RULE(rep, p, (b >> 50 & 0xf) == 0 || (b >> 50 & 0xf) == 6, "A.1: VMCS memory type (53:50) is UC or WB", p);
	RULE(rep, p, b >> 55 & 1, "A.1: bit 55 = 1: the TRUE capability MSRs exist", p);
	RULE(rep, p, !(b & (7ull << 45)) && !(b >> 56), "A.1: bits 47:45 and 63:56 are reserved (0)", p);
	for (uint32_t m = TRUE_PIN; m <= TRUE_ENTRY; m++)
		RULE(rep, p, has(c, m) == !!(b >> 55 & 1), "A.1: MSR %#x exists iff IA32_VMX_BASIC[55] = 1", p, m);
	for (uint32_t m = PIN; m <= VMCS_ENUM; m++)
		RULE(rep, p, has(c, m), "A: MSR %#x exists on every CPU with VMX", p, m);
}

static void control_rules(struct report *rep, const char *p, const struct caps *c)
{
	for (unsigned i = 0; i < sizeof control_msrs / sizeof control_msrs[0]; i++) {
		uint64_t v = msr(c, control_msrs[i].msr), t = msr(c, control_msrs[i].true_msr);
		uint32_t lo = (uint32_t)v, hi = (uint32_t)(v >> 32), tlo = (uint32_t)t, thi = (uint32_t)(t >> 32);
		uint32_t d1 = control_msrs[i].default1;
		const char *name = control_msrs[i].name;
		RULE(rep, p, !(lo & ~hi), "A.3: %s: a control required to be 1 must be allowed to be 1 "
		     "(allowed-0 %#x, allowed-1 %#x)", p, name, lo, hi);
		RULE(rep, p, !(tlo & ~thi), "A.3: TRUE %s: allowed-0 within allowed-1", p, name);
		RULE(rep, p, (lo & d1) == d1, "A.2: non-TRUE %s reports every default1 control as 1 "
		     "(allowed-0 %#x)", p, name, lo);
		RULE(rep, p, thi == hi, "A.2: the TRUE %s MSR reports the same allowed-1 settings", p, name);
		RULE(rep, p, !(tlo & ~lo) && !((lo ^ tlo) & ~d1),
		     "A.2: the TRUE %s MSR differs only in default1 bits it lets be 0 (%#x vs %#x)", p,
		     name, tlo, lo);
	}
	RULE(rep, p, has(c, PROC2) == allowed1(c, PROC, 31),
	     "A.3.3: IA32_VMX_PROCBASED_CTLS2 exists iff \"activate secondary controls\" may be 1", p);
	if (has(c, PROC2))
		RULE(rep, p, !(uint32_t)msr(c, PROC2), "A.3.3: secondary controls have no default1 bits", p);
	RULE(rep, p, has(c, VMFUNC) == allowed1(c, PROC2, 13),
	     "A.11: IA32_VMX_VMFUNC exists iff \"enable VM functions\" may be 1", p);
	RULE(rep, p, has(c, PROC3) == allowed1(c, PROC, 17),
	     "A.3.4: IA32_VMX_PROCBASED_CTLS3 exists iff \"activate tertiary controls\" may be 1", p);
	RULE(rep, p, has(c, EXIT2) == allowed1(c, EXIT, 31),
	     "A.4.2: IA32_VMX_EXIT_CTLS2 exists iff \"activate secondary controls\" (exit) may be 1", p);
}

static void profile_rules(struct report *rep, const struct profile *pr, const struct caps *c)
{
	const char *p = pr->name;
	uint64_t ept = msr(c, EPT_VPID_CAP);

	RULE(rep, p, allowed1(c, PROC2, 1), "every profile offers \"enable EPT\" (PROCBASED_CTLS2 bit 33)", p);
	RULE(rep, p, allowed1(c, PROC2, 5), "every profile offers \"enable VPID\" (PROCBASED_CTLS2 bit 37)", p);
	RULE(rep, p, allowed1(c, PROC2, 17) == pr->pml,
	     "\"enable PML\" (PROCBASED_CTLS2 bit 49) may be 1 iff the profile has PML (%d)", p, pr->pml);
	RULE(rep, p, has(c, EPT_VPID_CAP) == (allowed1(c, PROC2, 1) || allowed1(c, PROC2, 5)),
	     "A.10: IA32_VMX_EPT_VPID_CAP exists iff EPT or VPID may be enabled", p);
	RULE(rep, p, !!(ept >> 21 & 1) == pr->ept_ad,
	     "A.10: EPT_VPID_CAP bit 21 (EPT A/D flags) iff the profile has them (%d)", p, pr->ept_ad);
	RULE(rep, p, ept >> 6 & 1, "A.10: EPT_VPID_CAP bit 6: 4-level EPT walks supported", p);
	RULE(rep, p, (ept >> 8 & 1) || (ept >> 14 & 1), "A.10: EPT_VPID_CAP reports UC (8) or WB (14) for the EPTP", p);
	RULE(rep, p, (ept >> 20 & 1) || !(ept >> 25 & 3),
	     "A.10: INVEPT types (bits 25, 26) only if INVEPT is supported (bit 20)", p);
	RULE(rep, p, (ept >> 32 & 1) || !(ept >> 40 & 0xf),
	     "A.10: INVVPID types (bits 43:40) only if INVVPID is supported (bit 32)", p);
	RULE(rep, p, (msr(c, CR0_FIXED0) & ~msr(c, CR0_FIXED1)) == 0, "A.7: CR0_FIXED0 within CR0_FIXED1", p);
	RULE(rep, p, (msr(c, CR4_FIXED0) & ~msr(c, CR4_FIXED1)) == 0, "A.8: CR4_FIXED0 within CR4_FIXED1", p);
	RULE(rep, p, (msr(c, CR4_FIXED0) >> 13 & 1), "A.8: CR4.VMXE is fixed to 1 in VMX operation", p);
	if (!allowed1(c, PROC2, 7))
		RULE(rep, p, (msr(c, CR0_FIXED0) & 0x80000021u) == 0x80000021u,
		     "A.7: without unrestricted guest, CR0.PE, NE and PG are fixed to 1", p);
	RULE(rep, p, (msr(c, MISC) >> 16 & 0x1ff) <= 256, "A.6: CR3-target count (bits 24:16) at most 256", p);
}

/* ---- Appendix B: every field, with the control it depends on ---- */

enum need { ALWAYS, CTRL, CTRL_OR, CR3_TARGET };
struct field {
	uint16_t enc;
	const char *name;
	enum need need;
	uint32_t msr;
	unsigned bit;
	uint32_t msr2; /* CTRL_OR; CR3_TARGET: the target number in 'bit' */
	unsigned bit2;
};

#define F(e, n) { e, n, ALWAYS, 0, 0, 0, 0 }
#define FC(e, n, m, b) { e, n, CTRL, m, b, 0, 0 }
#define FOR(e, n, m, b, m2, b2) { e, n, CTRL_OR, m, b, m2, b2 }
static const struct field fields[] = {
	/* B.1.1 16-bit control fields */
	FC(0x0000, "VPID", PROC2, 5),
	FC(0x0002, "posted-interrupt notification vector", PIN, 7),
	FC(0x0004, "EPTP index", PROC2, 18),
	/* B.1.2 16-bit guest-state fields */
	F(0x0800, "guest ES selector"), F(0x0802, "guest CS selector"), F(0x0804, "guest SS selector"),
	F(0x0806, "guest DS selector"), F(0x0808, "guest FS selector"), F(0x080a, "guest GS selector"),
	F(0x080c, "guest LDTR selector"), F(0x080e, "guest TR selector"),
	FC(0x0810, "guest interrupt status", PROC2, 9),
	FC(0x0812, "PML index", PROC2, 17),
	/* B.1.3 16-bit host-state fields */
	F(0x0c00, "host ES selector"), F(0x0c02, "host CS selector"), F(0x0c04, "host SS selector"),
	F(0x0c06, "host DS selector"), F(0x0c08, "host FS selector"), F(0x0c0a, "host GS selector"),
	F(0x0c0c, "host TR selector"),
	/* B.2.1 64-bit control fields */
	F(0x2000, "I/O bitmap A"), F(0x2002, "I/O bitmap B"),
	FC(0x2004, "MSR bitmaps", PROC, 28),
	F(0x2006, "VM-exit MSR-store address"), F(0x2008, "VM-exit MSR-load address"),
	F(0x200a, "VM-entry MSR-load address"), F(0x200c, "executive-VMCS pointer"),
	FC(0x200e, "PML address", PROC2, 17),
	F(0x2010, "TSC offset"),
	FC(0x2012, "virtual-APIC address", PROC, 21),
	FC(0x2014, "APIC-access address", PROC2, 0),
	FC(0x2016, "posted-interrupt descriptor address", PIN, 7),
	FC(0x2018, "VM-function controls", PROC2, 13),
	FC(0x201a, "EPT pointer", PROC2, 1),
	FC(0x201c, "EOI-exit bitmap 0", PROC2, 9), FC(0x201e, "EOI-exit bitmap 1", PROC2, 9),
	FC(0x2020, "EOI-exit bitmap 2", PROC2, 9), FC(0x2022, "EOI-exit bitmap 3", PROC2, 9),
	FC(0x2024, "EPTP-list address (EPTP switching, a VM function)", PROC2, 13),
	FC(0x2026, "VMREAD-bitmap address", PROC2, 14), FC(0x2028, "VMWRITE-bitmap address", PROC2, 14),
	FC(0x202a, "virtualization-exception information address", PROC2, 18),
	FC(0x202c, "XSS-exiting bitmap", PROC2, 20),
	FC(0x202e, "ENCLS-exiting bitmap", PROC2, 15),
	FC(0x2030, "sub-page-permission-table pointer", PROC2, 23),
	FC(0x2032, "TSC multiplier", PROC2, 25),
	FC(0x2034, "tertiary processor-based controls", PROC, 17),
	/* B.2.2 64-bit read-only data field */
	FC(0x2400, "guest-physical address", PROC2, 1),
	/* B.2.3 64-bit guest-state fields */
	F(0x2800, "VMCS link pointer"), F(0x2802, "guest IA32_DEBUGCTL"),
	FOR(0x2804, "guest IA32_PAT", ENTRY, 14, EXIT, 18),
	FOR(0x2806, "guest IA32_EFER", ENTRY, 15, EXIT, 20),
	FC(0x2808, "guest IA32_PERF_GLOBAL_CTRL", ENTRY, 13),
	FC(0x280a, "guest PDPTE0", PROC2, 1), FC(0x280c, "guest PDPTE1", PROC2, 1),
	FC(0x280e, "guest PDPTE2", PROC2, 1), FC(0x2810, "guest PDPTE3", PROC2, 1),
	FOR(0x2812, "guest IA32_BNDCFGS", ENTRY, 16, EXIT, 23),
	FOR(0x2814, "guest IA32_RTIT_CTL", ENTRY, 18, EXIT, 25),
	/* B.2.4 64-bit host-state fields */
	FC(0x2c00, "host IA32_PAT", EXIT, 19),
	FC(0x2c02, "host IA32_EFER", EXIT, 21),
	FC(0x2c04, "host IA32_PERF_GLOBAL_CTRL", EXIT, 12),
	/* B.3.1 32-bit control fields */
	F(0x4000, "pin-based controls"), F(0x4002, "primary processor-based controls"),
	F(0x4004, "exception bitmap"), F(0x4006, "page-fault error-code mask"),
	F(0x4008, "page-fault error-code match"), F(0x400a, "CR3-target count"),
	F(0x400c, "VM-exit controls"), F(0x400e, "VM-exit MSR-store count"),
	F(0x4010, "VM-exit MSR-load count"), F(0x4012, "VM-entry controls"),
	F(0x4014, "VM-entry MSR-load count"), F(0x4016, "VM-entry interruption information"),
	F(0x4018, "VM-entry exception error code"), F(0x401a, "VM-entry instruction length"),
	FC(0x401c, "TPR threshold", PROC, 21),
	FC(0x401e, "secondary processor-based controls", PROC, 31),
	FC(0x4020, "PLE_Gap", PROC2, 10), FC(0x4022, "PLE_Window", PROC2, 10),
	/* B.3.2 32-bit read-only data fields */
	F(0x4400, "VM-instruction error"), F(0x4402, "exit reason"),
	F(0x4404, "VM-exit interruption information"), F(0x4406, "VM-exit interruption error code"),
	F(0x4408, "IDT-vectoring information"), F(0x440a, "IDT-vectoring error code"),
	F(0x440c, "VM-exit instruction length"), F(0x440e, "VM-exit instruction information"),
	/* B.3.3 32-bit guest-state fields */
	F(0x4800, "guest ES limit"), F(0x4802, "guest CS limit"), F(0x4804, "guest SS limit"),
	F(0x4806, "guest DS limit"), F(0x4808, "guest FS limit"), F(0x480a, "guest GS limit"),
	F(0x480c, "guest LDTR limit"), F(0x480e, "guest TR limit"), F(0x4810, "guest GDTR limit"),
	F(0x4812, "guest IDTR limit"), F(0x4814, "guest ES access rights"),
	F(0x4816, "guest CS access rights"), F(0x4818, "guest SS access rights"),
	F(0x481a, "guest DS access rights"), F(0x481c, "guest FS access rights"),
	F(0x481e, "guest GS access rights"), F(0x4820, "guest LDTR access rights"),
	F(0x4822, "guest TR access rights"), F(0x4824, "guest interruptibility state"),
	F(0x4826, "guest activity state"), F(0x4828, "guest SMBASE"), F(0x482a, "guest IA32_SYSENTER_CS"),
	FC(0x482e, "VMX-preemption timer value", PIN, 6),
	/* B.3.4 32-bit host-state field */
	F(0x4c00, "host IA32_SYSENTER_CS"),
	/* B.4.1 natural-width control fields */
	F(0x6000, "CR0 guest/host mask"), F(0x6002, "CR4 guest/host mask"),
	F(0x6004, "CR0 read shadow"), F(0x6006, "CR4 read shadow"),
	{ 0x6008, "CR3-target value 0", CR3_TARGET, 0, 0, 0, 0 },
	{ 0x600a, "CR3-target value 1", CR3_TARGET, 0, 1, 0, 0 },
	{ 0x600c, "CR3-target value 2", CR3_TARGET, 0, 2, 0, 0 },
	{ 0x600e, "CR3-target value 3", CR3_TARGET, 0, 3, 0, 0 },
	/* B.4.2 natural-width read-only data fields */
	F(0x6400, "exit qualification"), F(0x6402, "I/O RCX"), F(0x6404, "I/O RSI"),
	F(0x6406, "I/O RDI"), F(0x6408, "I/O RIP"), F(0x640a, "guest-linear address"),
	/* B.4.3 natural-width guest-state fields */
	F(0x6800, "guest CR0"), F(0x6802, "guest CR3"), F(0x6804, "guest CR4"),
	F(0x6806, "guest ES base"), F(0x6808, "guest CS base"), F(0x680a, "guest SS base"),
	F(0x680c, "guest DS base"), F(0x680e, "guest FS base"), F(0x6810, "guest GS base"),
	F(0x6812, "guest LDTR base"), F(0x6814, "guest TR base"), F(0x6816, "guest GDTR base"),
	F(0x6818, "guest IDTR base"), F(0x681a, "guest DR7"), F(0x681c, "guest RSP"),
	F(0x681e, "guest RIP"), F(0x6820, "guest RFLAGS"), F(0x6822, "guest pending debug exceptions"),
	F(0x6824, "guest IA32_SYSENTER_ESP"), F(0x6826, "guest IA32_SYSENTER_EIP"),
	FC(0x6828, "guest IA32_S_CET", ENTRY, 20), FC(0x682a, "guest SSP", ENTRY, 20),
	FC(0x682c, "guest IA32_INTERRUPT_SSP_TABLE_ADDR", ENTRY, 20),
	/* B.4.4 natural-width host-state fields */
	F(0x6c00, "host CR0"), F(0x6c02, "host CR3"), F(0x6c04, "host CR4"), F(0x6c06, "host FS base"),
	F(0x6c08, "host GS base"), F(0x6c0a, "host TR base"), F(0x6c0c, "host GDTR base"),
	F(0x6c0e, "host IDTR base"), F(0x6c10, "host IA32_SYSENTER_ESP"),
	F(0x6c12, "host IA32_SYSENTER_EIP"), F(0x6c14, "host RSP"), F(0x6c16, "host RIP"),
	FC(0x6c18, "host IA32_S_CET", EXIT, 28), FC(0x6c1a, "host SSP", EXIT, 28),
	FC(0x6c1c, "host IA32_INTERRUPT_SSP_TABLE_ADDR", EXIT, 28),
};

static bool field_exists(const struct caps *c, const struct field *f)
{
	switch (f->need) {
	case ALWAYS:
		return true;
	case CTRL:
		return allowed1(c, f->msr, f->bit);
	case CTRL_OR:
		return allowed1(c, f->msr, f->bit) || allowed1(c, f->msr2, f->bit2);
	case CR3_TARGET:
		return f->bit < (msr(c, MISC) >> 16 & 0x1ff); /* A.6: bits 24:16 */
	}
	return false;
}

static const struct field *field_named(uint16_t enc)
{
	for (unsigned i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (fields[i].enc == (enc & ~1u))
			return &fields[i];
	return NULL;
}

static void field_rules(struct report *rep, const char *p, const struct caps *c)
{
	bool want[1u << 15] = { 0 };
	unsigned max_index = 0;

	for (unsigned i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		const struct field *f = &fields[i];
		if (!field_exists(c, f))
			continue;
		want[f->enc] = true;
		/* 25.11.2: 64-bit fields (width 1) have a high-half access type (bit 0 = 1) too. */
		if ((f->enc >> 13 & 3) == 1)
			want[f->enc | 1] = true;
		if ((f->enc >> 1 & 0x1ff) > max_index)
			max_index = f->enc >> 1 & 0x1ff;
	}
	for (unsigned enc = 0; enc < (1u << 15); enc++) {
		if (want[enc] == c->field[enc])
			continue;
		const struct field *f = field_named((uint16_t)enc);
		report_broken(rep, "[%s] VMREAD of %#06x (%s%s) %s; Appendix B says it %s", p, enc,
		     f ? f->name : "no such field", enc & 1 ? ", high" : "",
		     c->field[enc] ? "succeeds" : "fails", want[enc] ? "exists" : "does not exist");
	}
	uint64_t e = msr(c, VMCS_ENUM);
	RULE(rep, p, (e >> 1 & 0x1ff) == max_index && !(e & 1) && !(e >> 10),
	     "A.9: IA32_VMX_VMCS_ENUM bits 9:1 = the highest field index (%u) of the fields this CPU "
	     "has; bits 0, 63:10 = 0 (got %#" PRIx64 ")", p, max_index, e);
}

START_TEST(capability_msrs_and_fields)
{
	struct report rep = { 0 };
	struct caps *c = malloc(sizeof *c);

	for (unsigned i = 0; i < sizeof profiles / sizeof profiles[0]; i++) {
		struct run_result r;
		const char *args[] = { "run", "--cpu", profiles[i].name,
				       build_path("tests/guests/vmx_caps.elf"), NULL };
		run_hvsim(&r, args);
		ck_assert_msg(r.exit_code == 0 && strstr(r.out, "\ndone\n"), "%s: exit %d\n%s\n%s",
			      profiles[i].name, r.exit_code, r.out, r.err);
		parse(r.out, c);
		basic_rules(&rep, profiles[i].name, c);
		control_rules(&rep, profiles[i].name, c);
		profile_rules(&rep, &profiles[i], c);
		field_rules(&rep, profiles[i].name, c);
		run_result_free(&r);
	}
	free(c);
	report_finish(&rep);
}
END_TEST

Suite *suite_vmx_caps(void)
{
	Suite *s = suite_create("vmx/caps");
	TCase *tc = tcase_create("appendix-a-b");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, capability_msrs_and_fields);
	suite_add_tcase(s, tc);
	return s;
}
