/* Guest memory, guest ELF images and the guest boot area (gmem.h). */
#include "gmem.h"

#include "mm/mm.h"

bool gmem_alloc(struct gmem *m, uint64_t bytes)
{
	m->npages = bytes >> PAGE_SHIFT;
	uint64_t table = pages_alloc_contig(ALIGN_UP(m->npages * 8, PAGE_SIZE) >> PAGE_SHIFT);
	if (!table)
		return false;
	m->frames = phys_to_virt(table);
	for (uint64_t i = 0; i < m->npages; i++)
		if (!(m->frames[i] = page_alloc()))
			return false;
	return true;
}

void gmem_free(struct gmem *m)
{
	for (uint64_t i = 0; i < m->npages && m->frames[i]; i++)
		page_free(m->frames[i]);
	uint64_t table = virt_to_phys(m->frames);
	for (uint64_t off = 0; off < m->npages * 8; off += PAGE_SIZE)
		page_free(table + off);
	m->npages = 0;
}

void gmem_write(const struct gmem *m, uint64_t addr, const void *src, uint64_t n)
{
	const uint8_t *s = src;

	while (n) {
		uint64_t off = addr & (PAGE_SIZE - 1), chunk = PAGE_SIZE - off < n ? PAGE_SIZE - off : n;
		uint8_t *d = (uint8_t *)gmem_page(m, addr >> PAGE_SHIFT) + off;
		if (s) {
			memcpy(d, s, chunk);
			s += chunk;
		} else {
			memset(d, 0, chunk);
		}
		addr += chunk;
		n -= chunk;
	}
}

/* ELF-64 Object File Format 1.5: the header and program header fields hv reads. */
struct elf64_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};
#define PT_LOAD 1
#define ET_EXEC 2
#define EM_X86_64 62

static const char *check_phdr(const struct gmem *m, const struct elf64_phdr *p, uint64_t len)
{
	uint64_t ram = guest_boot_base(m);

	if (p->vaddr != p->paddr)
		return "a segment is not identity-linked (p_vaddr != p_paddr)";
	if (p->filesz > p->memsz || p->offset > len || p->filesz > len - p->offset)
		return "a segment lies outside the file";
	if (p->paddr < PAGE_SIZE || p->memsz > ram || p->paddr > ram - p->memsz)
		return "a segment lies outside guest RAM (below 4K or in the boot area)";
	return NULL;
}

bool elf_load(const struct gmem *m, const void *img, uint64_t len, uint64_t *entry, const char **why)
{
	const struct elf64_ehdr *eh = img;
	static const uint8_t magic[] = { 0x7f, 'E', 'L', 'F', 2 /* 64-bit */, 1 /* LSB */ };

	*why = "not an ELF64 x86-64 executable";
	if (len < sizeof *eh || memcmp(eh->ident, magic, sizeof magic) || eh->type != ET_EXEC ||
	    eh->machine != EM_X86_64 || eh->phentsize != sizeof(struct elf64_phdr))
		return false;
	*why = "program headers lie outside the file";
	if (eh->phoff > len || eh->phnum > (len - eh->phoff) / sizeof(struct elf64_phdr))
		return false;
	const struct elf64_phdr *ph = (const void *)((const uint8_t *)img + eh->phoff);
	for (unsigned i = 0; i < eh->phnum; i++)
		if (ph[i].type == PT_LOAD && (*why = check_phdr(m, &ph[i], len)))
			return false;
	for (unsigned i = 0; i < eh->phnum; i++) {
		if (ph[i].type != PT_LOAD)
			continue;
		gmem_write(m, ph[i].paddr, (const uint8_t *)img + ph[i].offset, ph[i].filesz);
		gmem_write(m, ph[i].paddr + ph[i].filesz, NULL, ph[i].memsz - ph[i].filesz);
	}
	*entry = eh->entry;
	*why = NULL;
	return true;
}

void guest_boot_cmdline(const struct gmem *m, const char *cmdline)
{
	uint64_t n = strlen(cmdline);
	n = n < PAGE_SIZE - 1 ? n : PAGE_SIZE - 1;
	gmem_write(m, guest_boot_base(m) + GUEST_BOOT_CMDLINE, cmdline, n);
	gmem_write(m, guest_boot_base(m) + GUEST_BOOT_CMDLINE + n, NULL, 1);
}
