/*
 * Loader selection (README "Booting"): a Multiboot2 header wins, then a Multiboot header, then
 * the file must be a plain ELF64 executable.
 */
#include "sim/boot64.h"
#include "sim/loader.h"

bool image_load(const struct image *img, const struct load_target *t, struct boot_info *bi,
		struct load_error *err)
{
	if (img->size == 0)
		return load_fail(err, img, "empty file");
	switch (multiboot_load(img, t, bi, err)) {
	case LOAD_OK:
		return true;
	case LOAD_FAILED:
		return false;
	case LOAD_NOT_MINE:
		break;
	}
	if (!elf_detect(img))
		return load_fail(err, img, "not an ELF64 or Multiboot image");
	return elf64_load(img, t->ram, t->ram_size, t->ram_size - BOOT64_RESERVED, bi, err);
}
