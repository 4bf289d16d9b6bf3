/*
 * Host-physical memory as the CPU model sees it: one contiguous RAM block owned by sim/.
 * Paging-structure reads outside RAM return all ones, as a read of nonexistent memory does on a
 * PC; in any paging entry that sets reserved bits, so a walk through such memory faults cleanly.
 */
#ifndef HVSIM_CPU_PHYS_H
#define HVSIM_CPU_PHYS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct phys {
	uint8_t *ram;
	uint64_t size;
};

static inline bool phys_contains(const struct phys *p, uint64_t pa, uint64_t len)
{
	return pa < p->size && len <= p->size - pa;
}

static inline uint64_t phys_read64(const struct phys *p, uint64_t pa)
{
	uint64_t v;
	if (!phys_contains(p, pa, 8))
		return ~0ull;
	memcpy(&v, p->ram + pa, 8);
	return v;
}

static inline void phys_write64(struct phys *p, uint64_t pa, uint64_t v)
{
	if (phys_contains(p, pa, 8))
		memcpy(p->ram + pa, &v, 8);
}

#endif
