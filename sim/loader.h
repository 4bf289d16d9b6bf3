/*
 * Image loaders. Every loader validates everything it reads: a malformed image yields a
 * one-line message naming the file and the problem, never a crash.
 */
#ifndef HVSIM_SIM_LOADER_H
#define HVSIM_SIM_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum image_kind { IMAGE_ELF64, IMAGE_MULTIBOOT1, IMAGE_MULTIBOOT2 };

/* What a loader tells the machine about how to start the image. */
struct boot_info {
	enum image_kind kind;
	uint64_t entry;
	uint64_t load_lo, load_hi; /* physical range the image occupies */
};

struct image {
	const char *path;
	uint8_t *data;
	size_t size;
};

struct load_error {
	char msg[256];
};

bool image_read(const char *path, struct image *img, struct load_error *err);
void image_free(struct image *img);

/* Load an ELF64 executable's PT_LOAD segments into RAM at their physical addresses. */
bool elf64_load(const struct image *img, uint8_t *ram, uint64_t ram_size, uint64_t reserved_lo,
		struct boot_info *bi, struct load_error *err);

/* Is this an ELF64 file (magic + class)? */
bool elf64_detect(const struct image *img);

#endif
