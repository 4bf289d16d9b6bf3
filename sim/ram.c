#include "sim/ram.h"

#include <stddef.h>
#include <sys/mman.h>

uint8_t *ram_alloc(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void ram_free(uint8_t *ram, uint64_t size)
{
	if (ram)
		munmap(ram, size);
}
