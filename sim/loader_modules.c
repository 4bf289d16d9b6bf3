/*
 * Boot modules for Multiboot kernels (`hvsim run --module "FILE ARGS"`), loaded as GRUB's
 * `module` and QEMU's `-initrd "FILE ARGS,..."` load them (QEMU: hw/i386/multiboot.c). The
 * module's string is the whole value, file name and arguments; the file is the text before the
 * first space, QEMU's rule.
 *
 * Placement, QEMU's too: in the order given, each at the next 4 KiB boundary, the first at the
 * boundary after the kernel's highest loaded byte (its bss included; QEMU puts its boot
 * information page there first, hvsim keeps that in MB_AREA). Page alignment is what
 * Multiboot 3.1.2 flag bit 0 and the Multiboot2 module alignment tag (3.1.11) ask for, so both
 * are honoured whether asked or not. Modules stay below the PCI hole, as mod_start and mod_end
 * are 32-bit (Multiboot 3.3; Multiboot2 3.6.6). They never enter the reserved area where hvsim
 * keeps the boot information and the strings: a module that would overlap it (only after a
 * kernel loaded below 640 KiB) goes just past it, to 1 MiB.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "sim/loader.h"

#define MODULE_ALIGN 0x1000ull

static uint64_t align_up(uint64_t pa)
{
	return (pa + MODULE_ALIGN - 1) & ~(MODULE_ALIGN - 1);
}

/* RAM below the PCI hole: where modules may go. */
static struct phys low_ram(const struct phys *p)
{
	struct phys low = *p;

	low.range[PHYS_HIGH].size = 0;
	low.size = phys_low_top(p);
	return low;
}

/* Copy the file name (the string up to its first space) to 'file'; 'n' counts from 1. */
static bool module_file(const struct image *kernel, const char *s, unsigned n, char *file,
			struct load_error *err)
{
	size_t name;

	if (strnlen(s, MB_MODULE_STRING_MAX) == MB_MODULE_STRING_MAX)
		return load_fail(err, kernel, "--module %u: the string is longer than %u bytes", n,
				 MB_MODULE_STRING_MAX - 1);
	name = strcspn(s, " ");
	if (name == 0)
		return load_fail(err, kernel, "--module %u (\"%s\"): no file name before the arguments",
				 n, s);
	memcpy(file, s, name);
	file[name] = 0;
	return true;
}

/* 'pa', unless [pa, pa + len) would overlap the reserved area: then the page past it. */
static uint64_t module_slot(const struct ram_window *w, uint64_t pa, uint64_t len)
{
	uint64_t span = len ? len : 1; /* an empty module still has an address */

	if (pa < w->reserved_hi && w->reserved_lo < pa + span)
		return align_up(w->reserved_hi);
	return pa;
}

/* Read 'file' into RAM at 'pa' (or past the reserved area) and describe it in 'mod'. */
static bool module_load(const char *file, unsigned n, const struct ram_window *w, uint64_t pa,
			struct mb_module *mod, struct load_error *err)
{
	struct image m;
	char what[32];
	FILE *f = image_open(file, &m, err);
	bool ok;

	if (!f)
		return false;
	snprintf(what, sizeof what, "module %u", n);
	pa = module_slot(w, pa, m.size);
	ok = ram_window_check(&m, w, pa, m.size, what, err) &&
	     image_fill(f, &m, phys_host(w->phys, pa, m.size), err);
	fclose(f);
	mod->start = (uint32_t)pa; /* below the PCI hole: checked above */
	mod->end = (uint32_t)(pa + m.size);
	return ok;
}

bool mb_modules_load(const struct image *kernel, const struct load_target *t,
		     const struct ram_window *w, const struct boot_info *bi, struct mb_modules *mods,
		     struct load_error *err)
{
	struct phys low = low_ram(w->phys);
	struct ram_window below_hole = *w;
	uint64_t pa = align_up(bi->load_hi);
	char file[MB_MODULE_STRING_MAX];

	assert(t->module_count <= MB_MODULES_MAX); /* cmd_run refuses more */
	below_hole.phys = &low;
	mods->count = 0;
	for (unsigned i = 0; i < t->module_count; i++) {
		struct mb_module *m = &mods->mod[i];
		if (!module_file(kernel, t->modules[i], i + 1, file, err) ||
		    !module_load(file, i + 1, &below_hole, pa, m, err))
			return false;
		m->string = t->modules[i];
		pa = align_up(m->end);
		mods->count++;
	}
	return true;
}
