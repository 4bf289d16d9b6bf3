#include "mem.h"

#include <stddef.h>

#define LOW_RAM_TOP (3ull << 30)
#define BOOT_DATA (64ull << 10) /* the boot GDT, page tables and command line at the top */

extern char _end[]; /* guest.ld */

static uint64_t next, top;

static uint64_t page_up(uint64_t a) { return (a + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1); }
static uint64_t page_down(uint64_t a) { return a & ~(PAGE_SIZE - 1); }

void mem_init(uint64_t ram_size, uint64_t boot_rsp)
{
	uint64_t ram_top = ram_size < LOW_RAM_TOP ? ram_size : LOW_RAM_TOP;

	next = page_up((uint64_t)_end);
	/* A boot stack below the image leaves RAM above it free, up to the boot data. */
	top = boot_rsp > next + MEM_STACK_RESERVE ? boot_rsp - MEM_STACK_RESERVE : ram_top - BOOT_DATA;
	top = page_down(top < ram_top ? top : ram_top);
	if (top < next)
		top = next;
}

void *mem_alloc_pages(uint64_t bytes)
{
	uint64_t size = page_up(bytes);

	if (size < bytes || size > top - next)
		return NULL;
	void *p = (void *)next;
	next += size;
	return p;
}

uint64_t mem_free_bytes(void)
{
	return top - next;
}
