/*
 * Guest RAM that nothing else uses: from the end of the image (guest.ld's _end) up to a reserve
 * below the boot stack, page-aligned, below 3 GiB (README "Booting": the boot stack and boot data
 * sit at the top of RAM below the PCI hole). Handed out page by page, never given back, not zeroed.
 */
#ifndef WORKLOAD_MEM_H
#define WORKLOAD_MEM_H

#include <stdint.h>

#define PAGE_SIZE 4096ull
#define PAGE_SHIFT 12
#define MEM_STACK_RESERVE (1ull << 20) /* below the boot RSP, for the stack */

/* The runtime calls this at entry with RAM size and the boot RSP. */
void mem_init(uint64_t ram_size, uint64_t boot_rsp);
/* 'bytes' rounded up to whole pages, page-aligned; NULL if that much is not left. */
void *mem_alloc_pages(uint64_t bytes);
/* Bytes left for mem_alloc_pages. */
uint64_t mem_free_bytes(void);

#endif
