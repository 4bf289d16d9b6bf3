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

/*
 * Without VPID every VM entry and VM exit invalidates the cached translations (SDM Vol. 3,
 * 29.4.3.1): tests/guests/vmx_tlb.c changes PTEs of data and code pages on one side of a VMX
 * transition without INVLPG and checks the other side. Every check must have run and passed.
 */
START_TEST(vm_transitions_invalidate_translations)
{
	static const char *const required[] = {
		"PASS host changed the PTE to A: after VM entry the guest reads A",
		"PASS host changed the PTE to B: after VM entry the guest reads B",
		"PASS guest changed the PTE to C: after VM exit the host reads C",
		"PASS host remapped the guest's code: after VM entry it runs the new page",
		"PASS guest remapped the host's code: after VM exit the host runs the new page",
		NULL,
	};
	struct run_result r;
	const char *args[] = { "run", build_path("tests/guests/vmx_tlb.elf"), NULL };

	run_hvsim(&r, args);
	ck_assert_msg(r.exit_code == 0, "exit %d\n%s\n%s", r.exit_code, r.out, r.err);
	ck_assert_msg(!strstr(r.out, "FAIL "), "%s", r.out);
	ck_assert_ptr_nonnull(strstr(r.out, "Test result: SUCCESS"));
	for (const char *const *line = required; *line; line++)
		ck_assert_msg(strstr(r.out, *line), "'%s' missing from:\n%s", *line, r.out);
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
	tcase_add_test(tc, vm_transitions_invalidate_translations);
	tcase_add_test(tc, vmx_runs_are_deterministic);
	suite_add_tcase(s, tc);
	return s;
}
