/*
 * One page walker for every 4-level radix table the CPU walks: IA-32e paging and EPT.
 * The formats differ only in which bits mean what; that is data (struct pt_format), and the
 * walk, the reserved-bit checks and the accessed/dirty updates are written once.
 * SDM Vol. 3: 4.5 "4-Level Paging" and 29.3.2 "EPT Translation Mechanism".
 */
#ifndef HVSIM_CPU_PAGEWALK_H
#define HVSIM_CPU_PAGEWALK_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/phys.h"

#define PT_LEVELS 4

struct pt_format {
	const char *name;
	uint64_t present;       /* entry is present if any of these bits is set */
	uint64_t large;         /* PS: maps a page at levels 2 and 3 */
	uint64_t accessed;      /* 0 if the format has no A flag (EPT without A/D) */
	uint64_t dirty;
	uint64_t rsvd[PT_LEVELS + 1];       /* reserved bits of a non-leaf entry, by level */
	uint64_t rsvd_large[PT_LEVELS + 1]; /* reserved bits of a PS=1 entry, by level */
	bool large_ok[PT_LEVELS + 1];       /* levels where PS=1 maps a page */
	/*
	 * Reserved values of bits 5:0 of a present entry, at every level: bit n set means an entry
	 * whose bits 5:0 equal n is reserved. EPT uses it for the bit combinations that are
	 * misconfigurations rather than single reserved bits (SDM 29.3.3.1: write-only and
	 * write/execute permissions, execute-only where unsupported, memory types 2, 3 and 7).
	 * 0 in formats without such values.
	 */
	uint64_t rsvd_low6;
};

/*
 * Writes to paging-structure entries go through here, so a caller can observe them
 * (EPT A/D flags set by a guest-physical access are logged for PML by vmx/).
 * 'pa' is the address the entry was read from.
 */
struct pt_mem {
	struct phys *phys;
	/* Translate the address of a paging-structure entry before it is read; NULL: identity. */
	bool (*translate)(void *opaque, uint64_t addr, bool write, uint64_t *pa);
	void *opaque;
};

enum pt_status {
	PT_OK,
	PT_NOT_PRESENT,
	PT_RESERVED,
	PT_TRANSLATE_FAILED, /* mem->translate refused (an EPT fault while walking guest tables) */
};

struct pt_walk {
	enum pt_status status;
	int fault_level;              /* level at which the walk stopped */
	int leaf_level;               /* 1: 4K page, 2: 2M, 3: 1G */
	uint64_t entry[PT_LEVELS + 1]; /* entry[level], as read */
	uint64_t entry_addr[PT_LEVELS + 1]; /* its address in the table, before mem->translate */
	uint64_t entry_pa[PT_LEVELS + 1];
	uint64_t pa;                  /* translated address (valid when PT_OK) */
	uint64_t page_mask;           /* offset bits of the mapped page */
};

/* Walk 'root' (a 4K-aligned table address) for 'addr'. No entry is modified. */
void pt_walk(const struct pt_format *fmt, struct pt_mem *mem, uint64_t root, uint64_t addr,
	     struct pt_walk *w);

/* What pt_set_accessed_dirty(fmt, mem, w, dirty) would change (a walk that reached its leaf). */
enum { PT_AD_ACCESSED = 1, PT_AD_DIRTY = 2 }; /* some A flag is clear; the leaf's D is clear */
unsigned pt_accessed_dirty_pending(const struct pt_format *fmt, const struct pt_walk *w, bool dirty);

/*
 * Set the A flag on every entry used and, if 'dirty', the D flag on the leaf (SDM 4.8, 29.3.5).
 * Each entry about to change is translated again, for a write: the CPU's updates of these flags
 * in guest paging structures are data writes for EPT (29.3.3.2). Returns false where that
 * translation refuses (entries above it keep the flags already set).
 */
bool pt_set_accessed_dirty(const struct pt_format *fmt, struct pt_mem *mem, struct pt_walk *w,
			   bool dirty);

/* Bits 51:maxphyaddr, the address bits beyond the CPU's physical-address width. */
static inline uint64_t pt_maxphy_rsvd(unsigned maxphyaddr)
{
	return ((1ull << 52) - 1) & ~((1ull << maxphyaddr) - 1);
}

#define PT_ADDR_MASK 0x000ffffffffff000ull

#endif
