/*
 * The boot information hvsim hands a Multiboot kernel in EBX, written into MB_AREA_INFO:
 * Multiboot 0.6.96, 3.3 "Boot information format" and Multiboot2 3.6 "Boot information format".
 * Both describe the same machine: lower memory [0, 640 KiB), the legacy window reserved, RAM from
 * 1 MiB to the PCI hole (3 GiB) or the end available, RAM above 4 GiB available (modules
 * included, as GRUB reports them); the command line; the boot loader name "hvsim"; the boot
 * modules, when there are any.
 */
#include <assert.h>
#include <string.h>

#include "sim/loader.h"

#define LOADER_NAME "hvsim"
#define CMDLINE_MAX 4096 /* bytes, with the NUL; longer command lines are cut (as for ELF64) */

/*
 * The largest information either version writes fits between MB_AREA_INFO and the end of
 * MB_AREA (put() asserts it as it goes): the command line and every module string at their
 * longest, each in a v2 tag (8-byte header, 8-byte module range, up to 7 bytes of padding),
 * which outgrows v1's 16-byte module structures; and 1 KiB for the rest (v1's 116-byte
 * structure, the memory map, the loader name and the fixed v2 tags take under 300 bytes).
 */
#define MB_INFO_REST_MAX 1024u
_Static_assert(MB_MODULE_STRING_MAX <= CMDLINE_MAX, "module strings are written by put_string");
_Static_assert(MB_INFO_REST_MAX + (8 + CMDLINE_MAX + 7) +
		       MB_MODULES_MAX * (16 + MB_MODULE_STRING_MAX + 7) <=
	       MB_AREA + MB_AREA_SIZE - MB_AREA_INFO,
	       "the boot information fits in MB_AREA");

/* Multiboot 0.6.96, 3.3: the mmap 'type' values; Multiboot2 3.6.8 uses the same numbers. */
#define MB_MEMORY_AVAILABLE 1u
#define MB_MEMORY_RESERVED 2u

struct mb_region {
	uint64_t base, length;
	uint32_t type;
};

#define MB_REGIONS 4

/*
 * The map lists RAM and the legacy window; the PCI hole [3 GiB, 4 GiB) is absent, which means
 * "not RAM": v1 3.3 guarantees the map lists "all standard RAM that should be available for
 * normal use", and QEMU's Multiboot loader (from its e820 table) leaves the hole out as well.
 */
static unsigned memory_map(const struct phys *p, struct mb_region map[MB_REGIONS])
{
	const struct phys_range *high = &p->range[PHYS_HIGH];
	unsigned n = 0;

	map[n++] = (struct mb_region){ 0, MB_LOWMEM_TOP, MB_MEMORY_AVAILABLE };
	map[n++] = (struct mb_region){ MB_LOWMEM_TOP, MB_HIGHMEM_BASE - MB_LOWMEM_TOP, MB_MEMORY_RESERVED };
	map[n++] = (struct mb_region){ MB_HIGHMEM_BASE, phys_low_top(p) - MB_HIGHMEM_BASE,
				       MB_MEMORY_AVAILABLE };
	if (high->size)
		map[n++] = (struct mb_region){ high->base, high->size, MB_MEMORY_AVAILABLE };
	return n;
}

/* mem_lower / mem_upper in KiB (v1 3.3; v2 3.6.3): below 640 KiB, and from 1 MiB. */
static uint32_t mem_lower_kib(void)
{
	return (uint32_t)(MB_LOWMEM_TOP >> 10);
}

/* v1 3.3: upper memory is "maximally the address of the first upper memory hole minus 1 MiB". */
static uint32_t mem_upper_kib(const struct phys *p)
{
	return (uint32_t)((phys_low_top(p) - MB_HIGHMEM_BASE) >> 10);
}

/* A bump allocator over MB_AREA_INFO..end of MB_AREA; 'area' is MB_AREA's host address. */
struct info_buf {
	uint8_t *area;
	uint64_t pos, end; /* physical addresses */
};

static uint32_t put(struct info_buf *b, const void *data, size_t len, size_t align)
{
	b->pos = (b->pos + align - 1) & ~(uint64_t)(align - 1);
	assert(len <= b->end - b->pos); /* the area holds the largest structure hvsim writes */
	if (len)
		memcpy(b->area + (b->pos - MB_AREA), data, len);
	b->pos += len;
	return (uint32_t)(b->pos - len);
}

/* Write 'len' bytes at physical 'pa' in the area (a structure whose fields came last). */
static void put_at(struct info_buf *b, uint32_t pa, const void *data, size_t len)
{
	assert(pa >= MB_AREA && len <= b->end - pa);
	memcpy(b->area + (pa - MB_AREA), data, len);
}

static uint32_t put_string(struct info_buf *b, const char *s)
{
	size_t len = strnlen(s, CMDLINE_MAX - 1);
	uint32_t pa = put(b, s, len, 1);
	put(b, "", 1, 1);
	return pa;
}

static struct info_buf info_start(const struct load_target *t)
{
	uint8_t *area = phys_host(t->phys, MB_AREA, MB_AREA_SIZE);

	assert(area); /* multiboot_load requires RAM above 1 MiB */
	memset(area + (MB_AREA_INFO - MB_AREA), 0, MB_AREA + MB_AREA_SIZE - MB_AREA_INFO);
	return (struct info_buf){ area, MB_AREA_INFO, MB_AREA + MB_AREA_SIZE };
}

/* ---- Multiboot (v1), 3.3 ---- */

struct mb1_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr, drives_length, drives_addr, config_table;
	uint32_t boot_loader_name, apm_table, vbe_control_info, vbe_mode_info;
	uint16_t vbe_mode, vbe_interface_seg, vbe_interface_off, vbe_interface_len;
	uint64_t framebuffer_addr;
	uint32_t framebuffer_pitch, framebuffer_width, framebuffer_height;
	uint8_t framebuffer_bpp, framebuffer_type, color_info[6];
} __attribute__((packed));
_Static_assert(sizeof(struct mb1_info) == 116, "Multiboot 3.3 information structure");

/* Which fields are valid (3.3, 'flags'). */
#define MB1_INFO_MEMORY (1u << 0)
#define MB1_INFO_CMDLINE (1u << 2)
#define MB1_INFO_MODS (1u << 3)
#define MB1_INFO_MMAP (1u << 6)
#define MB1_INFO_LOADER_NAME (1u << 9)

/* An mmap entry; 'size' (of the rest) comes first and mmap_addr points at it. */
struct mb1_mmap_entry {
	uint32_t size;
	uint64_t base_addr, length;
	uint32_t type;
} __attribute__((packed));
_Static_assert(sizeof(struct mb1_mmap_entry) == 24, "Multiboot 3.3 mmap entry");

/* 3.3: mods_addr points at one of these per module; 'string' at its NUL-terminated string. */
struct mb1_module {
	uint32_t mod_start, mod_end, string, reserved;
};
_Static_assert(sizeof(struct mb1_module) == 16, "Multiboot 3.3 module structure");

/* Flags bit 3 only with modules, as GRUB does; the strings go first, then the array. */
static void put_mb1_modules(struct info_buf *b, const struct mb_modules *mods,
			    struct mb1_info *info)
{
	struct mb1_module m[MB_MODULES_MAX];

	if (!mods->count)
		return;
	for (unsigned i = 0; i < mods->count; i++)
		m[i] = (struct mb1_module){ mods->mod[i].start, mods->mod[i].end,
					    put_string(b, mods->mod[i].string), 0 };
	info->flags |= MB1_INFO_MODS;
	info->mods_count = mods->count;
	info->mods_addr = put(b, m, mods->count * sizeof m[0], 8);
}

uint32_t mb1_write_info(const struct load_target *t, const struct mb_modules *mods)
{
	struct info_buf b = info_start(t);
	struct mb1_info info = { 0 };
	struct mb1_mmap_entry mmap[MB_REGIONS];
	struct mb_region map[MB_REGIONS];
	uint32_t info_pa = put(&b, &info, sizeof info, 8);
	unsigned n = memory_map(t->phys, map);

	for (unsigned i = 0; i < n; i++)
		mmap[i] = (struct mb1_mmap_entry){ sizeof mmap[i] - 4, map[i].base, map[i].length,
						   map[i].type };
	info.flags = MB1_INFO_MEMORY | MB1_INFO_CMDLINE | MB1_INFO_MMAP | MB1_INFO_LOADER_NAME;
	info.mem_lower = mem_lower_kib();
	info.mem_upper = mem_upper_kib(t->phys);
	info.cmdline = put_string(&b, t->cmdline ? t->cmdline : "");
	info.boot_loader_name = put_string(&b, LOADER_NAME);
	put_mb1_modules(&b, mods, &info);
	info.mmap_addr = put(&b, mmap, n * sizeof mmap[0], 8);
	info.mmap_length = (uint32_t)(n * sizeof mmap[0]);
	put_at(&b, info_pa, &info, sizeof info);
	return info_pa;
}

/* ---- Multiboot2, 3.6 ---- */

#define MB2_INFO_END 0u
#define MB2_INFO_CMDLINE 1u
#define MB2_INFO_LOADER_NAME 2u
#define MB2_INFO_MODULE 3u
#define MB2_INFO_BASIC_MEMINFO 4u
#define MB2_INFO_MMAP 6u

bool mb2_info_provided(uint32_t type)
{
	return type == MB2_INFO_CMDLINE || type == MB2_INFO_LOADER_NAME ||
	       type == MB2_INFO_MODULE || type == MB2_INFO_BASIC_MEMINFO || type == MB2_INFO_MMAP;
}

/* Every tag starts 8-byte aligned with its type and size (3.6.2). */
static void put_tag_header(struct info_buf *b, uint32_t type, size_t body_len)
{
	uint32_t hdr[2] = { type, (uint32_t)(8 + body_len) };
	put(b, hdr, sizeof hdr, 8);
}

static void put_tag(struct info_buf *b, uint32_t type, const void *body, size_t len)
{
	put_tag_header(b, type, len);
	put(b, body, len, 1);
}

/*
 * A tag whose body is 'head' (may be empty), then a string: the command line (3.6.5), a module
 * (3.6.6), the boot loader name.
 */
static void put_string_tag(struct info_buf *b, uint32_t type, const void *head, size_t head_len,
			   const char *s)
{
	put_tag_header(b, type, head_len + strnlen(s, CMDLINE_MAX - 1) + 1);
	put(b, head, head_len, 1);
	put_string(b, s);
}

/* 3.6.6: one tag per module, in load order: mod_start, mod_end, then the string. */
static void put_module_tags(struct info_buf *b, const struct mb_modules *mods)
{
	for (unsigned i = 0; i < mods->count; i++) {
		uint32_t range[2] = { mods->mod[i].start, mods->mod[i].end };
		put_string_tag(b, MB2_INFO_MODULE, range, sizeof range, mods->mod[i].string);
	}
}

struct mb2_mmap_entry {
	uint64_t base_addr, length;
	uint32_t type, reserved;
};
_Static_assert(sizeof(struct mb2_mmap_entry) == 24, "Multiboot2 3.6.8 mmap entry");

/* 3.6.8: entry_size and entry_version, then the entries. */
static void put_mmap_tag(struct info_buf *b, const struct phys *p)
{
	uint32_t head[2] = { sizeof(struct mb2_mmap_entry), 0 };
	struct mb_region map[MB_REGIONS];
	unsigned n = memory_map(p, map);

	put_tag_header(b, MB2_INFO_MMAP, sizeof head + n * sizeof(struct mb2_mmap_entry));
	put(b, head, sizeof head, 1);
	for (unsigned i = 0; i < n; i++) {
		struct mb2_mmap_entry e = { map[i].base, map[i].length, map[i].type, 0 };
		put(b, &e, sizeof e, 1);
	}
}

uint32_t mb2_write_info(const struct load_target *t, const struct mb_modules *mods)
{
	struct info_buf b = info_start(t);
	uint32_t fixed[2] = { 0, 0 }; /* total_size, reserved */
	uint32_t meminfo[2] = { mem_lower_kib(), mem_upper_kib(t->phys) };
	uint32_t start = put(&b, fixed, sizeof fixed, 8);

	put_string_tag(&b, MB2_INFO_CMDLINE, NULL, 0, t->cmdline ? t->cmdline : "");
	put_string_tag(&b, MB2_INFO_LOADER_NAME, NULL, 0, LOADER_NAME);
	put_module_tags(&b, mods);
	put_tag(&b, MB2_INFO_BASIC_MEMINFO, meminfo, sizeof meminfo);
	put_mmap_tag(&b, t->phys);
	put_tag(&b, MB2_INFO_END, NULL, 0);
	fixed[0] = (uint32_t)(b.pos - start);
	put_at(&b, start, fixed, sizeof fixed);
	return start;
}
