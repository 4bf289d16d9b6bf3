/*
 * ELF executables (System V ABI, "Program Header"): ELF64 for the native boot path and both
 * classes for Multiboot kernels. Segments are placed at their physical addresses (p_paddr).
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sim/loader.h"

bool load_fail(struct load_error *err, const struct image *img, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err->msg, sizeof err->msg, "%s: ", img->path);
	if (n < 0 || (size_t)n >= sizeof err->msg)
		return false;
	va_start(ap, fmt);
	vsnprintf(err->msg + n, sizeof err->msg - (size_t)n, fmt, ap);
	va_end(ap);
	return false;
}

/* fstat first: a directory opens and seeks on Linux, with a size that is not a file size. */
static bool check_regular_file(FILE *f, const struct image *img, struct load_error *err)
{
	struct stat st;

	if (fstat(fileno(f), &st) != 0)
		return load_fail(err, img, "cannot read: %s", strerror(errno));
	if (S_ISDIR(st.st_mode))
		return load_fail(err, img, "is a directory, not an image file");
	if (!S_ISREG(st.st_mode))
		return load_fail(err, img, "not a regular file");
	if ((unsigned long long)st.st_size > SIZE_MAX / 2)
		return load_fail(err, img, "too large (%lld bytes)", (long long)st.st_size);
	return true;
}

static bool file_size(FILE *f, struct image *img, struct load_error *err)
{
	long size;

	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		return load_fail(err, img, "cannot read: %s", strerror(errno));
	img->size = (size_t)size;
	return true;
}

FILE *image_open(const char *path, struct image *img, struct load_error *err)
{
	FILE *f = fopen(path, "rb");

	*img = (struct image){ .path = path };
	if (!f) {
		load_fail(err, img, "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (!check_regular_file(f, img, err) || !file_size(f, img, err)) {
		fclose(f);
		return NULL;
	}
	return f;
}

bool image_fill(FILE *f, const struct image *img, uint8_t *dst, struct load_error *err)
{
	errno = 0;
	if (fread(dst, 1, img->size, f) == img->size)
		return true;
	return load_fail(err, img, "cannot read: %s", strerror(errno ? errno : EIO));
}

bool image_read(const char *path, struct image *img, struct load_error *err)
{
	FILE *f = image_open(path, img, err);
	bool ok;

	if (!f)
		return false;
	img->data = malloc(img->size ? img->size : 1);
	ok = img->data ? image_fill(f, img, img->data, err)
		       : load_fail(err, img, "cannot read: %s", strerror(ENOMEM));
	fclose(f);
	if (!ok)
		image_free(img);
	return ok;
}

void image_free(struct image *img)
{
	free(img->data);
	img->data = NULL;
	img->size = 0;
}

bool elf_detect(const struct image *img)
{
	return img->size >= SELFMAG && !memcmp(img->data, ELFMAG, SELFMAG);
}

bool elf64_detect(const struct image *img)
{
	return elf_detect(img) && img->size > EI_CLASS && img->data[EI_CLASS] == ELFCLASS64;
}

/* The file header fields the loaders use, from either class. */
struct ehdr {
	bool elf64;
	unsigned type, machine, phentsize, phnum;
	uint64_t entry, phoff;
};

static bool read_ehdr(const struct image *img, struct ehdr *h, struct load_error *err)
{
	if (img->size < EI_NIDENT)
		return load_fail(err, img, "truncated ELF header (%zu bytes)", img->size);
	h->elf64 = img->data[EI_CLASS] == ELFCLASS64;
	if (!h->elf64 && img->data[EI_CLASS] != ELFCLASS32)
		return load_fail(err, img, "unknown ELF class %u", img->data[EI_CLASS]);
	if (img->size < (h->elf64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)))
		return load_fail(err, img, "truncated ELF header (%zu bytes)", img->size);
	if (h->elf64) {
		Elf64_Ehdr e;
		memcpy(&e, img->data, sizeof e);
		*h = (struct ehdr){ true, e.e_type, e.e_machine, e.e_phentsize, e.e_phnum,
				    e.e_entry, e.e_phoff };
	} else {
		Elf32_Ehdr e;
		memcpy(&e, img->data, sizeof e);
		*h = (struct ehdr){ false, e.e_type, e.e_machine, e.e_phentsize, e.e_phnum,
				    e.e_entry, e.e_phoff };
	}
	return true;
}

static bool check_ehdr(const struct image *img, const struct ehdr *h, struct load_error *err)
{
	size_t phsize = h->elf64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);

	if (img->data[EI_DATA] != ELFDATA2LSB || h->machine != (h->elf64 ? EM_X86_64 : EM_386))
		return load_fail(err, img, "not a little-endian %s ELF",
				 h->elf64 ? "x86-64" : "i386");
	if (h->type != ET_EXEC)
		return load_fail(err, img, "ELF type %u is not an executable (ET_EXEC)", h->type);
	if (h->phentsize != phsize)
		return load_fail(err, img, "program header entry size %u, expected %zu",
				 h->phentsize, phsize);
	if (h->phnum == 0)
		return load_fail(err, img, "no program headers");
	if (h->phoff > img->size || (uint64_t)h->phnum * phsize > img->size - h->phoff)
		return load_fail(err, img, "truncated program headers: %u at offset %#llx run past the end of the file (%zu bytes)",
				 h->phnum, (unsigned long long)h->phoff, img->size);
	return true;
}

/* Program header i as a segment (type in *type). */
static void read_phdr(const struct image *img, const struct ehdr *h, unsigned i, uint32_t *type,
		      struct elf_segment *s)
{
	if (h->elf64) {
		Elf64_Phdr p;
		memcpy(&p, img->data + h->phoff + i * sizeof p, sizeof p);
		*type = p.p_type;
		*s = (struct elf_segment){ i, p.p_offset, p.p_filesz, p.p_vaddr, p.p_paddr, p.p_memsz };
	} else {
		Elf32_Phdr p;
		memcpy(&p, img->data + h->phoff + i * sizeof p, sizeof p);
		*type = p.p_type;
		*s = (struct elf_segment){ i, p.p_offset, p.p_filesz, p.p_vaddr, p.p_paddr, p.p_memsz };
	}
}

static bool check_segment(const struct image *img, const struct elf_segment *s,
			  struct load_error *err)
{
	if (s->filesz > s->memsz)
		return load_fail(err, img, "segment %u: file size %#llx exceeds memory size %#llx",
				 s->index, (unsigned long long)s->filesz, (unsigned long long)s->memsz);
	if (s->offset > img->size || s->filesz > img->size - s->offset)
		return load_fail(err, img, "segment %u: data at offset %#llx+%#llx runs past the end of the file (%zu bytes)",
				 s->index, (unsigned long long)s->offset,
				 (unsigned long long)s->filesz, img->size);
	if (s->paddr + s->memsz < s->paddr)
		return load_fail(err, img, "segment %u: physical range %#llx+%#llx wraps around",
				 s->index, (unsigned long long)s->paddr, (unsigned long long)s->memsz);
	return true;
}

static bool overlaps(const struct elf_segment *a, const struct elf_segment *b)
{
	return a->paddr < b->paddr + b->memsz && b->paddr < a->paddr + a->memsz;
}

bool elf_parse(const struct image *img, struct elf_exec *ex, struct load_error *err)
{
	struct ehdr h = { 0 };

	if (!read_ehdr(img, &h, err) || !check_ehdr(img, &h, err))
		return false;
	if (h.phnum > ELF_MAX_SEGMENTS)
		return load_fail(err, img, "%u program headers (at most %u are supported)", h.phnum,
				 ELF_MAX_SEGMENTS);
	*ex = (struct elf_exec){ .elf64 = h.elf64, .entry = h.entry };
	for (unsigned i = 0; i < h.phnum; i++) {
		struct elf_segment s;
		uint32_t type;
		read_phdr(img, &h, i, &type, &s);
		if (type != PT_LOAD || s.memsz == 0)
			continue;
		if (!check_segment(img, &s, err))
			return false;
		for (unsigned j = 0; j < ex->count; j++)
			if (overlaps(&s, &ex->seg[j]))
				return load_fail(err, img, "segments %u and %u overlap at physical %#llx",
						 ex->seg[j].index, i, (unsigned long long)s.paddr);
		ex->seg[ex->count++] = s;
	}
	if (ex->count == 0)
		return load_fail(err, img, "no loadable segments");
	return true;
}

/*
 * Why [pa, pa+len) is not inside one RAM range. With RAM above 4 GiB, a range that touches the
 * PCI hole is named as such; a range that runs from low RAM into the hole cannot be placed
 * either, as the bytes past 3 GiB would land in no RAM.
 */
static bool outside_ram(const struct image *img, const struct phys *p, uint64_t pa,
			uint64_t len, const char *what, struct load_error *err)
{
	const struct phys_range *high = &p->range[PHYS_HIGH];
	unsigned long long lo = pa, n = len;

	if (!high->size)
		return load_fail(err, img, "%s: physical range %#llx+%#llx does not fit in RAM below %#llx",
				 what, lo, n, (unsigned long long)p->size);
	if (pa < PHYS_HIGH_BASE && pa + len > PHYS_LOW_MAX)
		return load_fail(err, img, "%s: physical range %#llx+%#llx overlaps the PCI hole at %#llx-%#llx (no RAM there)",
				 what, lo, n, PHYS_LOW_MAX, PHYS_HIGH_BASE - 1);
	return load_fail(err, img, "%s: physical range %#llx+%#llx does not fit in RAM (0-%#llx and %#llx-%#llx)",
			 what, lo, n, PHYS_LOW_MAX - 1, (unsigned long long)high->base,
			 (unsigned long long)(high->base + high->size - 1));
}

bool ram_window_check(const struct image *img, const struct ram_window *w, uint64_t pa,
		      uint64_t len, const char *what, struct load_error *err)
{
	if (!phys_contains(w->phys, pa, len))
		return outside_ram(img, w->phys, pa, len, what, err);
	if (pa < w->reserved_hi && w->reserved_lo < pa + len)
		return load_fail(err, img, "%s: physical range %#llx+%#llx overlaps %s at %#llx-%#llx",
				 what, (unsigned long long)pa, (unsigned long long)len, w->reserved_name,
				 (unsigned long long)w->reserved_lo,
				 (unsigned long long)w->reserved_hi - 1);
	return true;
}

bool elf_place(const struct image *img, const struct elf_exec *ex, const struct ram_window *w,
	       struct boot_info *bi, struct load_error *err)
{
	bi->load_lo = UINT64_MAX;
	bi->load_hi = 0;
	for (unsigned i = 0; i < ex->count; i++) {
		const struct elf_segment *s = &ex->seg[i];
		char what[32];
		snprintf(what, sizeof what, "segment %u", s->index);
		if (!ram_window_check(img, w, s->paddr, s->memsz, what, err))
			return false;
	}
	for (unsigned i = 0; i < ex->count; i++) {
		const struct elf_segment *s = &ex->seg[i];
		uint8_t *host = phys_host(w->phys, s->paddr, s->memsz); /* checked above */
		memcpy(host, img->data + s->offset, s->filesz);
		memset(host + s->filesz, 0, s->memsz - s->filesz);
		if (s->paddr < bi->load_lo)
			bi->load_lo = s->paddr;
		if (s->paddr + s->memsz > bi->load_hi)
			bi->load_hi = s->paddr + s->memsz;
	}
	return true;
}

bool elf64_load(const struct image *img, const struct ram_window *w, struct boot_info *bi,
		struct load_error *err)
{
	struct elf_exec ex;
	bool entry_ok = false;

	if (!elf_detect(img))
		return load_fail(err, img, "not an ELF64 image");
	if (!elf_parse(img, &ex, err))
		return false;
	if (!ex.elf64)
		return load_fail(err, img, "an ELF32 file without a Multiboot header (hvsim boots ELF64 or Multiboot images)");
	for (unsigned j = 0; j < ex.count; j++)
		entry_ok |= ex.seg[j].vaddr == ex.seg[j].paddr && ex.entry >= ex.seg[j].vaddr &&
			    ex.entry - ex.seg[j].vaddr < ex.seg[j].memsz;
	if (!entry_ok)
		return load_fail(err, img, "entry point %#llx is outside every identity-linked (VMA = LMA) segment",
				 (unsigned long long)ex.entry);
	if (!elf_place(img, &ex, w, bi, err))
		return false;
	bi->kind = IMAGE_ELF64;
	bi->entry = ex.entry;
	return true;
}
