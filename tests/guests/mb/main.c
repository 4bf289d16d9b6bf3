/*
 * Multiboot test kernel, 64-bit part: reports the entry state that entry.S recorded and what the
 * boot information says, one fact per line, for tests/sim/test_loader.c and test_modules.c to
 * compare with what they passed to hvsim. The layouts are read by offset from the specifications
 * (Multiboot 0.6.96 3.3; Multiboot2 3.6), not from hvsim's headers. Then it writes and reads back
 * pages at the edges of the RAM the map lists (ram_check), above 4 GiB through page tables of its
 * own.
 */
#include "workload.h"

#define MB1_BOOTLOADER_MAGIC 0x2badb002u
#define MB2_BOOTLOADER_MAGIC 0x36d76289u
#define DEBUG_EXIT_PORT 0xf4
#define MB_MEMORY_AVAILABLE 1u
#define PAGE 0x1000ull
#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define PTE_P_RW_PS 0x83ull
#define MAX_RAM_PAGES 8

extern uint32_t boot_magic, boot_info, boot_eflags, boot_cr0, boot_cr4, boot_efer;
extern uint16_t boot_cs, boot_ds, boot_ss;
extern uint64_t pdpt[512]; /* entry.S: entries 0-3 map the first 4 GiB */
extern const uint8_t __load_start[], __bss_end[]; /* mb.ld: the whole image, bss included */

void mb_main(void);

static uint32_t rd32(uint64_t pa)
{
	return *(volatile uint32_t *)pa;
}

static uint64_t rd64(uint64_t pa)
{
	return rd32(pa) | (uint64_t)rd32(pa + 4) << 32;
}

static const char *str(uint64_t pa)
{
	return (const char *)pa;
}

/* Multiboot 3.2 / Multiboot2 3.3: PE = 1, PG = 0, IF = 0, VM = 0; hvsim adds CR4 = EFER = 0. */
static bool entry_state_ok(void)
{
	return (boot_cr0 & 1u) && !(boot_cr0 & (1u << 31)) && !(boot_eflags & (1u << 9)) &&
	       !(boot_eflags & (1u << 17)) && boot_cr4 == 0 && boot_efer == 0;
}

/* Pages ram_check touches, from the map: see note_region. */
static uint64_t ram_pages[MAX_RAM_PAGES];
static unsigned ram_page_count;

static void note_page(uint64_t pa)
{
	if (ram_page_count < MAX_RAM_PAGES)
		ram_pages[ram_page_count++] = pa;
}

/*
 * The first and the last page of every available region, except the first page of upper memory
 * (this kernel is loaded there). Page 0 and the pages at 4 GiB must not be the same memory.
 */
static void note_region(uint64_t base, uint64_t len, uint32_t type)
{
	if (type != MB_MEMORY_AVAILABLE || len < PAGE)
		return;
	if (base != MiB)
		note_page(base);
	note_page((base + len - PAGE) & ~(PAGE - 1));
}

static void mmap_entry(uint64_t base, uint64_t len, uint32_t type)
{
	printk("mb: mmap base=%lx len=%lx type=%u\n", base, len, type);
	note_region(base, len, type);
}

/* CPUID.80000001H:EDX[26] (SDM Vol. 2A, CPUID): 1 GiB pages. */
static bool has_1g_pages(void)
{
	uint32_t a = 0x80000001u, b, c = 0, d;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return d & (1u << 26);
}

/* SDM Vol. 3, 4.5: a PDPTE with PS = 1 maps 1 GiB; entries 4-511 identity-map 4-512 GiB. */
static void map_above_4g(void)
{
	uint64_t cr3;

	for (unsigned i = 4; i < 512; i++)
		pdpt[i] = ((uint64_t)i << 30) | PTE_P_RW_PS;
	__asm__ volatile("mov %%cr3, %0\n\tmov %0, %%cr3" : "=r"(cr3) : : "memory");
}

/* Each word holds its own address, scrambled: two pages that alias cannot both read back. */
static uint64_t pattern(uint64_t pa)
{
	return pa ^ 0xa5a5a5a5a5a5a5a5ull;
}

/* Write every noted page, then read them all back: one line per page. */
static bool ram_check(void)
{
	bool ok = true;

	if (!has_1g_pages()) {
		printk("mb: ram check skipped: no 1 GiB pages\n");
		return true;
	}
	map_above_4g();
	for (unsigned i = 0; i < ram_page_count; i++)
		for (uint64_t pa = ram_pages[i]; pa < ram_pages[i] + PAGE; pa += 8)
			*(volatile uint64_t *)pa = pattern(pa);
	for (unsigned i = 0; i < ram_page_count; i++) {
		unsigned bad = 0;
		for (uint64_t pa = ram_pages[i]; pa < ram_pages[i] + PAGE; pa += 8)
			bad += *(volatile uint64_t *)pa != pattern(pa);
		printk("mb: ram page %lx %s\n", ram_pages[i], bad ? "BAD" : "ok");
		ok &= !bad;
	}
	return ok;
}

/* FNV-1a, 32-bit: the test computes the same over the file it passed. */
static uint32_t fnv1a(uint64_t start, uint64_t end)
{
	uint32_t h = 0x811c9dc5u;

	for (const volatile uint8_t *p = (const uint8_t *)start; p < (const uint8_t *)end; p++)
		h = (h ^ *p) * 0x01000193u;
	return h;
}

static void module(unsigned index, uint32_t start, uint32_t end, uint64_t string)
{
	printk("mb: module %u start=%x end=%x string@%lx \"%s\" fnv1a=%x\n", index, start, end,
	       string, str(string), fnv1a(start, end));
}

/* v1 3.3: mods_addr -> mods_count structures {mod_start, mod_end, string, reserved}. */
static void modules_v1(uint64_t mods, uint32_t count)
{
	printk("mb: mods_count=%u\n", count);
	for (uint32_t i = 0; i < count; i++, mods += 16)
		module(i, rd32(mods), rd32(mods + 4), rd32(mods + 8));
}

static void info_v1(uint64_t mbi)
{
	uint32_t flags = rd32(mbi);

	printk("mb: flags=%x\n", flags);
	if (flags & (1u << 0))
		printk("mb: mem_lower=%u KiB mem_upper=%u KiB\n", rd32(mbi + 4), rd32(mbi + 8));
	if (flags & (1u << 2))
		printk("mb: cmdline \"%s\"\n", str(rd32(mbi + 16)));
	if (flags & (1u << 9))
		printk("mb: loader \"%s\"\n", str(rd32(mbi + 64)));
	if (flags & (1u << 3))
		modules_v1(rd32(mbi + 24), rd32(mbi + 20));
	if (flags & (1u << 6)) {
		uint64_t p = rd32(mbi + 48), end = p + rd32(mbi + 44);
		for (; p < end; p += rd32(p) + 4)
			mmap_entry(rd64(p + 4), rd64(p + 12), rd32(p + 20));
	}
}

static void tag_v2(uint64_t tag, uint32_t type, uint32_t size)
{
	static unsigned modules; /* 3.6.6: one tag per module, in order */

	switch (type) {
	case 1:
		printk("mb: cmdline \"%s\"\n", str(tag + 8));
		break;
	case 2:
		printk("mb: loader \"%s\"\n", str(tag + 8));
		break;
	case 3:
		module(modules++, rd32(tag + 8), rd32(tag + 12), tag + 16);
		break;
	case 4:
		printk("mb: mem_lower=%u KiB mem_upper=%u KiB\n", rd32(tag + 8), rd32(tag + 12));
		break;
	case 6:
		for (uint64_t e = tag + 16; e + rd32(tag + 8) <= tag + size; e += rd32(tag + 8))
			mmap_entry(rd64(e), rd64(e + 8), rd32(e + 16));
		break;
	default:
		printk("mb: tag %u size %u\n", type, size);
	}
}

static void info_v2(uint64_t mbi)
{
	uint64_t end = mbi + rd32(mbi);

	printk("mb: total_size=%u\n", rd32(mbi));
	for (uint64_t tag = mbi + 8; tag + 8 <= end;) {
		uint32_t type = rd32(tag), size = rd32(tag + 4);
		if (type == 0 || size < 8)
			break;
		tag_v2(tag, type, size);
		tag += (size + 7) & ~7u;
	}
}

void mb_main(void)
{
	bool ok = entry_state_ok();

	printk("mb: entry eax=%x cr0=%x cr4=%x efer=%x eflags=%x cs=%x ds=%x ss=%x\n", boot_magic,
	       boot_cr0, boot_cr4, boot_efer, boot_eflags, boot_cs, boot_ds, boot_ss);
	printk("mb: entry state %s\n", ok ? "ok" : "bad");
	printk("mb: info at %x\n", boot_info);
	printk("mb: kernel %lx-%lx\n", (uint64_t)__load_start, (uint64_t)__bss_end);
	if (boot_magic == MB1_BOOTLOADER_MAGIC) {
		printk("mb: magic ok (multiboot1)\n");
		info_v1(boot_info);
	} else if (boot_magic == MB2_BOOTLOADER_MAGIC) {
		printk("mb: magic ok (multiboot2)\n");
		info_v2(boot_info);
	} else {
		printk("mb: magic bad %x\n", boot_magic);
		ok = false;
	}
	ok &= ram_check();
	printk("mb: done\n");
	outl(DEBUG_EXIT_PORT, ok ? 0 : 1);
}
