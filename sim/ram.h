/* Guest RAM: host memory reserved up front and committed lazily by the host kernel on first touch. */
#ifndef HVSIM_SIM_RAM_H
#define HVSIM_SIM_RAM_H

#include <stdint.h>

#define RAM_MIN (2ull << 20)
/*
 * RAM is one block at guest-physical 0 for now, so it must end below the local APIC page at
 * 0xfee00000; larger guests need the PC's PCI hole (RAM above 3 GiB moved to 4 GiB and up).
 */
#define RAM_MAX (3ull << 30)

uint8_t *ram_alloc(uint64_t size);
void ram_free(uint8_t *ram, uint64_t size);

#endif
