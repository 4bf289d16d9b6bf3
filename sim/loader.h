/*
 * Image loaders. Every loader validates everything it reads: a malformed image yields a
 * one-line message naming the file and the problem, never a crash.
 *
 * Which loader runs (image_load): a Multiboot2 header first, then a Multiboot (v1) header, then a
 * plain ELF64 executable (README "Booting").
 */
#ifndef HVSIM_SIM_LOADER_H
#define HVSIM_SIM_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu/phys.h"

enum image_kind { IMAGE_ELF64, IMAGE_MULTIBOOT1, IMAGE_MULTIBOOT2 };

/* What a loader tells the machine about how to start the image. */
struct boot_info {
	enum image_kind kind;
	uint64_t entry;
	uint64_t load_lo, load_hi; /* physical range the image occupies */
	uint32_t mb_magic;         /* Multiboot: the value for EAX at entry */
	uint32_t mb_info;          /* Multiboot: physical address of the boot information (EBX) */
};

struct image {
	const char *path;
	uint8_t *data;
	size_t size;
};

struct load_error {
	char msg[256];
};

/*
 * Boot modules (`hvsim run --module`), for Multiboot kernels only. Each is "FILE ARGS": the
 * file is the text before the first space, and the kernel sees the whole string (README
 * "Booting"). The limits keep the boot information inside MB_AREA (sim/loader_mbinfo.c).
 */
#define MB_MODULES_MAX 32u
#define MB_MODULE_STRING_MAX 1024u /* bytes, with the NUL */

/* Where an image goes: guest RAM and what the loaders pass on to the guest. */
struct load_target {
	const struct phys *phys; /* RAM below and above the PCI hole (cpu/phys.h) */
	const char *cmdline;     /* NULL: none */
	const char *const *modules; /* module_count strings, in load order */
	unsigned module_count;      /* at most MB_MODULES_MAX */
};

enum load_result {
	LOAD_OK,
	LOAD_NOT_MINE, /* this loader's format is absent: try the next one */
	LOAD_FAILED,   /* the format is present but the image is unusable: err says why */
};

bool image_read(const char *path, struct image *img, struct load_error *err);
/*
 * Open a regular file for reading and set img->path and img->size (img->data stays NULL); NULL
 * with err set if it cannot be read. image_fill then reads all of it to 'dst'.
 */
FILE *image_open(const char *path, struct image *img, struct load_error *err);
bool image_fill(FILE *f, const struct image *img, uint8_t *dst, struct load_error *err);
void image_free(struct image *img);

/* Pick the loader by header precedence and load the image. */
bool image_load(const struct image *img, const struct load_target *t, struct boot_info *bi,
		struct load_error *err);

/* ---- ELF (sim/loader_elf.c) ---- */

#define ELF_MAX_SEGMENTS 64

/* One PT_LOAD segment, validated against the file. */
struct elf_segment {
	unsigned index; /* program header number, for messages */
	uint64_t offset, filesz;
	uint64_t vaddr, paddr, memsz;
};

/* An ELF32 (i386) or ELF64 (x86-64) executable's loadable segments. */
struct elf_exec {
	bool elf64;
	uint64_t entry; /* e_entry as linked (a virtual address) */
	unsigned count;
	struct elf_segment seg[ELF_MAX_SEGMENTS];
};

/*
 * Physical memory a loader may fill: RAM (either range, never the PCI hole) minus the area
 * [reserved_lo, reserved_hi) where hvsim keeps the boot data of this kind of image.
 */
struct ram_window {
	const struct phys *phys;
	uint64_t reserved_lo, reserved_hi;
	const char *reserved_name;
};

/* Is this an ELF file of either class (magic only)? */
bool elf_detect(const struct image *img);
/* Is this an ELF64 file (magic + class)? */
bool elf64_detect(const struct image *img);

/* Parse and check the headers: in-file data, memsz >= filesz, no two segments overlapping. */
bool elf_parse(const struct image *img, struct elf_exec *ex, struct load_error *err);

/* Check every segment's physical range against 'w', then copy and zero-fill them into RAM. */
bool elf_place(const struct image *img, const struct elf_exec *ex, const struct ram_window *w,
	       struct boot_info *bi, struct load_error *err);

/*
 * Check that [pa, pa+len) lies in 'w' (inside one RAM range, outside the reserved area); 'what'
 * names the range in the message.
 */
bool ram_window_check(const struct image *img, const struct ram_window *w, uint64_t pa,
		      uint64_t len, const char *what, struct load_error *err);

/* Load an ELF64 executable's PT_LOAD segments into RAM at their physical addresses. */
bool elf64_load(const struct image *img, const struct ram_window *w, struct boot_info *bi,
		struct load_error *err);

/* Format "PATH: message" into err; returns false so callers can 'return load_fail(...)'. */
bool load_fail(struct load_error *err, const struct image *img, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- Multiboot (sim/loader_multiboot.c) ---- */

/*
 * hvsim reports the PC's legacy window 0xA0000-0xFFFFF as reserved in the Multiboot memory map
 * and keeps its own boot data there, in MB_AREA: the boot GDT (sim/boot32.c) and the Multiboot
 * information structure. Images may not load into the window.
 */
#define MB_LOWMEM_TOP 0xa0000ull   /* lower memory: [0, 640 KiB) */
#define MB_HIGHMEM_BASE 0x100000ull /* upper memory starts at 1 MiB */
#define MB_AREA 0xe0000ull
#define MB_AREA_SIZE 0x10000ull
#define MB_AREA_GDT (MB_AREA + 0x0000)   /* 0x100 bytes: GDT and mode-switch stub */
#define MB_AREA_INFO (MB_AREA + 0x1000)  /* the information structure, to the end of MB_AREA */

/* Multiboot 0.6.96, 3.2 and Multiboot2 3.3: the magic value in EAX at entry. */
#define MB1_BOOTLOADER_MAGIC 0x2badb002u
#define MB2_BOOTLOADER_MAGIC 0x36d76289u

/* A boot module as loaded: Multiboot 3.3 module structure, Multiboot2 3.6.6 module tag. */
struct mb_module {
	uint32_t start, end; /* physical; 'end' is the first byte after, as GRUB and QEMU set it */
	const char *string;
};

struct mb_modules {
	unsigned count;
	struct mb_module mod[MB_MODULES_MAX];
};

/*
 * sim/loader_modules.c: load t->modules in order, each at the next 4 KiB boundary from the
 * first one past the kernel (bi->load_hi), in RAM below the PCI hole and outside the reserved
 * area of 'w'.
 */
bool mb_modules_load(const struct image *kernel, const struct load_target *t,
		     const struct ram_window *w, const struct boot_info *bi, struct mb_modules *mods,
		     struct load_error *err);

/* sim/loader_mbinfo.c: write the boot information at MB_AREA_INFO; return its address. */
uint32_t mb1_write_info(const struct load_target *t, const struct mb_modules *mods);
uint32_t mb2_write_info(const struct load_target *t, const struct mb_modules *mods);
/* Does mb2_write_info provide this information tag type (for information-request tags)? */
bool mb2_info_provided(uint32_t type);

/* Look for a Multiboot2, then a Multiboot header; load the image and write the information. */
enum load_result multiboot_load(const struct image *img, const struct load_target *t,
				struct boot_info *bi, struct load_error *err);

#endif
