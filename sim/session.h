/*
 * A migration session: boot hv with one guest per tracker, let hv live-migrate it, and report
 * hv's "@mig" statistics (sim/migstat.h) as a table, JSON or CSV. `hvsim migrate`, `hvsim
 * record` (the same, with a trace recorder on the guest) and `hvsim replay` (a trace stands in
 * for the guest) are sessions that differ in their options and in what they attach to the
 * machine before it boots.
 */
#ifndef HVSIM_SIM_SESSION_H
#define HVSIM_SIM_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/machine.h"
#include "sim/migstat.h"
#include "sim/ram.h"

#define SESSION_DEFAULT_GUEST_MEM (32ull << 20)
#define SESSION_DEFAULT_MAX_ROUNDS 5  /* Xen's live-migration defaults (libxc's save loop) */
#define SESSION_DEFAULT_THRESHOLD 50
#define SESSION_DEFAULT_PML_ENTRIES 512 /* the whole log (SDM Vol. 3, 29.3.6) */
#define SESSION_DEFAULT_MIGRATE_AFTER 1000000 /* guest instructions, as hv's own default */
#define SESSION_DEFAULT_QUANTUM 1000 /* guest instructions per trace quantum (hvsim record) */
/* hv gives a guest its RAM in whole 2M pages (hv/README.md, guest_mem): what a guest really has. */
#define SESSION_GUEST_ALIGN (2ull << 20)
static inline uint64_t session_guest_ram(uint64_t mem)
{
	return (mem + SESSION_GUEST_ALIGN - 1) & ~(SESSION_GUEST_ALIGN - 1);
}
/* Machine RAM = hv's own share (code, page tables, migration buffers) + two guest copies. */
#define SESSION_HV_RESERVE (64ull << 20)
#define SESSION_GUEST_MEM_MAX ((RAM_MAX - SESSION_HV_RESERVE) / 2)

enum session_cmd { SESSION_MIGRATE, SESSION_RECORD, SESSION_REPLAY };

struct session_opts {
	enum session_cmd cmd;
	const char *name; /* "migrate", "record", "replay": for messages */
	const char *guest, *guest_args, *hv, *workloads, *json, *csv, *serial;
	uint64_t mem, bandwidth, max_rounds, threshold, pml_entries, migrate_after;
	bool all;                  /* --tracker all: pml, wp and scan, one after another */
	enum mig_tracker tracker;  /* otherwise this one */
	struct machine_config mc;  /* --cpu, --log, --max-insns */
	/* record */
	const char *output;
	uint64_t quantum;
	bool no_migrate;
	/* replay */
	const char *trace;
	bool stats;
	/* migrate and replay: seeing it (sim/view/view.h) */
	bool view;
	const char *png, *view_screenshot;
	/* migrate: debugging hv and the guest with gdb (sim/debug/gdbstub.h) */
	const char *gdb;
	bool wait;
};

/*
 * What a command attaches to each run's machine: 'attach' after the machine is created and
 * before it boots, 'detach' after it ran (before it is destroyed), which may turn the run's exit
 * code into another (an input error found while running is EXIT_USAGE) and may print a note
 * about the run on 'notes' (stdout, or stderr when stdout carries --json - or --csv -).
 */
struct session_hooks {
	void *ctx;
	int (*attach)(void *ctx, struct machine *m, enum mig_tracker t);
	int (*detach)(void *ctx, struct machine *m, int rc, FILE *notes);
};

/* Parse argv for o->cmd (set cmd and name first); returns SESSION_ARGS_RUN or an exit code. */
#define SESSION_ARGS_RUN (-1)
int session_parse(int argc, char **argv, struct session_opts *o);

/* Run every tracker, report, and return the exit code (README "hvsim migrate"). */
int session_run(const struct session_opts *o, const struct session_hooks *hooks);

#endif
