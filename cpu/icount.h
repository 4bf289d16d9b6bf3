/*
 * Virtual time is retired guest instructions, counted per translated block: the block hook adds
 * the block's instruction count, decoded once with Capstone and cached by (address, size).
 */
#ifndef HVSIM_CPU_ICOUNT_H
#define HVSIM_CPU_ICOUNT_H

#include <stdint.h>

struct cpu;
struct icount_cache;

#define ICACHE_SLOTS 65536u

struct icount_slot {
	uint64_t pc;
	uint32_t size;
	uint32_t count; /* 0: empty */
};

struct icount_cache *icount_new(void);
void icount_free(struct icount_cache *c);
/* The slot table inside 'c' (its first member), for the inline fast path. */
static inline struct icount_slot *icount_slots(struct icount_cache *c)
{
	return (struct icount_slot *)c;
}

/* Decode and cache a block's count (the slow path of icount_lookup). */
unsigned icount_block(struct cpu *cpu, uint64_t pc, uint32_t size);

/* Length of the instruction at 'rip' in the current code size (0 if it cannot be decoded). */
unsigned icount_insn_length(struct cpu *cpu, uint64_t rip);

/* Instructions of straight-line code from 'pc' that lie before 'rip' (a block that ended early). */
unsigned icount_before(struct cpu *cpu, uint64_t pc, uint64_t rip);
/* The address 'n' instructions of straight-line code after 'rip', or 0 if they cannot be decoded. */
uint64_t icount_skip(struct cpu *cpu, uint64_t rip, uint64_t n);

/* The block's count if the table knows it, else 0: one probe, no call. */
static inline unsigned icount_probe(struct icount_cache *c, uint64_t pc, uint32_t size)
{
	const struct icount_slot *s = &icount_slots(c)[(pc ^ (pc >> 16) ^ size) & (ICACHE_SLOTS - 1)];
	return s->pc == pc && s->size == size ? s->count : 0;
}

/* Runs once per executed block: a hit is one table probe (measured by `make bench`). */
static inline unsigned icount_lookup(struct cpu *cpu, struct icount_cache *c, uint64_t pc,
				     uint32_t size)
{
	unsigned n = icount_probe(c, pc, size);
	return __builtin_expect(n != 0, 1) ? n : icount_block(cpu, pc, size);
}

#endif
