/*
 * Multiboot (v1) boot information, read by offset from the specification (Multiboot 0.6.96,
 * 3.3): command line, memory map and modules. Everything is copied out, so that the allocator
 * may reuse the loader's memory afterwards.
 */
#include "platform.h"

#define MB1_BOOTLOADER_MAGIC 0x2badb002u
#define MB1_INFO_MEM (1u << 0)
#define MB1_INFO_CMDLINE (1u << 2)
#define MB1_INFO_MODS (1u << 3)
#define MB1_INFO_MMAP (1u << 6)
#define MB_MEMORY_AVAILABLE 1u

static uint32_t rd32(uint64_t pa) { return *(const volatile uint32_t *)phys_to_virt(pa); }
static uint64_t rd64(uint64_t pa) { return rd32(pa) | (uint64_t)rd32(pa + 4) << 32; }

static void copy_string(char *out, size_t size, uint32_t pa)
{
	const char *s = phys_to_virt(pa);
	size_t i = 0;
	for (; pa && s[i] && i + 1 < size; i++)
		out[i] = s[i];
	out[i] = 0;
}

static void read_mmap(uint32_t addr, uint32_t len, struct boot_params *bp)
{
	/* 3.3: entries are {size, base_addr, length, type}; 'size' excludes itself. */
	for (uint64_t p = addr; p + 24 <= (uint64_t)addr + len; p += rd32(p) + 4) {
		if (rd32(p + 20) != MB_MEMORY_AVAILABLE || bp->nram == BOOT_MAX_REGIONS)
			continue;
		bp->ram[bp->nram++] = (struct boot_region){ rd64(p + 4), rd64(p + 12) };
	}
}

static void read_modules(uint32_t addr, uint32_t count, struct boot_params *bp)
{
	for (uint32_t i = 0; i < count && bp->nmod < BOOT_MAX_MODULES; i++) {
		uint64_t m = (uint64_t)addr + 16 * i; /* {mod_start, mod_end, string, reserved} */
		struct boot_module *mod = &bp->mod[bp->nmod++];
		mod->start = rd32(m);
		mod->end = rd32(m + 4);
		copy_string(mod->cmdline, sizeof mod->cmdline, rd32(m + 8));
	}
}

bool boot_params_read(uint32_t magic, uint32_t info, struct boot_params *bp)
{
	memset(bp, 0, sizeof *bp);
	if (magic != MB1_BOOTLOADER_MAGIC)
		return false;
	uint32_t flags = rd32(info);
	if (flags & MB1_INFO_CMDLINE)
		copy_string(bp->cmdline, sizeof bp->cmdline, rd32(info + 16));
	if (flags & MB1_INFO_MODS)
		read_modules(rd32(info + 24), rd32(info + 20), bp);
	if (flags & MB1_INFO_MMAP)
		read_mmap(rd32(info + 48), rd32(info + 44), bp);
	else if (flags & MB1_INFO_MEM) /* mem_upper KiB from 1 MiB */
		bp->ram[bp->nram++] = (struct boot_region){ 1ull << 20, (uint64_t)rd32(info + 8) << 10 };
	return true;
}
