/*
 * hvsim debug, and hvsim run --gdb: one image booted as `hvsim run` boots it, under the
 * debugging engine (sim/debug/engine.h), driven by the built-in debugger or by gdb.
 */
#include <stdlib.h>
#include <string.h>

#include "sim/cli.h"
#include "sim/debug/cli.h"
#include "sim/debug/gdbstub.h"
#include "sim/exitcode.h"
#include "sim/run_opts.h"

/*
 * The machine the engine builds, and rebuilds to run it again. COM1's file is opened once:
 * a rebuilt machine would truncate it, and the engine mutes what it has already written.
 */
struct run_target {
	struct machine_config cfg;
	FILE *serial; /* --serial's file, or NULL: stdout */
	FILE *log;
	void (*setup)(void *ctx, struct machine *m);
	void *setup_ctx;
};

static int target_build(void *ctx, struct machine *m)
{
	struct run_target *rt = ctx;
	int rc = machine_create(m, &rt->cfg);

	if (rc == EXIT_OK) {
		m->cpu.cfg.log_file = rt->log;
		if (rt->serial)
			m->serial = m->platform.com1.out = rt->serial;
		if (rt->setup)
			rt->setup(rt->setup_ctx, m);
		rc = machine_boot(m);
	}
	if (rc != EXIT_OK) {
		m->serial = stdout;
		machine_destroy(m);
	}
	return rc;
}

static void target_destroy(void *ctx, struct machine *m)
{
	(void)ctx;
	fflush(m->serial);
	m->serial = stdout; /* the target's file stays open for the next build */
	machine_destroy(m);
}

/* Symbols of IMAGE and of each module ("FILE ARGS"), named by their file's base name. */
static void load_symbols(struct symtab *syms, const struct machine_config *cfg)
{
	char err[200], path[4096];

	for (unsigned i = 0; i <= cfg->module_count; i++) {
		const char *spec = i ? cfg->modules[i - 1] : cfg->image;
		size_t n = strcspn(spec, " \t");
		if (n >= sizeof path)
			continue;
		memcpy(path, spec, n);
		path[n] = 0;
		const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		char image[64];
		snprintf(image, sizeof image, "%.*s", (int)strcspn(base, "."), base);
		if (!symtab_load_elf(syms, path, i ? image : "hv", err, sizeof err))
			fprintf(stderr, "hvsim: no symbols from %s: %s\n", path, err);
	}
}

int debug_machine(const struct machine_config *cfg, FILE *log,
		  void (*setup)(void *ctx, struct machine *m), void *ctx, const struct debug_how *how)
{
	struct run_target rt = { .cfg = *cfg, .log = log, .setup = setup, .setup_ctx = ctx };
	struct dbg_target t = { .ctx = &rt, .build = target_build, .destroy = target_destroy,
				.reversible = true };
	struct dbg_session s = { 0 };
	int rc;

	if (cfg->serial_path) {
		if (!(rt.serial = fopen(cfg->serial_path, "w"))) {
			fprintf(stderr, "hvsim: %s: cannot open for writing\n", cfg->serial_path);
			return EXIT_USAGE;
		}
		rt.cfg.serial_path = NULL;
	}
	if (!(s.syms = symtab_new())) {
		rc = EXIT_SIM_FAULT;
		goto out;
	}
	load_symbols(s.syms, cfg);
	rc = dbg_open(&s.dbg, &t);
	if (rc != EXIT_OK)
		goto out;
	if (how->gdb)
		rc = gdbstub_run(&s, &(struct gdbstub_opts){ .where = how->gdb, .wait = how->wait });
	else
		rc = dbg_cli_main(&s, how->script, how->batch, stdout);
	dbg_close(s.dbg);
out:
	symtab_free(s.syms);
	if (rt.serial)
		fclose(rt.serial);
	return rc;
}

int cmd_debug(int argc, char **argv)
{
	struct run_opts o;
	FILE *logf;
	int rc = run_parse(RUN_CMD_DEBUG, argc, argv, &o);

	if (rc != RUN_ARGS_GO)
		return rc;
	if (!run_open_log("debug", &o, &logf))
		return EXIT_USAGE;
	rc = debug_machine(&o.cfg, logf, NULL, NULL,
			   &(struct debug_how){ .script = o.script, .batch = o.batch });
	if (logf)
		fclose(logf);
	return rc;
}
