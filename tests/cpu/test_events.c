/*
 * Event delivery, TLB invalidation and MOV to CR4, end to end: guests in tests/guests/ check
 * themselves against the SDM and report; here we require their verdict, the checks that must
 * have run (so a guest that skipped one cannot pass), and for the triple fault hvsim's report,
 * whose expected text is built from the SDM's error-code rules, not copied from hvsim.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/profile.h"
#include "tests/lib/harness.h"

/* SDM Vol. 3, 6.13: an error code naming IDT entry v is v << 3 | IDT (bit 1) | EXT (bit 0). */
#define ERR_EXT 1u
#define ERR_IDT 2u
#define IDT_ERR(v) ((v) * 8u + ERR_IDT)
#define V_DF 8u
#define V_GP 13u
#define PF_NOT_PRESENT_READ 0x0u  /* 4.7: P = 0, W/R = 0, U/S = 0 */
#define PF_NOT_PRESENT_WRITE 0x2u /* 4.7: P = 0, W/R = 1, U/S = 0 */

/*
 * A budget far above what the guests need (under 2M instructions) turns a hang (an exception
 * the CPU never delivers) into a quick exit 3 instead of a test timeout.
 */
static void run_args(struct run_result *r, const char *image, const char *cpu, const char *cmdline)
{
	const char *args[12] = { "run", "--max-insns", "50M" };
	unsigned n = 3;
	if (cpu) {
		args[n++] = "--cpu";
		args[n++] = cpu;
	}
	if (cmdline) {
		args[n++] = "--cmdline";
		args[n++] = cmdline;
	}
	args[n++] = build_path(image);
	args[n] = NULL;
	run_hvsim(r, args);
}

/* A self-checking guest: SUCCESS, no FAIL line, and every line of 'required' printed. */
static void expect_guest_passes(const char *image, const char *cpu, const char *const *required)
{
	struct run_result r;
	run_args(&r, image, cpu, NULL);
	ck_assert_msg(r.exit_code == 0, "%s (%s): exit %d\n%s\n%s", image, cpu ? cpu : "default",
		      r.exit_code, r.out, r.err);
	ck_assert_msg(!strstr(r.out, "FAIL "), "%s", r.out);
	ck_assert_ptr_nonnull(strstr(r.out, "Test result: SUCCESS"));
	for (const char *const *line = required; *line; line++)
		ck_assert_msg(strstr(r.out, *line), "'%s' missing from:\n%s", *line, r.out);
	run_result_free(&r);
}

START_TEST(stack_selection_and_double_faults)
{
	static const char *const required[] = {
		/* 6.14.5: IST at CPL 0; Vol. 2A INT n: NewRSP aligned to 16 */
		"PASS CPL0 IST=2: frame built at TSS.IST2",
		"PASS CPL0 IST=2 at top-8: frame aligned down to top-16",
		/* 6.14.2/6.14.4: no IST, no CPL change: the current stack, aligned */
		"PASS CPL0 IST=0, RSP = 8 mod 16: frame aligned down to RSP-8",
		/* 6.14.4: CPL 3 -> 0 loads TSS.RSP0; IST wins over it */
		"PASS CPL3 IST=0: frame built at TSS.RSP0",
		"PASS CPL3 IST=0: pushed SS is the user SS",
		"PASS CPL3 IST=3: IST wins over RSP0",
		/* Table 6-5: contributory + contributory, page fault + page fault/contributory */
		"PASS #GP, then #NP delivering it: #DF(0)",
		"PASS #GP, then #GP delivering it: #DF(0)",
		"PASS #PF, then #PF pushing its frame: #DF(0)",
		"PASS #PF, then #NP delivering it: #DF(0)",
		"PASS #PF, then #NP: #DF frame at TSS.IST1",
		/* Table 6-5: benign first, and contributory then page fault: serial */
		"PASS #UD, then #NP delivering it: #NP(6*8+IDT+EXT), no #DF",
		"PASS INT3, then #NP delivering it: #NP(3*8+IDT), EXT clear",
		"PASS INT3, then #NP: #NP points at the INT3",
		"PASS #GP, then #PF pushing its frame: #PF(W), no #DF",
		/* delivered exceptions are over: the next is not a double fault */
		"PASS RDMSR of a missing MSR again: #GP(0), not #DF",
		"PASS MOV DS of a selector past the GDT limit: #GP(selector)",
		NULL,
	};
	expect_guest_passes("tests/guests/events.elf", NULL, required);
}
END_TEST

/* Exactly one line on stderr, and it is the triple-fault report. */
static const char *report_line(const struct run_result *r)
{
	const char *nl = strchr(r->err, '\n');
	ck_assert_msg(nl && nl[1] == 0, "expected one line on stderr:\n%s", r->err);
	ck_assert_msg(!strncmp(r->err, "hvsim: triple fault at rip=", 27), "%s", r->err);
	return r->err;
}

static uint64_t guest_value(const char *out, const char *key)
{
	const char *p = strstr(out, key);
	ck_assert_msg(p, "'%s' missing from:\n%s", key, out);
	return strtoull(p + strlen(key), NULL, 16);
}

/* The cr2 printed after 'prefix' in 'line', which must be present. */
static uint64_t cr2_after(const char *line, const char *prefix)
{
	const char *p = strstr(line, prefix);
	ck_assert_msg(p, "'%s' missing from: %s", prefix, line);
	return strtoull(p + strlen(prefix), NULL, 16);
}

START_TEST(triple_fault_from_not_present_gates)
{
	struct run_result r;
	char want[256];

	run_args(&r, "tests/guests/triple.elf", NULL, "np");
	ck_assert_msg(r.exit_code == 3, "exit %d\n%s\n%s", r.exit_code, r.out, r.err);
	const char *line = report_line(&r);
	uint64_t rip = guest_value(r.out, "triple: rip=");
	/*
	 * RDMSR of a missing MSR is #GP(0); its gate is not present: #NP(13*8+IDT+EXT) (EXT: raised
	 * delivering an exception); contributory + contributory is #DF (Table 6-5); the #DF gate is
	 * not present: #NP(8*8+IDT+EXT) while delivering #DF, shutdown (6.15, Interrupt 8).
	 */
	snprintf(want, sizeof want,
		 "hvsim: triple fault at rip=%#" PRIx64 " (cpl 0): #GP(0x0); delivering #GP raised "
		 "#NP(0x%x) (a double fault); delivering #DF raised #NP(0x%x); the CPU shut down\n",
		 rip, IDT_ERR(V_GP) | ERR_EXT, IDT_ERR(V_DF) | ERR_EXT);
	ck_assert_str_eq(line, want);
	run_result_free(&r);
}
END_TEST

START_TEST(triple_fault_from_unmapped_stacks)
{
	struct run_result r;
	char want[256];

	run_args(&r, "tests/guests/triple.elf", NULL, "pf");
	ck_assert_msg(r.exit_code == 3, "exit %d\n%s\n%s", r.exit_code, r.out, r.err);
	const char *line = report_line(&r);
	uint64_t rip = guest_value(r.out, "triple: rip=");
	uint64_t cr2 = guest_value(r.out, "cr2=");
	uint64_t pf_stack = guest_value(r.out, "pf-stack=");
	uint64_t df_stack = guest_value(r.out, "df-stack=");
	/* A read of a not-present page: #PF(P=0 R S), CR2 = the address read (4.7). */
	snprintf(want, sizeof want, "hvsim: triple fault at rip=%#" PRIx64 " (cpl 0): #PF(0x%x, cr2=%#" PRIx64
		 "); delivering #PF raised #PF(0x%x, cr2=", rip, PF_NOT_PRESENT_READ, cr2,
		 PF_NOT_PRESENT_WRITE);
	ck_assert_msg(!strncmp(line, want, strlen(want)), "expected '%s...' in:\n%s", want, line);
	/* Pushing the frame on the unmapped IST stack: a supervisor write below its top. */
	ck_assert_uint_eq(cr2_after(line, want) & ~0xfffull, pf_stack - 0x1000);
	snprintf(want, sizeof want, ") (a double fault); delivering #DF raised #PF(0x%x, cr2=",
		 PF_NOT_PRESENT_WRITE);
	ck_assert_uint_eq(cr2_after(line, want) & ~0xfffull, df_stack - 0x1000);
	ck_assert_ptr_nonnull(strstr(line, "); the CPU shut down\n"));
	run_result_free(&r);
}
END_TEST

START_TEST(tlb_invalidation_and_dirty_bits)
{
	static const char *const required[] = {
		/* 4.10.4.1 */
		"PASS after INVLPG X the new translation (B) is used",
		"PASS after MOV CR3 (same value) a non-global change (A) is seen",
		"PASS after INVLPG the new PDE's table (C) is used",
		"PASS after INVLPG a global page's change (B) is seen",
		"PASS after clearing CR4.PGE the change (A) is seen",
		"PASS after setting CR4.PGE the change (B) is seen",
		/* 4.10.4.3 */
		"PASS P set, no invalidation: the read succeeds",
		/* 4.8 */
		"PASS a read leaves D clear",
		"PASS a write after a read sets D",
		"PASS D cleared and invalidated: the next write sets D again",
		"PASS 2M page: a write sets D in the PDE",
		NULL,
	};
	expect_guest_passes("tests/guests/tlb.elf", NULL, required);
}
END_TEST

/* MOV to CR4 under every profile: the guest derives each bit's verdict from CPUID. */
static const struct {
	const char *profile;
	const char *smap_line; /* SDM Vol. 2B MOV CR: #GP(0) for a bit of an unsupported feature */
} cr4_cases[] = {
	{ "broadwell-ep", "PASS CR4.SMAP (CPUID.7.0:EBX[20] = 1): set" },
	{ "broadwell-ep-nopml", "PASS CR4.SMAP (CPUID.7.0:EBX[20] = 1): set" },
	{ "broadwell-ep-nosmap", "PASS CR4.SMAP (CPUID.7.0:EBX[20] = 0): #GP(0)" },
	{ "haswell-ep", "PASS CR4.SMAP (CPUID.7.0:EBX[20] = 0): #GP(0)" },
};

START_TEST(mov_cr4_follows_the_profile)
{
	const char *required[] = {
		cr4_cases[_i].smap_line,
		"PASS CR4.PKE (CPUID.7.0:ECX[3] = 0): #GP(0)",
		"PASS CR4.OSXSAVE (CPUID.1:ECX[26] = 0): #GP(0)",
		"PASS CR4 bit 32 (reserved): #GP(0)",
		"PASS clearing CR4.PAE in IA-32e mode: #GP(0)",
		NULL,
	};
	expect_guest_passes("tests/guests/cr4.elf", cr4_cases[_i].profile, required);
}
END_TEST

/*
 * The data behind it: CR4 bits each profile must refuse. The oracle is the profiles' own
 * descriptions (hvsim info): Xeon E5 v3/v4 without what Unicorn cannot execute (XSAVE), so
 * UMIP, LA57, SMX, OSXSAVE, KL, PKE, CET, PKS, UINTR, bit 15 and bits 26-63 are reserved
 * everywhere, SMAP where the profile has none, and nothing a Haswell-EP supports.
 */
#define BIT(n) (1ull << (n))
#define CR4_ALWAYS_RESERVED                                                                      \
	(BIT(11) | BIT(12) | BIT(14) | BIT(15) | BIT(18) | BIT(19) | BIT(22) | BIT(23) | BIT(24) | \
	 BIT(25) | ~0x3ffffffull)
#define CR4_HASWELL_EP                                                                         \
	(BIT(0) | BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(5) | BIT(6) | BIT(7) | BIT(8) | BIT(9) | \
	 BIT(10) | BIT(13) | BIT(16) | BIT(17) | BIT(20))
#define CR4_SMAP BIT(21)

static const struct {
	const char *profile;
	uint64_t reserved;
} cr4_reserved_cases[] = {
	{ "broadwell-ep", CR4_ALWAYS_RESERVED },
	{ "broadwell-ep-nopml", CR4_ALWAYS_RESERVED },
	{ "broadwell-ep-nosmap", CR4_ALWAYS_RESERVED | CR4_SMAP },
	{ "haswell-ep", CR4_ALWAYS_RESERVED | CR4_SMAP },
};

START_TEST(cr4_reserved_mask_per_profile)
{
	const struct cpu_profile *p = profile_find(cr4_reserved_cases[_i].profile);
	ck_assert_ptr_nonnull(p);
	ck_assert_msg(profile_cr4_reserved(p) == cr4_reserved_cases[_i].reserved,
		      "%s: reserved %#llx, expected %#llx", p->name,
		      (unsigned long long)profile_cr4_reserved(p),
		      (unsigned long long)cr4_reserved_cases[_i].reserved);
	ck_assert_uint_eq(profile_cr4_reserved(p) & CR4_HASWELL_EP, 0);
}
END_TEST

Suite *suite_events(void)
{
	Suite *s = suite_create("cpu/events");
	TCase *tc = tcase_create("events");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, stack_selection_and_double_faults);
	tcase_add_test(tc, triple_fault_from_not_present_gates);
	tcase_add_test(tc, triple_fault_from_unmapped_stacks);
	tcase_add_test(tc, tlb_invalidation_and_dirty_bits);
	tcase_add_loop_test(tc, mov_cr4_follows_the_profile, 0, sizeof cr4_cases / sizeof cr4_cases[0]);
	tcase_add_loop_test(tc, cr4_reserved_mask_per_profile, 0,
			    sizeof cr4_reserved_cases / sizeof cr4_reserved_cases[0]);
	suite_add_tcase(s, tc);
	return s;
}
