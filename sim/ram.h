/* Guest RAM: host memory reserved up front and committed lazily by the host kernel on first touch. */
#ifndef HVSIM_SIM_RAM_H
#define HVSIM_SIM_RAM_H

#include <stdint.h>

#define RAM_MIN (2ull << 20)
#define RAM_MAX (64ull << 30)

uint8_t *ram_alloc(uint64_t size);
void ram_free(uint8_t *ram, uint64_t size);

#endif
