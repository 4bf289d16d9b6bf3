/*
 * Guest memory: 'npages' 4K pages, guest page n held by host frame frames[n] (a PV guest's pages
 * are its virtual pages, a VMX guest's its physical pages). Nothing here checks who may access
 * what: that is uaccess.h's job.
 */
#ifndef HV_GMEM_H
#define HV_GMEM_H

#include "hv.h"

struct gmem {
	uint64_t npages;
	uint64_t *frames;
};

bool gmem_alloc(struct gmem *m, uint64_t bytes);
void gmem_free(struct gmem *m);
static inline void *gmem_page(const struct gmem *m, uint64_t pfn) { return phys_to_virt(m->frames[pfn]); }
/* Write (src) or zero-fill (src == NULL) guest bytes [addr, addr + n), which must be in range. */
void gmem_write(const struct gmem *m, uint64_t addr, const void *src, uint64_t n);

/* Load an identity-linked ELF64 executable (p_vaddr == p_paddr) into m; false with *why if bad. */
bool elf_load(const struct gmem *m, const void *img, uint64_t len, uint64_t *entry, const char **why);

/*
 * The guest's boot area: the top 64 KiB of its RAM, as hvsim lays it out for an ELF64 image
 * (README "Booting"): a GDT at +0, PML4 at +0x1000, PDPT at +0x2000, the command line at
 * +0x3000; the stack grows down from its base.
 */
#define GUEST_BOOT_AREA 0x10000ull
#define GUEST_BOOT_GDT 0x0000
#define GUEST_BOOT_PML4 0x1000
#define GUEST_BOOT_PDPT 0x2000
#define GUEST_BOOT_CMDLINE 0x3000
static inline uint64_t guest_boot_base(const struct gmem *m) { return (m->npages << PAGE_SHIFT) - GUEST_BOOT_AREA; }
void guest_boot_cmdline(const struct gmem *m, const char *cmdline);

#endif
