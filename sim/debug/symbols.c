/*
 * Symbols from the .symtab of ELF64 images (System V ABI, "Sections" and "Symbol Table"). Every
 * offset, size and index read from the file is checked against the file before it is used: a
 * truncated or corrupted image gives a one-line reason, never a crash.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/debug/symbols.h"
#include "sim/loader.h"

struct sym {
	uint64_t addr, size;
	uint64_t sec_end; /* end of the symbol's section: a size-0 label covers up to here */
	char *name;
	unsigned image;   /* index into symtab.images */
	unsigned rank;    /* at one address, the lower rank names it (sized functions first) */
};

struct symtab {
	struct sym *syms;
	size_t count, cap;
	char **images;
	unsigned image_count;
};

struct symtab *symtab_new(void)
{
	return calloc(1, sizeof(struct symtab));
}

void symtab_free(struct symtab *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->count; i++)
		free(s->syms[i].name);
	for (unsigned i = 0; i < s->image_count; i++)
		free(s->images[i]);
	free(s->syms);
	free(s->images);
	free(s);
}

size_t symtab_count(const struct symtab *s)
{
	return s->count;
}

/* ---- reading the file ---- */

struct elf_syms {
	const struct image *img;
	const Elf64_Shdr *sh; /* copied out of the file, aligned */
	unsigned shnum;
	Elf64_Shdr symtab, strtab;
};

static bool elf_fail(char *err, size_t n, const struct image *img, const char *why)
{
	snprintf(err, n, "%s: %s", img->path, why);
	return false;
}

/* [off, off + len) lies inside the file. */
static bool in_file(const struct image *img, uint64_t off, uint64_t len)
{
	return off <= img->size && len <= img->size - off;
}

static bool check_ehdr(const struct image *img, Elf64_Ehdr *eh, char *err, size_t n)
{
	if (img->size < SELFMAG || memcmp(img->data, ELFMAG, SELFMAG))
		return elf_fail(err, n, img, "not an ELF file");
	if (img->size < sizeof *eh)
		return elf_fail(err, n, img, "truncated ELF header");
	memcpy(eh, img->data, sizeof *eh);
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return elf_fail(err, n, img, "not a little-endian ELF64 file");
	if (eh->e_shoff == 0)
		return elf_fail(err, n, img, "no section headers, so no symbol table");
	if (eh->e_shentsize != sizeof(Elf64_Shdr))
		return elf_fail(err, n, img, "bad section header entry size");
	return true;
}

/* The section headers; e_shnum = 0 means the count is in section 0's sh_size (gABI). */
static bool read_shdrs(struct elf_syms *e, const Elf64_Ehdr *eh, char *err, size_t n)
{
	uint64_t count = eh->e_shnum;
	Elf64_Shdr first;

	if (!in_file(e->img, eh->e_shoff, sizeof first))
		return elf_fail(err, n, e->img, "section headers past the end of the file");
	memcpy(&first, e->img->data + eh->e_shoff, sizeof first);
	if (count == 0)
		count = first.sh_size;
	if (count == 0 || count > e->img->size / sizeof first ||
	    !in_file(e->img, eh->e_shoff, count * sizeof first))
		return elf_fail(err, n, e->img, "section headers past the end of the file");
	Elf64_Shdr *sh = malloc(count * sizeof *sh);
	if (!sh)
		return elf_fail(err, n, e->img, "out of memory");
	memcpy(sh, e->img->data + eh->e_shoff, count * sizeof *sh);
	e->sh = sh;
	e->shnum = (unsigned)count;
	return true;
}

static bool find_symtab(struct elf_syms *e, char *err, size_t n)
{
	unsigned i;

	for (i = 0; i < e->shnum && e->sh[i].sh_type != SHT_SYMTAB; i++)
		;
	if (i == e->shnum)
		return elf_fail(err, n, e->img, "no symbol table (.symtab): the image is stripped");
	e->symtab = e->sh[i];
	if (e->symtab.sh_entsize != sizeof(Elf64_Sym))
		return elf_fail(err, n, e->img, "bad symbol table entry size");
	if (!in_file(e->img, e->symtab.sh_offset, e->symtab.sh_size))
		return elf_fail(err, n, e->img, "symbol table past the end of the file");
	if (e->symtab.sh_link == 0 || e->symtab.sh_link >= e->shnum ||
	    e->sh[e->symtab.sh_link].sh_type != SHT_STRTAB)
		return elf_fail(err, n, e->img, "symbol table without a string table");
	e->strtab = e->sh[e->symtab.sh_link];
	if (!in_file(e->img, e->strtab.sh_offset, e->strtab.sh_size) || e->strtab.sh_size == 0)
		return elf_fail(err, n, e->img, "string table past the end of the file");
	return true;
}

/* A NUL-terminated name inside the string table, or NULL. */
static const char *sym_name(const struct elf_syms *e, uint32_t off)
{
	const char *tab = (const char *)e->img->data + e->strtab.sh_offset;

	if (off >= e->strtab.sh_size || !memchr(tab + off, 0, e->strtab.sh_size - off))
		return NULL;
	return tab + off;
}

/* ---- the table ---- */

static unsigned add_image(struct symtab *s, const char *image)
{
	for (unsigned i = 0; i < s->image_count; i++)
		if (!strcmp(s->images[i], image))
			return i;
	char **grown = realloc(s->images, (s->image_count + 1) * sizeof *grown);
	if (!grown)
		return ~0u;
	s->images = grown;
	if (!(s->images[s->image_count] = strdup(image)))
		return ~0u;
	return s->image_count++;
}

static bool push(struct symtab *s, const struct sym *x)
{
	if (s->count == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		struct sym *grown = realloc(s->syms, cap * sizeof *grown);
		if (!grown)
			return false;
		s->syms = grown;
		s->cap = cap;
	}
	s->syms[s->count] = *x;
	if (!(s->syms[s->count].name = strdup(x->name)))
		return false;
	s->count++;
	return true;
}

/*
 * Which symbols name code and data: functions, objects and the untyped labels of assembly,
 * defined in a section (not undefined, absolute or common), with a name.
 */
static bool wanted(const Elf64_Sym *y, unsigned shnum)
{
	unsigned type = ELF64_ST_TYPE(y->st_info);

	if (type != STT_FUNC && type != STT_OBJECT && type != STT_NOTYPE)
		return false;
	return y->st_shndx != SHN_UNDEF && y->st_shndx < SHN_LORESERVE && y->st_shndx < shnum &&
	       y->st_name != 0;
}

static unsigned rank_of(const Elf64_Sym *y)
{
	unsigned rank = y->st_size ? 0 : 2;
	if (ELF64_ST_TYPE(y->st_info) == STT_NOTYPE)
		rank++;
	if (ELF64_ST_BIND(y->st_info) == STB_LOCAL)
		rank += 4;
	return rank;
}

static bool add_symbols(struct symtab *s, const struct elf_syms *e, unsigned image, char *err,
			size_t n)
{
	uint64_t count = e->symtab.sh_size / sizeof(Elf64_Sym);

	for (uint64_t i = 1; i < count; i++) {
		Elf64_Sym y;
		memcpy(&y, e->img->data + e->symtab.sh_offset + i * sizeof y, sizeof y);
		if (!wanted(&y, e->shnum))
			continue;
		const char *name = sym_name(e, y.st_name);
		if (!name)
			return elf_fail(err, n, e->img, "symbol name outside the string table");
		if (!*name)
			continue;
		const Elf64_Shdr *sec = &e->sh[y.st_shndx];
		struct sym x = { .addr = y.st_value, .size = y.st_size,
				 .sec_end = sec->sh_addr + sec->sh_size, .name = (char *)name,
				 .image = image, .rank = rank_of(&y) };
		if (!push(s, &x))
			return elf_fail(err, n, e->img, "out of memory");
	}
	return true;
}

static int by_addr(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return strcmp(x->name, y->name);
}

bool symtab_load_elf(struct symtab *s, const char *path, const char *image, char *err, size_t n)
{
	struct image img;
	struct load_error lerr;
	struct elf_syms e = { .img = &img };
	Elf64_Ehdr eh;
	size_t before = s->count;
	bool ok;

	if (!image_read(path, &img, &lerr)) {
		snprintf(err, n, "%s", lerr.msg);
		return false;
	}
	unsigned idx = add_image(s, image);
	ok = idx != ~0u ? check_ehdr(&img, &eh, err, n) && read_shdrs(&e, &eh, err, n) &&
				  find_symtab(&e, err, n) && add_symbols(s, &e, idx, err, n)
			: elf_fail(err, n, &img, "out of memory");
	if (!ok) {
		while (s->count > before)
			free(s->syms[--s->count].name);
	}
	free((void *)e.sh);
	image_free(&img);
	if (s->count)
		qsort(s->syms, s->count, sizeof *s->syms, by_addr);
	return ok;
}

/* ---- lookups ---- */

bool symtab_lookup(const struct symtab *s, const char *name, uint64_t *addr)
{
	const char *colon = strchr(name, ':');
	size_t image_len = colon ? (size_t)(colon - name) : 0;
	const char *bare = colon ? colon + 1 : name;
	const struct sym *best = NULL;

	for (size_t i = 0; i < s->count; i++) {
		const struct sym *x = &s->syms[i];
		if (strcmp(x->name, bare))
			continue;
		if (colon && (strlen(s->images[x->image]) != image_len ||
			      strncmp(s->images[x->image], name, image_len)))
			continue;
		if (!best || x->rank < best->rank)
			best = x; /* a global definition wins over a local one of the same name */
	}
	if (best)
		*addr = best->addr;
	return best != NULL;
}

/* The last symbol at or below addr (the best-ranked one at its address), or NULL. */
static const struct sym *at_or_below(const struct symtab *s, uint64_t addr)
{
	size_t lo = 0, hi = s->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const struct sym *x = &s->syms[lo - 1];
	while (x > s->syms && x[-1].addr == x->addr)
		x--;
	return x;
}

static bool covers(const struct sym *x, uint64_t addr)
{
	if (x->size)
		return addr - x->addr < x->size;
	return addr == x->addr || addr < x->sec_end; /* a label may sit at its section's end */
}

/*
 * The symbol containing addr: a sized symbol covers its size; a label (size 0) covers up to the
 * next symbol in its section. An address in the padding after a function is in none, unless an
 * enclosing object (a few symbols back) covers it.
 */
const char *symtab_find_in(const struct symtab *s, uint64_t addr, uint64_t *offset,
			   const char **image)
{
	const struct sym *x = at_or_below(s, addr);

	for (unsigned back = 0; x && back < 8; back++, x--) {
		if ((back == 0 || x->size) && covers(x, addr)) {
			if (offset)
				*offset = addr - x->addr;
			if (image)
				*image = s->images[x->image];
			return x->name;
		}
		if (x == s->syms)
			break;
	}
	return NULL;
}

const char *symtab_find(const struct symtab *s, uint64_t addr, uint64_t *offset)
{
	return symtab_find_in(s, addr, offset, NULL);
}

const char *symtab_format(const struct symtab *s, uint64_t addr, char *buf, size_t n)
{
	uint64_t off = 0;
	const char *name = s ? symtab_find(s, addr, &off) : NULL;

	if (!name)
		snprintf(buf, n, "%#llx", (unsigned long long)addr);
	else if (off)
		snprintf(buf, n, "%s+%#llx", name, (unsigned long long)off);
	else
		snprintf(buf, n, "%s", name);
	return buf;
}
