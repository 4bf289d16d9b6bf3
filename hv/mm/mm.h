/* Physical pages and page tables. */
#ifndef HV_MM_H
#define HV_MM_H

#include "hv.h"
#include "platform.h"

#define HV_MAX_PHYS ((uint64_t)16 << 30) /* RAM hv manages; the rest is ignored (and said so) */

/* The allocator: every free page listed by the boot memory map, minus hv, modules, low 1 MiB. */
void page_alloc_init(const struct boot_params *bp);
uint64_t page_alloc(void); /* a zeroed page's physical address, or 0 when none is left */
uint64_t pages_alloc_contig(uint64_t n); /* n contiguous zeroed pages, or 0 */
void page_free(uint64_t pa);
uint64_t pages_free(void);

/*
 * Page tables (4-level, SDM Vol. 3, 4.5). hv's own mappings live in PML4 slots 256..511 and are
 * shared by every address space; slots 0..255 belong to a PV guest.
 */
void paging_init(const struct boot_params *bp);
uint64_t paging_hv_root(void); /* physical address of hv's PML4 */
/* Map one 4K page in the address space rooted at 'root'; false if a table cannot be allocated. */
bool pt_map(uint64_t root, uint64_t va, uint64_t pa, uint64_t flags);
/*
 * The leaf entry that maps 'va' with the rights of the whole walk folded in (U/S and R/W are
 * the AND of all levels, NX the OR: SDM Vol. 3, 4.6.1); 0 if not present.
 */
uint64_t pt_lookup(uint64_t root, uint64_t va);
/* A new address space with hv's half copied in. */
uint64_t pt_new_space(void);

#endif
