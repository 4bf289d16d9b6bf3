/* Running a migration session and reporting it (session.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/cli.h"
#include "sim/exitcode.h"
#include "sim/loader.h"
#include "sim/run_opts.h"
#include "sim/session.h"
#include "sim/view/view.h"

/* ---- images ---- */

/* "DIR/rel" where DIR holds the running hvsim. */
static bool beside_hvsim(char *out, size_t n, const char *rel)
{
	char exe[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);

	if (len <= 0)
		return false;
	exe[len] = 0;
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = 0;
	return (size_t)snprintf(out, n, "%s/%s", slash ? exe : ".", rel) < n;
}

struct images {
	char hv[PATH_MAX];
	char module[MB_MODULE_STRING_MAX]; /* "GUEST.elf ARGS": the file, then the guest's command line */
	char cmdline[320];                 /* hv's, without the tracker */
};

static int find_images(const struct session_opts *o, struct images *im)
{
	char dir[PATH_MAX], guest[PATH_MAX];

	if (o->hv ? snprintf(im->hv, sizeof im->hv, "%s", o->hv) >= (int)sizeof im->hv
		  : !beside_hvsim(im->hv, sizeof im->hv, "hv/hv.elf"))
		return usage_error(o->name, "--hv: path too long");
	if (access(im->hv, R_OK))
		return usage_error(o->name, "hv image '%s' not found (build hv, or give --hv PATH)", im->hv);
	if (o->workloads ? snprintf(dir, sizeof dir, "%s", o->workloads) >= (int)sizeof dir
			 : !beside_hvsim(dir, sizeof dir, "workloads"))
		return usage_error(o->name, "--workloads: path too long");
	if (snprintf(guest, sizeof guest, "%s/%s.elf", dir, o->guest) >= (int)sizeof guest)
		return usage_error(o->name, "--workloads: path too long");
	if (access(guest, R_OK))
		return usage_error(o->name, "guest '%s': '%s' not found (see --workloads)", o->guest, guest);
	if (strpbrk(guest, " \t"))
		return usage_error(o->name, "'%s': a module's file name ends at the first blank, so the "
				   "path may not contain one", guest);
	if (snprintf(im->module, sizeof im->module, "%s%s%s", guest, *o->guest_args ? " " : "",
		     o->guest_args) >= (int)sizeof im->module)
		return usage_error(o->name, "--guest-args: the module string is longer than %u bytes",
				   MB_MODULE_STRING_MAX - 1);
	snprintf(im->cmdline, sizeof im->cmdline,
		 "guest=vmx migrate guest_mem=%llu bandwidth=%llu max_rounds=%llu threshold=%llu "
		 "pml_entries=%llu migrate_after=%llu tsc_khz=%llu",
		 (unsigned long long)o->mem, (unsigned long long)o->bandwidth,
		 (unsigned long long)o->max_rounds, (unsigned long long)o->threshold,
		 (unsigned long long)o->pml_entries, (unsigned long long)o->migrate_after,
		 MIG_TICKS_PER_SECOND / 1000);
	return EXIT_OK;
}

/* ---- one migration ---- */

static bool is_stdout(const char *path)
{
	return path && !strcmp(path, "-");
}

static void com1_to_stream(void *ctx, uint8_t byte)
{
	mig_stream_byte(ctx, byte);
}

/* --gdb: each machine the debugging engine builds (and rebuilds to reverse) feeds the stream. */
static void stream_setup(void *ctx, struct machine *m)
{
	m->platform.com1.sink = com1_to_stream;
	m->platform.com1.sink_ctx = ctx;
}

/*
 * Boot hv with tracker t and run it to the end, or under gdb's control with --gdb (the engine
 * passes each COM1 byte on once, however often gdb reverses); returns the machine's exit code.
 */
static int migrate_once(const struct session_opts *o, const struct images *im, enum mig_tracker t,
			const struct session_hooks *hooks, struct view *view, struct mig_run *run, FILE *echo)
{
	char cmdline[sizeof im->cmdline + 32];
	struct machine_config mc = o->mc;
	struct mig_stream s;
	struct machine m;
	bool attached = false;

	snprintf(cmdline, sizeof cmdline, "tracker=%s %s", mig_tracker_name(t), im->cmdline);
	mc.image = im->hv;
	mc.cmdline = cmdline;
	mc.modules[0] = im->module;
	mc.module_count = 1;
	mc.ram_size = 2 * o->mem + SESSION_HV_RESERVE;
	mig_run_init(run, mig_tracker_name(t));
	mig_stream_init(&s, run, echo, o->serial != NULL);
	if (o->gdb) {
		int rc = debug_machine(&mc, NULL, stream_setup, &s,
				       &(struct debug_how){ .gdb = o->gdb, .wait = o->wait });
		mig_stream_end(&s);
		return rc;
	}
	int rc = machine_create(&m, &mc);
	if (rc == EXIT_OK) {
		m.platform.com1.sink = com1_to_stream;
		m.platform.com1.sink_ctx = &s;
		if (hooks && (rc = hooks->attach(hooks->ctx, &m, t)) == EXIT_OK)
			attached = true;
	}
	bool viewed = rc == EXIT_OK && view && (rc = view_attach(view, &m, t, run)) == EXIT_OK;
	if (rc == EXIT_OK)
		rc = machine_boot(&m);
	if (rc == EXIT_OK)
		rc = machine_run(&m);
	mig_stream_end(&s);
	if (viewed)
		view_detach(view, &m);
	if (attached) /* a note about the run: beside the table, never into --serial's transcript */
		rc = hooks->detach(hooks->ctx, &m, rc,
				   is_stdout(o->json) || is_stdout(o->csv) ? stderr : stdout);
	machine_destroy(&m);
	return rc;
}

/* hv echoes its command line in @mig begin: a difference means hv misread it. */
static bool check_echo(const struct session_opts *o, const struct mig_run *r, enum mig_tracker t)
{
	const struct mig_begin *b = &r->begin;
	const struct {
		const char *key;
		uint64_t got, want;
	} echo[] = {
		{ "bandwidth", b->bandwidth, o->bandwidth },
		{ "max_rounds", b->max_rounds, o->max_rounds },
		{ "threshold", b->threshold, o->threshold },
	};

	if (b->tracker != t) {
		fprintf(stderr, "hvsim %s: tracker %s: hv reports tracker=%s in @mig begin\n", o->name,
			r->label, mig_tracker_name(b->tracker));
		return false;
	}
	for (unsigned i = 0; i < sizeof echo / sizeof echo[0]; i++) {
		if (echo[i].got == echo[i].want)
			continue;
		fprintf(stderr, "hvsim %s: tracker %s: hv reports %s=%llu in @mig begin, but was "
			"given %llu\n", o->name, r->label, echo[i].key, (unsigned long long)echo[i].got,
			(unsigned long long)echo[i].want);
		return false;
	}
	return true;
}

/* The exit code of one run, with one line on stderr saying why it is not 0. */
static int verdict(const struct session_opts *o, const struct mig_run *r, enum mig_tracker t, int rc)
{
	const struct mig_end *e = &r->end;

	if (rc == EXIT_USAGE || rc == EXIT_SIM_FAULT)
		return rc; /* the machine or the hooks have said why */
	if (rc == EXIT_INTERRUPTED) {
		fprintf(stderr, "hvsim %s: tracker %s: stopped from the %s before the run ended\n",
			o->name, r->label, o->gdb ? "debugger" : "view");
		return rc;
	}
	if (r->err) {
		fprintf(stderr, "hvsim %s: tracker %s: hv's statistics: %s\n", o->name, r->label, r->error);
		return EXIT_GUEST_FAIL;
	}
	if (!check_echo(o, r, t))
		return EXIT_GUEST_FAIL;
	if (e->verify == MIG_VERIFY_INCOMPLETE) {
		fprintf(stderr, "hvsim %s: tracker %s: the guest ended after %llu round(s), before the "
			"migration finished%s\n", o->name, r->label, (unsigned long long)e->rounds,
			o->cmd == SESSION_REPLAY ? " (the trace is too short for these settings: try a "
			"higher --bandwidth or a lower --migrate-after)" : "");
		return EXIT_GUEST_FAIL;
	}
	if (e->verify != MIG_VERIFY_OK || e->lost || e->result != MIG_RESULT_SUCCESS) {
		fprintf(stderr, "hvsim %s: tracker %s: verify=%s, %llu pages lost, guest result %s\n",
			o->name, r->label, mig_verify_name(e->verify), (unsigned long long)e->lost,
			mig_result_name(e->result));
		return EXIT_GUEST_FAIL;
	}
	if (rc != EXIT_OK) {
		fprintf(stderr, "hvsim %s: tracker %s: hv exited with a failure status\n", o->name, r->label);
		return EXIT_GUEST_FAIL;
	}
	return EXIT_OK;
}

/* ---- output ---- */

typedef bool (*renderer)(FILE *, const struct mig_run *const *, unsigned);

/* --json / --csv: written whatever the runs' outcome, so that failures can be studied. */
static bool write_output(const struct session_opts *o, const char *path, renderer render,
			 const struct mig_run *const *runs, unsigned n)
{
	FILE *f;
	bool ok;

	if (!path)
		return true;
	if (is_stdout(path))
		return render(stdout, runs, n) && fflush(stdout) == 0;
	if (!(f = fopen(path, "w"))) {
		fprintf(stderr, "hvsim %s: %s: cannot open for writing\n", o->name, path);
		return false;
	}
	ok = render(f, runs, n);
	if (fclose(f) || !ok) {
		fprintf(stderr, "hvsim %s: %s: write failed\n", o->name, path);
		return false;
	}
	return true;
}

/* Fail before minutes of simulation if an output cannot be created. */
static int check_writable(const struct session_opts *o, const char *path)
{
	FILE *f;

	if (!path || is_stdout(path))
		return EXIT_OK;
	if (!(f = fopen(path, "a")))
		return usage_error(o->name, "'%s': cannot open for writing", path);
	fclose(f);
	return EXIT_OK;
}

/* The table on stdout (unless --json - or --csv - has it), then the files; false if one failed. */
static bool report(const struct session_opts *o, const struct mig_run *const *runs, unsigned n)
{
	bool ok = true;

	if (!is_stdout(o->json) && !is_stdout(o->csv)) {
		fputc('\n', stdout);
		ok = mig_render_table(stdout, runs, n) && fflush(stdout) == 0;
	}
	ok = write_output(o, o->json, mig_render_json, runs, n) && ok;
	return write_output(o, o->csv, mig_render_csv, runs, n) && ok;
}

/* Where the console goes: --serial's file (with the @mig lines), else stdout if free. */
static FILE *console_file(const struct session_opts *o)
{
	if (o->serial)
		return fopen(o->serial, "w");
	return is_stdout(o->json) || is_stdout(o->csv) ? stderr : stdout;
}

static unsigned trackers(const struct session_opts *o, enum mig_tracker *list)
{
	if (!o->all) {
		list[0] = o->tracker;
		return 1;
	}
	for (unsigned t = 0; t < MIG_TRACKER_COUNT; t++)
		list[t] = (enum mig_tracker)t;
	return MIG_TRACKER_COUNT;
}

/*
 * Run every tracker (*n: how many ran; a run stopped from the view is the last); EXIT_USAGE at
 * once if the machine refuses the images, else EXIT_OK.
 */
static int run_all(const struct session_opts *o, const struct images *im, const enum mig_tracker *list,
		   unsigned *n, const struct session_hooks *hooks, struct view *view,
		   struct mig_run *runs, int *rcs, FILE *console)
{
	for (unsigned i = 0; i < *n; i++) {
		if (*n > 1 && !o->serial)
			fprintf(console, "=== hvsim %s: tracker %s ===\n", o->name, mig_tracker_name(list[i]));
		rcs[i] = migrate_once(o, im, list[i], hooks, view, &runs[i], console);
		if (rcs[i] == EXIT_USAGE) {
			for (unsigned j = 0; j <= i; j++)
				mig_run_free(&runs[j]);
			return EXIT_USAGE;
		}
		if (rcs[i] == EXIT_INTERRUPTED)
			*n = i + 1;
	}
	return EXIT_OK;
}

/* --view / --png: NULL without them; EXIT_USAGE if the window or a file cannot be had. */
static int open_view(const struct session_opts *o, struct view **view)
{
	struct view_config vc = {
		.cmd = o->name, .guest = o->guest, .window = o->view, .png = o->png,
		.screenshot = o->view_screenshot, .all = o->all,
		.guest_pages = session_guest_ram(o->mem) / MIG_PAGE_SIZE,
		.pml_entries = (unsigned)o->pml_entries,
	};

	*view = NULL;
	return o->view || o->png ? view_open(view, &vc) : EXIT_OK;
}

int session_run(const struct session_opts *o, const struct session_hooks *hooks)
{
	struct images im;
	enum mig_tracker list[MIG_TRACKER_COUNT];
	struct mig_run runs[MIG_TRACKER_COUNT];
	const struct mig_run *view[MIG_TRACKER_COUNT];
	int rcs[MIG_TRACKER_COUNT], worst = EXIT_OK, rc;

	struct view *v;

	if ((rc = find_images(o, &im)) || (rc = check_writable(o, o->json)) ||
	    (rc = check_writable(o, o->csv)) || (rc = open_view(o, &v)))
		return rc;
	FILE *console = console_file(o);
	if (!console) {
		view_close(v);
		return usage_error(o->name, "--serial '%s': cannot open for writing", o->serial);
	}
	unsigned n = trackers(o, list);
	rc = run_all(o, &im, list, &n, hooks, v, runs, rcs, console);
	if (o->serial)
		fclose(console);
	if (rc != EXIT_OK) {
		view_close(v);
		return rc;
	}
	for (unsigned i = 0; i < n; i++)
		view[i] = &runs[i];
	bool written = report(o, view, n);
	if (v) /* after the table: a window held open does not keep it back */
		written = view_finish(v, view, n) && written;
	view_close(v);
	for (unsigned i = 0; i < n; i++) {
		rc = verdict(o, &runs[i], list[i], rcs[i]);
		worst = rc > worst ? rc : worst;
		mig_run_free(&runs[i]);
	}
	return worst ? worst : written ? EXIT_OK : EXIT_USAGE;
}
