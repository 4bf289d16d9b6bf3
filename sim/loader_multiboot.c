/*
 * Multiboot kernels: the Multiboot Specification 0.6.96 ("v1") and Multiboot2 2.0 ("v2").
 * A header is found by its magic in the first 8192 (v1, 4-byte aligned) or 32768 (v2, 8-byte
 * aligned) bytes. The image is loaded either by the header's address fields (v1 flag bit 16, v2
 * address tag: the "a.out kludge") or as an ELF file by physical address. A magic whose header
 * fails its checksum is an error, not skipped: the file says it is a Multiboot kernel, and
 * booting it some other way would hide the mistake.
 */
#include <string.h>

#include "sim/loader.h"

/* v1 3.1.1 / v2 3.1.1: header magic, search window, alignment. */
#define MB1_HEADER_MAGIC 0x1badb002u
#define MB1_SEARCH 8192u
#define MB2_HEADER_MAGIC 0xe85250d6u
#define MB2_SEARCH 32768u
#define MB2_ARCH_I386 0u

/* v1 3.1.2: flags. Bits 0-15 are requirements: one the loader cannot meet fails the boot. */
#define MB1_FLAG_PAGE_ALIGN (1u << 0) /* align modules on 4 KiB: hvsim always does */
#define MB1_FLAG_MEMINFO (1u << 1)    /* provide mem_* and mmap: always done */
#define MB1_FLAG_VIDEO (1u << 2)      /* provide the video mode table: hvsim has no display */
#define MB1_FLAG_ADDRESS (1u << 16)   /* the address fields are valid */
#define MB1_FLAGS_REQUIRED 0xffffu
#define MB1_FLAGS_SUPPORTED (MB1_FLAG_PAGE_ALIGN | MB1_FLAG_MEMINFO)

#define MB1_HEADER_SIZE 12u      /* magic, flags, checksum */
#define MB1_ADDR_HEADER_SIZE 32u /* ... plus the five address fields */
#define MB2_HEADER_SIZE 16u      /* magic, architecture, header_length, checksum */
#define MB2_TAG_SIZE 8u          /* type, flags, size */
#define MB2_TAG_OPTIONAL 1u      /* v2 3.1.3: flags bit 0 */
#define MB2_LOAD_FROM_START 0xffffffffu /* v2 3.1.5: load_addr = -1 */

/* The address fields: v1 3.1.3 and the v2 address tag (3.1.5) mean the same. */
struct mb_address {
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr;
};

/* What a header asks of the loader. */
struct mb_request {
	enum image_kind kind;
	const char *name; /* "Multiboot" or "Multiboot2", for messages */
	size_t header_off;
	bool has_address, has_entry;
	struct mb_address addr;
	uint32_t entry;
};

static uint32_t get32(const struct image *img, size_t off)
{
	uint32_t v;
	memcpy(&v, img->data + off, sizeof v);
	return v;
}

static uint16_t get16(const struct image *img, size_t off)
{
	uint16_t v;
	memcpy(&v, img->data + off, sizeof v);
	return v;
}

static size_t search_window(const struct image *img, size_t limit)
{
	return img->size < limit ? img->size : limit;
}

/* ---- Multiboot2 header tags (v2 3.1.3 - 3.1.13) ---- */

struct mb2_tag {
	size_t off;
	uint16_t type, flags;
	uint32_t size;
};

typedef bool (*mb2_tag_fn)(const struct image *img, const struct mb2_tag *tag,
			   struct mb_request *rq, struct load_error *err);

static bool tag_ignore(const struct image *img, const struct mb2_tag *tag, struct mb_request *rq,
		       struct load_error *err)
{
	(void)img, (void)tag, (void)rq, (void)err;
	return true;
}

/* 3.1.4: every requested information type must be provided, unless the tag is optional. */
static bool tag_info_request(const struct image *img, const struct mb2_tag *tag,
			     struct mb_request *rq, struct load_error *err)
{
	(void)rq;
	if (tag->flags & MB2_TAG_OPTIONAL)
		return true;
	for (uint32_t at = MB2_TAG_SIZE; at + 4 <= tag->size; at += 4) {
		uint32_t type = get32(img, tag->off + at);
		if (!mb2_info_provided(type))
			return load_fail(err, img, "Multiboot2 information request tag at offset %#zx requires information type %u, which hvsim does not provide",
					 tag->off, type);
	}
	return true;
}

static bool tag_address(const struct image *img, const struct mb2_tag *tag,
			struct mb_request *rq, struct load_error *err)
{
	(void)err;
	rq->has_address = true;
	rq->addr = (struct mb_address){ get32(img, tag->off + 8), get32(img, tag->off + 12),
					get32(img, tag->off + 16), get32(img, tag->off + 20) };
	return true;
}

static bool tag_entry(const struct image *img, const struct mb2_tag *tag, struct mb_request *rq,
		      struct load_error *err)
{
	(void)err;
	rq->has_entry = true;
	rq->entry = get32(img, tag->off + 8);
	return true;
}

/* 3.1.9: console_flags bit 0 demands a console described in the information; hvsim has none. */
static bool tag_console(const struct image *img, const struct mb2_tag *tag,
			struct mb_request *rq, struct load_error *err)
{
	(void)rq;
	if ((get32(img, tag->off + 8) & 1u) && !(tag->flags & MB2_TAG_OPTIONAL))
		return load_fail(err, img, "Multiboot2 console flags tag at offset %#zx requires a console, which hvsim does not describe",
				 tag->off);
	return true;
}

/* Known tag types, with their exact size (0: variable). NULL 'fn': known but not provided. */
static const struct {
	uint16_t type;
	const char *name;
	uint32_t size;
	mb2_tag_fn fn;
} mb2_tag_kinds[] = {
	{ 1, "information request", 0, tag_info_request },
	{ 2, "address", 24, tag_address },
	{ 3, "entry address", 12, tag_entry },
	{ 4, "console flags", 12, tag_console },
	{ 5, "framebuffer", 20, NULL },
	{ 6, "module alignment", 8, tag_ignore }, /* modules are always page-aligned */
	{ 7, "EFI boot services", 8, NULL },
	{ 8, "EFI i386 entry address", 12, tag_ignore },  /* 3.1.7: EFI only */
	{ 9, "EFI amd64 entry address", 12, tag_ignore }, /* 3.1.8: EFI only */
	{ 10, "relocatable", 24, tag_ignore },            /* loading where linked is allowed */
};

static bool mb2_tag(const struct image *img, const struct mb2_tag *tag, struct mb_request *rq,
		    struct load_error *err)
{
	bool optional = tag->flags & MB2_TAG_OPTIONAL;

	for (unsigned i = 0; i < sizeof mb2_tag_kinds / sizeof mb2_tag_kinds[0]; i++) {
		if (mb2_tag_kinds[i].type != tag->type)
			continue;
		if (!mb2_tag_kinds[i].fn) {
			if (optional)
				return true;
			return load_fail(err, img, "Multiboot2 %s tag at offset %#zx is required, and hvsim does not support it",
					 mb2_tag_kinds[i].name, tag->off);
		}
		if (mb2_tag_kinds[i].size && tag->size != mb2_tag_kinds[i].size)
			return load_fail(err, img, "Multiboot2 %s tag at offset %#zx has size %u, expected %u",
					 mb2_tag_kinds[i].name, tag->off, tag->size, mb2_tag_kinds[i].size);
		return mb2_tag_kinds[i].fn(img, tag, rq, err);
	}
	if (optional)
		return true;
	return load_fail(err, img, "Multiboot2 header tag type %u at offset %#zx is unknown and not optional",
			 tag->type, tag->off);
}

/* 3.1.3: tags follow the fixed part, each 8-byte aligned; the list ends with type 0, size 8. */
static bool mb2_tags(const struct image *img, size_t pos, size_t end, struct mb_request *rq,
		     struct load_error *err)
{
	while (end - pos >= MB2_TAG_SIZE) {
		struct mb2_tag tag = { pos, get16(img, pos), get16(img, pos + 2), get32(img, pos + 4) };
		if (tag.size < MB2_TAG_SIZE || tag.size > end - pos)
			return load_fail(err, img, "Multiboot2 header tag at offset %#zx: size %u does not fit in the header",
					 pos, tag.size);
		if (tag.type == 0)
			return true;
		if (!mb2_tag(img, &tag, rq, err))
			return false;
		pos += (tag.size + 7u) & ~(size_t)7;
		if (pos > end)
			break;
	}
	return load_fail(err, img, "Multiboot2 header at offset %#zx has no end tag", rq->header_off);
}

/* 3.1.2: magic, architecture, header_length, checksum (the four sum to 0 mod 2^32). */
static bool mb2_parse(const struct image *img, size_t off, struct mb_request *rq,
		      struct load_error *err)
{
	size_t window = search_window(img, MB2_SEARCH);
	uint32_t arch, len, sum;

	if (window - off < MB2_HEADER_SIZE)
		return load_fail(err, img, "Multiboot2 header at offset %#zx is truncated", off);
	arch = get32(img, off + 4);
	len = get32(img, off + 8);
	sum = get32(img, off + 12);
	if (MB2_HEADER_MAGIC + arch + len + sum != 0)
		return load_fail(err, img, "Multiboot2 header at offset %#zx has a bad checksum (%#x)",
				 off, sum);
	if (arch != MB2_ARCH_I386)
		return load_fail(err, img, "Multiboot2 header at offset %#zx: architecture %u is not i386 (0)",
				 off, arch);
	if (len < MB2_HEADER_SIZE + MB2_TAG_SIZE)
		return load_fail(err, img, "Multiboot2 header length %u at offset %#zx is too short (at least %u: the fixed part and an end tag)",
				 len, off, MB2_HEADER_SIZE + MB2_TAG_SIZE);
	if (len > window - off)
		return load_fail(err, img, "Multiboot2 header at offset %#zx (%u bytes) runs past the %s",
				 off, len, window < img->size ? "first 32768 bytes" : "end of the file");
	*rq = (struct mb_request){ .kind = IMAGE_MULTIBOOT2, .name = "Multiboot2", .header_off = off };
	if (!mb2_tags(img, off + MB2_HEADER_SIZE, off + len, rq, err))
		return false;
	if (rq->has_address && !rq->has_entry)
		return load_fail(err, img, "Multiboot2 header at offset %#zx has an address tag but no entry address tag",
				 off);
	return true;
}

/* ---- Multiboot (v1) header, 3.1.1 - 3.1.3 ---- */

static const char *mb1_flag_name(unsigned bit)
{
	return bit == 2 ? "video mode table" : "unknown to hvsim";
}

static bool mb1_parse(const struct image *img, size_t off, struct mb_request *rq,
		      struct load_error *err)
{
	size_t window = search_window(img, MB1_SEARCH);
	uint32_t flags, sum, unsupported;

	if (window - off < MB1_HEADER_SIZE)
		return load_fail(err, img, "Multiboot header at offset %#zx is truncated", off);
	flags = get32(img, off + 4);
	sum = get32(img, off + 8);
	if (MB1_HEADER_MAGIC + flags + sum != 0)
		return load_fail(err, img, "Multiboot header at offset %#zx has a bad checksum (%#x)",
				 off, sum);
	unsupported = flags & MB1_FLAGS_REQUIRED & ~MB1_FLAGS_SUPPORTED;
	if (unsupported) {
		unsigned bit = (unsigned)__builtin_ctz(unsupported);
		return load_fail(err, img, "Multiboot header at offset %#zx requires flag bit %u (%s), which hvsim does not support",
				 off, bit, mb1_flag_name(bit));
	}
	*rq = (struct mb_request){ .kind = IMAGE_MULTIBOOT1, .name = "Multiboot", .header_off = off };
	if (!(flags & MB1_FLAG_ADDRESS))
		return true;
	if (window - off < MB1_ADDR_HEADER_SIZE)
		return load_fail(err, img, "Multiboot header at offset %#zx: the address fields (flag bit 16) are truncated",
				 off);
	rq->has_address = rq->has_entry = true;
	rq->addr = (struct mb_address){ get32(img, off + 12), get32(img, off + 16),
					get32(img, off + 20), get32(img, off + 24) };
	rq->entry = get32(img, off + 28);
	return true;
}

/* Find the first magic at the given alignment within the search window. */
static bool find_magic(const struct image *img, uint32_t magic, size_t limit, size_t align,
		       size_t *off)
{
	size_t window = search_window(img, limit);
	for (size_t at = 0; at + 4 <= window; at += align) {
		if (get32(img, at) == magic) {
			*off = at;
			return true;
		}
	}
	return false;
}

static enum load_result mb_find(const struct image *img, struct mb_request *rq,
				struct load_error *err)
{
	size_t off;

	if (find_magic(img, MB2_HEADER_MAGIC, MB2_SEARCH, 8, &off))
		return mb2_parse(img, off, rq, err) ? LOAD_OK : LOAD_FAILED;
	if (find_magic(img, MB1_HEADER_MAGIC, MB1_SEARCH, 4, &off))
		return mb1_parse(img, off, rq, err) ? LOAD_OK : LOAD_FAILED;
	return LOAD_NOT_MINE;
}

/* ---- Loading ---- */

/* The file range the address fields select (v1 3.1.3, v2 3.1.5). */
static bool address_range(const struct image *img, const struct mb_request *rq, uint64_t *load,
			  uint64_t *file_off, uint64_t *file_len, struct load_error *err)
{
	const struct mb_address *a = &rq->addr;

	if (rq->kind == IMAGE_MULTIBOOT2 && a->load_addr == MB2_LOAD_FROM_START) {
		if (a->header_addr < rq->header_off)
			return load_fail(err, img, "%s header_addr %#x is below the header's file offset %#zx",
					 rq->name, a->header_addr, rq->header_off);
		*load = a->header_addr - rq->header_off;
		*file_off = 0;
	} else {
		if (a->load_addr > a->header_addr)
			return load_fail(err, img, "%s load_addr %#x is above header_addr %#x",
					 rq->name, a->load_addr, a->header_addr);
		if (a->header_addr - a->load_addr > rq->header_off)
			return load_fail(err, img, "%s load_addr %#x would start loading %#x bytes before the header, ahead of the file's start",
					 rq->name, a->load_addr, a->header_addr - a->load_addr);
		*load = a->load_addr;
		*file_off = rq->header_off - (a->header_addr - a->load_addr);
	}
	if (a->load_end_addr == 0) {
		*file_len = img->size - *file_off;
		return true;
	}
	if (a->load_end_addr < *load)
		return load_fail(err, img, "%s load_end_addr %#x is below load_addr %#llx", rq->name,
				 a->load_end_addr, (unsigned long long)*load);
	*file_len = a->load_end_addr - *load;
	if (*file_len > img->size - *file_off)
		return load_fail(err, img, "%s load range %#llx-%#x needs file bytes %#llx+%#llx, past the end of the file (%zu bytes)",
				 rq->name, (unsigned long long)*load, a->load_end_addr,
				 (unsigned long long)*file_off, (unsigned long long)*file_len, img->size);
	return true;
}

static bool load_by_address(const struct image *img, const struct mb_request *rq,
			    const struct ram_window *w, struct boot_info *bi, struct load_error *err)
{
	uint64_t load = 0, file_off = 0, file_len = 0, end;
	uint8_t *host;

	if (!address_range(img, rq, &load, &file_off, &file_len, err))
		return false;
	end = load + file_len;
	if (rq->addr.bss_end_addr) {
		if (rq->addr.bss_end_addr < end)
			return load_fail(err, img, "%s bss_end_addr %#x is below the end of the loaded data %#llx",
					 rq->name, rq->addr.bss_end_addr, (unsigned long long)end);
		end = rq->addr.bss_end_addr;
	}
	if (rq->entry < load || rq->entry >= end)
		return load_fail(err, img, "%s entry_addr %#x is outside the loaded image %#llx-%#llx",
				 rq->name, rq->entry, (unsigned long long)load, (unsigned long long)end);
	if (!ram_window_check(img, w, load, end - load, "Multiboot image", err))
		return false;
	host = phys_host(w->phys, load, end - load);
	memcpy(host, img->data + file_off, file_len);
	memset(host + file_len, 0, end - load - file_len);
	*bi = (struct boot_info){ .kind = rq->kind, .entry = rq->entry, .load_lo = load, .load_hi = end };
	return true;
}

/* The entry's physical address: e_entry through the segment that holds it (VMA to LMA). */
static bool elf_entry(const struct image *img, const struct elf_exec *ex,
		      const struct mb_request *rq, uint64_t *entry, struct load_error *err)
{
	for (unsigned i = 0; i < ex->count; i++) {
		const struct elf_segment *s = &ex->seg[i];
		if (rq->has_entry && rq->entry >= s->paddr && rq->entry - s->paddr < s->memsz) {
			*entry = rq->entry;
			return true;
		}
		if (!rq->has_entry && ex->entry >= s->vaddr && ex->entry - s->vaddr < s->memsz) {
			*entry = s->paddr + (ex->entry - s->vaddr);
			return *entry <= UINT32_MAX ||
			       load_fail(err, img, "entry point %#llx is above 4 GiB, out of reach of a 32-bit entry",
					 (unsigned long long)*entry);
		}
	}
	if (rq->has_entry)
		return load_fail(err, img, "%s entry address %#x is outside every loadable segment",
				 rq->name, rq->entry);
	return load_fail(err, img, "entry point %#llx is outside every loadable segment",
			 (unsigned long long)ex->entry);
}

static bool load_elf(const struct image *img, const struct mb_request *rq,
		     const struct ram_window *w, struct boot_info *bi, struct load_error *err)
{
	struct elf_exec ex;
	uint64_t entry = 0;

	if (!elf_detect(img))
		return load_fail(err, img, "%s header at offset %#zx gives no load addresses (%s) and the file is not ELF",
				 rq->name, rq->header_off,
				 rq->kind == IMAGE_MULTIBOOT1 ? "flag bit 16" : "address tag");
	if (!elf_parse(img, &ex, err) || !elf_entry(img, &ex, rq, &entry, err) ||
	    !elf_place(img, &ex, w, bi, err))
		return false;
	bi->kind = rq->kind;
	bi->entry = entry;
	return true;
}

enum load_result multiboot_load(const struct image *img, const struct load_target *t,
				struct boot_info *bi, struct load_error *err)
{
	struct mb_modules mods;
	struct mb_request rq;
	struct ram_window w = { .phys = t->phys, .reserved_lo = MB_LOWMEM_TOP,
				.reserved_hi = MB_HIGHMEM_BASE,
				.reserved_name = "the reserved legacy window (hvsim's Multiboot boot data)" };
	enum load_result r = mb_find(img, &rq, err);

	if (r != LOAD_OK)
		return r;
	if (t->phys->size <= MB_HIGHMEM_BASE) {
		load_fail(err, img, "a Multiboot kernel needs RAM above 1 MiB");
		return LOAD_FAILED;
	}
	if (!(rq.has_address ? load_by_address(img, &rq, &w, bi, err)
			     : load_elf(img, &rq, &w, bi, err)) ||
	    !mb_modules_load(img, t, &w, bi, &mods, err))
		return LOAD_FAILED;
	bi->mb_magic = rq.kind == IMAGE_MULTIBOOT2 ? MB2_BOOTLOADER_MAGIC : MB1_BOOTLOADER_MAGIC;
	bi->mb_info = rq.kind == IMAGE_MULTIBOOT2 ? mb2_write_info(t, &mods)
						  : mb1_write_info(t, &mods);
	return LOAD_OK;
}
