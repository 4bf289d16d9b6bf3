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

struct machine {
	struct machine_config cfg;
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
void machine_destroy(struct machine *m);

#endif
