/*
 * hvsim record: a migration session with a trace recorder on the guest (sim/trace/record.h).
 * The trace's header says where it came from: the workload, its options and the session's.
 */
#include <stdio.h>
#include <string.h>

#include "sim/cli.h"
#include "sim/exitcode.h"
#include "sim/session.h"
#include "sim/trace/record.h"

struct record_ctx {
	const struct session_opts *o;
	struct recorder rec;
};

/* The header's source text: printable ASCII only (the format says so), whatever the options held. */
static void describe(const struct session_opts *o, enum mig_tracker t, char *out, size_t n)
{
	snprintf(out, n, "hvsim record --guest %s --guest-args \"%s\" --tracker %s --mem %llu "
		 "--bandwidth %llu --max-rounds %llu --threshold %llu --pml-entries %llu "
		 "--migrate-after %llu --quantum %llu", o->guest, o->guest_args, mig_tracker_name(t),
		 (unsigned long long)o->mem, (unsigned long long)o->bandwidth,
		 (unsigned long long)o->max_rounds, (unsigned long long)o->threshold,
		 (unsigned long long)o->pml_entries, (unsigned long long)o->migrate_after,
		 (unsigned long long)o->quantum);
	for (char *p = out; *p; p++)
		if (!trace_source_char(*p))
			*p = '?';
}

static int attach(void *opaque, struct machine *m, enum mig_tracker t)
{
	struct record_ctx *c = opaque;
	struct trace_header h = { .page_size = TRACE_PAGE_SIZE, .vcpus = 1,
				  .guest_ram = session_guest_ram(c->o->mem), .quantum = c->o->quantum };
	char err[320];

	describe(c->o, t, h.source, sizeof h.source);
	if (!recorder_start(&c->rec, &m->cpu, c->o->output, &h, err, sizeof err)) {
		fprintf(stderr, "hvsim record: %s\n", err);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static int detach(void *opaque, struct machine *m, int rc, FILE *notes)
{
	struct record_ctx *c = opaque;
	char err[320];

	if (!recorder_finish(&c->rec, &m->cpu, err, sizeof err)) {
		fprintf(stderr, "hvsim record: %s\n", err);
		return EXIT_USAGE;
	}
	fprintf(notes, "record: %llu events in %llu guest instructions -> %s\n",
		(unsigned long long)c->rec.events, (unsigned long long)cpu_guest_time(&m->cpu),
		c->o->output);
	if (c->rec.outside) /* hv ends such a guest (EPT violation), so this should stay 0 */
		fprintf(notes, "record: %llu accesses beyond guest RAM are not in the trace\n",
			(unsigned long long)c->rec.outside);
	return rc;
}

int cmd_record(int argc, char **argv)
{
	struct session_opts o = { .cmd = SESSION_RECORD, .name = "record" };
	int rc = session_parse(argc, argv, &o);
	struct record_ctx ctx = { .o = &o };
	struct session_hooks hooks = { .ctx = &ctx, .attach = attach, .detach = detach };

	return rc == SESSION_ARGS_RUN ? session_run(&o, &hooks) : rc;
}
