/*
 * The first VM end to end: tests/guests/vmx_basic.c enters a guest and checks the exits it takes
 * itself; here we also check what `--log vmx` reports and that the run is deterministic.
 */
#include <string.h>

#include "tests/lib/harness.h"

START_TEST(first_vm_entry_and_exits)
{
	struct run_result r;
	const char *args[] = { "run", "--log", "vmx", build_path("tests/guests/vmx_basic.elf"), NULL };

	run_hvsim(&r, args);
	ck_assert_msg(r.exit_code == 0, "exit %d\n%s\n%s", r.exit_code, r.out, r.err);
	ck_assert_msg(!strstr(r.out, "FAIL "), "%s", r.out);
	ck_assert_ptr_nonnull(strstr(r.out, "Test result: SUCCESS"));
	/* SDM Appendix C: CPUID is basic exit reason 10, VMCALL 18, HLT 12 — in this order. */
	const char *cpuid = strstr(r.err, "vmx: exit 10 (CPUID)");
	const char *vmcall = strstr(r.err, "vmx: exit 18 (VMCALL)");
	const char *hlt = strstr(r.err, "vmx: exit 12 (HLT)");
	ck_assert_msg(cpuid && vmcall && hlt && cpuid < vmcall && vmcall < hlt, "%s", r.err);
	ck_assert_ptr_nonnull(strstr(r.err, "vmx: VMLAUNCH"));
	ck_assert_ptr_nonnull(strstr(r.err, "vmx: VMRESUME"));
	run_result_free(&r);
}
END_TEST

START_TEST(vmx_runs_are_deterministic)
{
	expect_deterministic_run("tests/guests/vmx_basic.elf");
}
END_TEST

Suite *suite_vmx_basic(void)
{
	Suite *s = suite_create("vmx/basic");
	TCase *tc = tcase_create("vm");
	tcase_add_test(tc, first_vm_entry_and_exits);
	tcase_add_test(tc, vmx_runs_are_deterministic);
	suite_add_tcase(s, tc);
	return s;
}
