/*
 * What hv needs from the machine, behind one small interface (STYLE.md: "The hypervisor core stays
 * portable"). platform_pc.c implements it for a PC: a 16550 UART on COM1 and the debug-exit port
 * (QEMU's isa-debug-exit, hvsim's port 0xf4) to end a run; boot/multiboot.c reads the memory map
 * and modules the boot loader hands over.
 */
#ifndef HV_PLATFORM_H
#define HV_PLATFORM_H

#include "hv.h"

/* The PC's ports hv drives itself and emulates for VMX guests. */
#define PC_COM1 0x3f8
#define PC_COM1_LSR (PC_COM1 + 5)
#define PC_DEBUG_EXIT_PORT 0xf4

#define BOOT_MAX_REGIONS 32
#define BOOT_MAX_MODULES 8

struct boot_region {
	uint64_t base, len; /* available RAM */
};

struct boot_module {
	uint64_t start, end; /* physical [start, end) */
	char cmdline[256];   /* "path args..." as the boot loader gives it */
};

struct boot_params {
	char cmdline[512];
	struct boot_region ram[BOOT_MAX_REGIONS];
	unsigned nram;
	struct boot_module mod[BOOT_MAX_MODULES];
	unsigned nmod;
};

/* Parse the boot loader's information (Multiboot v1); false if the magic is not one we know. */
bool boot_params_read(uint32_t magic, uint32_t info_pa, struct boot_params *bp);

void platform_console_init(void);
void platform_console_putc(char c);
/* End the run: 0 success, else failure (QEMU turns v into exit status (v << 1) | 1). */
__attribute__((noreturn)) void platform_exit(unsigned code);

#endif
