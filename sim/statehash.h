/* A hash of the architectural state (registers + all of RAM) for determinism checks. */
#ifndef HVSIM_SIM_STATEHASH_H
#define HVSIM_SIM_STATEHASH_H

#include <stdint.h>

struct cpu;
uint64_t state_hash(struct cpu *cpu);

#endif
