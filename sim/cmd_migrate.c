/*
 * hvsim migrate: boot hv with a workload guest as a Multiboot module, let hv live-migrate the
 * guest with the chosen dirty-page tracker, and report the statistics hv prints on COM1
 * (sim/migstat.h) as a table, JSON or CSV. README "hvsim migrate" documents the output.
 */
#include "sim/cli.h"
#include "sim/session.h"

int cmd_migrate(int argc, char **argv)
{
	struct session_opts o = { .cmd = SESSION_MIGRATE, .name = "migrate" };
	int rc = session_parse(argc, argv, &o);

	return rc == SESSION_ARGS_RUN ? session_run(&o, NULL) : rc;
}
