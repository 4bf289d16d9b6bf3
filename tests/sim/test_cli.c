/* The hvsim command as a user runs it: help, errors with exit code 2, the hello guest. */
#include <stdio.h>
#include <string.h>

#include "tests/lib/harness.h"

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

START_TEST(help_lists_every_subcommand)
{
	struct run_result r;
	static const char *const subs[] = { "run", "migrate", "record", "replay", "trace", "debug", "info" };
	run_hvsim(&r, (const char *const[]){ "--help", NULL });
	ck_assert_int_eq(r.exit_code, 0);
	for (unsigned i = 0; i < sizeof subs / sizeof subs[0]; i++) {
		char needle[32];
		snprintf(needle, sizeof needle, "\n  %s ", subs[i]);
		ck_assert_msg(strstr(r.out, needle), "--help does not list '%s'", subs[i]);
	}
	run_result_free(&r);
	run_hvsim(&r, (const char *const[]){ "run", "--help", NULL });
	ck_assert_int_eq(r.exit_code, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "usage: hvsim run"));
	run_result_free(&r);
	run_hvsim(&r, (const char *const[]){ "--version", NULL });
	ck_assert_int_eq(r.exit_code, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "hvsim "));
	run_result_free(&r);
}
END_TEST

/* Each bad invocation: exit 2, exactly one line on stderr that names the problem. */
START_TEST(bad_usage_is_one_line_exit_2)
{
	static const struct {
		const char *args[8];
		const char *mentions;
	} cases[] = {
		{ { "--bogus" }, "--bogus" },
		{ { "frobnicate" }, "frobnicate" },
		{ { "run", "--bogus", "x" }, "--bogus" },
		{ { "run", "--mem", "12Q", "x" }, "12Q" },
		{ { "run", "--mem", "1K", "x" }, "--mem" },
		{ { "run", "--cpu", "pentium", "x" }, "pentium" },
		{ { "run", "--log", "everything", "x" }, "everything" },
		{ { "run" }, "missing IMAGE" },
		{ { "run", "/nonexistent/image.elf" }, "/nonexistent/image.elf" },
		{ { "run", "--mem" }, "--mem" },
		{ { "debug" }, "missing IMAGE" },
		{ { "run", "--gdb", "192.0.2.1:1234", "x.elf" }, "--gdb" },
		{ { "run", "--wait", "x.elf" }, "--wait" },
		{ { "run", "-x", "s", "x.elf" }, "-x" },
		{ { "debug", "--gdb", ":1", "x.elf" }, "--gdb" },
		{ { "replay" }, "missing TRACE" },
		{ { "replay", "/nonexistent.hvt" }, "/nonexistent.hvt" },
		{ { "replay", "x.hvt", "--guest", "memstress" }, "--guest" },
		{ { "replay", "x.hvt", "--pml-entries", "513" }, "1..512" },
		{ { "record", "--guest", "memstress" }, "missing -o" },
		{ { "record", "--guest", "memstress", "-o", "t", "--tracker", "all" }, "one tracker" },
		{ { "record", "--guest", "memstress", "-o", "t", "--quantum", "0" }, "--quantum" },
		{ { "migrate", "--guest", "memstress", "--quantum", "5" }, "--quantum" },
		{ { "migrate", "--guest", "memstress", "--wait" }, "--wait" },
		{ { "migrate", "--guest", "memstress", "--gdb", "example.org:1" }, "--gdb" },
		{ { "migrate", "--guest", "memstress", "--gdb", ":1", "--tracker", "all" }, "--gdb" },
		{ { "migrate", "--guest", "memstress", "--gdb", ":1", "--png", "x.png" }, "--gdb" },
		{ { "replay", "x.hvt", "--gdb", ":1" }, "--gdb" },
	};
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct run_result r;
		run_hvsim(&r, cases[i].args);
		ck_assert_msg(r.exit_code == 2, "case %u (%s): exit %d", i, cases[i].mentions, r.exit_code);
		ck_assert_msg(count_lines(r.err) == 1, "case %u: stderr is not one line: %s", i, r.err);
		ck_assert_msg(strstr(r.err, cases[i].mentions), "case %u: '%s' not in: %s", i,
			      cases[i].mentions, r.err);
		run_result_free(&r);
	}
}
END_TEST

START_TEST(hello_guest_prints_and_succeeds)
{
	struct run_result r;
	run_hvsim(&r, (const char *const[]){ "run", "--mem", "64M", "--cmdline", "quiet=1",
					     build_path("workloads/hello.elf"), NULL });
	ck_assert_msg(r.exit_code == 0, "exit %d, stderr: %s", r.exit_code, r.err);
	/* The guest reports the RAM size it was given and the command line: both come from hvsim. */
	ck_assert_ptr_nonnull(strstr(r.out, "64 MiB of RAM, command line \"quiet=1\""));
	ck_assert_ptr_nonnull(strstr(r.out, "Test result: SUCCESS"));
	run_result_free(&r);
}
END_TEST

START_TEST(qemu_exit_code_style)
{
	struct run_result r;
	/* The workload writes 0 to port 0xf4: QEMU's isa-debug-exit would exit (0 << 1) | 1 = 1. */
	run_hvsim(&r, (const char *const[]){ "run", "--exit-code", "qemu", build_path("workloads/hello.elf"), NULL });
	ck_assert_int_eq(r.exit_code, 1);
	run_result_free(&r);
}
END_TEST

START_TEST(runs_are_deterministic)
{
	expect_deterministic_run("workloads/hello.elf");
}
END_TEST

Suite *suite_cli(void)
{
	Suite *s = suite_create("sim/cli");
	TCase *tc = tcase_create("cli");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, help_lists_every_subcommand);
	tcase_add_test(tc, bad_usage_is_one_line_exit_2);
	tcase_add_test(tc, hello_guest_prints_and_succeeds);
	tcase_add_test(tc, qemu_exit_code_style);
	tcase_add_test(tc, runs_are_deterministic);
	suite_add_tcase(s, tc);
	return s;
}
