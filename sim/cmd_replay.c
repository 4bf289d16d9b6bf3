/*
 * hvsim replay: a migration session whose guest is a trace (sim/trace/replay.h). The trace is
 * read once before anything boots, so a bad header or trailer is an input error (exit 2) at
 * once; damage further in is found while replaying, and is exit 2 as well.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sim/cli.h"
#include "sim/exitcode.h"
#include "sim/progress.h"
#include "sim/session.h"
#include "sim/trace/replay.h"

struct replay_ctx {
	const struct session_opts *o;
	struct trace_reader *rd; /* open: the one read before booting, for the first run */
	struct replayer rp;
	struct progress progress;
	uint64_t wall0;
};

static uint64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int input_error(const char *msg)
{
	fprintf(stderr, "hvsim replay: %s\n", msg);
	return EXIT_USAGE;
}

static int attach(void *opaque, struct machine *m, enum mig_tracker t)
{
	struct replay_ctx *c = opaque;
	struct trace_totals totals = { 0 };
	char err[320];
	(void)t;

	if (!c->rd && !(c->rd = trace_open(c->o->trace, err, sizeof err)))
		return input_error(err);
	trace_reader_totals(c->rd, &totals);
	progress_start(&c->progress, stderr, "replay", totals.events);
	if (!replayer_start(&c->rp, &m->cpu, c->rd, &c->progress, c->o->stats)) {
		progress_end(&c->progress);
		trace_close(c->rd);
		c->rd = NULL;
		return input_error(c->rp.error);
	}
	c->wall0 = wall_ns();
	return EXIT_OK;
}

static void print_stats(const struct replay_ctx *c)
{
	double wall = (double)(wall_ns() - c->wall0), engine = (double)c->rp.stats.host_ns;

	fprintf(stderr, "replay stats: %llu events in %.3f s host time: %.2f M events/s; host time in "
		"the trace engine %.1f%%, in hv and VM entries/exits %.1f%%\n",
		(unsigned long long)c->rp.stats.events, wall / 1e9, c->rp.stats.events / wall * 1e3,
		100 * engine / wall, 100 * (wall - engine) / wall);
}

static int detach(void *opaque, struct machine *m, int rc, FILE *notes)
{
	struct replay_ctx *c = opaque;

	progress_end(&c->progress);
	replayer_finish(&c->rp, &m->cpu);
	if (c->rp.failed)
		rc = input_error(c->rp.error);
	else
		fprintf(notes, "replay: %llu events, %llu translated, %llu VM exits caused, guest time "
			"%llu\n", (unsigned long long)c->rp.stats.events,
			(unsigned long long)c->rp.stats.walks, (unsigned long long)c->rp.stats.exits,
			(unsigned long long)cpu_guest_time(&m->cpu));
	if (c->o->stats)
		print_stats(c);
	trace_close(c->rd);
	c->rd = NULL;
	return rc;
}

/* Read the header before anything boots: the guest gets the trace's RAM. */
static int open_trace(struct session_opts *o, struct replay_ctx *c)
{
	char err[320];

	if (!strcmp(o->trace, "-") && o->all)
		return usage_error("replay", "a trace on standard input can be replayed once: give a file "
				   "for --tracker all");
	if (!(c->rd = trace_open(o->trace, err, sizeof err)))
		return input_error(err);
	uint64_t ram = trace_reader_header(c->rd)->guest_ram;
	o->mem = session_guest_ram(ram);
	if (o->mem > SESSION_GUEST_MEM_MAX) {
		trace_close(c->rd);
		snprintf(err, sizeof err, "%s: the trace's guest RAM (%llu bytes) is more than hvsim "
			 "replay can give a guest (%lluM)", o->trace, (unsigned long long)ram,
			 (unsigned long long)(SESSION_GUEST_MEM_MAX >> 20));
		return input_error(err);
	}
	o->guest = "replay";
	return EXIT_OK;
}

int cmd_replay(int argc, char **argv)
{
	struct session_opts o = { .cmd = SESSION_REPLAY, .name = "replay" };
	struct replay_ctx ctx = { .o = &o };
	struct session_hooks hooks = { .ctx = &ctx, .attach = attach, .detach = detach };
	int rc = session_parse(argc, argv, &o);

	if (rc != SESSION_ARGS_RUN)
		return rc;
	if ((rc = open_trace(&o, &ctx)) != EXIT_OK)
		return rc;
	rc = session_run(&o, &hooks);
	if (ctx.rd)
		trace_close(ctx.rd);
	return rc;
}
