/*
 * EPT A/D flags and PML end to end: tests/guests/vmx_pml.c is a test hypervisor that builds its
 * own EPT, runs a guest through a scripted sequence of accesses and checks the PML log, the PML
 * index and the EPT A/D flags itself against the SDM's rules (Vol. 3, 29.3.5, 29.3.6, 29.3.3,
 * Table 28-7). Here we check its verdict on each CPU profile, the key lines it must have passed
 * (so a guest that silently skipped a part cannot succeed), what `--log vmx` reports, and that
 * the run is deterministic.
 */
#include <string.h>

#include "tests/lib/harness.h"

#define IMAGE "tests/guests/vmx_pml.elf"

static void run_pml_guest(struct run_result *r, const char *profile)
{
	const char *args[] = { "run", "--log", "vmx", "--cpu", profile, build_path(IMAGE), NULL };
	run_hvsim(r, args);
}

static void expect_lines(const struct run_result *r, const char *const *lines, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		ck_assert_msg(strstr(r->out, lines[i]), "'%s' missing from:\n%s", lines[i], r->out);
}

static unsigned count(const char *haystack, const char *needle)
{
	unsigned n = 0;
	for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

START_TEST(pml_and_ept_ad_on_broadwell)
{
	static const char *const lines[] = {
		/* 27.2.1.1 */
		"PASS VM entry with \"enable PML\" but not \"enable EPT\" fails",
		"PASS VM entry with a PML address not 4K-aligned fails",
		/* 29.3.5: guest paging-structure accesses are EPT writes, logged in walk order */
		"PASS   first log entry (index 511): the guest's PML4 page",
		"PASS   next log entry: the next paging-structure page of the walk",
		/* 29.3.6: 4K-aligned GPAs, once per page, reads log nothing, 2M pages */
		"PASS log entry for page 5 + 0x123 is page 5's GPA, 4K-aligned",
		"PASS next entry: page 43 (reads of 42 and 43 and the second write to 5 logged nothing)",
		"PASS next entry: the 4K page of the write inside the 2M EPT page",
		"PASS round 2: then page 5",
		"PASS   logged as the guest-physical address, not the host-physical one",
		/* Table 28-7 */
		"PASS write to a page without W: EPT violation",
		"PASS fetch from a page without X: EPT violation",
		"PASS   exit qualification: read and write, not the translation (bit 8 clear)",
		"PASS   qualification: read and write (EPT A/D), not the translation",
		"PASS   guest-linear address: the fetched RIP (the PDPTE read is a write)",
		/* 29.3.3.1 */
		"PASS read of a write-only page: EPT misconfiguration",
		"PASS read of a page with memory type 7: EPT misconfiguration",
		/* 29.3.6: the full log */
		"PASS after 512 entries the PML index is 0xFFFF",
		"PASS log full: read of page 510 (A already set) does not exit",
		"PASS log full: write to page 510 (needs D): PML-full exit",
		"PASS   the write did not happen",
		"PASS   the same write with W removed: EPT violation, not log full",
		"PASS   and was logged at index 511",
		"PASS   the index wrapped from 0 to 0xFFFF",
		"PASS log full: read of page 511 (needs A): PML-full exit",
		"PASS   and logs nothing (A only)",
	};
	struct run_result r;

	run_pml_guest(&r, "broadwell-ep");
	ck_assert_msg(r.exit_code == 0, "exit %d\n%s\n%s", r.exit_code, r.out, r.err);
	ck_assert_msg(!strstr(r.out, "FAIL "), "%s", r.out);
	ck_assert_ptr_nonnull(strstr(r.out, "Test result: SUCCESS"));
	expect_lines(&r, lines, sizeof lines / sizeof lines[0]);
	/* Three log-full exits: the write needing D (twice: once more after a violation came
	 * first), the read needing A. */
	ck_assert_uint_eq(count(r.err, "vmx: exit 62 (page-modification log full)"), 3);
	/* Six data violations, three at guest paging-structure accesses; four misconfigurations. */
	ck_assert_uint_eq(count(r.err, "vmx: exit 48 (EPT violation)"), 9);
	ck_assert_uint_eq(count(r.err, "vmx: exit 49 (EPT misconfiguration)"), 4);
	ck_assert_ptr_nonnull(strstr(r.err, "vmx: exit 48 (EPT violation) qual=0x1aa"));
	ck_assert_ptr_nonnull(strstr(r.err, "vmx: exit 48 (EPT violation) qual=0xab"));
	run_result_free(&r);
}
END_TEST

START_TEST(no_pml_profile_refuses_pml)
{
	static const char *const lines[] = {
		"EPT A/D supported, PML not supported",
		"PASS VM entry with \"enable PML\" on a CPU without PML fails",
		"PASS   VM-instruction error 7 (invalid control fields)",
		"PASS   A set in the EPT PML4E and PDPTE used (29.3.5)",
		"PASS write to a page without W: EPT violation",
		"PASS   exit qualification: read and write, not the translation (bit 8 clear)",
	};
	struct run_result r;

	run_pml_guest(&r, "broadwell-ep-nopml");
	/* SKIP is value 4 at the debug-exit port: hvsim exits 1 for any non-zero value. */
	ck_assert_msg(r.exit_code == 1, "exit %d\n%s\n%s", r.exit_code, r.out, r.err);
	ck_assert_msg(!strstr(r.out, "FAIL "), "%s", r.out);
	ck_assert_ptr_nonnull(strstr(r.out, "Test result: SKIP"));
	expect_lines(&r, lines, sizeof lines / sizeof lines[0]);
	ck_assert_ptr_null(strstr(r.err, "vmx: exit 62"));
	run_result_free(&r);
}
END_TEST

START_TEST(haswell_refuses_ept_ad)
{
	static const char *const lines[] = {
		"EPT A/D not supported, PML not supported",
		"PASS VM entry with \"enable PML\" on a CPU without PML fails",
		"PASS VM entry with EPTP bit 6 (A/D) on a CPU without EPT A/D fails",
		"PASS   A not set without EPTP bit 6 (29.3.5)",
		"PASS without EPT A/D, a guest walk through a page without EPT W is a read: no exit",
		/* 29.3.3.2: the guest's own A/D updates are EPT writes */
		"PASS   qualification: write (the A update), not the translation",
		"PASS   guest-linear address: the data written",
		"PASS read of a write-only page: EPT misconfiguration",
	};
	struct run_result r;

	run_pml_guest(&r, "haswell-ep");
	ck_assert_msg(r.exit_code == 1, "exit %d\n%s\n%s", r.exit_code, r.out, r.err);
	ck_assert_msg(!strstr(r.out, "FAIL "), "%s", r.out);
	ck_assert_ptr_nonnull(strstr(r.out, "Test result: SKIP"));
	expect_lines(&r, lines, sizeof lines / sizeof lines[0]);
	/* The A update of the guest's PML4E and the D update of its PDPTE (qualification 0xaa). */
	ck_assert_uint_eq(count(r.err, "vmx: exit 48 (EPT violation) qual=0xaa"), 2);
	run_result_free(&r);
}
END_TEST

START_TEST(pml_guest_is_deterministic)
{
	expect_deterministic_run(IMAGE);
}
END_TEST

Suite *suite_pml_guest(void)
{
	Suite *s = suite_create("vmx/pml-guest");
	TCase *tc = tcase_create("guest");
	tcase_add_test(tc, pml_and_ept_ad_on_broadwell);
	tcase_add_test(tc, no_pml_profile_refuses_pml);
	tcase_add_test(tc, haswell_refuses_ept_ad);
	tcase_add_test(tc, pml_guest_is_deterministic);
	suite_add_tcase(s, tc);
	return s;
}
