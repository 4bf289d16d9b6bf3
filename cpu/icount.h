/*
 * Virtual time is retired guest instructions, counted per translated block: the block hook adds
 * the block's instruction count, decoded once with Capstone and cached by (address, size).
 */
#ifndef HVSIM_CPU_ICOUNT_H
#define HVSIM_CPU_ICOUNT_H

#include <stdint.h>

struct cpu;
struct icount_cache;

struct icount_cache *icount_new(void);
void icount_free(struct icount_cache *c);
unsigned icount_block(struct cpu *cpu, uint64_t pc, uint32_t size);

#endif
