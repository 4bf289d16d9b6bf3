/*
 * The small PC platform of QEMU's pc machine that bare-metal test kernels expect: COM1, the
 * debug-exit port, fw_cfg, the 8259 pair and a local xAPIC, with port and MMIO decoding as tables.
 */
#ifndef HVSIM_SIM_PLATFORM_H
#define HVSIM_SIM_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/fwcfg.h"
#include "sim/lapic.h"
#include "sim/pic.h"
#include "sim/uart.h"

struct cpu;

#define DEBUG_EXIT_PORT 0xf4

struct platform {
	struct cpu *cpu;
	struct uart com1;
	struct fwcfg fwcfg;
	struct pic pic;
	struct lapic lapic;
	bool exited;
	uint32_t exit_value;
};

/* Attach devices to the CPU: port I/O, the APIC's MMIO page, interrupts and timers. */
bool platform_init(struct platform *p, struct cpu *cpu, FILE *serial, uint64_t ram_size);

#endif
