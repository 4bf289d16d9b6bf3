/*
 * Multiboot boot information, v1 (Multiboot 0.6.96, 3.3) or v2 (Multiboot2 2.0, 3.6), read by
 * offset from the specifications: command line, memory map and modules. Everything is copied
 * out, so that the allocator may reuse the loader's memory afterwards.
 */
#include "platform.h"

#define MB1_BOOTLOADER_MAGIC 0x2badb002u
#define MB1_INFO_MEM (1u << 0)
#define MB1_INFO_CMDLINE (1u << 2)
#define MB1_INFO_MODS (1u << 3)
#define MB1_INFO_MMAP (1u << 6)
#define MB_MEMORY_AVAILABLE 1u

/* v2 3.6.1-3.6.8: 8-byte aligned tags {type, size, ...} after {total_size, reserved}. */
#define MB2_BOOTLOADER_MAGIC 0x36d76289u
#define MB2_INFO_END 0u
#define MB2_INFO_CMDLINE 1u
#define MB2_INFO_MODULE 3u
#define MB2_INFO_BASIC_MEMINFO 4u
#define MB2_INFO_MMAP 6u

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

/* A memory map entry {base_addr, length, type} at 'e' (the same layout in v1 and v2). */
static void add_region(uint64_t e, struct boot_params *bp)
{
	if (rd32(e + 16) == MB_MEMORY_AVAILABLE && bp->nram < BOOT_MAX_REGIONS)
		bp->ram[bp->nram++] = (struct boot_region){ rd64(e), rd64(e + 8) };
}

/* Without a memory map: mem_upper KiB of RAM from 1 MiB (v1 3.3, v2 3.6.4). */
static void add_upper_memory(uint64_t kib, struct boot_params *bp)
{
	bp->ram[bp->nram++] = (struct boot_region){ 1ull << 20, kib << 10 };
}

static void read_mmap(uint32_t addr, uint32_t len, struct boot_params *bp)
{
	/* 3.3: entries are {size, base_addr, length, type}; 'size' excludes itself. */
	for (uint64_t p = addr; p + 24 <= (uint64_t)addr + len; p += rd32(p) + 4)
		add_region(p + 4, bp);
}

static void add_module(uint32_t start, uint32_t end, uint32_t string, struct boot_params *bp)
{
	if (bp->nmod == BOOT_MAX_MODULES)
		return;
	struct boot_module *mod = &bp->mod[bp->nmod++];
	mod->start = start;
	mod->end = end;
	copy_string(mod->cmdline, sizeof mod->cmdline, string);
}

static void read_modules(uint32_t addr, uint32_t count, struct boot_params *bp)
{
	for (uint32_t i = 0; i < count; i++) {
		uint64_t m = (uint64_t)addr + 16 * i; /* {mod_start, mod_end, string, reserved} */
		add_module(rd32(m), rd32(m + 4), rd32(m + 8), bp);
	}
}

/* 3.6.3 module: {mod_start, mod_end} then the string in the tag; 3.6.8 mmap: sized entries. */
static void read_mb2(uint32_t info, struct boot_params *bp)
{
	uint64_t end = (uint64_t)info + rd32(info), mem_upper = 0;
	bool mmap = false;

	for (uint64_t t = (uint64_t)info + 8; t + 8 <= end; t = (t + rd32(t + 4) + 7) & ~7ull) {
		uint32_t type = rd32(t), size = rd32(t + 4);
		if (type == MB2_INFO_END || size < 8)
			break;
		if (type == MB2_INFO_CMDLINE)
			copy_string(bp->cmdline, sizeof bp->cmdline, (uint32_t)(t + 8));
		else if (type == MB2_INFO_MODULE && size >= 16)
			add_module(rd32(t + 8), rd32(t + 12), (uint32_t)(t + 16), bp);
		else if (type == MB2_INFO_BASIC_MEMINFO && size >= 16)
			mem_upper = rd32(t + 12);
		else if (type == MB2_INFO_MMAP && size >= 16 && rd32(t + 8) >= 24) {
			mmap = true;
			for (uint64_t e = t + 16; e + 24 <= t + size; e += rd32(t + 8))
				add_region(e, bp);
		}
	}
	if (!mmap && mem_upper)
		add_upper_memory(mem_upper, bp);
}

bool boot_params_read(uint32_t magic, uint32_t info, struct boot_params *bp)
{
	memset(bp, 0, sizeof *bp);
	if (magic == MB2_BOOTLOADER_MAGIC) {
		read_mb2(info, bp);
		return true;
	}
	if (magic != MB1_BOOTLOADER_MAGIC)
		return false;
	uint32_t flags = rd32(info);
	if (flags & MB1_INFO_CMDLINE)
		copy_string(bp->cmdline, sizeof bp->cmdline, rd32(info + 16));
	if (flags & MB1_INFO_MODS)
		read_modules(rd32(info + 24), rd32(info + 20), bp);
	if (flags & MB1_INFO_MMAP)
		read_mmap(rd32(info + 48), rd32(info + 44), bp);
	else if (flags & MB1_INFO_MEM)
		add_upper_memory(rd32(info + 8), bp);
	return true;
}
