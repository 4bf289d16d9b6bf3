/*
 * Host-physical memory as the CPU model sees it, laid out as QEMU's pc machine lays out RAM
 * (hw/i386/pc.c, pc_memory_init, with its 3 GiB split): the first 3 GiB of RAM at physical 0,
 * the rest from 4 GiB up, so that the "PCI hole" [3 GiB, 4 GiB) is left to MMIO (the local APIC
 * at 0xfee00000). The host keeps RAM as one block owned by sim/: the high range sits at offset
 * PHYS_LOW_MAX in it, so only physical addresses differ from offsets.
 *
 * Every access to RAM by physical address goes through phys_host(). Paging-structure reads
 * outside RAM (the hole included) return all ones, as a read of nonexistent memory does on a
 * PC; in any paging entry that sets reserved bits, so a walk through such memory faults cleanly.
 */
#ifndef HVSIM_CPU_PHYS_H
#define HVSIM_CPU_PHYS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define PHYS_LOW_MAX 0xc0000000ull    /* RAM below the hole: at most 3 GiB */
#define PHYS_HIGH_BASE 0x100000000ull /* where the rest of RAM continues: 4 GiB */

enum phys_range_id { PHYS_LOW, PHYS_HIGH, PHYS_RANGES };

/* Guest-physical [base, base + size) is RAM, held at host address 'host'; size 0: absent. */
struct phys_range {
	uint64_t base, size;
	uint8_t *host;
};

struct phys {
	uint64_t size; /* all RAM, both ranges */
	struct phys_range range[PHYS_RANGES];
};

/* The layout of 'size' bytes of RAM held in one host block at 'host'. */
static inline struct phys phys_layout(uint8_t *host, uint64_t size)
{
	uint64_t low = size < PHYS_LOW_MAX ? size : PHYS_LOW_MAX;

	return (struct phys){
		.size = size,
		.range = {
			[PHYS_LOW] = { .base = 0, .size = low, .host = host },
			[PHYS_HIGH] = { .base = PHYS_HIGH_BASE, .size = size - low, .host = host + low },
		},
	};
}

/* Where RAM below the hole ends: the top of the range the boot code and its data live in. */
static inline uint64_t phys_low_top(const struct phys *p)
{
	return p->range[PHYS_LOW].size;
}

/*
 * The host address of guest-physical [pa, pa + len), or NULL unless the whole range lies in one
 * RAM range (ranges are not contiguous physically, so a straddling access has no single pointer).
 */
static inline uint8_t *phys_host(const struct phys *p, uint64_t pa, uint64_t len)
{
	for (unsigned i = 0; i < PHYS_RANGES; i++) {
		const struct phys_range *r = &p->range[i];
		uint64_t off = pa - r->base;
		if (pa >= r->base && off < r->size && len <= r->size - off)
			return r->host + off;
	}
	return NULL;
}

static inline bool phys_contains(const struct phys *p, uint64_t pa, uint64_t len)
{
	return phys_host(p, pa, len) != NULL;
}

static inline uint64_t phys_read64(const struct phys *p, uint64_t pa)
{
	const uint8_t *h = phys_host(p, pa, 8);
	uint64_t v;

	if (!h)
		return ~0ull;
	memcpy(&v, h, 8);
	return v;
}

static inline void phys_write64(struct phys *p, uint64_t pa, uint64_t v)
{
	uint8_t *h = phys_host(p, pa, 8);

	if (h)
		memcpy(h, &v, 8);
}

#endif
