#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/loader.h"

static bool fail(struct load_error *err, const struct image *img, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err->msg, sizeof err->msg, "%s: ", img->path);
	va_start(ap, fmt);
	vsnprintf(err->msg + n, sizeof err->msg - (size_t)n, fmt, ap);
	va_end(ap);
	return false;
}

bool image_read(const char *path, struct image *img, struct load_error *err)
{
	FILE *f = fopen(path, "rb");
	long size;

	*img = (struct image){ .path = path };
	if (!f)
		return fail(err, img, "cannot open: %s", strerror(errno));
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return fail(err, img, "cannot read: not a regular file");
	}
	img->size = (size_t)size;
	img->data = malloc(img->size ? img->size : 1);
	if (!img->data || fread(img->data, 1, img->size, f) != img->size) {
		fclose(f);
		image_free(img);
		return fail(err, img, "cannot read: %s", strerror(errno ? errno : EIO));
	}
	fclose(f);
	return true;
}

void image_free(struct image *img)
{
	free(img->data);
	img->data = NULL;
	img->size = 0;
}

bool elf64_detect(const struct image *img)
{
	return img->size >= EI_NIDENT && !memcmp(img->data, ELFMAG, SELFMAG) &&
	       img->data[EI_CLASS] == ELFCLASS64;
}

static bool check_header(const struct image *img, const Elf64_Ehdr *eh, struct load_error *err)
{
	if (img->size < sizeof *eh)
		return fail(err, img, "truncated ELF header (%zu bytes)", img->size);
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_X86_64)
		return fail(err, img, "not a little-endian x86-64 ELF");
	if (eh->e_type != ET_EXEC)
		return fail(err, img, "ELF type %u is not an executable (ET_EXEC)", eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return fail(err, img, "program header entry size %u, expected %zu", eh->e_phentsize,
			    sizeof(Elf64_Phdr));
	if (eh->e_phnum == 0)
		return fail(err, img, "no program headers");
	if (eh->e_phoff > img->size || (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > img->size - eh->e_phoff)
		return fail(err, img, "program headers at offset %#llx run past the end of the file",
			    (unsigned long long)eh->e_phoff);
	return true;
}

static bool check_segment(const struct image *img, unsigned i, const Elf64_Phdr *ph,
			  uint64_t ram_limit, struct load_error *err)
{
	if (ph->p_filesz > ph->p_memsz)
		return fail(err, img, "segment %u: file size %#llx exceeds memory size %#llx", i,
			    (unsigned long long)ph->p_filesz, (unsigned long long)ph->p_memsz);
	if (ph->p_offset > img->size || ph->p_filesz > img->size - ph->p_offset)
		return fail(err, img, "segment %u: data at offset %#llx+%#llx runs past the end of the file (%zu bytes)",
			    i, (unsigned long long)ph->p_offset, (unsigned long long)ph->p_filesz, img->size);
	if (ph->p_paddr > ram_limit || ph->p_memsz > ram_limit - ph->p_paddr)
		return fail(err, img, "segment %u: physical range %#llx+%#llx does not fit in RAM below %#llx",
			    i, (unsigned long long)ph->p_paddr, (unsigned long long)ph->p_memsz,
			    (unsigned long long)ram_limit);
	return true;
}

bool elf64_load(const struct image *img, uint8_t *ram, uint64_t ram_size, uint64_t reserved_lo,
		struct boot_info *bi, struct load_error *err)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph[64];
	unsigned n = 0;
	(void)ram_size;

	if (img->size < sizeof eh)
		return fail(err, img, "truncated ELF header (%zu bytes)", img->size);
	memcpy(&eh, img->data, sizeof eh);
	if (!check_header(img, &eh, err))
		return false;
	if (eh.e_phnum > 64)
		return fail(err, img, "%u program headers (at most 64 are supported)", eh.e_phnum);

	bi->kind = IMAGE_ELF64;
	bi->load_lo = UINT64_MAX;
	bi->load_hi = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr p;
		memcpy(&p, img->data + eh.e_phoff + i * sizeof p, sizeof p);
		if (p.p_type != PT_LOAD || p.p_memsz == 0)
			continue;
		if (!check_segment(img, i, &p, reserved_lo, err))
			return false;
		for (unsigned j = 0; j < n; j++)
			if (p.p_paddr < ph[j].p_paddr + ph[j].p_memsz && ph[j].p_paddr < p.p_paddr + p.p_memsz)
				return fail(err, img, "segments overlap at physical %#llx",
					    (unsigned long long)p.p_paddr);
		ph[n++] = p;
		if (p.p_paddr < bi->load_lo)
			bi->load_lo = p.p_paddr;
		if (p.p_paddr + p.p_memsz > bi->load_hi)
			bi->load_hi = p.p_paddr + p.p_memsz;
	}
	if (n == 0)
		return fail(err, img, "no loadable segments");
	bool entry_ok = false;
	for (unsigned j = 0; j < n; j++) {
		memcpy(ram + ph[j].p_paddr, img->data + ph[j].p_offset, ph[j].p_filesz);
		memset(ram + ph[j].p_paddr + ph[j].p_filesz, 0, ph[j].p_memsz - ph[j].p_filesz);
		entry_ok |= ph[j].p_vaddr == ph[j].p_paddr && eh.e_entry >= ph[j].p_vaddr &&
			    eh.e_entry < ph[j].p_vaddr + ph[j].p_memsz;
	}
	if (!entry_ok)
		return fail(err, img, "entry point %#llx is outside every identity-linked (VMA = LMA) segment",
			    (unsigned long long)eh.e_entry);
	bi->entry = eh.e_entry;
	return true;
}
