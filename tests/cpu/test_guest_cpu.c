/*
 * Guest-level CPU tests: freestanding kernels (tests/guests/) take real exceptions through their
 * IDT inside hvsim. Each guest checks its own expectations (from the SDM) and reports a result;
 * here we check the result and what `--log faults` says about each fault.
 */
#include <string.h>

#include "tests/lib/harness.h"

static void run_guest(struct run_result *r, const char *image, const char *extra)
{
	const char *args[8] = { "run", "--log", "faults", build_path(image), NULL };
	if (extra) {
		args[4] = "--cpu";
		args[5] = extra;
		args[6] = NULL;
	}
	run_hvsim(r, args);
}

/* Run a self-checking guest: it must report SUCCESS with no failed check and say 'pass_line'. */
static void run_passing_guest(struct run_result *r, const char *image, const char *pass_line)
{
	run_guest(r, image, NULL);
	ck_assert_msg(r->exit_code == 0, "exit %d\n%s\n%s", r->exit_code, r->out, r->err);
	ck_assert_msg(!strstr(r->out, "FAIL "), "%s", r->out);
	ck_assert_msg(strstr(r->out, pass_line), "'%s' missing from:\n%s", pass_line, r->out);
	ck_assert_ptr_nonnull(strstr(r->out, "Test result: SUCCESS"));
}

START_TEST(access_rights_guest)
{
	struct run_result r;
	run_passing_guest(&r, "tests/guests/rights.elf",
			  "PASS CPL3 AC=1: the implicit access still faults");
	/*
	 * The guest maps slot 5 (0x40000000 + 5 * 4K) as a user page holding GDT entry 7 and loads
	 * DS from it at CPL 3: an implicit supervisor read (U/S = 0, P = 1: error 0x1) that SMAP
	 * refuses with AC = 0 and AC = 1 alike.
	 */
	ck_assert_ptr_nonnull(strstr(r.err, "cr2=0x40005000 error=0x1 [PRS] cpl=3 ac=0 reason=implicit-smap"));
	ck_assert_ptr_nonnull(strstr(r.err, "cr2=0x40005000 error=0x1 [PRS] cpl=3 ac=1 reason=implicit-smap"));
	/* Slot 1 is a read-only supervisor page: a CPL 0 write with CR0.WP = 1 (error P|W). */
	ck_assert_ptr_nonnull(strstr(r.err, "cr2=0x40001000 error=0x3 [PWS] cpl=0 ac=0 reason=write-protect"));
	/* Slot 3 is execute-disable: a fetch (P|I). */
	ck_assert_ptr_nonnull(strstr(r.err, "cr2=0x40003000 error=0x11 [PRS I] cpl=0 ac=0 reason=nx"));
	ck_assert_ptr_nonnull(strstr(r.err, "reason=smep"));
	ck_assert_ptr_nonnull(strstr(r.err, "error=0x1 [PRS] cpl=0 ac=0 reason=smap"));
	ck_assert_ptr_nonnull(strstr(r.err, "error=0x3 [PWS] cpl=0 ac=0 reason=smap"));
	run_result_free(&r);
}
END_TEST

START_TEST(profile_without_smap_skips)
{
	struct run_result r;
	run_guest(&r, "tests/guests/rights.elf", "broadwell-ep-nosmap");
	/* SKIP is value 4 at the debug-exit port: hvsim exits 1 for any non-zero value. */
	ck_assert_int_eq(r.exit_code, 1);
	ck_assert_ptr_nonnull(strstr(r.out, "Test result: SKIP"));
	run_result_free(&r);
}
END_TEST

START_TEST(syscall_sysret_guest)
{
	struct run_result r;
	run_passing_guest(&r, "tests/guests/syscall.elf", "PASS FMASK cleared AC in the kernel");
	run_result_free(&r);
}
END_TEST

START_TEST(platform_timer_guest)
{
	struct run_result r;
	run_passing_guest(&r, "tests/guests/timer.elf", "PASS periodic timer fired three times");
	run_result_free(&r);
}
END_TEST

START_TEST(instruction_budget_stops_the_run)
{
	struct run_result r;
	run_hvsim(&r, (const char *const[]){ "run", "--max-insns", "1k", build_path("workloads/hello.elf"), NULL });
	ck_assert_int_eq(r.exit_code, 3);
	ck_assert_ptr_nonnull(strstr(r.err, "instruction budget of 1000 exhausted"));
	run_result_free(&r);
}
END_TEST

Suite *suite_guest_cpu(void)
{
	Suite *s = suite_create("cpu/guest");
	TCase *tc = tcase_create("guest");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, access_rights_guest);
	tcase_add_test(tc, profile_without_smap_skips);
	tcase_add_test(tc, syscall_sysret_guest);
	tcase_add_test(tc, platform_timer_guest);
	tcase_add_test(tc, instruction_budget_stops_the_run);
	suite_add_tcase(s, tc);
	return s;
}
