/*
 * Loader selection (README "Booting"): a Multiboot2 header wins, then a Multiboot header, then
 * the file must be a plain ELF64 executable. Boot modules are a Multiboot notion: the ELF64 entry
 * state has no place to describe them.
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
	if (t->module_count)
		return load_fail(err, img, "has no Multiboot header, and only a Multiboot kernel can be given boot modules (--module)");
	return elf64_load(img, &w, bi, err);
}
