/*
 * hypercalls: every hypercall of hv/include/hv_abi.h with good arguments and bad ones, checked
 * against the results the ABI documents. Needs hv: bare, it reports SKIP. Each check prints PASS
 * or FAIL (INFO lines are printed, never checked); any FAIL ends the run with FAILURE.
 *
 *   numbers    HC_COUNT, HC_COUNT + 1, 2^32 + HC_YIELD (hv must use all of RAX) and -1 return
 *              -HV_ENOSYS
 *   registers  across a hypercall every register keeps its value but RAX, and RCX and R11 in a
 *              PV guest (SYSCALL's own clobbers)
 *   YIELD      returns 0
 *   CONSOLE_WRITE  a good line returns its length, length 0 returns 0; every bad buffer below
 *              returns -HV_EFAULT; a bad length returns -HV_EFAULT (or -HV_EINVAL)
 *   MEMINFO    returns 0 with ram_bytes = RDI at entry, page_size 4096, guest_type = RDX at entry;
 *              bad buffers: -HV_EFAULT
 *   UNSAFE_READ  with length 0 (so that even a demo build touches nothing): -HV_ENOSYS in a normal
 *              build; a demo build is INFO (smap-demo exercises it)
 *   LOGDIRTY   PV: -HV_ENOSYS for every operation. VMX: an unknown op is -HV_EINVAL; ENABLE is 0
 *              (-HV_EBUSY while a migration holds the tracker: retried after HC_YIELDs, then INFO);
 *              HARVEST with a bad bitmap is -HV_EFAULT, with one too small -HV_EINVAL; after a
 *              clearing HARVEST, writing a known set of probe pages makes exactly those probe
 *              pages dirty (the untouched ones stay clean), the result equals the bits set, and the
 *              other dirty pages (this program's stack and data) are counted as INFO; a second
 *              HARVEST finds the probe pages clean; DISABLE is 0
 *   REPORT     a bad message pointer is -HV_EFAULT and an unknown result (2, 99) -HV_EINVAL. These
 *              go last and pass result FAILURE: an hv that accepts them ends the run as a failure
 *
 * Bad buffers: NULL; unmapped (0x7ffffffff000, 64 TiB); the first byte past guest RAM; a buffer
 * straddling the end of RAM; the kernel half (0xffff800000000000, 0xffffffff80000000, the top
 * page); non-canonical (0x0000800000000000, 0x8000000000000000). Bad lengths, from a good buffer:
 * past the end of RAM, 2^63, and one that wraps around the address space.
 */
#include "hypercall.h"
#include "mem.h"
#include "workload.h"

#define PROBE_PAGES 16
#define ENABLE_TRIES 64
#define UNSET UINT64_MAX /* an argument the call does not take */

static unsigned checks, failures;
static uint64_t ram;
static char good_line[] = "hypercalls: HC_CONSOLE_WRITE works\n";

/* ---- checks ---- */

static const char *err_name(long v)
{
	switch (v) {
	case -HV_EFAULT: return "-HV_EFAULT";
	case -HV_EINVAL: return "-HV_EINVAL";
	case -HV_ENOSYS: return "-HV_ENOSYS";
	case -HV_EBUSY: return "-HV_EBUSY";
	default: return v < 0 ? "another error" : "a value";
	}
}

/* One check: 'got' must be 'want' or 'also' (pass the same twice for one value). */
static __attribute__((format(printf, 4, 5))) void expect(long got, long want, long also, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintk(what, sizeof what, fmt, ap);
	va_end(ap);
	checks++;
	if (got == want || got == also) {
		if (got < 0)
			printk("PASS %s: %s\n", what, err_name(got));
		else
			printk("PASS %s\n", what);
		return;
	}
	failures++;
	printk("FAIL %s: got %ld (%s), expected %ld (%s)\n", what, got, err_name(got), want, err_name(want));
}

/* ---- bad pointers ---- */

struct bad_ptr {
	const char *name;
	uint64_t addr;
	bool from_ram_end; /* addr is added to the end of guest RAM */
	bool straddle;     /* minus half the buffer's length: the buffer crosses the end of RAM */
};

static const struct bad_ptr bad_ptrs[] = {
	{ "NULL", 0 },
	{ "unmapped 0x7ffffffff000", 0x00007ffffffff000ull },
	{ "unmapped 64 TiB", 1ull << 46 },
	{ "the first byte past RAM", 0, true },
	{ "straddling the end of RAM", 0, true, true },
	{ "kernel half 0xffff800000000000", 0xffff800000000000ull },
	{ "kernel half 0xffffffff80000000", 0xffffffff80000000ull },
	{ "the top page", 0xfffffffffffff000ull },
	{ "non-canonical 0x0000800000000000", 0x0000800000000000ull },
	{ "non-canonical 0x8000000000000000", 0x8000000000000000ull },
};
#define BAD_PTRS (sizeof bad_ptrs / sizeof bad_ptrs[0])

static uint64_t bad_addr(const struct bad_ptr *b, uint64_t len)
{
	return (b->from_ram_end ? ram : 0) + b->addr - (b->straddle ? len / 2 : 0);
}

/* A call taking a buffer: which argument is the pointer, which (if any) the length. */
struct ptr_call {
	const char *name;
	uint64_t nr, args[4];
	unsigned ptr_arg, len_arg; /* len_arg 4: none */
	uint64_t len;              /* the buffer's length */
};

static long call_with(const struct ptr_call *c, uint64_t ptr, uint64_t len)
{
	uint64_t a[4] = { c->args[0], c->args[1], c->args[2], c->args[3] };
	a[c->ptr_arg] = ptr;
	if (c->len_arg < 4)
		a[c->len_arg] = len;
	return hv_call(c->nr, a[0], a[1], a[2], a[3]);
}

static void bad_buffers(const struct ptr_call *c, uint64_t good)
{
	for (unsigned i = 0; i < BAD_PTRS; i++)
		expect(call_with(c, bad_addr(&bad_ptrs[i], c->len), c->len), -HV_EFAULT, -HV_EFAULT,
		       "%s, buffer %s", c->name, bad_ptrs[i].name);
	if (c->len_arg == 4)
		return;
	const struct {
		const char *name;
		uint64_t len;
	} bad_lens[] = {
		{ "past the end of RAM", ram - good + 1 },
		{ "2^63", 1ull << 63 },
		{ "wrapping around", -good + 16 },
	};
	for (unsigned i = 0; i < sizeof bad_lens / sizeof bad_lens[0]; i++)
		expect(call_with(c, good, bad_lens[i].len), -HV_EFAULT, -HV_EINVAL, "%s, length %s",
		       c->name, bad_lens[i].name);
}

/* ---- numbers, registers, simple calls ---- */

#define REGS(X) X(rbx, 0) X(rbp, 1) X(rdi, 2) X(rsi, 3) X(rdx, 4) X(r8, 5) X(r9, 6) X(r10, 7) \
	X(r12, 8) X(r13, 9) X(r14, 10) X(r15, 11) X(rcx, 12) X(r11, 13)
#define SYSCALL_CLOBBERS ((1u << 12) | (1u << 13))
#define REG_LOAD(reg, n) "  movabs $0x5ca1ab1e000" #n "0, %" #reg "\n"
#define REG_CHECK(reg, n) "  movabs $0x5ca1ab1e000" #n "0, %rax; cmp %rax, %" #reg "; je 3f; orq $(1 << " #n "), (%rsp)\n3:\n"
#define REG_NAME(reg, n) [n] = #reg,
static const char *const reg_names[] = { REGS(REG_NAME) };

/* hc_regs(vmcall): HC_YIELD with every register loaded; returns a mask of those that changed. */
uint64_t hc_regs(uint64_t vmcall);
uint8_t hc_regs_vmcall;
int64_t hc_regs_result;
__asm__(".text\n"
	"hc_regs:\n"
	"  push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
	"  mov %dil, hc_regs_vmcall(%rip)\n"
	REGS(REG_LOAD)
	"  mov $3, %eax\n" /* HC_YIELD */
	"  cmpb $0, hc_regs_vmcall(%rip)\n"
	"  jne 1f\n"
	"  syscall\n"
	"  jmp 2f\n"
	"1: vmcall\n"
	"2: push %rax\n"
	"  push $0\n"
	REGS(REG_CHECK)
	"  pop %rax\n"
	"  pop hc_regs_result(%rip)\n"
	"  pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
	"  ret\n");
_Static_assert(HC_YIELD == 3, "hc_regs loads HC_YIELD as 3");

static void numbers_and_registers(void)
{
	static const struct {
		const char *name;
		uint64_t nr;
	} unknown[] = {
		{ "HC_COUNT", HC_COUNT }, { "HC_COUNT + 1", HC_COUNT + 1 },
		{ "2^32 + HC_YIELD", (1ull << 32) + HC_YIELD }, { "-1", UINT64_MAX },
	};
	for (unsigned i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
		expect(hv_call(unknown[i].nr, 0, 0, 0, 0), -HV_ENOSYS, -HV_ENOSYS, "hypercall %s", unknown[i].name);

	uint64_t changed = hc_regs(hv_guest_type() == HV_BOOT_VMX);
	if (hv_guest_type() == HV_BOOT_PV)
		changed &= ~(uint64_t)SYSCALL_CLOBBERS;
	expect(hc_regs_result, 0, 0, "HC_YIELD with every register loaded");
	for (unsigned r = 0; r < sizeof reg_names / sizeof reg_names[0]; r++)
		if (hv_guest_type() == HV_BOOT_VMX || !(SYSCALL_CLOBBERS >> r & 1))
			expect(changed >> r & 1, 0, 0, "%s kept across a hypercall", reg_names[r]);
	expect(hv_call(HC_YIELD, 0, 0, 0, 0), 0, 0, "HC_YIELD");
}

static void console_write(void)
{
	const struct ptr_call c = { "HC_CONSOLE_WRITE", HC_CONSOLE_WRITE, { 0 }, 0, 1, 16 };
	long len = (long)strlen(good_line);

	console_flush();
	expect(hv_call(HC_CONSOLE_WRITE, (uint64_t)good_line, (uint64_t)len, 0, 0), len, len,
	       "HC_CONSOLE_WRITE of a %ld-byte line", len);
	expect(hv_call(HC_CONSOLE_WRITE, (uint64_t)good_line, 0, 0, 0), 0, 0, "HC_CONSOLE_WRITE, length 0");
	bad_buffers(&c, (uint64_t)good_line);
}

static void meminfo(void)
{
	const struct ptr_call c = { "HC_MEMINFO", HC_MEMINFO, { 0 }, 0, 4, sizeof(struct hv_meminfo) };
	struct hv_meminfo mi = { 0 };

	expect(hv_call(HC_MEMINFO, (uint64_t)&mi, 0, 0, 0), 0, 0, "HC_MEMINFO");
	expect(mi.ram_bytes == workload_ram_size, 1, 1, "HC_MEMINFO ram_bytes %lu = RDI at entry %lu",
	       mi.ram_bytes, workload_ram_size);
	expect(mi.page_size == 4096, 1, 1, "HC_MEMINFO page_size %lu = 4096", mi.page_size);
	expect(mi.guest_type == hv_guest_type(), 1, 1, "HC_MEMINFO guest_type %#lx = RDX at entry %#x",
	       mi.guest_type, hv_guest_type());
	printk("INFO migrations so far: %lu\n", mi.migrations);
	bad_buffers(&c, (uint64_t)&mi);
}

static void unsafe_read(void)
{
	long r = hv_call(HC_UNSAFE_READ, (uint64_t)good_line, 0, 0, 0);
	if (r == -HV_ENOSYS || r < 0) {
		expect(r, -HV_ENOSYS, -HV_ENOSYS, "HC_UNSAFE_READ (normal build)");
		return;
	}
	printk("INFO HC_UNSAFE_READ of 0 bytes returned %ld: an HV_UNSAFE_DEMO build (smap-demo tests it)\n", r);
}

/* ---- log-dirty ---- */

static const unsigned dirty_probes[] = { 0, 3, 4, 9, 15 }; /* of PROBE_PAGES */

static bool is_dirty_probe(unsigned i)
{
	for (unsigned k = 0; k < sizeof dirty_probes / sizeof dirty_probes[0]; k++)
		if (dirty_probes[k] == i)
			return true;
	return false;
}

static bool bit(const uint8_t *bitmap, uint64_t gpa)
{
	return bitmap[gpa >> 15] >> (gpa >> 12 & 7) & 1;
}

static long harvest(uint8_t *bitmap, uint64_t bytes)
{
	return hv_call(HC_LOGDIRTY, HV_LOGDIRTY_HARVEST, (uint64_t)bitmap, bytes, 0);
}

static long enable_logdirty(void)
{
	long r = hv_call(HC_LOGDIRTY, HV_LOGDIRTY_ENABLE, 0, 0, 0);
	for (unsigned i = 0; r == -HV_EBUSY && i < ENABLE_TRIES; i++) {
		hv_call(HC_YIELD, 0, 0, 0, 0);
		r = hv_call(HC_LOGDIRTY, HV_LOGDIRTY_ENABLE, 0, 0, 0);
	}
	return r;
}

/* Probe page i must be dirty exactly when 'dirty' says so. */
static void expect_probes(const uint8_t *bitmap, volatile uint8_t *probe, bool written, const char *when)
{
	for (unsigned i = 0; i < PROBE_PAGES; i++) {
		bool want = written && is_dirty_probe(i);
		expect(bit(bitmap, (uint64_t)(probe + i * PAGE_SIZE)), want, want, "%s: probe page %u %s", when,
		       i, want ? "dirty" : "clean");
	}
}

static void logdirty_tracks(uint8_t *bitmap, uint64_t bytes, volatile uint8_t *probe)
{
	expect(harvest(bitmap, bytes) >= 0, 1, 1, "HARVEST (clears the log)");
	for (unsigned k = 0; k < sizeof dirty_probes / sizeof dirty_probes[0]; k++)
		probe[dirty_probes[k] * PAGE_SIZE + 8] = (uint8_t)k;
	long n = harvest(bitmap, bytes);
	long set = 0;
	for (uint64_t i = 0; i < bytes; i++)
		for (uint8_t b = bitmap[i]; b; b &= (uint8_t)(b - 1)) /* no libgcc: no __builtin_popcount */
			set++;
	expect(n, set, set, "HARVEST returns the dirty pages (%ld bits set)", set);
	expect_probes(bitmap, probe, true, "after the writes");
	printk("INFO %ld other pages dirty (this program's stack and data)\n",
	       set - (long)(sizeof dirty_probes / sizeof dirty_probes[0]));
	harvest(bitmap, bytes);
	expect_probes(bitmap, probe, false, "HARVEST again");
}

static void logdirty_vmx(void)
{
	uint64_t bytes = (ram / PAGE_SIZE + 7) / 8;
	uint8_t *bitmap = mem_alloc_pages(bytes);
	volatile uint8_t *probe = mem_alloc_pages(PROBE_PAGES * PAGE_SIZE);

	if (!bitmap || !probe)
		workload_report(RESULT_ERROR, "no free RAM for a %lu-byte dirty bitmap", bytes);
	for (unsigned i = 0; i < PROBE_PAGES; i++)
		probe[i * PAGE_SIZE] = 1; /* written once before: no first-touch effects in the window */
	expect(hv_call(HC_LOGDIRTY, 99, 0, 0, 0), -HV_EINVAL, -HV_EINVAL, "HC_LOGDIRTY op 99");
	long r = enable_logdirty();
	if (r == -HV_EBUSY) {
		printk("INFO log-dirty stayed busy (a migration holds it): its checks were not run\n");
		return;
	}
	expect(r, 0, 0, "HC_LOGDIRTY ENABLE");
	if (r)
		return;
	const struct ptr_call c = { "HC_LOGDIRTY HARVEST", HC_LOGDIRTY, { HV_LOGDIRTY_HARVEST }, 1, 2, bytes };
	bad_buffers(&c, (uint64_t)bitmap);
	expect(harvest(bitmap, bytes - 1), -HV_EINVAL, -HV_EINVAL, "HARVEST into a bitmap 1 byte short");
	expect(harvest(bitmap, 0), -HV_EINVAL, -HV_EINVAL, "HARVEST into 0 bytes");
	logdirty_tracks(bitmap, bytes, probe);
	expect(hv_call(HC_LOGDIRTY, HV_LOGDIRTY_DISABLE, 0, 0, 0), 0, 0, "HC_LOGDIRTY DISABLE");
}

static void logdirty(void)
{
	if (hv_guest_type() == HV_BOOT_VMX) {
		logdirty_vmx();
		return;
	}
	static const uint64_t ops[] = { HV_LOGDIRTY_ENABLE, HV_LOGDIRTY_HARVEST, HV_LOGDIRTY_DISABLE, 99 };
	for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++)
		expect(hv_call(HC_LOGDIRTY, ops[i], 0, 0, 0), -HV_ENOSYS, -HV_ENOSYS, "HC_LOGDIRTY op %lu in a PV guest",
		       ops[i]);
}

/* ---- report (last: an hv that wrongly accepts one of these ends the run) ---- */

static void report_rejects(void)
{
	const struct ptr_call c = { "HC_REPORT", HC_REPORT, { HV_RESULT_FAILURE }, 1, 4, 1 };
	for (unsigned i = 0; i < BAD_PTRS; i++)
		if (!bad_ptrs[i].straddle) /* a string has no length to straddle with */
			expect(call_with(&c, bad_addr(&bad_ptrs[i], 0), 0), -HV_EFAULT, -HV_EFAULT,
			       "HC_REPORT, message %s", bad_ptrs[i].name);
	static const uint64_t bad_results[] = { 2, 99 };
	for (unsigned i = 0; i < 2; i++)
		expect(hv_call(HC_REPORT, bad_results[i], (uint64_t)"a result hv must refuse", 0, 0), -HV_EINVAL,
		       -HV_EINVAL, "HC_REPORT, result %lu", bad_results[i]);
}

static void hypercalls_main(void)
{
	if (!hv_present())
		workload_report(RESULT_SKIP, "no hypervisor: RDX at entry names neither a PV nor a VMX guest");
	ram = workload_ram_size;
	printk("hypercalls: %s guest, %lu MiB of RAM\n", hv_guest_name(), ram >> 20);
	numbers_and_registers();
	console_write();
	meminfo();
	unsafe_read();
	logdirty();
	report_rejects();
	if (failures)
		workload_report(RESULT_FAILURE, "%u of %u checks failed", failures, checks);
	printk("%u checks passed\n", checks);
}

WORKLOAD("hypercalls: every hypercall with good and bad arguments", hypercalls_main);
