/*
 * Loader selection (README "Booting"): a Multiboot2 header wins, then a Multiboot header, then
 * the file must be a plain ELF64 executable.
 */
#include "sim/boot64.h"
#include "sim/loader.h"

bool image_load(const struct image *img, const struct load_target *t, struct boot_info *bi,
		struct load_error *err)
{
	uint64_t boot = boot64_area(t->phys);
	struct ram_window w = { .phys = t->phys, .reserved_lo = boot,
				.reserved_hi = boot + BOOT64_RESERVED,
				.reserved_name = "hvsim's ELF64 boot data (GDT, page tables, command line)" };

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
	return elf64_load(img, &w, bi, err);
}
