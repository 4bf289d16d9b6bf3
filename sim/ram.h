/* Guest RAM: host memory reserved up front and committed lazily by the host kernel on first touch. */
#ifndef HVSIM_SIM_RAM_H
#define HVSIM_SIM_RAM_H

#include <stdint.h>

#define RAM_MIN (2ull << 20)
/*
 * RAM past 3 GiB continues at 4 GiB (cpu/phys.h), so the limit is not set by the PCI hole. 64 GiB
 * keeps RAM well inside boot64's 512 GiB identity map and MAXPHYADDR (46), and costs only host
 * address space until the guest touches it.
 */
#define RAM_MAX (64ull << 30)

/*
 * One host block of 'size' bytes, MAP_NORESERVE: RAM below the hole at offset 0, RAM above it at
 * offset 3 GiB (phys_layout). Untouched pages cost nothing, so --mem may exceed host memory.
 */
uint8_t *ram_alloc(uint64_t size);
void ram_free(uint8_t *ram, uint64_t size);

#endif
