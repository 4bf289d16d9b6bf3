/* The simulated PC: one CPU, RAM, and the small platform bare-metal test kernels expect. */
#ifndef HVSIM_SIM_MACHINE_H
#define HVSIM_SIM_MACHINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu/cpu.h"
#include "sim/loader.h"
#include "sim/platform.h"
#include "vmx/vmx.h"

enum exit_style { EXIT_STYLE_NATIVE, EXIT_STYLE_QEMU };

struct machine_config {
	uint64_t ram_size;
	const char *image;
	const char *cmdline;
	const char *modules[MB_MODULES_MAX]; /* Multiboot boot modules, "FILE ARGS", in order */
	unsigned module_count;
	const char *serial_path; /* NULL: stdout */
	const char *profile;
	unsigned log;            /* enum cpu_log */
	uint64_t max_insns;      /* 0: unlimited */
	enum exit_style exit_style;
};

struct machine;

/*
 * Something that looks at a machine while it runs (sim/view): called every 'period' instructions
 * of virtual time, at an exact instruction boundary, so that looking never changes what the run
 * computes. It may block (a paused view: virtual time stands still). Returning false stops the
 * run: machine_run then returns EXIT_INTERRUPTED.
 */
struct machine_observer {
	void *ctx;
	uint64_t period;
	bool (*tick)(void *ctx, struct machine *m);
};

struct machine {
	struct machine_config cfg;
	const struct machine_observer *observer; /* NULL: none */
	struct cpu cpu;
	struct vmx vmx;
	uint8_t *ram;
	struct platform platform;
	FILE *serial;
};

/* Returns an hvsim exit code (sim/exitcode.h); on a setup error, prints it. */
int machine_create(struct machine *m, const struct machine_config *cfg);
int machine_boot(struct machine *m);
int machine_run(struct machine *m);
/* The exit code for how cpu_run stopped (the report of a fault goes to stderr). */
int machine_exit_code(struct machine *m, enum cpu_stop stop);
void machine_destroy(struct machine *m);

#endif
