/*
 * Image loading end to end: Multiboot v1 and v2 kernels boot through `hvsim run` and see the
 * machine hvsim promises (README "Booting"); malformed images of every kind are refused with
 * exit code 2 and one line naming the file and the problem. Bad images are built here, byte by
 * byte, from the ELF and Multiboot specifications.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "cpu/icount.h"
#include "sim/boot32.h"
#include "sim/ram.h"
#include "tests/lib/harness.h"

#define MiB (1ull << 20)

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void expect_line(const struct run_result *r, const char *image, const char *line)
{
	ck_assert_msg(strstr(r->out, line), "%s: '%s' not in output:\n%s", image, line, r->out);
}

/* ---- Multiboot kernels boot ---- */

/*
 * What each kernel must print, derived from the options alone and the documented machine
 * (README "Booting"): lower memory is the PC's 640 KiB; upper memory runs from 1 MiB to the end
 * of RAM; the map has [0, 640K) available, the legacy window [640K, 1M) reserved, the rest
 * available.
 */
static void expect_boot_info(const struct run_result *r, const char *image, unsigned version,
			     uint64_t mem, const char *cmdline)
{
	char line[160];

	expect_line(r, image, "mb: entry state ok");
	snprintf(line, sizeof line, "mb: entry eax=%x ", version == 1 ? 0x2badb002u : 0x36d76289u);
	expect_line(r, image, line);
	expect_line(r, image, "cr0=11 cr4=0 efer=0 eflags=2 cs=8 ds=10 ss=10");
	snprintf(line, sizeof line, "mb: magic ok (multiboot%u)", version);
	expect_line(r, image, line);
	snprintf(line, sizeof line, "mb: cmdline \"%s\"", cmdline);
	expect_line(r, image, line);
	snprintf(line, sizeof line, "mb: mem_lower=640 KiB mem_upper=%llu KiB",
		 (unsigned long long)((mem - MiB) / 1024));
	expect_line(r, image, line);
	expect_line(r, image, "mb: loader \"hvsim\"");
	expect_line(r, image, "mb: mmap base=0 len=a0000 type=1\n");
	expect_line(r, image, "mb: mmap base=a0000 len=60000 type=2\n");
	snprintf(line, sizeof line, "mb: mmap base=100000 len=%llx type=1\n",
		 (unsigned long long)(mem - MiB));
	expect_line(r, image, line);
	expect_line(r, image, "mb: done");
}

static const struct {
	const char *image;
	unsigned version;
	const char *mem; /* --mem */
	uint64_t bytes;  /* the same, in bytes */
	const char *cmdline;
} mb_kernels[] = {
	{ "tests/guests/mb/mb1.elf", 1, "64M", 64 * MiB, "console=ttyS0 mb1 elf32" },
	{ "tests/guests/mb/mb1-aout.bin", 1, "34M", 34 * MiB, "mb1 address fields" },
	{ "tests/guests/mb/mb2.elf", 2, "128M", 128 * MiB, "mb2 elf64 x=1" },
	{ "tests/guests/mb/mb2-addr.bin", 2, "3M", 3 * MiB, "" },
};

START_TEST(multiboot_kernels_boot)
{
	unsigned i = (unsigned)_i;
	struct run_result r;
	const char *img = build_path(mb_kernels[i].image);

	run_hvsim(&r, (const char *const[]){ "run", "--mem", mb_kernels[i].mem, "--cmdline",
					     mb_kernels[i].cmdline, img, NULL });
	ck_assert_msg(r.exit_code == 0, "%s: exit %d, stderr: %s\nstdout: %s", img, r.exit_code,
		      r.err, r.out);
	expect_boot_info(&r, img, mb_kernels[i].version, mb_kernels[i].bytes, mb_kernels[i].cmdline);
	run_result_free(&r);
}
END_TEST

START_TEST(multiboot_without_cmdline_gets_empty_string)
{
	struct run_result r;
	run_hvsim(&r, (const char *const[]){ "run", build_path("tests/guests/mb/mb1.elf"), NULL });
	ck_assert_msg(r.exit_code == 0, "exit %d, stderr: %s", r.exit_code, r.err);
	expect_line(&r, "mb1.elf", "mb: cmdline \"\"\n");
	expect_line(&r, "mb1.elf", "mem_upper=261120 KiB"); /* the 256 MiB default, less 1 MiB */
	run_result_free(&r);
}
END_TEST

START_TEST(multiboot_runs_are_deterministic)
{
	expect_deterministic_run("tests/guests/mb/mb2.elf");
}
END_TEST

/*
 * Instruction counting follows the code size (SDM Vol. 2, 2.2.1 "REX Prefixes"): 48 is DEC EAX
 * in 32-bit code and a REX prefix in 64-bit code, so "48 48 48 90" is four instructions or one.
 */
START_TEST(icount_decodes_32bit_code)
{
	static const uint8_t code[] = { 0x48, 0x48, 0x48, 0x90, 0xf4 };
	uint64_t size = 4 * MiB;
	uint8_t *ram = ram_alloc(size);
	struct cpu_config cc = { .ram_size = size };
	struct cpu cpu;
	char why[160];

	ck_assert_ptr_nonnull(ram);
	ck_assert_int_eq(cpu_init(&cpu, &cc, ram), CPU_OK);
	memcpy(ram + MiB, code, sizeof code);
	ck_assert_msg(boot32_setup(&cpu, 0xe0000, MiB, 0, 0, why, sizeof why), "%s", why);
	ck_assert_uint_eq(icount_block(&cpu, MiB, sizeof code), 5);
	cpu_destroy(&cpu);
	ram_free(ram, size);
}
END_TEST

/* ---- malformed images ---- */

struct img {
	uint8_t b[0x3000];
	size_t len;
};

static void put16(struct img *im, size_t off, uint16_t v)
{
	memcpy(im->b + off, &v, 2);
}

static void put32(struct img *im, size_t off, uint32_t v)
{
	memcpy(im->b + off, &v, 4);
}

/* An ELF64 x86-64 executable header with 'phnum' program headers right after it. */
static void elf64_header(struct img *im, unsigned phnum, uint64_t entry)
{
	Elf64_Ehdr eh = { .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
			  .e_entry = entry, .e_phoff = sizeof eh, .e_ehsize = sizeof eh,
			  .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = (uint16_t)phnum };
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(im->b, &eh, sizeof eh);
}

static void elf64_load_segment(struct img *im, unsigned i, uint64_t off, uint64_t filesz,
			       uint64_t paddr, uint64_t memsz)
{
	Elf64_Phdr ph = { .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = off,
			  .p_vaddr = paddr, .p_paddr = paddr, .p_filesz = filesz, .p_memsz = memsz,
			  .p_align = 0x1000 };
	memcpy(im->b + sizeof(Elf64_Ehdr) + i * sizeof ph, &ph, sizeof ph);
}

static void truncated_elf_header(struct img *im)
{
	elf64_header(im, 1, 0x100000);
	im->len = 20;
}

static void truncated_program_headers(struct img *im)
{
	elf64_header(im, 2, 0x100000);
	elf64_load_segment(im, 0, 0x1000, 0x10, 0x100000, 0x10);
	im->len = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr); /* the second one is missing */
}

static void segment_past_eof(struct img *im)
{
	elf64_header(im, 1, 0x100000);
	elf64_load_segment(im, 0, 0x1000, 0x2000, 0x100000, 0x2000);
	im->len = 0x1800;
}

static void overlapping_segments(struct img *im)
{
	elf64_header(im, 2, 0x100000);
	elf64_load_segment(im, 0, 0x1000, 0x100, 0x100000, 0x2000);
	elf64_load_segment(im, 1, 0x1000, 0x100, 0x101000, 0x1000);
	im->len = 0x1100;
}

/* With --mem 2M: 4 MiB at 1 MiB cannot fit. */
static void larger_than_ram(struct img *im)
{
	elf64_header(im, 1, 0x100000);
	elf64_load_segment(im, 0, 0x1000, 0x100, 0x100000, 4 * MiB);
	im->len = 0x1100;
}

/*
 * RAM around the PCI hole (README "Booting"): with --mem 16G, RAM is 0-0xbfffffff and
 * 0x100000000-0x43fffffff; the ELF64 boot data is the top 64 KiB below 3 GiB.
 */
static void elf64_one_segment(struct img *im, uint64_t paddr, uint64_t memsz)
{
	elf64_header(im, 1, paddr);
	elf64_load_segment(im, 0, 0x1000, 0x100, paddr, memsz);
	im->len = 0x1100;
}

static void segment_on_the_apic(struct img *im)
{
	elf64_one_segment(im, 0xfee00000, 0x1000);
}

static void segment_straddling_3g(struct img *im)
{
	elf64_one_segment(im, 0xbffff000, 0x2000);
}

static void segment_straddling_4g(struct img *im)
{
	elf64_one_segment(im, 0xfffff000, 0x2000);
}

static void segment_in_boot64_area(struct img *im)
{
	elf64_one_segment(im, 0xbfff8000, 0x1000);
}

static void segment_past_high_ram(struct img *im)
{
	elf64_one_segment(im, 0x43ffff000, 0x2000);
}

static void segment_at_4g(struct img *im) /* with --mem 256M: there is no RAM there */
{
	elf64_one_segment(im, 0x100000000, 0x1000);
}

static void elf32_without_multiboot(struct img *im)
{
	Elf32_Ehdr eh = { .e_type = ET_EXEC, .e_machine = EM_386, .e_phoff = sizeof eh,
			  .e_phentsize = sizeof(Elf32_Phdr), .e_phnum = 1 };
	Elf32_Phdr ph = { .p_type = PT_LOAD, .p_offset = 0x1000, .p_vaddr = 0x100000,
			  .p_paddr = 0x100000, .p_filesz = 0x10, .p_memsz = 0x10 };
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS32;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_entry = 0x100000;
	memcpy(im->b, &eh, sizeof eh);
	memcpy(im->b + sizeof eh, &ph, sizeof ph);
	im->len = 0x1010;
}

static void not_an_image(struct img *im)
{
	strcpy((char *)im->b, "#!/bin/sh\necho this is not a kernel\n");
	im->len = strlen((char *)im->b);
}

/* Multiboot 0.6.96, 3.1.1: magic, flags, checksum (the three sum to 0). */
#define MB1_MAGIC 0x1badb002u
#define MB1_ADDRESS (1u << 16)

static void mb1_header(struct img *im, size_t off, uint32_t flags)
{
	put32(im, off, MB1_MAGIC);
	put32(im, off + 4, flags);
	put32(im, off + 8, -(MB1_MAGIC + flags));
}

/* 3.1.3: header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr. */
static void mb1_kludge(struct img *im, uint32_t load, uint32_t load_end, uint32_t bss_end,
		       uint32_t entry)
{
	mb1_header(im, 0, MB1_ADDRESS);
	put32(im, 12, load); /* the header is the first thing loaded */
	put32(im, 16, load);
	put32(im, 20, load_end);
	put32(im, 24, bss_end);
	put32(im, 28, entry);
	im->len = 0x1000;
}

static void mb1_bad_checksum(struct img *im)
{
	mb1_header(im, 0x40, 0);
	put32(im, 0x48, 0x12345678);
	im->len = 0x100;
}

static void mb1_video_required(struct img *im)
{
	mb1_header(im, 0, 1u << 2);
	im->len = 0x100;
}

static void mb1_load_end_before_load(struct img *im)
{
	mb1_kludge(im, 0x100000, 0xff000, 0, 0x100020);
}

static void mb1_entry_outside(struct img *im)
{
	mb1_kludge(im, 0x100000, 0x100800, 0x101000, 0x200000);
}

static void mb1_bss_past_ram(struct img *im)
{
	mb1_kludge(im, 0x100000, 0x100800, 0x400000, 0x100020); /* with --mem 2M */
}

static void mb1_in_legacy_window(struct img *im)
{
	mb1_kludge(im, 0xe0000, 0xe0800, 0, 0xe0020);
}

static void mb1_in_pci_hole(struct img *im)
{
	mb1_kludge(im, 0xc0000000, 0xc0000800, 0, 0xc0000020);
}

/* Multiboot2 3.1.2: magic, architecture, header_length, checksum (the four sum to 0). */
#define MB2_MAGIC 0xe85250d6u

static void mb2_header(struct img *im, size_t off, uint32_t len)
{
	put32(im, off, MB2_MAGIC);
	put32(im, off + 4, 0);
	put32(im, off + 8, len);
	put32(im, off + 12, -(MB2_MAGIC + len));
	im->len = 0x1000;
}

static void mb2_tag(struct img *im, size_t off, uint16_t type, uint16_t flags, uint32_t size)
{
	put16(im, off, type);
	put16(im, off + 2, flags);
	put32(im, off + 4, size);
}

static void mb2_length_too_short(struct img *im)
{
	mb2_header(im, 0, 16);
}

static void mb2_unknown_required_tag(struct img *im)
{
	mb2_header(im, 0, 16 + 16 + 8);
	mb2_tag(im, 16, 0x77, 0, 16);
	mb2_tag(im, 32, 0, 0, 8);
}

static void mb2_framebuffer_required(struct img *im)
{
	mb2_header(im, 0, 16 + 24 + 8);
	mb2_tag(im, 16, 5, 0, 20);
	mb2_tag(im, 40, 0, 0, 8);
}

static void mb2_address_without_entry(struct img *im)
{
	mb2_header(im, 0, 16 + 24 + 8);
	mb2_tag(im, 16, 2, 0, 24);
	put32(im, 24, 0x100000);
	put32(im, 28, 0x100000);
	mb2_tag(im, 40, 0, 0, 8);
}

static void mb2_unprovided_information(struct img *im)
{
	mb2_header(im, 0, 16 + 16 + 8);
	mb2_tag(im, 16, 1, 0, 16);
	put32(im, 24, 6);  /* memory map: provided */
	put32(im, 28, 13); /* SMBIOS tables: not provided */
	mb2_tag(im, 32, 0, 0, 8);
}

static void mb2_no_end_tag(struct img *im)
{
	mb2_header(im, 0, 16 + 8);
	mb2_tag(im, 16, 6, 0, 8);
}

static void empty_file(struct img *im)
{
	im->len = 0;
}

static const struct {
	const char *what;
	void (*build)(struct img *im);
	const char *mem; /* --mem, NULL: the default */
	const char *mentions;
} bad_images[] = {
	{ "truncated ELF header", truncated_elf_header, NULL, "truncated ELF header" },
	{ "truncated program headers", truncated_program_headers, NULL, "truncated program headers" },
	{ "segment past end of file", segment_past_eof, NULL, "runs past the end of the file" },
	{ "overlapping segments", overlapping_segments, NULL, "segments 0 and 1 overlap" },
	{ "image larger than RAM", larger_than_ram, "2M", "does not fit in RAM" },
	{ "ELF32 without Multiboot", elf32_without_multiboot, NULL, "ELF32" },
	{ "not an image", not_an_image, NULL, "not an ELF64 or Multiboot image" },
	{ "bad Multiboot checksum", mb1_bad_checksum, NULL, "bad checksum" },
	{ "Multiboot video required", mb1_video_required, NULL, "flag bit 2" },
	{ "load_end before load", mb1_load_end_before_load, NULL, "load_end_addr 0xff000 is below load_addr" },
	{ "entry outside", mb1_entry_outside, NULL, "entry_addr 0x200000 is outside the loaded image" },
	{ "bss past RAM", mb1_bss_past_ram, "2M", "does not fit in RAM" },
	{ "image in the legacy window", mb1_in_legacy_window, NULL, "overlaps the reserved legacy window" },
	{ "Multiboot image in the PCI hole", mb1_in_pci_hole, "16G", "overlaps the PCI hole at 0xc0000000-0xffffffff" },
	{ "segment on the local APIC page", segment_on_the_apic, "16G", "overlaps the PCI hole" },
	{ "segment from low RAM into the hole", segment_straddling_3g, "16G", "overlaps the PCI hole" },
	{ "segment from the hole into high RAM", segment_straddling_4g, "16G", "overlaps the PCI hole" },
	{ "segment in the ELF64 boot data", segment_in_boot64_area, "16G", "ELF64 boot data (GDT, page tables, command line) at 0xbfff0000-0xbfffffff" },
	{ "segment past the end of high RAM", segment_past_high_ram, "16G", "does not fit in RAM (0-0xbfffffff and 0x100000000-0x43fffffff)" },
	{ "segment at 4 GiB without high RAM", segment_at_4g, NULL, "does not fit in RAM below 0x10000000" },
	{ "v2 header length too short", mb2_length_too_short, NULL, "length 16 at offset 0 is too short" },
	{ "unknown required v2 tag", mb2_unknown_required_tag, NULL, "tag type 119 at offset 0x10 is unknown and not optional" },
	{ "framebuffer required", mb2_framebuffer_required, NULL, "framebuffer tag" },
	{ "address tag without entry", mb2_address_without_entry, NULL, "no entry address tag" },
	{ "unprovided information", mb2_unprovided_information, NULL, "information type 13" },
	{ "no end tag", mb2_no_end_tag, NULL, "no end tag" },
	{ "empty file", empty_file, NULL, "empty file" },
};

static void expect_refused(const char *what, const char *path, const char *mem,
			   const char *mentions)
{
	struct run_result r;
	const char *args[6] = { "run" };
	unsigned n = 1;

	if (mem) {
		args[n++] = "--mem";
		args[n++] = mem;
	}
	args[n++] = path;
	run_hvsim(&r, args);
	ck_assert_msg(r.exit_code == 2, "%s: exit %d, stderr: %s", what, r.exit_code, r.err);
	ck_assert_msg(count_lines(r.err) == 1, "%s: stderr is not one line: %s", what, r.err);
	ck_assert_msg(strstr(r.err, path), "%s: the file is not named in: %s", what, r.err);
	ck_assert_msg(strstr(r.err, mentions), "%s: '%s' not in: %s", what, mentions, r.err);
	ck_assert_msg(r.out[0] == 0, "%s: the guest ran: %s", what, r.out);
	run_result_free(&r);
}

START_TEST(bad_images_are_refused)
{
	unsigned i = (unsigned)_i;
	static struct img im;

	memset(&im, 0, sizeof im);
	bad_images[i].build(&im);
	const char *path = temp_file(im.b, im.len);
	expect_refused(bad_images[i].what, path, bad_images[i].mem, bad_images[i].mentions);
	unlink(path);
}
END_TEST

/*
 * An ELF64 image whose data segments sit at the first and the last page of high RAM (--mem 5G:
 * 0x100000000-0x17fffffff). Its code adds the first word of each and reports through port 0xf4
 * whether the sum is right: exit 0 only if both segments were loaded where the guest reads them.
 */
START_TEST(elf64_segments_above_4g_are_loaded)
{
	static const uint8_t code[] = {
		0x48, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, /* mov $0x100000000, %rax */
		0x48, 0x8b, 0x10,                                           /* mov (%rax), %rdx */
		0x48, 0xb8, 0x00, 0xf0, 0xff, 0x7f, 0x01, 0x00, 0x00, 0x00, /* mov $0x17ffff000, %rax */
		0x48, 0x03, 0x10,                                           /* add (%rax), %rdx */
		0x48, 0xb8, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, /* mov $0x3333..., %rax */
		0x48, 0x39, 0xc2,                                           /* cmp %rax, %rdx */
		0x0f, 0x95, 0xc0,                                           /* setne %al */
		0xe6, 0xf4,                                                 /* out %al, $0xf4 */
		0xf4,                                                       /* hlt */
	};
	static struct img im;
	struct run_result r;

	memset(&im, 0, sizeof im);
	elf64_header(&im, 3, 0x100000);
	elf64_load_segment(&im, 0, 0x1000, sizeof code, 0x100000, 0x1000);
	elf64_load_segment(&im, 1, 0x2000, 8, 0x100000000ull, 0x1000);
	elf64_load_segment(&im, 2, 0x2008, 8, 0x17ffff000ull, 0x1000);
	memcpy(im.b + 0x1000, code, sizeof code);
	memset(im.b + 0x2000, 0x11, 8);
	memset(im.b + 0x2008, 0x22, 8);
	im.len = 0x2010;
	const char *path = temp_file(im.b, im.len);
	run_hvsim(&r, (const char *const[]){ "run", "--mem", "5G", path, NULL });
	ck_assert_msg(r.exit_code == 0, "exit %d, stderr: %s", r.exit_code, r.err);
	run_result_free(&r);
	unlink(path);
}
END_TEST

START_TEST(directory_is_refused)
{
	char dir[] = "/tmp/hvsim-test-dir-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	expect_refused("directory", dir, NULL, "is a directory");
	rmdir(dir);
}
END_TEST

Suite *suite_loader(void)
{
	Suite *s = suite_create("sim/loader");
	TCase *boot = tcase_create("multiboot");
	TCase *bad = tcase_create("bad images");

	tcase_set_timeout(boot, 60);
	tcase_add_loop_test(boot, multiboot_kernels_boot, 0, sizeof mb_kernels / sizeof mb_kernels[0]);
	tcase_add_test(boot, multiboot_without_cmdline_gets_empty_string);
	tcase_add_test(boot, multiboot_runs_are_deterministic);
	tcase_add_test(boot, icount_decodes_32bit_code);
	suite_add_tcase(s, boot);
	tcase_set_timeout(bad, 60);
	tcase_add_loop_test(bad, bad_images_are_refused, 0, sizeof bad_images / sizeof bad_images[0]);
	tcase_add_test(bad, directory_is_refused);
	tcase_add_test(bad, elf64_segments_above_4g_are_loaded);
	suite_add_tcase(s, bad);
	return s;
}
