/*
 * hvsim record and replay, run as a user would. Expectations come from arithmetic over the
 * trace (which pages fall between two harvests), from the SDM's rules for PML and EPT
 * violations (a PML-full exit per N newly dirtied pages, a violation per first write to a
 * write-protected page), and from a live run of the same guest — never from replay's own output.
 *
 * The settings make every round last exactly one slice of guest time: hv starts migrating at
 * the first VMX-preemption timer tick at or after migrate_after (1M) guest instructions, ticks
 * every slice (100000, hv/README.md), and a 128G link carries all of guest RAM within a slice,
 * so each tick ends a round and harvests. Round r then covers guest time
 * [1M + r * 100000, 1M + (r + 1) * 100000).
 */
#define _GNU_SOURCE
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/lib/harness.h"

#define START 1000000ull
#define SLICE 100000ull
#define ROUNDS 5 /* hv's default max_rounds: these runs never meet the threshold */
#define BANDWIDTH "128G"

static const char *const trackers[] = { "pml", "wp", "scan" };

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0;

	ck_assert_msg(f != NULL, "%s", path);
	FILE *m = open_memstream(&buf, &len);
	for (int c; (c = fgetc(f)) != EOF;)
		fputc(c, m);
	fclose(m);
	fclose(f);
	return buf;
}

static void expect_exit(const struct run_result *r, int code)
{
	ck_assert_msg(r->exit_code == code, "exit %d, wanted %d\nstdout:\n%s\nstderr:\n%s", r->exit_code,
		      code, r->out, r->err);
}

/* hvsim trace gen ... -o PATH */
static void gen(const char *path, const char *pattern, const char *rate, const char *wss,
		const char *duration, const char *quantum)
{
	struct run_result r;
	const char *args[] = { "trace", "gen", "--pattern", pattern, "--rate", rate, "--wss", wss,
			       "--ram", "4M", "--duration", duration, "--quantum", quantum, "--seed", "7",
			       "-o", path, NULL };
	run_hvsim(&r, args);
	expect_exit(&r, 0);
	run_result_free(&r);
}

/* hvsim replay TRACE --tracker T --json FILE (+ more); returns the parsed JSON. */
static json_t *replay(const char *trace, const char *tracker, const char *more, struct run_result *r)
{
	char json[64];
	snprintf(json, sizeof json, "/tmp/hvsim-replay-%d.json", getpid());
	const char *args[] = { "replay", trace, "--tracker", tracker, "--bandwidth", BANDWIDTH,
			       "--json", json, more ? "--pml-entries" : NULL, more, NULL };
	run_hvsim(r, args);
	expect_exit(r, 0);
	json_error_t e;
	json_t *j = json_load_file(json, 0, &e);
	ck_assert_msg(j != NULL, "%s: %s", json, e.text);
	unlink(json);
	return j;
}

static uint64_t round_field(json_t *run, unsigned n, const char *key)
{
	json_t *round = json_array_get(json_object_get(run, "rounds"), n);
	ck_assert_msg(round != NULL, "no round %u", n);
	return (uint64_t)json_integer_value(json_object_get(round, key));
}

static uint64_t round_exits(json_t *run, unsigned n, const char *reason)
{
	json_t *round = json_array_get(json_object_get(run, "rounds"), n);
	return (uint64_t)json_integer_value(json_object_get(json_object_get(round, "exits"), reason));
}

/*
 * A trace written by hand as CSV: in each round's slice, EVENTS writes to pseudo-random pages,
 * all in the middle of the slice ([40000, 60000) past its start), so that where exactly the
 * VMX-preemption timer ends a slice cannot move a write to another round. (The timer counts in
 * units of 2^5 TSC ticks, SDM Vol. 3, 26.5.1 and A.6: each VM exit can shorten a slice by up to
 * 31 instructions, and write-protection takes one exit per dirtied page.) want[r]: the distinct
 * pages of round r, counted here while writing.
 */
#define EVENTS 200
#define PAGES 512

static void hand_trace(const char *path, uint64_t *want)
{
	char csv[64];
	uint64_t seed = 7;
	struct run_result r;

	snprintf(csv, sizeof csv, "/tmp/hvsim-replay-%d.csv", getpid());
	FILE *f = fopen(csv, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "time_ns,gpa\n");
	for (unsigned round = 0; round < ROUNDS; round++) {
		bool seen[PAGES] = { false };
		want[round] = 0;
		for (unsigned k = 0; k < EVENTS; k++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull; /* Knuth's LCG */
			uint64_t page = (seed >> 33) % PAGES;
			want[round] += !seen[page];
			seen[page] = true;
			fprintf(f, "%llu,0x%llx\n", START + round * SLICE + 40000 + k * 100,
				(unsigned long long)page << 12);
		}
	}
	/* The guest runs on for two more slices after the last round: the stop-and-copy. */
	fprintf(f, "%llu,0x0\n", START + (ROUNDS + 2) * SLICE);
	fclose(f);
	const char *args[] = { "trace", "import", "--csv", csv, "--ram", "4M", "--quantum", "1000",
			       "-o", path, NULL };
	run_hvsim(&r, args);
	expect_exit(&r, 0);
	run_result_free(&r);
	unlink(csv);
}

/*
 * The trace replayed with each tracker: every round harvests exactly the pages written in its
 * slice, sends what the round before harvested, and loses nothing. PML with a 64-entry log
 * exits once per 64 newly dirtied pages after the first (the 65th, 129th, ... find the log
 * full: SDM Vol. 3, 29.3.6); write-protection exits once per dirtied page; scanning never.
 */
START_TEST(rounds_harvest_the_traces_pages)
{
	char trace[512];

	snprintf(trace, sizeof trace, "%s", build_path("tests/replay-hand.hvt")); /* build_path's buffer is reused */
	uint64_t want[ROUNDS];
	struct run_result r;

	hand_trace(trace, want);
	json_t *run = replay(trace, trackers[_i], "64", &r); /* one tracker: the run itself */
	ck_assert_uint_eq(json_array_size(json_object_get(run, "rounds")), ROUNDS);
	for (unsigned n = 0; n < ROUNDS; n++) {
		uint64_t d = round_field(run, n, "dirtied");
		ck_assert_msg(d == want[n], "%s round %u: dirtied %llu, the trace has %llu pages",
			      trackers[_i], n, (unsigned long long)d, (unsigned long long)want[n]);
		if (n)
			ck_assert_uint_eq(round_field(run, n, "sent"), want[n - 1]);
		if (!strcmp(trackers[_i], "pml"))
			ck_assert_uint_eq(round_exits(run, n, "pml_full"), d ? (d - 1) / 64 : 0);
		if (!strcmp(trackers[_i], "wp"))
			ck_assert_uint_eq(round_exits(run, n, "ept_violation"), d);
		if (!strcmp(trackers[_i], "scan"))
			ck_assert_uint_eq(round_exits(run, n, "ept_violation") + round_exits(run, n, "pml_full"), 0);
	}
	json_t *end = json_object_get(run, "end");
	ck_assert_str_eq(json_string_value(json_object_get(end, "verify")), "ok");
	ck_assert_uint_eq(json_integer_value(json_object_get(end, "lost")), 0);
	json_decref(run);
	run_result_free(&r);
}
END_TEST

/*
 * memstress recorded while hv migrates it, then replayed: each round dirties the live run's
 * pages again, within what the trace cannot resolve. Two kinds of difference are possible:
 * a page written again after a harvest in the quantum that held its first write (the trace
 * keeps one event per page and quantum), and harvests that fall later in guest time in the live
 * run, whose VMX-preemption timer ends a slice only at the end of a translated block (guest_ticks
 * above the slice). The bound counts memstress's writes (rate per 2^20 instructions, its own
 * documented pacing) in both windows around each harvest, plus a few pages of stack and page
 * tables that the guest's code touches besides.
 */
#define MEMSTRESS "wss=1M rate=4000 duration=3M pattern=uniform yield=0"
#define RATE 4000
#define QUANTUM 1000

static uint64_t writes_in(uint64_t instructions)
{
	return (instructions * RATE + (1u << 20) - 1) >> 20;
}

START_TEST(record_then_replay_reproduces_the_rounds)
{
	char trace[512];

	snprintf(trace, sizeof trace, "%s", build_path("tests/replay-memstress.hvt")); /* build_path's buffer is reused */
	char live[64], serial_m[64], serial_r[64];
	struct run_result r;

	snprintf(live, sizeof live, "/tmp/hvsim-live-%d.json", getpid());
	snprintf(serial_m, sizeof serial_m, "/tmp/hvsim-mig-%d.serial", getpid());
	snprintf(serial_r, sizeof serial_r, "/tmp/hvsim-rec-%d.serial", getpid());
	const char *mig[] = { "migrate", "--guest", "memstress", "--guest-args", MEMSTRESS, "--mem", "4M",
			      "--bandwidth", BANDWIDTH, "--serial", serial_m, NULL };
	run_hvsim(&r, mig);
	expect_exit(&r, 0);
	run_result_free(&r);
	const char *record[] = { "record", "--guest", "memstress", "--guest-args", MEMSTRESS, "--mem",
				 "4M", "--bandwidth", BANDWIDTH, "--quantum", "1000", "-o", trace,
				 "--json", live, "--serial", serial_r, NULL };
	run_hvsim(&r, record);
	expect_exit(&r, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "record: "));
	run_result_free(&r);

	/* Recording changes nothing the guest computes, nor anything hv sees: the same COM1 bytes. */
	char *a = slurp(serial_m), *b = slurp(serial_r);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);

	json_t *want = json_load_file(live, 0, NULL);
	ck_assert_ptr_nonnull(want);
	json_t *got = replay(trace, "pml", NULL, &r);
	size_t rounds = json_array_size(json_object_get(want, "rounds"));
	ck_assert_uint_ge(rounds, 2);
	ck_assert_uint_eq(json_array_size(json_object_get(got, "rounds")), rounds);
	uint64_t late = 0;
	for (unsigned n = 0; n < rounds; n++) {
		late += round_field(want, n, "guest_ticks") - SLICE;
		uint64_t tol = 2 * (writes_in(QUANTUM) + writes_in(late)) + 4;
		uint64_t w = round_field(want, n, "dirtied"), g = round_field(got, n, "dirtied");
		ck_assert_msg(w <= g + tol && g <= w + tol, "round %u: live %llu, replay %llu (bound %llu)", n,
			      (unsigned long long)w, (unsigned long long)g, (unsigned long long)tol);
	}
	json_t *end = json_object_get(got, "end");
	ck_assert_str_eq(json_string_value(json_object_get(end, "verify")), "ok");
	json_decref(want);
	json_decref(got);
	run_result_free(&r);
	unlink(live);
	unlink(serial_m);
	unlink(serial_r);
}
END_TEST

static void expect_input_error(const char *trace, const char *what)
{
	struct run_result r;
	const char *args[] = { "replay", trace, NULL };

	run_hvsim(&r, args);
	expect_exit(&r, 2);
	ck_assert_msg(strstr(r.err, what) != NULL, "wanted '%s' in: %s", what, r.err);
	ck_assert_msg(strchr(r.err, '\n') == r.err + strlen(r.err) - 1, "one line: %s", r.err);
	run_result_free(&r);
}

/*
 * Damaged traces are input errors (exit 2, one line naming the offset), found before booting
 * (a cut-off end) or while replaying (a flipped byte deep inside, in the third of three chunks,
 * which the header and trailer checks cannot see); so is a guest bigger than replay can give.
 */
START_TEST(damaged_traces_are_input_errors)
{
	char trace[512];

	snprintf(trace, sizeof trace, "%s", build_path("tests/replay-big.hvt")); /* build_path's buffer is reused */
	struct run_result r;

	/* 200000 writes over 256 pages, at most 256 per quantum of 1000 (100 writes): 3 chunks of 65536. */
	gen(trace, "uniform", "100M", "1M", "2M", "1000");
	FILE *f = fopen(trace, "rb");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	rewind(f);
	char *bytes = malloc((size_t)size);
	ck_assert_int_eq(fread(bytes, 1, (size_t)size, f), size);
	fclose(f);

	expect_input_error(temp_file(bytes, (size_t)size - 5), "offset");
	bytes[size - 200] ^= 0x10; /* inside the last chunk's frame */
	expect_input_error(temp_file(bytes, (size_t)size), "offset");
	free(bytes);

	const char *args[] = { "trace", "gen", "--pattern", "seq", "--rate", "1M", "--wss", "4K", "--ram",
			       "40G", "--duration", "1M", "-o", trace, NULL };
	run_hvsim(&r, args);
	expect_exit(&r, 0);
	run_result_free(&r);
	expect_input_error(trace, "guest RAM");
}
END_TEST

/* Two replays of the same trace print the same bytes, JSON included. */
START_TEST(replay_is_deterministic)
{
	char trace[512];

	snprintf(trace, sizeof trace, "%s", build_path("tests/replay-zipf.hvt")); /* build_path's buffer is reused */
	struct run_result a, b;
	char json_a[64], json_b[64];

	gen(trace, "zipf", "5M", "2M", "3M", "1000");
	snprintf(json_a, sizeof json_a, "/tmp/hvsim-det-a-%d.json", getpid());
	snprintf(json_b, sizeof json_b, "/tmp/hvsim-det-b-%d.json", getpid());
	const char *args_a[] = { "replay", trace, "--tracker", "all", "--bandwidth", BANDWIDTH, "--json",
				 json_a, NULL };
	const char *args_b[] = { "replay", trace, "--tracker", "all", "--bandwidth", BANDWIDTH, "--json",
				 json_b, NULL };
	run_hvsim(&a, args_a);
	run_hvsim(&b, args_b);
	expect_exit(&a, 0);
	expect_exit(&b, 0);
	ck_assert_str_eq(a.out, b.out);
	char *ja = slurp(json_a), *jb = slurp(json_b);
	ck_assert_str_eq(ja, jb);
	free(ja);
	free(jb);
	unlink(json_a);
	unlink(json_b);
	run_result_free(&a);
	run_result_free(&b);
}
END_TEST

Suite *suite_replay(void)
{
	Suite *s = suite_create("sim/replay");
	TCase *tc = tcase_create("replay");

	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, rounds_harvest_the_traces_pages, 0, 3);
	tcase_add_test(tc, replay_is_deterministic);
	tcase_add_test(tc, record_then_replay_reproduces_the_rounds);
	tcase_add_test(tc, damaged_traces_are_input_errors);
	suite_add_tcase(s, tc);
	return s;
}
