/*
 * hvsim trace gen|import|info and the progress bar. The commands run as a user would (the built
 * hvsim), and what they write is read back with the trace reader. Expected values come from the
 * rules, not from the code under test: seq's events from k * 10^9 / rate and k mod pages merged
 * by hand, Zipf's rank ratios from r^-s, import's and info's results worked out in the comments
 * beside hand-written inputs.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/progress.h"
#include "sim/trace/gen.h"
#include "sim/trace/pageset.h"
#include "sim/trace/trace.h"
#include "tests/lib/harness.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ===================================== helpers ===================================== */

struct loaded {
	struct trace_header h;
	struct trace_totals t;
	struct trace_event *ev;
	size_t n;
};

static void load(const char *path, struct loaded *l)
{
	char err[512];
	struct trace_reader *r = trace_open(path, err, sizeof err);
	size_t cap = 1024;
	long got;

	ck_assert_msg(r != NULL, "%s", err);
	l->h = *trace_reader_header(r);
	l->ev = malloc(cap * sizeof *l->ev);
	l->n = 0;
	while ((got = trace_read(r, l->ev + l->n, cap - l->n)) > 0) {
		l->n += (size_t)got;
		if (l->n == cap)
			l->ev = realloc(l->ev, (cap *= 2) * sizeof *l->ev);
	}
	ck_assert_msg(got == 0, "%s", trace_reader_error(r));
	ck_assert(trace_reader_totals(r, &l->t));
	ck_assert_uint_eq(l->t.events, l->n);
	trace_close(r);
}

/* A fresh path for an output file. */
static const char *out_path(void)
{
	return temp_file("", 0);
}

/* Run hvsim, expecting success; returns its stdout (caller frees). */
static char *run_ok(const char *const *args)
{
	struct run_result r;

	run_hvsim(&r, args);
	ck_assert_msg(r.exit_code == 0, "%s %s: exit %d: %s", args[0], args[1], r.exit_code, r.err);
	free(r.err);
	return r.out;
}

/* Exit 2 and exactly one line on stderr naming the problem; nothing on stdout. */
static void expect_one_line_error(const char *const *args, const char *mentions, const char *what)
{
	struct run_result r;

	run_hvsim(&r, args);
	ck_assert_msg(r.exit_code == 2, "%s: exit %d: %s", what, r.exit_code, r.err);
	ck_assert_msg(strchr(r.err, '\n') && !strchr(r.err, '\n')[1], "%s: stderr is not one line: %s",
		      what, r.err);
	ck_assert_msg(strstr(r.err, mentions), "%s: '%s' not in: %s", what, mentions, r.err);
	ck_assert_msg(!*r.out, "%s: stdout not empty: %s", what, r.out);
	run_result_free(&r);
}

/* Run hvsim with 'data' (under a pipe's 64K, so one write cannot block) on a pipe as stdin. */
static void run_hvsim_piped(struct run_result *r, const char *const *args, const void *data, size_t len)
{
	char out_path_buf[] = "/tmp/hvsim-out-XXXXXX", err_path_buf[] = "/tmp/hvsim-err-XXXXXX";
	int out_fd = mkstemp(out_path_buf), err_fd = mkstemp(err_path_buf), p[2], status;
	const char *argv[32] = { build_path("hvsim") };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	size_t n = 1;

	ck_assert(len < 65536);
	ck_assert_int_eq(pipe(p), 0);
	for (; args[n - 1] && n < 31; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[0], 0);
	posix_spawn_file_actions_addclose(&fa, p[1]);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
	ck_assert_int_eq(posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(p[0]);
	ck_assert_int_eq(write(p[1], data, len), (ssize_t)len);
	close(p[1]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	for (int i = 0; i < 2; i++) {
		int fd = i ? err_fd : out_fd;
		off_t size = lseek(fd, 0, SEEK_END);
		char *buf = calloc(1, (size_t)size + 1);
		ck_assert_int_eq(pread(fd, buf, (size_t)size, 0), size);
		*(i ? &r->err : &r->out) = buf;
		close(fd);
	}
	unlink(out_path_buf);
	unlink(err_path_buf);
}

static char *slurp_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	rewind(f);
	buf = malloc(*len + 1);
	ck_assert_uint_eq(fread(buf, 1, *len, f), *len);
	fclose(f);
	return buf;
}

/* Raw writes, unmerged: with --rate 1G write k is at time k, and --quantum 1 keeps every one. */
static void gen_counts(const char *pattern, const char *wss, const char *writes, const char *zipf_s,
		       uint64_t *count, uint64_t pages)
{
	const char *path = out_path();
	char *out = run_ok((const char *const[]){ "trace", "gen", "--pattern", pattern, "--wss", wss,
						  "--rate", "1G", "--duration", writes, "--quantum", "1",
						  "--seed", "7", "--zipf-s", zipf_s, "-o", path, NULL });
	struct loaded l;

	free(out);
	load(path, &l);
	memset(count, 0, pages * sizeof *count);
	for (size_t i = 0; i < l.n; i++) {
		/* a Check assertion per event would cost a message to the runner each */
		if (l.ev[i].gfn >= pages || l.ev[i].time != i)
			ck_abort_msg("event %zu: (%llu, %llu)", i, (unsigned long long)l.ev[i].time,
				     (unsigned long long)l.ev[i].gfn);
		count[l.ev[i].gfn]++;
	}
	free(l.ev);
	unlink(path);
}

/* ===================================== the generator's parts ===================================== */

/* The reference SplitMix64 from seed 0 (Vigna's splitmix64.c): its first three outputs. */
START_TEST(splitmix_reference_values)
{
	struct splitmix r = { 0 };
	ck_assert_uint_eq(splitmix_next(&r), 0xe220a8397b1dcdafull);
	ck_assert_uint_eq(splitmix_next(&r), 0x6e789e6aa1b965f4ull);
	ck_assert_uint_eq(splitmix_next(&r), 0x06c45d188009454full);
}
END_TEST

START_TEST(splitmix_below_stays_below)
{
	static const uint64_t bounds[] = { 1, 2, 3, 100, (1ull << 63) + 1, UINT64_MAX };
	struct splitmix r = { 42 };

	unsigned outside = 0;

	for (unsigned b = 0; b < ARRAY_LEN(bounds); b++)
		for (unsigned i = 0; i < 10000; i++)
			outside += splitmix_below(&r, bounds[b]) >= bounds[b];
	for (unsigned i = 0; i < 10000; i++) {
		double u = splitmix_unit(&r);
		outside += !(u >= 0 && u < 1);
	}
	ck_assert_uint_eq(outside, 0);
}
END_TEST

/*
 * Zipf over n = 1000 ranks, 10^6 samples: P(r) = r^-s / sum_{i<=n} i^-s, summed here directly.
 * P(1)/P(2) = 2^s and P(1)/P(4) = 4^s within 3% (the counts' own noise is under 1%), and each
 * of the first ten ranks within 5 standard deviations of its expected count.
 */
START_TEST(zipf_follows_the_law)
{
	static const double exponents[] = { 0.99, 1.0, 0.5, 2.0 };
	enum { N = 1000, SAMPLES = 1000000, CHECKED = 10 };
	static uint64_t count[N + 1];
	struct report rep = { 0 };

	for (unsigned e = 0; e < ARRAY_LEN(exponents); e++) {
		double s = exponents[e], norm = 0;
		struct splitmix r = { 1 + e };
		struct zipf z;

		zipf_init(&z, N, s);
		memset(count, 0, sizeof count);
		for (unsigned i = 0; i < SAMPLES; i++) {
			uint64_t k = zipf_sample(&z, &r);
			if (k < 1 || k > N)
				ck_abort_msg("s=%g: rank %llu", s, (unsigned long long)k);
			count[k]++;
		}
		for (unsigned i = 1; i <= N; i++)
			norm += pow(i, -s);
		double r12 = (double)count[1] / (double)count[2], r14 = (double)count[1] / (double)count[4];
		if (fabs(r12 / pow(2, s) - 1) > 0.03)
			report_broken(&rep, "s=%g: P(1)/P(2) = %.4f, expected 2^s = %.4f", s, r12, pow(2, s));
		if (fabs(r14 / pow(4, s) - 1) > 0.03)
			report_broken(&rep, "s=%g: P(1)/P(4) = %.4f, expected 4^s = %.4f", s, r14, pow(4, s));
		for (unsigned k = 1; k <= CHECKED; k++) {
			double p = pow(k, -s) / norm, want = p * SAMPLES, sd = sqrt(SAMPLES * p * (1 - p));
			if (fabs((double)count[k] - want) > 5 * sd)
				report_broken(&rep, "s=%g: rank %u drawn %llu times, expected %.0f +- %.0f", s, k,
					      (unsigned long long)count[k], want, sd);
		}
	}
	report_finish(&rep);
}
END_TEST

/* Whatever n and s, ranks stay in 1..n; n = 2 gives both ranks in the ratio 2^s. */
START_TEST(zipf_range_edges)
{
	static const double exponents[] = { 0.01, 0.5, 0.99, 1.0, 1.01, 3.0, 50.0 };
	static const uint64_t sizes[] = { 1, 2, 3, 1ull << 32, 1ull << 62, UINT64_MAX };
	struct splitmix r = { 9 };

	for (unsigned e = 0; e < ARRAY_LEN(exponents); e++)
		for (unsigned n = 0; n < ARRAY_LEN(sizes); n++) {
			struct zipf z;
			zipf_init(&z, sizes[n], exponents[e]);
			for (unsigned i = 0; i < 20000; i++) {
				uint64_t k = zipf_sample(&z, &r);
				if (k < 1 || k > sizes[n])
					ck_abort_msg("n=%llu s=%g: rank %llu", (unsigned long long)sizes[n],
						     exponents[e], (unsigned long long)k);
			}
		}
	/* n = 2, s = 1: P(1) = 2/3. 300000 samples: sd of the count of 1s is 258. */
	struct zipf z;
	uint64_t ones = 0;
	zipf_init(&z, 2, 1.0);
	for (unsigned i = 0; i < 300000; i++)
		ones += zipf_sample(&z, &r) == 1;
	ck_assert_msg(fabs((double)ones - 200000) < 5 * 258, "%llu ones of 300000", (unsigned long long)ones);
	/* s = 0.01 over 2^62 ranks: nearly uniform, so the ranks are mostly huge. */
	zipf_init(&z, 1ull << 62, 0.01);
	uint64_t big = 0;
	for (unsigned i = 0; i < 1000; i++)
		big += zipf_sample(&z, &r) > (1ull << 40);
	ck_assert_uint_gt(big, 900);
}
END_TEST

/* A set that outgrows its member list (pages / 64) still empties completely. */
START_TEST(pageset_clears_past_its_list)
{
	struct pageset s;

	ck_assert(pageset_init(&s, 128)); /* list of 2 */
	for (unsigned round = 0; round < 3; round++) {
		unsigned n = round == 1 ? 100 : 2;
		for (unsigned g = 0; g < n; g++)
			ck_assert(pageset_add(&s, g));
		for (unsigned g = 0; g < n; g++)
			ck_assert(!pageset_add(&s, g));
		ck_assert_uint_eq(s.members, n);
		pageset_clear(&s);
		ck_assert_uint_eq(s.members, 0);
	}
	ck_assert(pageset_add(&s, 127));
	pageset_free(&s);
}
END_TEST

/* ===================================== hvsim trace gen ===================================== */

/*
 * --rate 300M: write k at time floor(k * 10 / 3); --duration 40: floor(40 * 0.3) = 12 writes;
 * --wss 16K: 4 pages, write k to page k mod 4; --base 8K: gfn = page + 2; --quantum 20.
 *   k     0  1  2  3  4  5  6  7  8  9 10 11
 *   time  0  3  6 10 13 16 20 23 26 30 33 36
 *   page  0  1  2  3  0  1  2  3  0  1  2  3
 * Quantum 0 (times 0..19) keeps k 0-3, drops 4 and 5 (pages 0 and 1 again); quantum 1 keeps
 * k 6-9 and drops 10 and 11.
 */
START_TEST(gen_seq_by_hand)
{
	static const struct {
		uint64_t time, gfn;
	} want[] = { { 0, 2 }, { 3, 3 }, { 6, 4 }, { 10, 5 }, { 20, 4 }, { 23, 5 }, { 26, 2 }, { 30, 3 } };
	const char *path = out_path();
	char *out = run_ok((const char *const[]){ "trace", "gen", "--pattern", "seq", "--rate", "300M",
						  "--duration", "40", "--wss", "16K", "--base", "8K",
						  "--quantum", "20", "-o", path, NULL });
	char line[512];
	struct loaded l;

	snprintf(line, sizeof line, "gen: 12 writes, 8 events after merging per quantum, 4 distinct "
		 "pages, duration 40 (0.000 s) -> %s\n", path);
	ck_assert_str_eq(out, line);
	free(out);
	load(path, &l);
	ck_assert_uint_eq(l.h.version, TRACE_VERSION);
	ck_assert_uint_eq(l.h.page_size, 4096);
	ck_assert_uint_eq(l.h.vcpus, 1);
	ck_assert_uint_eq(l.h.guest_ram, 2 << 20); /* 8K + 16K rounded up to 2M */
	ck_assert_uint_eq(l.h.quantum, 20);
	ck_assert_ptr_nonnull(strstr(l.h.source, "--pattern seq"));
	ck_assert_ptr_nonnull(strstr(l.h.source, "--rate 300000000"));
	ck_assert_uint_eq(l.t.duration, 40);
	ck_assert_uint_eq(l.n, ARRAY_LEN(want));
	for (unsigned i = 0; i < ARRAY_LEN(want); i++) {
		ck_assert_msg(l.ev[i].time == want[i].time && l.ev[i].gfn == want[i].gfn,
			      "event %u: (%llu, %llu), expected (%llu, %llu)", i,
			      (unsigned long long)l.ev[i].time, (unsigned long long)l.ev[i].gfn,
			      (unsigned long long)want[i].time, (unsigned long long)want[i].gfn);
		ck_assert_uint_eq(l.ev[i].vcpu, 0);
		ck_assert_uint_eq(l.ev[i].flags, 0);
	}
	free(l.ev);
	unlink(path);
}
END_TEST

/*
 * The same rule at scale: --rate 7M over 10ms is 70000 writes over 37 pages, write k at
 * floor(k * 1000 / 7), quantum 1000. The expected list is rebuilt here from that arithmetic,
 * with a page's last quantum remembered per page.
 */
START_TEST(gen_seq_arithmetic)
{
	enum { PAGES = 37, QUANTUM = 1000 };
	const uint64_t rate = 7000000, writes = 70000;
	const char *path = out_path();
	char *out = run_ok((const char *const[]){ "trace", "gen", "--pattern", "seq", "--rate", "7M",
						  "--duration", "10ms", "--wss", "148K", "--quantum", "1k",
						  "-o", path, NULL });
	uint64_t last_quantum[PAGES];
	struct loaded l;
	size_t i = 0;

	free(out);
	load(path, &l);
	ck_assert_uint_eq(l.t.duration, 10000000);
	memset(last_quantum, 0xff, sizeof last_quantum);
	for (uint64_t k = 0; k < writes; k++) {
		uint64_t t = k * 1000000000 / rate, page = k % PAGES;
		if (last_quantum[page] == t / QUANTUM)
			continue;
		last_quantum[page] = t / QUANTUM;
		if (i >= l.n)
			ck_abort_msg("write %llu: only %zu events", (unsigned long long)k, l.n);
		if (l.ev[i].time != t || l.ev[i].gfn != page)
			ck_abort_msg("write %llu: event %zu is (%llu, %llu), expected (%llu, %llu)",
				     (unsigned long long)k, i, (unsigned long long)l.ev[i].time,
				     (unsigned long long)l.ev[i].gfn, (unsigned long long)t,
				     (unsigned long long)page);
		i++;
	}
	ck_assert_uint_eq(i, l.n);
	free(l.ev);
	unlink(path);
}
END_TEST

/*
 * 64000 writes over 64 pages: every page hit, and the counts' chi-square (63 degrees of
 * freedom, mean 63) under 103.4, its 0.999 quantile. The seed is fixed: this is one draw.
 */
START_TEST(gen_uniform_spreads_evenly)
{
	enum { PAGES = 64 };
	uint64_t count[PAGES];
	double chi2 = 0;

	gen_counts("uniform", "256K", "64000", "1", count, PAGES);
	for (unsigned p = 0; p < PAGES; p++) {
		ck_assert_msg(count[p] > 0, "page %u never written", p);
		chi2 += ((double)count[p] - 1000) * ((double)count[p] - 1000) / 1000;
	}
	ck_assert_msg(chi2 < 103.4, "chi-square %.1f", chi2);
}
END_TEST

/* --pattern zipf through the command: rank r is page r - 1. 200000 writes over 100 pages, s = 1.2. */
START_TEST(gen_zipf_ranks_are_pages)
{
	enum { PAGES = 100 };
	uint64_t count[PAGES];

	gen_counts("zipf", "400K", "200000", "1.2", count, PAGES);
	for (unsigned p = 0; p + 1 < 6; p++)
		ck_assert_msg(count[p] > count[p + 1], "page %u: %llu, page %u: %llu", p,
			      (unsigned long long)count[p], p + 1, (unsigned long long)count[p + 1]);
	double r14 = (double)count[0] / (double)count[3];
	ck_assert_msg(fabs(r14 / pow(4, 1.2) - 1) < 0.05, "P(page 0)/P(page 3) = %.3f, 4^1.2 = %.3f", r14,
		      pow(4, 1.2));
}
END_TEST

/*
 * Hot pages: the first tenth of the set, at least one. 100 pages: 10 hot, 90% of 100000 writes
 * (sd 95) land there. 9 pages: a tenth is 0, so 1 hot page. 1 page: hot is all of it.
 */
START_TEST(gen_hotcold_nine_tenths)
{
	static const struct {
		const char *wss;
		unsigned pages, hot;
		double lo, hi; /* the hot share of the writes */
	} cases[] = {
		{ "400K", 100, 10, 0.895, 0.905 },
		{ "36K", 9, 1, 0.895, 0.905 },
		{ "4K", 1, 1, 1.0, 1.0 },
	};
	uint64_t count[100];

	for (unsigned c = 0; c < ARRAY_LEN(cases); c++) {
		uint64_t hot = 0, all = 0;
		gen_counts("hotcold", cases[c].wss, "100000", "1", count, cases[c].pages);
		for (unsigned p = 0; p < cases[c].pages; p++) {
			all += count[p];
			hot += p < cases[c].hot ? count[p] : 0;
			ck_assert_msg(count[p] > 0, "wss %s: page %u never written", cases[c].wss, p);
		}
		ck_assert_uint_eq(all, 100000);
		double share = (double)hot / (double)all;
		ck_assert_msg(share >= cases[c].lo && share <= cases[c].hi, "wss %s: hot share %.4f",
			      cases[c].wss, share);
	}
}
END_TEST

/* Same options, same bytes; another seed, other bytes. */
START_TEST(gen_is_deterministic)
{
	const char *paths[3] = { out_path(), out_path(), out_path() };
	static const char *const seeds[3] = { "5", "5", "6" };
	char *bytes[3];
	size_t len[3];

	for (unsigned i = 0; i < 3; i++) {
		free(run_ok((const char *const[]){ "trace", "gen", "--pattern", "zipf", "--rate", "2M",
						   "--duration", "20ms", "--wss", "1M", "--seed", seeds[i],
						   "-o", paths[i], NULL }));
		bytes[i] = slurp_file(paths[i], &len[i]);
	}
	ck_assert(len[0] == len[1] && !memcmp(bytes[0], bytes[1], len[0]));
	ck_assert(len[0] != len[2] || memcmp(bytes[0], bytes[2], len[0]));
	for (unsigned i = 0; i < 3; i++) {
		free(bytes[i]);
		unlink(paths[i]);
	}
}
END_TEST

/* --duration's forms: instructions and virtual time, as the summary line reports them. */
START_TEST(gen_duration_units)
{
	static const struct {
		const char *arg;
		const char *duration; /* in the summary */
	} cases[] = {
		{ "12345", "duration 12345 (0.000 s)" },
		{ "5k", "duration 5000 (0.000 s)" },
		{ "3M", "duration 3000000 (0.003 s)" },
		{ "2s", "duration 2000000000 (2.000 s)" },
		{ "10ms", "duration 10000000 (0.010 s)" },
		{ "1.5ms", "duration 1500000 (0.002 s)" },
		{ "250us", "duration 250000 (0.000 s)" },
		{ "0.25s", "duration 250000000 (0.250 s)" },
		{ "7ns", "duration 7 (0.000 s)" },
	};
	const char *path = out_path();

	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		char *out = run_ok((const char *const[]){ "trace", "gen", "--pattern", "seq", "--rate", "1k",
							  "--duration", cases[i].arg, "-o", path, NULL });
		ck_assert_msg(strstr(out, cases[i].duration), "--duration %s: %s", cases[i].arg, out);
		free(out);
	}
	unlink(path);
}
END_TEST

START_TEST(gen_usage_errors)
{
	static const struct {
		const char *args[12];
		const char *mentions;
	} cases[] = {
		{ { "trace", "gen", "-o", "x" }, "missing --pattern" },
		{ { "trace", "gen", "--pattern", "seq" }, "missing -o" },
		{ { "trace", "gen", "--pattern", "zigzag", "-o", "x" }, "--pattern 'zigzag'" },
		{ { "trace", "gen", "--pattern", "seq", "-o", "x", "--rate", "0" }, "--rate '0'" },
		{ { "trace", "gen", "--pattern", "seq", "-o", "x", "--rate", "fast" }, "--rate 'fast'" },
		{ { "trace", "gen", "--pattern", "seq", "-o", "x", "--wss", "0" }, "--wss '0'" },
		{ { "trace", "gen", "--pattern", "seq", "-o", "x", "--wss", "65G" }, "--wss '65G'" },
		{ { "trace", "gen", "--pattern", "seq", "-o", "x", "--duration", "1h" }, "--duration '1h'" },
		{ { "trace", "gen", "--pattern", "seq", "-o", "x", "--duration", "s" }, "--duration 's'" },
		{ { "trace", "gen", "--pattern", "seq", "-o", "x", "--duration", "1.2.3ms" }, "--duration '1.2.3ms'" },
		{ { "trace", "gen", "--pattern", "seq", "-o", "x", "--ram", "5000" }, "--ram '5000'" },
		{ { "trace", "gen", "--pattern", "seq", "-o", "x", "--base", "100" }, "--base '100'" },
		{ { "trace", "gen", "--pattern", "seq", "-o", "x", "--quantum", "0" }, "--quantum '0'" },
		{ { "trace", "gen", "--pattern", "zipf", "-o", "x", "--zipf-s", "0" }, "--zipf-s '0'" },
		{ { "trace", "gen", "--pattern", "zipf", "-o", "x", "--zipf-s", "nan" }, "--zipf-s 'nan'" },
		{ { "trace", "gen", "--pattern", "seq", "-o", "x", "--ram", "4M", "--base", "2M", "--wss", "3M" },
		  "does not fit in guest RAM (4194304 bytes)" },
		{ { "trace", "gen", "--pattern", "seq", "-o", "x", "--base", "60G", "--wss", "8G" },
		  "does not fit" },
		{ { "trace", "gen", "--pattern", "seq", "-o", "x", "--rate", "18000000000G", "--duration",
		    "18000000000G" },
		  "more than 2^64 writes" },
		{ { "trace", "gen", "--pattern", "seq", "-o", "/nonexistent/dir/t.trace" }, "/nonexistent/dir/t.trace" },
		{ { "trace", "gen", "--pattern", "seq", "-o", "x", "extra" }, "unexpected argument 'extra'" },
		{ { "trace", "gen", "--frobnicate" }, "unknown option '--frobnicate'" },
		{ { "trace", "gen", "--rate" }, "'--rate' needs a value" },
		{ { "trace", "frob" }, "unknown command 'frob'" },
	};
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++)
		expect_one_line_error(cases[i].args, cases[i].mentions, cases[i].mentions);
}
END_TEST

/* ===================================== hvsim trace import ===================================== */

/*
 * Rows out of order, a header, a comment, a blank line, CRLF, hex and decimal gpas, four vCPUs,
 * --quantum 1000. Sorted by time (equal times in row order):
 *   line 3: 100  gfn 1  vcpu 0   keep (quantum 0)
 *   line 6: 100  gfn 2  vcpu 1   keep
 *   line 7: 105  gfn 1  vcpu 0   drop: gfn 1 already in quantum 0
 *   line 5: 250  gfn 1  vcpu 2   drop: likewise (0x1fff is in page 1)
 *   line 4: 500  gfn 3  vcpu 1   keep
 *   line 9: 1200 gfn 1  vcpu 3   keep (quantum 1)
 *   line 10: 1200 gfn 0 vcpu 0   keep
 * vCPUs 4; RAM: page 3 is the highest, 16K rounds up to 2M; duration: the last time + 1 = 1201.
 */
static const char good_csv[] = "time_ns,gpa,vcpu\n"
			       "# captured on another host\n"
			       "100,4096,0\n"
			       "500,0x3000,1\n"
			       "250, 0x1fff ,2\r\n"
			       "100,0x2000,1\n"
			       "105,0x1000\n"
			       "\n"
			       "1200,0X1000,3\n"
			       "1200,0,0\n";
static const struct trace_event good_csv_events[] = {
	{ .time = 100, .gfn = 1, .vcpu = 0 },  { .time = 100, .gfn = 2, .vcpu = 1 },
	{ .time = 500, .gfn = 3, .vcpu = 1 },  { .time = 1200, .gfn = 1, .vcpu = 3 },
	{ .time = 1200, .gfn = 0, .vcpu = 0 },
};

static void expect_good_csv_trace(const char *path)
{
	struct loaded l;

	load(path, &l);
	ck_assert_uint_eq(l.h.vcpus, 4);
	ck_assert_uint_eq(l.h.guest_ram, 2 << 20);
	ck_assert_uint_eq(l.h.quantum, 1000);
	ck_assert_uint_eq(l.t.duration, 1201);
	ck_assert_uint_eq(l.n, ARRAY_LEN(good_csv_events));
	for (unsigned i = 0; i < l.n; i++) {
		const struct trace_event *w = &good_csv_events[i], *g = &l.ev[i];
		ck_assert_msg(g->time == w->time && g->gfn == w->gfn && g->vcpu == w->vcpu && !g->flags,
			      "event %u: (%llu, %llu, %u), expected (%llu, %llu, %u)", i,
			      (unsigned long long)g->time, (unsigned long long)g->gfn, g->vcpu,
			      (unsigned long long)w->time, (unsigned long long)w->gfn, w->vcpu);
	}
	free(l.ev);
}

START_TEST(import_sorts_and_merges)
{
	const char *csv = temp_file(good_csv, sizeof good_csv - 1), *path = out_path();
	char *out = run_ok((const char *const[]){ "trace", "import", "--csv", csv, "-o", path,
						  "--quantum", "1000", NULL });
	char line[512];
	struct loaded l;

	snprintf(line, sizeof line, "import: 7 rows, 5 events after merging per quantum, 4 distinct "
		 "pages, duration 1201 (0.000 s) -> %s\n", path);
	ck_assert_str_eq(out, line);
	free(out);
	expect_good_csv_trace(path);
	load(path, &l);
	ck_assert_ptr_nonnull(strstr(l.h.source, "hvsim trace import --csv "));
	free(l.ev);
	/* From stdin (a pipe), with the options that override the defaults. */
	struct run_result r;
	run_hvsim_piped(&r, (const char *const[]){ "trace", "import", "--csv", "-", "-o", path, "--quantum",
						   "1000", "--ram", "64K", "--duration", "5000",
						   "--source", "capture #7", NULL },
			good_csv, sizeof good_csv - 1);
	ck_assert_msg(r.exit_code == 0, "%s", r.err);
	run_result_free(&r);
	load(path, &l);
	ck_assert_uint_eq(l.h.guest_ram, 64 << 10);
	ck_assert_uint_eq(l.t.duration, 5000);
	ck_assert_str_eq(l.h.source, "capture #7");
	ck_assert_uint_eq(l.n, ARRAY_LEN(good_csv_events));
	free(l.ev);
	unlink(csv);
	unlink(path);
}
END_TEST

/* Each bad input: exit 2, one line naming the file and line. */
START_TEST(import_errors_name_the_line)
{
	static const struct {
		const char *csv;
		const char *opt, *val; /* an extra option, or NULL */
		const char *mentions;  /* after "CSV:" */
	} cases[] = {
		{ "1,zz\n", NULL, NULL, ":1: expected time_ns,gpa[,vcpu]: bad gpa 'zz'" },
		{ "time,gpa\nabc,1\n", NULL, NULL, ":2: expected time_ns,gpa[,vcpu]: bad time_ns 'abc'" },
		{ "# c\n1,4096\n\n7\n", NULL, NULL, ":4: expected time_ns,gpa[,vcpu]: no gpa" },
		{ "1,2,3,4\n", NULL, NULL, ":1: expected time_ns,gpa[,vcpu]: more than three fields" },
		{ "1,2,256\n", NULL, NULL, ":1: expected time_ns,gpa[,vcpu]: vcpu 256 is not below 256" },
		{ "1,-5\n", NULL, NULL, ":1: expected time_ns,gpa[,vcpu]: bad gpa '-5'" },
		{ "1,2,\n", NULL, NULL, ":1: expected time_ns,gpa[,vcpu]: bad vcpu ''" },
		{ "1,0x\n", NULL, NULL, ":1: expected time_ns,gpa[,vcpu]: bad gpa '0x'" },
		{ "1,0x10 0\n", NULL, NULL, ":1: expected time_ns,gpa[,vcpu]: bad gpa '0x10 0'" },
		{ "18446744073709551616,1\n", NULL, NULL, ":1: expected time_ns,gpa[,vcpu]: bad time_ns" },
		{ "1,2,0x1\n", NULL, NULL, ":1: expected time_ns,gpa[,vcpu]: bad vcpu '0x1'" },
		{ "0,0\n5,0x2000\n", "--ram", "8K", ":2: gpa 0x2000 is beyond guest RAM (8192 bytes, --ram)" },
		{ "0,0x1000000000\n", NULL, NULL, ":1: gpa 0x1000000000 is beyond guest RAM" },
		{ "10,0\n90,0\n", "--duration", "50", ":2: time 90 is past --duration 50" },
	};
	char path[64];

	snprintf(path, sizeof path, "%s", out_path()); /* temp_file's buffers rotate */
	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		const char *csv = temp_file(cases[i].csv, strlen(cases[i].csv));
		char mentions[256];
		snprintf(mentions, sizeof mentions, "hvsim trace import: %s%s", csv, cases[i].mentions);
		expect_one_line_error((const char *const[]){ "trace", "import", "--csv", csv, "-o", path,
							     cases[i].opt, cases[i].val, NULL },
				      mentions, cases[i].mentions);
		unlink(csv);
	}
	expect_one_line_error((const char *const[]){ "trace", "import", "--csv", "/nonexistent.csv", "-o",
						     path, NULL },
			      "hvsim trace import: /nonexistent.csv: No such file", "missing CSV");
	expect_one_line_error((const char *const[]){ "trace", "import", "-o", path, NULL }, "missing --csv",
			      "no --csv");
	expect_one_line_error((const char *const[]){ "trace", "import", "--csv", "x", NULL }, "missing -o",
			      "no -o");
	expect_one_line_error((const char *const[]){ "trace", "import", "--csv", "x", "-o", path, "--source",
						     "tab\there", NULL },
			      "--source", "unprintable source");
	unlink(path);
}
END_TEST

/* ===================================== hvsim trace info ===================================== */

/*
 * 16 pages, 2 vCPUs, quantum 100, duration 1000; --buckets 4 cuts [0,250) [250,500) [500,750)
 * [750,1000], the last taking time 1000 too.
 *   bucket 0: t 0 gfn 1, t 10 gfn 2, t 200 gfn 1, t 249 gfn 3 (paging)  4 events, 3 pages
 *   bucket 1: t 300 gfn 1 (quantum 3: gfn 1 is new there)                1 event,  1 page
 *   bucket 2: nothing
 *   bucket 3: t 750 gfn 5, t 800 gfn 5, t 1000 gfn 6                     3 events, 2 pages
 * Totals: 8 events, 1 paging, pages {1,2,3,5,6} = 5; 8 per 1000 ns = 8e6 per virtual second;
 * per bucket 4/250 ns = 16e6, 4e6, 0, 12e6.
 */
static const char *hand_made_trace(void)
{
	static const struct trace_event ev[] = {
		{ 0, 1, 0, 0 },   { 10, 2, 1, 0 },  { 200, 1, 0, 0 }, { 249, 3, 1, TRACE_EV_PAGING },
		{ 300, 1, 0, 0 }, { 750, 5, 0, 0 }, { 800, 5, 1, 0 }, { 1000, 6, 0, 0 },
	};
	struct trace_header h = { .page_size = TRACE_PAGE_SIZE, .vcpus = 2, .guest_ram = 64 << 10,
				  .quantum = 100, .source = "hand-made" };
	const char *path = out_path();
	char err[256];
	struct trace_writer *w = trace_create(path, &h, err, sizeof err);

	ck_assert_msg(w != NULL, "%s", err);
	for (unsigned i = 0; i < ARRAY_LEN(ev); i++)
		ck_assert_msg(trace_write(w, &ev[i]), "%s", trace_writer_error(w));
	ck_assert_msg(trace_finish(w, 1000), "%s", trace_writer_error(w));
	trace_writer_free(w);
	return path;
}

static const struct {
	uint64_t start, end, events, pages;
	double rate;
} hand_made_buckets[] = {
	{ 0, 250, 4, 3, 16e6 }, { 250, 500, 1, 1, 4e6 }, { 500, 750, 0, 0, 0 }, { 750, 1000, 3, 2, 12e6 },
};

static uint64_t json_u64(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	ck_assert_msg(json_is_integer(v), "'%s' is not an integer", key);
	return (uint64_t)json_integer_value(v);
}

static double json_num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	ck_assert_msg(json_is_number(v), "'%s' is not a number", key);
	return json_number_value(v);
}

START_TEST(info_counts_by_hand)
{
	const char *path = hand_made_trace();
	char *out = run_ok((const char *const[]){ "trace", "info", path, "--buckets", "4", "--json", NULL });
	json_error_t je;
	json_t *root = json_loads(out, 0, &je), *h, *t, *b;

	ck_assert_msg(root != NULL, "JSON: %s: %s", je.text, out);
	ck_assert_str_eq(json_string_value(json_object_get(root, "file")), path);
	h = json_object_get(root, "header");
	ck_assert_uint_eq(json_u64(h, "version"), TRACE_VERSION);
	ck_assert_uint_eq(json_u64(h, "page_size"), 4096);
	ck_assert_uint_eq(json_u64(h, "guest_ram"), 65536);
	ck_assert_uint_eq(json_u64(h, "guest_pages"), 16);
	ck_assert_uint_eq(json_u64(h, "vcpus"), 2);
	ck_assert_uint_eq(json_u64(h, "quantum"), 100);
	ck_assert_str_eq(json_string_value(json_object_get(h, "source")), "hand-made");
	t = json_object_get(root, "totals");
	ck_assert_uint_eq(json_u64(t, "events"), 8);
	ck_assert_uint_eq(json_u64(t, "paging_events"), 1);
	ck_assert_uint_eq(json_u64(t, "distinct_pages"), 5);
	ck_assert_uint_eq(json_u64(t, "duration"), 1000);
	ck_assert_double_eq_tol(json_num(t, "duration_s"), 1e-6, 1e-15);
	ck_assert_double_eq_tol(json_num(t, "events_per_s"), 8e6, 1e-3);
	b = json_object_get(root, "buckets");
	ck_assert_uint_eq(json_array_size(b), ARRAY_LEN(hand_made_buckets));
	for (unsigned i = 0; i < ARRAY_LEN(hand_made_buckets); i++) {
		json_t *o = json_array_get(b, i);
		ck_assert_uint_eq(json_u64(o, "start"), hand_made_buckets[i].start);
		ck_assert_uint_eq(json_u64(o, "end"), hand_made_buckets[i].end);
		ck_assert_uint_eq(json_u64(o, "events"), hand_made_buckets[i].events);
		ck_assert_uint_eq(json_u64(o, "pages"), hand_made_buckets[i].pages);
		ck_assert_double_eq_tol(json_num(o, "events_per_s"), hand_made_buckets[i].rate, 1e-3);
	}
	json_decref(root);
	free(out);
	unlink(path);
}
END_TEST

/* The text form: the same numbers in fixed formats; and the same from a pipe as from the file. */
START_TEST(info_text_and_pipe)
{
	const char *path = hand_made_trace();
	char *out = run_ok((const char *const[]){ "trace", "info", "--buckets", "4", path, NULL });
	static const char *const lines[] = {
		"  guest RAM       65536 bytes (16 pages)\n",
		"  vCPUs           2\n",
		"  quantum         100 instructions\n",
		"  source          hand-made\n",
		"  events          8 (1 paging-structure)\n",
		"  distinct pages  5\n",
		"  duration        1000 instructions (0.000001000 s)\n",
		"  mean rate       8000000.0 events per virtual second\n",
		"     0.000000000     0.000000250           4         3      16000000.0\n",
		"     0.000000250     0.000000500           1         1       4000000.0\n",
		"     0.000000500     0.000000750           0         0             0.0\n",
		"     0.000000750     0.000001000           3         2      12000000.0\n",
	};
	size_t len;
	char *bytes = slurp_file(path, &len);
	struct run_result r;

	for (unsigned i = 0; i < ARRAY_LEN(lines); i++)
		ck_assert_msg(strstr(out, lines[i]), "missing line: %s\nin:\n%s", lines[i], out);
	run_hvsim_piped(&r, (const char *const[]){ "trace", "info", "-", "--buckets", "4", NULL }, bytes, len);
	ck_assert_msg(r.exit_code == 0, "%s", r.err);
	ck_assert_str_eq(strchr(r.out, '\n'), strchr(out, '\n')); /* all but "trace PATH" */
	run_result_free(&r);
	free(bytes);
	free(out);
	unlink(path);
}
END_TEST

/* A gen trace's info agrees with gen's own summary, whatever the bucket count. */
START_TEST(info_agrees_with_gen)
{
	const char *path = out_path();
	char *gen = run_ok((const char *const[]){ "trace", "gen", "--pattern", "hotcold", "--duration", "30ms",
						  "-o", path, NULL });
	unsigned long long writes, events, pages;

	ck_assert_int_eq(sscanf(gen, "gen: %llu writes, %llu events after merging per quantum, %llu distinct",
				&writes, &events, &pages), 3);
	ck_assert_uint_eq(writes, 30000); /* 1M per second over 30 ms */
	char *out = run_ok((const char *const[]){ "trace", "info", path, "--buckets", "7", "--json", NULL });
	json_t *root = json_loads(out, 0, NULL), *b = json_object_get(root, "buckets");
	uint64_t sum = 0, prev_end = 0;
	ck_assert_uint_eq(json_u64(json_object_get(root, "totals"), "events"), events);
	ck_assert_uint_eq(json_u64(json_object_get(root, "totals"), "distinct_pages"), pages);
	for (size_t i = 0; i < json_array_size(b); i++) {
		json_t *o = json_array_get(b, i);
		ck_assert_uint_eq(json_u64(o, "start"), prev_end);
		prev_end = json_u64(o, "end");
		sum += json_u64(o, "events");
	}
	ck_assert_uint_eq(json_array_size(b), 7);
	ck_assert_uint_eq(prev_end, 30000000);
	ck_assert_uint_eq(sum, events);
	json_decref(root);
	free(out);
	free(gen);
	unlink(path);
}
END_TEST

START_TEST(info_errors)
{
	const char *path = hand_made_trace(), *garbage = temp_file("not a trace at all\n", 19);
	size_t len;
	char *bytes = slurp_file(path, &len);
	const char *cut = temp_file(bytes, len - 3);

	expect_one_line_error((const char *const[]){ "trace", "info", "/nonexistent.trace", NULL },
			      "hvsim trace info: /nonexistent.trace", "missing file");
	expect_one_line_error((const char *const[]){ "trace", "info", garbage, NULL }, "hvsim trace info: ",
			      "garbage");
	expect_one_line_error((const char *const[]){ "trace", "info", cut, NULL }, "offset", "truncated");
	expect_one_line_error((const char *const[]){ "trace", "info", path, "--buckets", "0", NULL },
			      "--buckets '0'", "0 buckets");
	expect_one_line_error((const char *const[]){ "trace", "info", path, "--buckets", "1001", NULL },
			      "--buckets '1001'", "1001 buckets");
	expect_one_line_error((const char *const[]){ "trace", "info", NULL }, "missing FILE", "no file");
	expect_one_line_error((const char *const[]){ "trace", "info", path, path, NULL },
			      "unexpected argument", "two files");
	free(bytes);
	unlink(path);
	unlink(garbage);
	unlink(cut);
}
END_TEST

START_TEST(help_texts)
{
	static const char *const subs[] = { "gen", "import", "info" };
	char *out = run_ok((const char *const[]){ "trace", "--help", NULL });

	ck_assert_ptr_nonnull(strstr(out, "usage: hvsim trace gen|import|info"));
	free(out);
	for (unsigned i = 0; i < ARRAY_LEN(subs); i++) {
		char want[64];
		snprintf(want, sizeof want, "usage: hvsim trace %s", subs[i]);
		out = run_ok((const char *const[]){ "trace", subs[i], "--help", NULL });
		ck_assert_msg(strstr(out, want), "%s", out);
		free(out);
	}
}
END_TEST

/* ===================================== progress bar ===================================== */

/*
 * 80 columns, label "replay" (6): the tail "  45%  45/100 events" is 20, so the bar may have
 * 80 - 6 - 3 (" [", "]") - 20 - 1 (last column) = 50 cells, capped at 40; 45% of 40 is 18.
 */
START_TEST(progress_text)
{
	static const struct {
		uint64_t done, total;
		unsigned columns;
		const char *want;
	} cases[] = {
		{ 45, 100, 80, "replay [==================>                     ]  45%  45/100 events" },
		{ 0, 100, 80, "replay [>                                       ]   0%  0/100 events" },
		{ 100, 100, 80, "replay [========================================] 100%  100/100 events" },
		{ 150, 100, 80, "replay [========================================] 100%  150/100 events" },
		{ 1, 3, 80, "replay [=============>                          ]  33%  1/3 events" },
		/* 50 columns: 50 - 6 - 3 - 20 - 1 = 20 cells, 45% of 20 is 9 */
		{ 45, 100, 50, "replay [=========>          ]  45%  45/100 events" },
		/* 30 columns: room for fewer than 10 cells: no bar */
		{ 45, 100, 30, "replay   45%  45/100 events" },
		{ 1234, 0, 80, "replay  1234 events" },
		{ 1234567, 2743210, 80,
		  "replay [==================>                     ]  45%  1234567/2743210 events" },
	};
	char buf[256];

	for (unsigned i = 0; i < ARRAY_LEN(cases); i++) {
		progress_format(buf, sizeof buf, "replay", cases[i].done, cases[i].total, cases[i].columns);
		ck_assert_msg(!strcmp(buf, cases[i].want), "case %u:\n got  '%s'\n want '%s'", i, buf,
			      cases[i].want);
		ck_assert_uint_lt(strlen(buf), cases[i].columns);
	}
}
END_TEST

/* Not a terminal: not a byte written. */
START_TEST(progress_silent_off_a_tty)
{
	FILE *f = tmpfile();
	struct progress p;
	int fds[2];

	progress_start(&p, f, "replay", 100);
	for (uint64_t i = 0; i <= 100; i++)
		progress_update(&p, i);
	progress_end(&p);
	fflush(f);
	ck_assert_int_eq(ftell(f), 0);
	fclose(f);
	ck_assert_int_eq(pipe(fds), 0);
	f = fdopen(fds[1], "w");
	progress_start(&p, f, "replay", 0);
	progress_update(&p, 5);
	progress_end(&p);
	fclose(f);
	ck_assert_int_eq(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
	char c;
	ck_assert_int_le(read(fds[0], &c, 1), 0);
	close(fds[0]);
}
END_TEST

/* On a terminal (a pseudo-terminal here): drawn at once, and erased at the end. */
START_TEST(progress_draws_on_a_tty)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	char buf[1024];
	struct progress p;

	if (master < 0 || grantpt(master) || unlockpt(master))
		return; /* no pseudo-terminals here */
	int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	ck_assert_int_ge(slave, 0);
	FILE *f = fdopen(slave, "w");
	progress_start(&p, f, "replay", 100); /* no updates: redraws depend on host time */
	progress_end(&p);
	fclose(f);
	/* All of it: one read may return only the first write (the slave is closed: EIO ends it). */
	size_t n = 0;
	for (ssize_t r; n < sizeof buf - 1 && (r = read(master, buf + n, sizeof buf - 1 - n)) > 0;)
		n += (size_t)r;
	ck_assert_uint_gt(n, 0);
	buf[n] = 0;
	ck_assert_msg(!strncmp(buf, "\rreplay [>", 10), "drawn: %s", buf);
	ck_assert_ptr_nonnull(strstr(buf, "0/100 events\033[K\r\033[K"));
	close(master);
}
END_TEST

Suite *suite_trace_tools(void)
{
	Suite *s = suite_create("sim/trace_tools");
	TCase *tc = tcase_create("parts");
	tcase_add_test(tc, splitmix_reference_values);
	tcase_add_test(tc, splitmix_below_stays_below);
	tcase_add_test(tc, zipf_follows_the_law);
	tcase_add_test(tc, zipf_range_edges);
	tcase_add_test(tc, pageset_clears_past_its_list);
	suite_add_tcase(s, tc);
	tc = tcase_create("gen");
	tcase_add_test(tc, gen_seq_by_hand);
	tcase_add_test(tc, gen_seq_arithmetic);
	tcase_add_test(tc, gen_uniform_spreads_evenly);
	tcase_add_test(tc, gen_zipf_ranks_are_pages);
	tcase_add_test(tc, gen_hotcold_nine_tenths);
	tcase_add_test(tc, gen_is_deterministic);
	tcase_add_test(tc, gen_duration_units);
	tcase_add_test(tc, gen_usage_errors);
	suite_add_tcase(s, tc);
	tc = tcase_create("import");
	tcase_add_test(tc, import_sorts_and_merges);
	tcase_add_test(tc, import_errors_name_the_line);
	suite_add_tcase(s, tc);
	tc = tcase_create("info");
	tcase_add_test(tc, info_counts_by_hand);
	tcase_add_test(tc, info_text_and_pipe);
	tcase_add_test(tc, info_agrees_with_gen);
	tcase_add_test(tc, info_errors);
	tcase_add_test(tc, help_texts);
	suite_add_tcase(s, tc);
	tc = tcase_create("progress");
	tcase_add_test(tc, progress_text);
	tcase_add_test(tc, progress_silent_off_a_tty);
	tcase_add_test(tc, progress_draws_on_a_tty);
	suite_add_tcase(s, tc);
	return s;
}
