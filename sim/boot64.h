/*
 * The documented initial state for ELF64 images (README "Booting"): 64-bit mode at CPL 0 with an
 * identity map built by hvsim in a reserved area at the top of RAM below the PCI hole.
 */
#ifndef HVSIM_SIM_BOOT64_H
#define HVSIM_SIM_BOOT64_H

#include <stdint.h>

struct cpu;
struct phys;

/*
 * The top BOOT64_RESERVED bytes of RAM below the PCI hole (below 3 GiB) hold the boot GDT, page
 * tables and command line; boot64_area gives their physical base, where RSP starts.
 */
#define BOOT64_RESERVED 0x10000ull

uint64_t boot64_area(const struct phys *p);
void boot64_setup(struct cpu *cpu, uint64_t entry, const char *cmdline);

#endif
