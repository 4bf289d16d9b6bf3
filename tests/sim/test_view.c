/*
 * hvsim migrate|replay --png and --view, run as a user would, the pictures read back with libpng.
 * Expectations come from the traces the tests write by hand and from hv's documented migration
 * loop (hv/migrate.c, test_replay.c's timing): every round lasts one slice of guest time and
 * harvests exactly the pages written in it; round r + 1 sends round r's harvest; after the last
 * allowed round the stop-and-copy sends the last harvest. PML logging follows the SDM (Vol. 3,
 * 29.3.6): with a log of N entries, the (N+1)-th newly dirtied page finds it full, hv drains it,
 * and the page is logged again at the top. The colours are the legend of README "Seeing it:
 * --view and --png"; where a page's cell is comes from the PNG's "hvsim-grid" text, and the
 * chart's bracket row from "hvsim-chart".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <png.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/view/render.h"
#include "tests/lib/harness.h"

#define START 1000000ull  /* hv's migrate_after */
#define SLICE 100000ull   /* hv's slice: one round each, with a link this fast */
#define BANDWIDTH "128G"
#define PAGES 1024        /* a 4M guest */
#define PER_SLICE 100     /* distinct pages written per slice: above hv's threshold (50) */
#define ROUNDS 5          /* hv's default max_rounds */
#define PML_ENTRIES 64

/* The legend (README "Seeing it"); struct rgb is the view's own {r, g, b}. */
static const struct rgb SENT_FINAL = { 230, 60, 200 }, PML_LOGGED = { 255, 215, 0 },
			DIRTY = { 230, 50, 40 }, SENT_ROUND = { 40, 180, 90 },
			WRITE_PROTECTED = { 60, 110, 220 }, CLEAN = { 72, 76, 86 };

static const char *const trackers[] = { "pml", "wp", "scan" };

/* ---- the traces ---- */

/* Slice r writes pages (131 r + 7 k) mod PAGES, k < PER_SLICE, in that order: distinct pages. */
static unsigned slice_page(unsigned r, unsigned k)
{
	return (131 * r + 7 * k) % PAGES;
}

static bool in_slice(unsigned r, unsigned page)
{
	for (unsigned k = 0; k < PER_SLICE; k++)
		if (slice_page(r, k) == page)
			return true;
	return false;
}

static void expect_exit(const struct run_result *r, int code)
{
	ck_assert_msg(r->exit_code == code, "exit %d, wanted %d\nstdout:\n%s\nstderr:\n%s", r->exit_code,
		      code, r->out, r->err);
}

/*
 * Writes in slices 0 .. slices-1, each in the middle of its slice ([40000, 50000) past its
 * start, clear of where the VMX-preemption timer ends a slice: test_replay.c explains). With
 * 'tail', one more write long after the last slice, so that the stop-and-copy happens; without,
 * the trace (and the guest) ends right after the last slice's writes.
 */
static void write_trace(const char *path, unsigned slices, bool tail)
{
	char csv[64];
	struct run_result r;

	snprintf(csv, sizeof csv, "/tmp/hvsim-view-%d.csv", getpid());
	FILE *f = fopen(csv, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "time_ns,gpa\n");
	for (unsigned s = 0; s < slices; s++)
		for (unsigned k = 0; k < PER_SLICE; k++)
			fprintf(f, "%llu,0x%x\n", START + s * SLICE + 40000 + k * 100, slice_page(s, k) << 12);
	if (tail)
		fprintf(f, "%llu,0x%x\n", START + (ROUNDS + 2) * SLICE, slice_page(ROUNDS - 1, 0) << 12);
	fclose(f);
	const char *args[] = { "trace", "import", "--csv", csv, "--ram", "4M", "--quantum", "1000",
			       "-o", path, NULL };
	run_hvsim(&r, args);
	expect_exit(&r, 0);
	run_result_free(&r);
	unlink(csv);
}

/* ---- PNG files ---- */

struct image {
	unsigned w, h;
	unsigned char *rgb;
	char grid[256], chart[256]; /* the hvsim-grid and hvsim-chart texts, "" if absent */
};

static void read_png(const char *path, struct image *img)
{
	FILE *f = fopen(path, "rb");
	png_textp text;
	int ntext = 0;

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	memset(img, 0, sizeof *img);
	png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);
	ck_assert(png && info);
	ck_assert_msg(!setjmp(png_jmpbuf(png)), "%s: not a readable PNG", path);
	png_init_io(png, f);
	png_read_info(png, info);
	img->w = png_get_image_width(png, info);
	img->h = png_get_image_height(png, info);
	ck_assert_int_eq(png_get_color_type(png, info), PNG_COLOR_TYPE_RGB);
	ck_assert_int_eq(png_get_bit_depth(png, info), 8);
	img->rgb = malloc(3ul * img->w * img->h);
	for (unsigned y = 0; y < img->h; y++)
		png_read_row(png, img->rgb + 3ul * img->w * y, NULL);
	png_read_end(png, info);
	png_get_text(png, info, &text, &ntext);
	for (int i = 0; i < ntext; i++) {
		if (!strcmp(text[i].key, "hvsim-grid"))
			snprintf(img->grid, sizeof img->grid, "%s", text[i].text);
		if (!strcmp(text[i].key, "hvsim-chart"))
			snprintf(img->chart, sizeof img->chart, "%s", text[i].text);
	}
	png_destroy_read_struct(&png, &info, NULL);
	fclose(f);
}

static struct rgb pixel(const struct image *img, unsigned x, unsigned y)
{
	const unsigned char *p = img->rgb + 3ul * (img->w * y + x);
	return (struct rgb){ p[0], p[1], p[2] };
}

static bool same(struct rgb a, struct rgb b)
{
	return a.r == b.r && a.g == b.g && a.b == b.b;
}

struct grid {
	int x, y, cols, rows, cell;
	unsigned long long first, ppc, pages;
};

static void grid_of(const struct image *img, struct grid *g)
{
	ck_assert_msg(sscanf(img->grid, "x=%d y=%d cols=%d rows=%d cell=%d first=%llu pages_per_cell=%llu "
			     "pages=%llu", &g->x, &g->y, &g->cols, &g->rows, &g->cell, &g->first,
			     &g->ppc, &g->pages) == 8, "hvsim-grid: '%s'", img->grid);
}

/* The centre of page p's cell (one page per cell: one colour). */
static struct rgb page_colour(const struct image *img, const struct grid *g, unsigned p)
{
	unsigned cell = (unsigned)((p - g->first) / g->ppc);
	int x = g->x + (int)(cell % (unsigned)g->cols) * g->cell + g->cell / 2;
	int y = g->y + (int)(cell / (unsigned)g->cols) * g->cell + g->cell / 2;
	return pixel(img, (unsigned)x, (unsigned)y);
}

/* Runs of non-background pixels on the chart's bracket row, inside the plot: its groups. */
static unsigned chart_groups(const struct image *img)
{
	int x, y, w, h, by;
	unsigned groups = 0;

	ck_assert_msg(sscanf(img->chart, "x=%d y=%d w=%d h=%d bracket_y=%d", &x, &y, &w, &h, &by) == 5,
		      "hvsim-chart: '%s'", img->chart);
	struct rgb bg = pixel(img, 0, (unsigned)by);
	bool in = false;
	for (int i = x; i < x + w; i++) {
		bool on = !same(pixel(img, (unsigned)i, (unsigned)by), bg);
		groups += on && !in;
		in = on;
	}
	return groups;
}

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

static const char *tmp(const char *what)
{
	static char bufs[8][96];
	static unsigned n;
	char *b = bufs[n++ % 8];
	snprintf(b, sizeof bufs[0], "/tmp/hvsim-view-%d-%s", getpid(), what);
	return b;
}

static json_t *load_json(const char *path)
{
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);
	ck_assert_msg(j != NULL, "%s: %s", path, e.text);
	return j;
}

static const char *colour_name(struct rgb c)
{
	const struct {
		struct rgb c;
		const char *name;
	} names[] = { { SENT_FINAL, "sent in stop-and-copy" }, { PML_LOGGED, "in the PML log" },
		      { DIRTY, "dirty" }, { SENT_ROUND, "sent this round" },
		      { WRITE_PROTECTED, "write-protected" }, { CLEAN, "clean" } };

	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
		if (same(c, names[i].c))
			return names[i].name;
	return "another colour";
}

/* ---- the tests ---- */

/* --png needs no display: none is given. */
static void headless(void)
{
	unsetenv("DISPLAY");
	unsetenv("WAYLAND_DISPLAY");
	setenv("SDL_VIDEODRIVER", "dummy", 1);
}

/* hvsim replay TRACE --tracker T (+ more, up to 8 more arguments). */
static void replay(struct run_result *r, const char *trace, const char *tracker,
		   const char *const *more)
{
	const char *args[24] = { "replay", trace, "--tracker", tracker, "--bandwidth", BANDWIDTH,
				 "--pml-entries", "64" };
	unsigned n = 8;

	for (; more && *more && n < 22; more++)
		args[n++] = *more;
	args[n] = NULL;
	run_hvsim(r, args);
}

static uint64_t json_u64(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);
	return (uint64_t)json_integer_value(b ? json_object_get(v, b) : v);
}

/* Compare every page's cell with want(page); collect the pages that differ. */
static void expect_pages(const struct image *img, struct rgb (*want)(unsigned page, unsigned t),
			 unsigned t, const char *what)
{
	struct grid g;
	struct report rep = { 0 };

	grid_of(img, &g);
	ck_assert_uint_eq(g.pages, PAGES);
	ck_assert_uint_eq(g.ppc, 1);
	for (unsigned p = 0; p < PAGES; p++) {
		struct rgb got = page_colour(img, &g, p), w = want(p, t);
		if (!same(got, w) && rep.failures < 10)
			report_broken(&rep, "%s, tracker %s: page %u is %s, wanted %s", what, trackers[t], p,
				      colour_name(got), colour_name(w));
		else if (!same(got, w))
			rep.failures++;
	}
	report_finish(&rep);
}

/* After the stop-and-copy: the pages it sent (the last harvest: slice 4's), the rest clean. */
static struct rgb after_migration(unsigned page, unsigned t)
{
	(void)t;
	return in_slice(ROUNDS - 1, page) ? SENT_FINAL : CLEAN;
}

/*
 * A complete migration drawn with --png: the view shows what the stop-and-copy sent, and the chart
 * one group of bars per round and one for the stop-and-copy (as many as @mig end's rounds). The
 * run prints the same bytes with and without --png.
 */
START_TEST(report_shows_the_stop_and_copy)
{
	char trace[512], png[128], rounds[128];
	struct run_result plain, drawn;
	struct image img;

	headless();
	snprintf(trace, sizeof trace, "%s", build_path("tests/view-complete.hvt"));
	snprintf(png, sizeof png, "%s", tmp("report.png"));
	snprintf(rounds, sizeof rounds, "%s", tmp("report-rounds.png"));
	write_trace(trace, ROUNDS, true);
	const char *a[] = { "--json", tmp("plain.json"), NULL };
	const char *b[] = { "--json", tmp("drawn.json"), "--png", png, NULL };
	replay(&plain, trace, trackers[_i], a);
	replay(&drawn, trace, trackers[_i], b);
	expect_exit(&plain, 0);
	expect_exit(&drawn, 0);
	ck_assert_str_eq(plain.out, drawn.out);
	char *ja = slurp(tmp("plain.json")), *jb = slurp(tmp("drawn.json"));
	ck_assert_str_eq(ja, jb);
	json_t *run = load_json(tmp("drawn.json"));
	ck_assert_uint_eq(json_array_size(json_object_get(run, "rounds")), ROUNDS);
	ck_assert_uint_eq(json_u64(run, "final", "sent"), PER_SLICE);

	read_png(png, &img);
	ck_assert_uint_eq(img.w, 1280);
	ck_assert_uint_eq(img.h, 800);
	expect_pages(&img, after_migration, (unsigned)_i, "after the migration");
	free(img.rgb);
	read_png(rounds, &img);
	ck_assert_uint_eq(img.w, 960);
	ck_assert_uint_eq(img.h, 540);
	ck_assert_uint_eq(chart_groups(&img), json_u64(run, "end", "rounds"));
	free(img.rgb);

	json_decref(run);
	free(ja);
	free(jb);
	run_result_free(&plain);
	run_result_free(&drawn);
	unlink(tmp("plain.json"));
	unlink(tmp("drawn.json"));
	unlink(png);
	unlink(rounds);
}
END_TEST

/*
 * The guest ends in round 2, before the migration finishes: slice 2's pages are dirty, except,
 * with PML, those still in the log (a log of 64 entries that filled once: the last 36 of the
 * 100); slice 1's are round 2's send set; the rest are clean, or write-protected with wp.
 */
static struct rgb mid_migration(unsigned page, unsigned t)
{
	if (in_slice(2, page)) {
		unsigned logged = (PER_SLICE - 1) % PML_ENTRIES + 1;
		for (unsigned k = PER_SLICE - logged; !strcmp(trackers[t], "pml") && k < PER_SLICE; k++)
			if (slice_page(2, k) == page)
				return PML_LOGGED;
		return DIRTY;
	}
	if (in_slice(1, page))
		return SENT_ROUND;
	return strcmp(trackers[t], "wp") ? CLEAN : WRITE_PROTECTED;
}

START_TEST(report_shows_pages_where_the_guest_left_them)
{
	char trace[512], png[128], rounds[128];
	struct run_result r;
	struct image img;

	headless();
	snprintf(trace, sizeof trace, "%s", build_path("tests/view-short.hvt"));
	snprintf(png, sizeof png, "%s", tmp("short.png"));
	snprintf(rounds, sizeof rounds, "%s", tmp("short-rounds.png"));
	write_trace(trace, 3, false);
	const char *more[] = { "--json", tmp("short.json"), "--png", png, NULL };
	replay(&r, trace, trackers[_i], more);
	expect_exit(&r, 1); /* the migration did not finish */
	json_t *run = load_json(tmp("short.json"));
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(run, "end"), "verify")),
			 "incomplete");
	ck_assert_uint_eq(json_array_size(json_object_get(run, "rounds")), 2);

	read_png(png, &img);
	expect_pages(&img, mid_migration, (unsigned)_i, "in round 2");
	free(img.rgb);
	read_png(rounds, &img);
	ck_assert_uint_eq(chart_groups(&img), 2);
	free(img.rgb);
	json_decref(run);
	run_result_free(&r);
	unlink(tmp("short.json"));
	unlink(png);
	unlink(rounds);
}
END_TEST

/*
 * --tracker all: a view per tracker (FILE-pml.png, FILE-wp.png, FILE-scan.png, each the end of its
 * run) and one chart with every run's bars in each round's group; FILE itself is not written.
 */
START_TEST(tracker_all_writes_a_view_per_tracker)
{
	char trace[512], base[128], name[160];
	struct run_result r;
	struct image img;

	headless();
	snprintf(trace, sizeof trace, "%s", build_path("tests/view-all.hvt"));
	snprintf(base, sizeof base, "%s", tmp("all.png"));
	write_trace(trace, ROUNDS, true);
	const char *more[] = { "--png", base, NULL };
	replay(&r, trace, "all", more);
	expect_exit(&r, 0);
	ck_assert_msg(access(base, F_OK) != 0, "%s was written", base);
	for (unsigned t = 0; t < 3; t++) {
		snprintf(name, sizeof name, "%.*s-%s.png", (int)strlen(base) - 4, base, trackers[t]);
		read_png(name, &img);
		expect_pages(&img, after_migration, t, name);
		free(img.rgb);
		unlink(name);
	}
	snprintf(name, sizeof name, "%.*s-rounds.png", (int)strlen(base) - 4, base);
	read_png(name, &img);
	ck_assert_uint_eq(chart_groups(&img), ROUNDS + 1);
	free(img.rgb);
	unlink(name);
	run_result_free(&r);
}
END_TEST

/* ---- a window under Xvfb ---- */

static bool on_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[4096];

	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");
		snprintf(buf, sizeof buf, "%.*s/%s", (int)n, p, prog);
		if (!access(buf, X_OK))
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

/* Stop it, and remove its lock and socket if it could not (a server killed early leaves them). */
static void xvfb_stop(pid_t pid, int display)
{
	char lock[64], sock[64];

	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	snprintf(lock, sizeof lock, "/tmp/.X%d-lock", display);
	snprintf(sock, sizeof sock, "/tmp/.X11-unix/X%d", display);
	FILE *f = fopen(lock, "r");
	long owner = 0;
	if (f && fscanf(f, "%ld", &owner) == 1 && owner == pid) {
		unlink(lock);
		unlink(sock);
	}
	if (f)
		fclose(f);
}

/* An X server on a free display (*display), dying with this process; 0 if none could start. */
static pid_t xvfb_start(int *display)
{
	for (int d = 90 + getpid() % 50; d < 200; d++) {
		char lock[64], sock[64], arg[16];
		snprintf(lock, sizeof lock, "/tmp/.X%d-lock", d);
		snprintf(sock, sizeof sock, "/tmp/.X11-unix/X%d", d);
		if (!access(lock, F_OK) || !access(sock, F_OK))
			continue;
		snprintf(arg, sizeof arg, ":%d", d);
		pid_t pid = fork();
		ck_assert_int_ge(pid, 0);
		if (!pid) {
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			freopen("/dev/null", "w", stdout);
			freopen("/dev/null", "w", stderr);
			execlp("Xvfb", "Xvfb", arg, "-screen", "0", "1280x800x24", "-nolisten", "tcp", (char *)NULL);
			_exit(127);
		}
		/* Wait for its socket; a server that lost the display to another exits instead. */
		bool exited = false;
		for (int tries = 0; tries < 1200 && !exited; tries++) { /* 30 s */
			if (!access(sock, F_OK)) {
				*display = d;
				return pid;
			}
			exited = waitpid(pid, NULL, WNOHANG) == pid;
			usleep(25000);
		}
		if (!exited)
			xvfb_stop(pid, d);
	}
	return 0;
}

/* Run args (NULL-terminated) with and without extra (the view's options): the same bytes out. */
static void expect_unchanged(const char *const *args, const char *const *extra,
			     const char *serial_a, const char *serial_b, const char *json_a,
			     const char *json_b)
{
	const char *a[40], *b[40];
	unsigned n = 0, m;
	struct run_result ra, rb;

	for (; args[n]; n++)
		a[n] = b[n] = args[n];
	a[n] = "--serial", a[n + 1] = serial_a, a[n + 2] = "--json", a[n + 3] = json_a, a[n + 4] = NULL;
	b[n] = "--serial", b[n + 1] = serial_b, b[n + 2] = "--json", b[n + 3] = json_b;
	for (m = n + 4; *extra; extra++)
		b[m++] = *extra;
	b[m] = NULL;
	run_hvsim(&ra, a);
	run_hvsim(&rb, b);
	ck_assert_msg(ra.exit_code == rb.exit_code, "exit %d without the view, %d with it\n%s",
		      ra.exit_code, rb.exit_code, rb.err);
	ck_assert_str_eq(ra.out, rb.out);
	char *sa = slurp(serial_a), *sb = slurp(serial_b), *ja = slurp(json_a), *jb = slurp(json_b);
	ck_assert_str_eq(sa, sb);
	ck_assert_str_eq(ja, jb);
	free(sa), free(sb), free(ja), free(jb);
	run_result_free(&ra);
	run_result_free(&rb);
}

/*
 * --view in a real X window (Xvfb): the runs print the same table, COM1 bytes and JSON as
 * without it, and the window's last picture (--view-screenshot) is the last run's end.
 */
START_TEST(window_changes_nothing)
{
	char trace[512], shot[128], display[16];
	struct image img;
	int d;
	pid_t xvfb;

	if (!on_path("Xvfb")) {
		printf("test_view: Xvfb is not installed (Debian: xvfb): skipping the --view window test\n");
		return;
	}
	ck_assert_msg((xvfb = xvfb_start(&d)) != 0, "Xvfb would not start on any display");
	snprintf(display, sizeof display, ":%d", d);
	setenv("DISPLAY", display, 1);
	unsetenv("SDL_VIDEODRIVER");
	snprintf(trace, sizeof trace, "%s", build_path("tests/view-window.hvt"));
	snprintf(shot, sizeof shot, "%s", tmp("shot.png"));
	write_trace(trace, ROUNDS, true);

	const char *replay_all[] = { "replay", trace, "--tracker", "all", "--bandwidth", BANDWIDTH,
				     "--pml-entries", "64", NULL };
	const char *view[] = { "--view", "--view-screenshot", shot, NULL };
	expect_unchanged(replay_all, view, tmp("a.serial"), tmp("b.serial"), tmp("a.json"), tmp("b.json"));
	read_png(shot, &img);
	ck_assert_uint_eq(img.w, 1280);
	ck_assert_uint_eq(img.h, 800);
	expect_pages(&img, after_migration, 2 /* scan, the last run */, "the window at the end");
	free(img.rgb);

	/* an executed guest: the view looks at every VIEW_QUANTUM of it */
	const char *memstress[] = { "migrate", "--guest", "memstress", "--mem", "4M", "--guest-args",
				    "wss=1M rate=4000 duration=3M pattern=uniform", "--bandwidth", BANDWIDTH,
				    NULL };
	expect_unchanged(memstress, view, tmp("a.serial"), tmp("b.serial"), tmp("a.json"), tmp("b.json"));

	xvfb_stop(xvfb, d);
	const char *files[] = { shot, tmp("a.serial"), tmp("b.serial"), tmp("a.json"), tmp("b.json") };
	for (unsigned i = 0; i < 5; i++)
		unlink(files[i]);
}
END_TEST

/* ---- bad input ---- */

static void expect_usage_error(const char *const *args, const char *what)
{
	struct run_result r;

	run_hvsim(&r, args);
	expect_exit(&r, 2);
	ck_assert_msg(strstr(r.err, what) != NULL, "wanted '%s' in: %s", what, r.err);
	ck_assert_msg(strchr(r.err, '\n') == r.err + strlen(r.err) - 1, "one line: %s", r.err);
	ck_assert_msg(!strstr(r.out, "hv:"), "nothing should have run: %s", r.out);
	run_result_free(&r);
}

/*
 * Every mistake is one line and exit code 2 before anything boots: an unwritable --png path (as
 * for every file --png writes), --view without a display, --view-screenshot without --view.
 */
START_TEST(bad_input_fails_before_running)
{
	char trace[512];

	snprintf(trace, sizeof trace, "%s", build_path("tests/view-bad.hvt"));
	write_trace(trace, 1, true);
	const char *no_dir[] = { "replay", trace, "--png", "/nonexistent/dir/report.png", NULL };
	expect_usage_error(no_dir, "/nonexistent/dir/report.png");
	const char *mig_no_dir[] = { "migrate", "--guest", "memstress", "--png", "/nonexistent/r.png",
				     NULL };
	expect_usage_error(mig_no_dir, "/nonexistent/r.png");
	const char *dash[] = { "replay", trace, "--png", "-", NULL };
	expect_usage_error(dash, "--png");
	const char *shot[] = { "replay", trace, "--view-screenshot", "/tmp/x.png", NULL };
	expect_usage_error(shot, "--view");
	const char *record[] = { "record", "--guest", "memstress", "-o", "/tmp/x.hvt", "--view", NULL };
	expect_usage_error(record, "--view");

	/* X11 asked for, with nowhere to connect */
	unsetenv("DISPLAY");
	unsetenv("WAYLAND_DISPLAY");
	setenv("SDL_VIDEODRIVER", "x11", 1);
	const char *view[] = { "replay", trace, "--view", NULL };
	expect_usage_error(view, "--view");
	unsetenv("SDL_VIDEODRIVER");
}
END_TEST

/* ---- big guests ---- */

static struct rgb surface_pixel(SDL_Surface *s, int x, int y)
{
	uint32_t px;
	struct rgb c;

	memcpy(&px, (uint8_t *)s->pixels + y * s->pitch + 4 * x, 4);
	SDL_GetRGB(px, s->format, &c.r, &c.g, &c.b);
	return c;
}

/* Does the cell of page p show colour c in some pixel of its middle column? */
static bool cell_shows(SDL_Surface *s, const struct grid_geom *g, uint64_t p, struct rgb c)
{
	uint64_t cell = (p - g->first) / g->ppc;
	int x = g->x + (int)(cell % (uint64_t)g->cols) * g->cell + g->cell / 2;
	int y = g->y + (int)(cell / (uint64_t)g->cols) * g->cell;

	for (int i = 0; i < g->cell; i++)
		if (same(surface_pixel(s, x, y + i), c))
			return true;
	return false;
}

/*
 * 16 GiB of 4K pages fit the grid: each cell aggregates a power of two of pages, the smallest that
 * fits with cells of at least GRID_MIN_CELL pixels, and a cell that holds one dirty page among
 * many still shows the dirty colour (a band of at least a pixel), next to the clean majority.
 */
START_TEST(a_16g_guest_fits_with_its_mix_visible)
{
	const uint64_t npages = (16ull << 30) >> 12, dirty = 3000001, logged = 4000000;
	struct pagestate ps;
	struct canvas c;
	struct grid_geom g;
	struct exit_series ex;
	struct console con;
	char err[256];

	uint64_t ppc = grid_fit_ppc(npages, VIEW_GRID_W, VIEW_GRID_H);
	uint64_t fits = (uint64_t)(VIEW_GRID_W / GRID_MIN_CELL) * (VIEW_GRID_H / GRID_MIN_CELL);
	ck_assert_uint_le((npages + ppc - 1) / ppc, fits);
	ck_assert_uint_gt((npages + ppc / 2 - 1) / (ppc / 2), fits);

	ck_assert(pagestate_init(&ps, npages, MIG_TRACKER_PML, 512));
	ps.phase = PHASE_ROUNDS;
	ps.dirty[dirty / 64] |= 1ull << (dirty % 64);
	ps.logged[logged / 64] |= 1ull << (logged % 64);
	ps.dirty[logged / 64] |= 1ull << (logged % 64);
	exit_series_init(&ex);
	console_reset(&con);
	ck_assert_msg(canvas_init(&c, VIEW_W, VIEW_H, err, sizeof err), "%s", err);
	struct view_model m = { .title = "test", .guest = "big", .tracker = MIG_TRACKER_PML, .ps = &ps,
				.exits = &ex, .console = &con };
	render_view(&c, &m, &g);
	ck_assert_uint_eq(g.ppc, ppc);
	ck_assert_int_ge(g.cell, GRID_MIN_CELL);
	ck_assert_uint_ge((uint64_t)g.rows * (uint64_t)g.cols * g.ppc, npages);
	ck_assert(cell_shows(c.surface, &g, dirty, DIRTY));
	ck_assert(cell_shows(c.surface, &g, dirty, CLEAN));
	ck_assert(cell_shows(c.surface, &g, logged, PML_LOGGED));
	ck_assert(!cell_shows(c.surface, &g, dirty + 64 * ppc, DIRTY));
	canvas_free(&c);
	pagestate_free(&ps);
}
END_TEST

Suite *suite_view(void)
{
	Suite *s = suite_create("sim/view");
	TCase *tc = tcase_create("view");

	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, report_shows_the_stop_and_copy, 0, 3);
	tcase_add_loop_test(tc, report_shows_pages_where_the_guest_left_them, 0, 3);
	tcase_add_test(tc, tracker_all_writes_a_view_per_tracker);
	tcase_add_test(tc, window_changes_nothing);
	tcase_add_test(tc, bad_input_fails_before_running);
	tcase_add_test(tc, a_16g_guest_fits_with_its_mix_visible);
	suite_add_tcase(s, tc);
	return s;
}
