/*
 * The guest workloads (workloads/), run bare under hvsim as a user would, and the option parser
 * of their runtime (workloads/lib/args.c, compiled here for the host). Every expected line comes
 * from a workload's documented behaviour (the header comment of its main.c: the write count
 * W = floor(duration * rate / 2^20), the sequential pattern's page order, the slot rounding),
 * worked out by the arithmetic below, never from captured output.
 */
#include <stdio.h>
#include <string.h>

#include "tests/lib/harness.h"
#include "workloads/lib/args.c"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define PAGE 4096ull
#define RATE_UNIT (1ull << 20) /* memstress: rate counts writes per 2^20 TSC ticks */

/* SUCCESS is 0 at the debug-exit port (exit 0); FAILURE, ERROR and SKIP are non-zero (exit 1). */
static const struct {
	const char *name;
	int exit_code;
} results[] = { { "SUCCESS", 0 }, { "FAILURE", 1 }, { "ERROR", 1 }, { "SKIP", 1 } };
enum { SUCCESS, FAILURE, ERROR, SKIP };

static void run_workload(struct run_result *r, const char *name, const char *cmdline, const char *max_insns)
{
	char image[128];
	const char *args[10] = { "run", "--mem", "64M" };
	unsigned n = 3;

	snprintf(image, sizeof image, "workloads/%s.elf", name);
	if (cmdline) {
		args[n++] = "--cmdline";
		args[n++] = cmdline;
	}
	if (max_insns) {
		args[n++] = "--max-insns";
		args[n++] = max_insns;
	}
	args[n++] = build_path(image);
	args[n] = NULL;
	run_hvsim(r, args);
}

static void expect_line(const struct run_result *r, const char *line)
{
	ck_assert_msg(strstr(r->out, line), "\"%s\" missing from:\n%s%s", line, r->out, r->err);
}

/* The run ends with 'result' and says each of the lines (NULL-terminated). */
static void expect_result(const char *workload, const char *cmdline, int result, const char *const *lines)
{
	struct run_result r;
	char verdict[64];

	run_workload(&r, workload, cmdline, NULL);
	snprintf(verdict, sizeof verdict, "Test result: %s\n", results[result].name);
	ck_assert_msg(r.exit_code == results[result].exit_code, "%s %s: exit %d\n%s%s", workload,
		      cmdline ? cmdline : "", r.exit_code, r.out, r.err);
	expect_line(&r, verdict);
	for (; lines && *lines; lines++)
		expect_line(&r, *lines);
	run_result_free(&r);
}

/* ---- memstress ---- */

static uint64_t memstress_writes(uint64_t duration, uint64_t rate)
{
	return duration * rate / RATE_UNIT;
}

START_TEST(memstress_patterns_verify)
{
	static const char *const patterns[] = { "seq", "uniform", "hotcold" };
	const uint64_t wss = 1 << 20, rate = 1000, duration = 2 << 20;
	const uint64_t pages = wss / PAGE, writes = memstress_writes(duration, rate);
	char cmdline[128], head[128], wrote[64], verified[64];

	snprintf(cmdline, sizeof cmdline, "wss=1M rate=1000 duration=2M pattern=%s", patterns[_i]);
	snprintf(head, sizeof head, "memstress: %llu pages, pattern %s, %llu writes in %llu ticks, seed 1\n",
		 (unsigned long long)pages, patterns[_i], (unsigned long long)writes,
		 (unsigned long long)duration);
	/* seq writes pages 0, 1, 2, ...: with W >= pages every page is written. */
	if (!strcmp(patterns[_i], "seq"))
		snprintf(wrote, sizeof wrote, "wrote %llu pages (%llu distinct)\n", (unsigned long long)writes,
			 (unsigned long long)(writes < pages ? writes : pages));
	else
		snprintf(wrote, sizeof wrote, "wrote %llu pages (", (unsigned long long)writes);
	snprintf(verified, sizeof verified, "verified %llu pages\n", (unsigned long long)pages);
	expect_result("memstress", cmdline, SUCCESS, (const char *const[]){ head, wrote, verified, NULL });
}
END_TEST

/* The checker works: one flipped byte in the page written last is a FAILURE naming that page. */
START_TEST(memstress_selftest_corrupt_fails)
{
	const uint64_t pages = (1 << 20) / PAGE, writes = memstress_writes(2 << 20, 1000);
	char bad[96];

	/* seq: write k goes to page k mod pages, so the last one to page (W - 1) mod pages. */
	snprintf(bad, sizeof bad, "1 of %llu pages bad, first bad page %llu (", (unsigned long long)pages,
		 (unsigned long long)((writes - 1) % pages));
	expect_result("memstress", "wss=1M rate=1000 duration=2M pattern=seq selftest-corrupt=1", FAILURE,
		      (const char *const[]){ bad, NULL });
}
END_TEST

/* The write phase lasts at least 'duration' TSC ticks, and RDTSC counts instructions in hvsim. */
START_TEST(memstress_runs_for_its_duration)
{
	struct run_result r;

	run_workload(&r, "memstress", "wss=64k rate=0 duration=4M", "4M");
	ck_assert_msg(r.exit_code == 3, "a 4M-tick phase ended within 4M instructions: exit %d\n%s%s",
		      r.exit_code, r.out, r.err);
	ck_assert_ptr_nonnull(strstr(r.err, "instruction budget"));
	run_result_free(&r);
	run_workload(&r, "memstress", "wss=64k rate=0 duration=4M", "40M");
	ck_assert_msg(r.exit_code == 0, "exit %d\n%s%s", r.exit_code, r.out, r.err);
	run_result_free(&r);
}
END_TEST

/* A command line the workload cannot honour is ERROR (the test went wrong), never a verdict. */
START_TEST(memstress_rejects_bad_options)
{
	static const struct {
		const char *cmdline, *says;
	} cases[] = {
		{ "wss=1G", "wss=1073741824 does not fit" }, /* 64M of guest RAM */
		{ "pattern=zigzag", "not one of the allowed words" },
		{ "bogus=1", "unknown option" },
		{ "rate=1x", "not a number" },
		{ "rate=2M", "value out of range" },        /* more than one write per tick */
		{ "selftest-corrupt=2", "value out of range" },
		{ "wss", "expected key=value" },
	};
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++)
		expect_result("memstress", cases[i].cmdline, ERROR, (const char *const[]){ cases[i].says, NULL });
}
END_TEST

START_TEST(memstress_is_deterministic)
{
	expect_deterministic_run("workloads/memstress.elf");
}
END_TEST

/* ---- ptstress, hello, and the workloads that need hv ---- */

START_TEST(ptstress_verifies)
{
	/* slots are rounded up to whole page tables of 512 entries. */
	expect_result("ptstress", "pool=1M slots=1000 ops=3000", SUCCESS,
		      (const char *const[]){ "ptstress: 256 pool pages, 1024 slots, 3000 ops, seed 1\n",
					     "checked 1024 PTEs\n", "verified 256 pages\n", NULL });
}
END_TEST

START_TEST(ptstress_selftest_corrupt_fails)
{
	expect_result("ptstress", "pool=1M ops=3000 selftest-corrupt=1", FAILURE,
		      (const char *const[]){ "1 of 256 pages bad, first bad page ", NULL });
}
END_TEST

START_TEST(hello_runs_bare)
{
	expect_result("hello", "a=1", SUCCESS,
		      (const char *const[]){ "command line \"a=1\"\n", "guest type: bare\n", NULL });
}
END_TEST

/* Without hv, RDX at entry names no guest type: these have nothing to test. */
START_TEST(hv_only_workloads_skip_bare)
{
	static const char *const names[] = { "hypercalls", "smap-demo" };
	expect_result(names[_i], NULL, SKIP, (const char *const[]){ "no hypervisor", NULL });
}
END_TEST

/* ---- the option parser (host build of workloads/lib/args.c) ---- */

START_TEST(args_numbers)
{
	static const struct {
		const char *text;
		bool ok;
		uint64_t value;
	} cases[] = {
		{ "0", true, 0 },
		{ "4096", true, 4096 },
		{ "0x1000", true, 4096 },
		{ "0X1f", true, 31 },
		{ "8k", true, 8 << 10 },
		{ "8K", true, 8 << 10 },
		{ "8M", true, 8 << 20 },
		{ "3G", true, 3ull << 30 },
		{ "0x10M", true, 16ull << 20 },
		{ "18446744073709551615", true, UINT64_MAX },
		{ "18446744073709551616", false, 0 }, /* 2^64 */
		{ "17179869184G", false, 0 },         /* 2^34 * 2^30 = 2^64 */
		{ "", false, 0 },
		{ "k", false, 0 },
		{ "0x", false, 0 },
		{ "12a", false, 0 },
		{ "-1", false, 0 },
		{ "1T", false, 0 },
	};
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		uint64_t v = 12345;
		bool ok = args_number(cases[i].text, strlen(cases[i].text), &v);
		ck_assert_msg(ok == cases[i].ok, "'%s': ok %d", cases[i].text, ok);
		if (ok)
			ck_assert_msg(v == cases[i].value, "'%s' = %llu", cases[i].text, (unsigned long long)v);
	}
}
END_TEST

START_TEST(args_command_lines)
{
	static const char *const colours[] = { "red", "green", "blue", NULL };
	static const struct {
		const char *cmdline;
		enum args_err err;
		const char *word;            /* where parsing stopped, on an error */
		uint64_t size, colour, flag; /* the values after parsing */
	} cases[] = {
		{ NULL, ARGS_OK, NULL, 1, 0, 0 },
		{ "", ARGS_OK, NULL, 1, 0, 0 },
		{ "  \t ", ARGS_OK, NULL, 1, 0, 0 },
		{ "size=2M colour=blue flag=1", ARGS_OK, NULL, 2 << 20, 2, 1 },
		{ "\tsize=3  size=4 ", ARGS_OK, NULL, 4, 0, 0 }, /* the last one wins */
		{ "colour=green size=0x10", ARGS_OK, NULL, 16, 1, 0 },
		{ "size=5 colour=purple", ARGS_BAD_CHOICE, "colour=purple", 5, 0, 0 },
		{ "colour=gree", ARGS_BAD_CHOICE, "colour=gree", 1, 0, 0 },
		{ "colour=greenish", ARGS_BAD_CHOICE, "colour=greenish", 1, 0, 0 },
		{ "flag=2", ARGS_OUT_OF_RANGE, "flag=2", 1, 0, 0 },
		{ "size=0", ARGS_OUT_OF_RANGE, "size=0", 1, 0, 0 },
		{ "size=", ARGS_BAD_NUMBER, "size=", 1, 0, 0 },
		{ "size=1 sizes=2", ARGS_UNKNOWN_KEY, "sizes=2", 1, 0, 0 },
		{ "siz=2", ARGS_UNKNOWN_KEY, "siz=2", 1, 0, 0 },
		{ "size", ARGS_NOT_KEY_VALUE, "size", 1, 0, 0 },
		{ "=3", ARGS_NOT_KEY_VALUE, "=3", 1, 0, 0 },
	};
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		uint64_t size = 1, colour = 0, flag = 0;
		const struct arg_spec specs[] = {
			{ "size", ARG_NUM, &size, 1, UINT64_MAX, NULL, "a size" },
			{ "colour", ARG_CHOICE, &colour, 0, 0, colours, "a colour" },
			{ "flag", ARG_NUM, &flag, 0, 1, NULL, "0 or 1" },
		};
		struct args_where where = { 0 };
		enum args_err e = args_parse(cases[i].cmdline, specs, ARRAY_LEN(specs), &where);
		const char *c = cases[i].cmdline ? cases[i].cmdline : "(null)";

		ck_assert_msg(e == cases[i].err, "'%s': %s, expected %s", c, args_strerror(e),
			      args_strerror(cases[i].err));
		if (e != ARGS_OK)
			ck_assert_msg(where.len == strlen(cases[i].word) &&
					      !strncmp(where.word, cases[i].word, where.len),
				      "'%s': stopped at '%.*s'", c, (int)where.len, where.word);
		ck_assert_msg(size == cases[i].size && colour == cases[i].colour && flag == cases[i].flag,
			      "'%s': size %llu colour %llu flag %llu", c, (unsigned long long)size,
			      (unsigned long long)colour, (unsigned long long)flag);
	}
}
END_TEST

Suite *suite_workloads(void)
{
	Suite *s = suite_create("workloads");
	TCase *args = tcase_create("options");
	tcase_add_test(args, args_numbers);
	tcase_add_test(args, args_command_lines);
	suite_add_tcase(s, args);
	TCase *tc = tcase_create("bare");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, memstress_patterns_verify, 0, 3);
	tcase_add_test(tc, memstress_selftest_corrupt_fails);
	tcase_add_test(tc, memstress_runs_for_its_duration);
	tcase_add_test(tc, memstress_rejects_bad_options);
	tcase_add_test(tc, memstress_is_deterministic);
	tcase_add_test(tc, ptstress_verifies);
	tcase_add_test(tc, ptstress_selftest_corrupt_fails);
	tcase_add_test(tc, hello_runs_bare);
	tcase_add_loop_test(tc, hv_only_workloads_skip_bare, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
