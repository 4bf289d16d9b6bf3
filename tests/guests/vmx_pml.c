/*
 * A freestanding test hypervisor for EPT accessed/dirty flags and page-modification logging
 * (SDM Vol. 3: 29.3.5 "Accessed and Dirty Flags for EPT", 29.3.6 "Page-Modification Logging",
 * 29.3.3 EPT misconfigurations and violations, Table 28-7 "Exit Qualification for EPT
 * Violations", 27.2.1.1 checks on the VM-execution controls).
 *
 * It builds its own EPT (an identity map of 2M pages whose A and D flags are preset; for the test,
 * one 2M page split into 512 4K pages and one 2M page left whole, both with the flags clear, and
 * 4K pages for the pages holding the guest's page tables), enters a guest that performs one
 * memory access per request and asks for the next one with VMCALL, and after every step compares
 * the PML log, the PML index and the EPT A/D flags with a model of the SDM's rules written below.
 * The guest shares this hypervisor's page tables, so with EPT A/D on its paging-structure
 * accesses are EPT writes: the pages holding those tables are logged too, and the model accounts
 * for them. Near the end the guest gets page tables of its own, whose A/D updates are checked.
 *
 * Without PML or without EPT A/D (--cpu broadwell-ep-nopml, haswell-ep) it checks that VM entry
 * refuses them (VMfailValid 7), runs what remains and reports SKIP.
 */
#include "traps.h"
#include "vmx.h"
#include "workload.h"

#define PAGE_SIZE 4096ull
#define PAGE_2M (2ull << 20)

/* Basic exit reasons (SDM Appendix C) and the VM-instruction error for bad controls (31.4). */
#define VMERR_INVALID_CONTROLS 7
#define ENTRY_FAILED 0xffffffffu

#define PML_ENTRIES 512
#define PML_POISON 0x5a5a5a5a5a5a5a5aull /* not 4K-aligned: never a logged GPA */
#define EPT_CAP_EXEC_ONLY (1ull << 0)

/* Exit qualification bits for EPT violations (Table 28-7). */
#define Q_READ (1u << 0)
#define Q_WRITE (1u << 1)
#define Q_FETCH (1u << 2)
#define Q_READABLE (1u << 3)
#define Q_WRITABLE (1u << 4)
#define Q_EXECUTABLE (1u << 5)
#define Q_GLA_VALID (1u << 7)
#define Q_GLA_TRANSLATED (1u << 8) /* the access was to the translation of the linear address */
#define Q_NMI_UNBLOCKING (1u << 12)

static struct vmx_vcpu vcpu;
static struct vmx_ept ept;
static uint64_t pml_log[PML_ENTRIES] __attribute__((aligned(4096)));
static uint8_t guest_stack[8192] __attribute__((aligned(4096)));
static uint64_t alias_page[512] __attribute__((aligned(4096)));
/* region[0] is mapped by 512 4K EPT pages, region[1] by one 2M EPT page. */
static uint8_t region[2][PAGE_2M] __attribute__((aligned(2 << 20)));
#define R4K(i) ((uint64_t)region[0] + (uint64_t)(i) * PAGE_SIZE)
#define R2M ((uint64_t)region[1])

static unsigned failures;
static bool ad_on, pml_on; /* what this run enables: EPTP bit 6, "enable PML" */
static uint64_t guest_cr3;  /* this hypervisor's CR3, except in guest_paging_updates() */

/*
 * The guest: VMCALL asks for a request (RAX = operation, RDI = address, RSI = value); it performs
 * exactly one access and asks again. The labels let the host check where an exit left RIP.
 */
enum op { OP_NONE, OP_READ, OP_WRITE, OP_WRITEB, OP_CALL };
extern char guest_loop[], guest_read[], guest_write[], guest_writeb[], guest_call[];
__asm__(".text\n"
	".p2align 6\n"
	"guest_loop:\n"
	"  vmcall\n"
	"  cmp $1, %eax; je guest_read\n"
	"  cmp $2, %eax; je guest_write\n"
	"  cmp $3, %eax; je guest_writeb\n"
	"  cmp $4, %eax; je guest_call\n"
	"  jmp guest_loop\n"
	"guest_read: mov (%rdi), %rsi; jmp guest_loop\n"
	"guest_write: mov %rsi, (%rdi); jmp guest_loop\n"
	"guest_writeb: mov %sil, (%rdi); jmp guest_loop\n"
	"guest_call: call *%rdi; jmp guest_loop\n");

static bool expect(const char *what, uint64_t got, uint64_t want)
{
	if (got == want) {
		printk("PASS %s\n", what);
		return true;
	}
	failures++;
	printk("FAIL %s: got %#lx, expected %#lx\n", what, got, want);
	return false;
}

static uint64_t *word(uint64_t addr)
{
	return (uint64_t *)addr;
}

/* ---- the guest's page tables (this hypervisor's own): which pages a walk reads ---- */

/* Addresses of the paging-structure entries used to translate 'va', PML4E first. */
static unsigned guest_walk(uint64_t va, uint64_t entries[4])
{
	uint64_t table = guest_cr3 & PTE_ADDR;
	unsigned n = 0;

	for (unsigned shift = 39;; shift -= 9) {
		uint64_t at = table + 8 * ((va >> shift) & 511), e = *word(at);
		entries[n++] = at;
		if (shift == 12 || (shift <= 30 && (e & PTE_PS)))
			return n;
		table = e & PTE_ADDR;
	}
}

/* ---- the SDM's rules for EPT A/D flags and PML, as a model of the leaves this test watches ---- */

struct leaf {
	uint64_t *entry; /* the EPT entry that maps it */
	uint64_t base, size;
	bool accessed, dirty;
};

static struct leaf leaves[PML_ENTRIES + 1 + 4]; /* region[0]'s pages, region[1], table pages */
static unsigned n_leaves;
static uint64_t table_pages[4];
static unsigned n_tables;

static struct {
	uint16_t index;
	uint64_t slot[PML_ENTRIES];
} model;

static struct leaf *leaf_of(uint64_t gpa)
{
	for (unsigned i = 0; i < n_leaves; i++)
		if (gpa - leaves[i].base < leaves[i].size)
			return &leaves[i];
	return NULL; /* mapped with A and D already set: no access changes anything */
}

/* The host writes an EPT leaf: the model takes its flags from the value. */
static void set_leaf(struct leaf *l, uint64_t value)
{
	*l->entry = value;
	l->accessed = value & VMX_EPT_A;
	l->dirty = value & VMX_EPT_D;
}

/*
 * One guest-physical access (29.3.5, 29.3.6). Only an access that has a flag to set examines the
 * PML index; outside 0..511 that is a log-full event: no flag is set and the access does not
 * happen (returns false). A D flag going from 0 to 1 writes the GPA with bits 11:0 cleared at
 * PML address + 8 * index and decrements the index, which wraps from 0 to FFFFH. Without EPTP
 * bit 6 the flags are neither set nor looked at.
 */
static bool model_access(uint64_t gpa, bool write)
{
	struct leaf *l = leaf_of(gpa);

	if (!ad_on || !l || (l->accessed && (!write || l->dirty)))
		return true;
	if (pml_on && model.index >= PML_ENTRIES)
		return false;
	l->accessed = true;
	if (write && !l->dirty) {
		l->dirty = true;
		if (pml_on) {
			model.slot[model.index] = gpa & ~0xfffull;
			model.index--;
		}
	}
	return true;
}

/* A guest linear-address walk: with EPT A/D on, each paging-structure access is a write (29.3.5). */
static bool model_walk(uint64_t va)
{
	uint64_t entries[4];
	unsigned n = guest_walk(va, entries);

	for (unsigned i = 0; i < n; i++)
		if (!model_access(entries[i], ad_on))
			return false;
	return true;
}

/*
 * What resuming the guest with request 'op' leads to. VM entry with "enable VPID" = 0 invalidates
 * the linear and combined mappings of VPID 0 (SDM 29.4.3.1 "Operations that Invalidate Cached
 * Mappings"), so the guest walks its tables again for the code it fetches first, then for the
 * data it accesses.
 */
static uint32_t predict(enum op op, uint64_t addr)
{
	bool write = op == OP_WRITE || op == OP_WRITEB;

	if (!model_walk(vmreadz(GUEST_RIP)))
		return EXIT_PML_FULL;
	if (op == OP_NONE)
		return EXIT_VMCALL;
	if (!model_walk(addr) || !model_access(addr, write))
		return EXIT_PML_FULL;
	return EXIT_VMCALL;
}

/* Compare the log, the index and every watched EPT leaf with the model. */
static void check_state(const char *what)
{
	uint64_t index = vmreadz(PML_INDEX);

	if (pml_on && index != model.index) {
		expect(what, index, model.index);
		return;
	}
	for (unsigned i = 0; i < PML_ENTRIES; i++)
		if (pml_log[i] != model.slot[i]) {
			printk("FAIL %s: PML entry %u is %#lx, expected %#lx\n", what, i, pml_log[i],
			       model.slot[i]);
			failures++;
			return;
		}
	for (unsigned i = 0; i < n_leaves; i++) {
		const struct leaf *l = &leaves[i];
		bool a = *l->entry & VMX_EPT_A, d = *l->entry & VMX_EPT_D;
		if (a != l->accessed || d != l->dirty) {
			printk("FAIL %s: EPT entry for %#lx has A=%d D=%d, expected A=%d D=%d\n", what,
			       l->base, a, d, l->accessed, l->dirty);
			failures++;
			return;
		}
	}
	printk("PASS %s: PML log, index and EPT A/D flags as the SDM's rules predict\n", what);
}

/* ---- running the guest ---- */

static uint32_t run_guest(void)
{
	enum vmx_status s;
	uint32_t reason = vmx_run(&vcpu, &s);

	if (reason == ENTRY_FAILED)
		workload_report(RESULT_ERROR, "VM entry failed: status %d, VM-instruction error %lu",
				s, vmreadz(VM_INSTRUCTION_ERROR));
	if (reason == EXIT_VMCALL)
		vmx_skip_instruction();
	return reason;
}

/* Hand the guest one request and run it to the next exit. */
static uint32_t guest_op(enum op op, uint64_t addr, uint64_t value)
{
	vcpu.gprs.rax = op;
	vcpu.gprs.rdi = addr;
	vcpu.gprs.rsi = value;
	return run_guest();
}

/* An access the model says completes (or exits 62); the exit must be the one predicted. */
static uint32_t access(const char *what, enum op op, uint64_t addr, uint64_t value)
{
	uint32_t want = predict(op, addr);
	uint32_t got = guest_op(op, addr, value);
	expect(what, got, want);
	return got;
}

static uint64_t guest_read_value(const char *what, uint64_t addr)
{
	access(what, OP_READ, addr, 0);
	return vcpu.gprs.rsi;
}

static void invept_all(void)
{
	enum vmx_status s = invept(VMX_INVEPT_SINGLE, vmx_ept_pointer(&ept, ad_on));
	if (s != VMX_OK)
		expect("INVEPT (single-context) succeeds", s, VMX_OK);
}

static void set_pml_index(uint16_t index)
{
	vmwrite(PML_INDEX, index);
	model.index = index;
}

/* Start a dirty-logging round: clear the D (and A) flags of every watched leaf, empty the log. */
static void new_round(bool clear_accessed)
{
	uint64_t clear = VMX_EPT_D | (clear_accessed ? VMX_EPT_A : 0);

	for (unsigned i = 0; i < n_leaves; i++)
		set_leaf(&leaves[i], *leaves[i].entry & ~clear);
	for (unsigned i = 0; i < PML_ENTRIES; i++)
		pml_log[i] = model.slot[i] = PML_POISON;
	set_pml_index(PML_ENTRIES - 1);
	invept_all();
}

/* ---- setup ---- */

static void watch(uint64_t *entry, uint64_t base, uint64_t size)
{
	struct leaf *l = &leaves[n_leaves++];
	l->entry = entry;
	l->base = base;
	l->size = size;
	set_leaf(l, *entry & ~(VMX_EPT_A | VMX_EPT_D));
}

/*
 * EPT: everything identity-mapped with 2M pages whose A and D flags are already set, so the
 * hypervisor's own code and data never need a flag; the test's pages start with both clear.
 */
static void build_ept(void)
{
	uint64_t entries[4];

	vmx_ept_init(&ept, VMX_EPT_A | VMX_EPT_D);
	uint64_t *pt = vmx_ept_split(&ept, R4K(0), 0);
	for (unsigned i = 0; i < PML_ENTRIES; i++)
		watch(&pt[i], R4K(i), PAGE_SIZE);
	watch(vmx_ept_leaf(&ept, R2M), R2M, PAGE_2M);

	/* The pages of the guest's tables used for its code and the test region. */
	guest_cr3 = read_cr3();
	n_tables = guest_walk((uint64_t)guest_loop, entries);
	for (unsigned i = 0; i < n_tables; i++) {
		uint64_t other[4];
		table_pages[i] = entries[i] & PTE_ADDR;
		if (guest_walk(R4K(0), other) != n_tables || (other[i] & PTE_ADDR) != table_pages[i] ||
		    table_pages[i] - R4K(0) < 2 * PAGE_2M)
			workload_report(RESULT_ERROR, "the test needs one set of page tables outside "
				       "its region for its code and data");
		if (!vmx_ept_split(&ept, table_pages[i], VMX_EPT_A | VMX_EPT_D))
			workload_report(RESULT_ERROR, "no EPT page table left");
		watch(vmx_ept_leaf(&ept, table_pages[i]), table_pages[i], PAGE_SIZE);
	}
	for (unsigned i = 0; i < PML_ENTRIES; i++)
		pml_log[i] = model.slot[i] = PML_POISON;
	model.index = PML_ENTRIES - 1;
}

/* The controls this run uses, on top of vmx_setup_vmcs()'s. */
static void set_controls(uint32_t proc2, bool ad)
{
	vmwrite(PROC_CONTROLS, vmx_adjust(MSR_VMX_TRUE_PROC, VMX_PROC_SECONDARY));
	vmwrite(PROC2_CONTROLS, proc2);
	vmwrite(EPT_POINTER, vmx_ept_pointer(&ept, ad));
	vmwrite(PML_ADDRESS, (uint64_t)pml_log);
	vmwrite(PML_INDEX, PML_ENTRIES - 1);
}

static void expect_entry_fails(const char *what)
{
	enum vmx_status s;
	uint32_t reason = vmx_run(&vcpu, &s);

	if (expect(what, reason, ENTRY_FAILED)) {
		expect("  VMfailValid", s, VMX_FAIL_VALID);
		expect("  VM-instruction error 7 (invalid control fields)",
		       vmreadz(VM_INSTRUCTION_ERROR), VMERR_INVALID_CONTROLS);
	}
}

/*
 * VM entry checks on the controls (27.2.1.1): "enable PML" needs "enable EPT" and a 4K-aligned
 * PML address; a control the CPU does not allow (PROCBASED_CTLS2 bit 49: PML) or an EPTP with
 * bit 6 set where IA32_VMX_EPT_VPID_CAP bit 21 is clear fail alike.
 */
static void check_entry_controls(bool pml_ok, bool ad_ok)
{
	if (pml_ok) {
		set_controls(VMX_PROC2_PML, ad_ok);
		expect_entry_fails("VM entry with \"enable PML\" but not \"enable EPT\" fails");
		set_controls(VMX_PROC2_EPT | VMX_PROC2_PML, ad_ok);
		vmwrite(PML_ADDRESS, (uint64_t)pml_log + 8);
		expect_entry_fails("VM entry with a PML address not 4K-aligned fails");
	} else {
		set_controls(VMX_PROC2_EPT | VMX_PROC2_PML, ad_ok);
		expect_entry_fails("VM entry with \"enable PML\" on a CPU without PML fails");
	}
	if (!ad_ok) {
		set_controls(VMX_PROC2_EPT, true);
		expect_entry_fails("VM entry with EPTP bit 6 (A/D) on a CPU without EPT A/D fails");
	}
}

/* ---- the scenarios ---- */

/* The first entry: the first fetch walks the guest's tables, and each table page is written. */
static void first_entry(void)
{
	uint64_t *path[4];

	expect("VMLAUNCH, then the guest's first VMCALL", run_guest(), predict(OP_NONE, 0));
	check_state("first entry");
	for (unsigned i = 0; pml_on && i < n_tables; i++)
		expect(i ? "  next log entry: the next paging-structure page of the walk"
			 : "  first log entry (index 511): the guest's PML4 page",
		       pml_log[PML_ENTRIES - 1 - i], table_pages[i]);
	unsigned n = vmx_ept_path(&ept, (uint64_t)guest_loop, path);
	bool all_a = true;
	for (unsigned i = 0; i + 1 < n; i++)
		all_a &= !!(*path[i] & VMX_EPT_A);
	expect(ad_on ? "  A set in the EPT PML4E and PDPTE used (29.3.5)"
		     : "  A not set without EPTP bit 6 (29.3.5)", all_a, ad_on);
}

struct step {
	enum op op;
	uint64_t addr, value;
	const char *what;
};

static void run_steps(const struct step *steps, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		const struct step *s = &steps[i];
		uint64_t before = *word(s->addr);
		if (access(s->what, s->op, s->addr, s->value) != EXIT_VMCALL)
			continue;
		if (s->op == OP_READ)
			expect("  the guest read memory", vcpu.gprs.rsi, before);
		else if (s->op == OP_WRITE)
			expect("  the write reached memory", *word(s->addr), s->value);
		else
			expect("  the byte write reached memory", *(uint8_t *)s->addr, s->value & 0xff);
		check_state("  after it");
	}
}

/* Logging order and alignment, one entry per page, reads log nothing (29.3.6). */
static void writes_and_reads(void)
{
	static const struct step steps[] = {
		{ OP_WRITE, R4K(5) + 0x123, 0x1111, "write into the middle of 4K page 5" },
		{ OP_WRITE, R4K(0), 0x2222, "write at the start of page 0" },
		{ OP_WRITE, R4K(300) + 0xff8, 0x3333, "write to the last quadword of page 300" },
		{ OP_WRITEB, R4K(511) + 0x7ff, 0x44, "byte write into page 511" },
		{ OP_WRITE, R4K(5) + 0x800, 0x5555, "second write to page 5, already dirty" },
		{ OP_READ, R4K(42) + 0x10, 0, "read of page 42" },
		{ OP_READ, R4K(43) + 0x20, 0, "read of page 43" },
		{ OP_WRITE, R4K(43) + 0x28, 0x6666, "write to page 43 after reading it" },
		{ OP_WRITE, R2M + 0x123b, 0x7777, "write into the middle of the 2M EPT page" },
		{ OP_WRITE, R2M + 0x1ff000, 0x8888, "write elsewhere in the same 2M page" },
		{ OP_READ, R2M + 0x100000, 0, "read in the 2M page" },
	};
	unsigned first = PML_ENTRIES - 1 - n_tables;

	*word(R4K(42) + 0x10) = 0x4242;
	*word(R2M + 0x100000) = 0x2020;
	run_steps(steps, sizeof steps / sizeof steps[0]);
	if (!pml_on)
		return;
	static const struct { unsigned slot; uint64_t gpa; const char *what; } log[] = {
		{ 0, R4K(5), "log entry for page 5 + 0x123 is page 5's GPA, 4K-aligned" },
		{ 1, R4K(0), "next entry: page 0" },
		{ 2, R4K(300), "next entry: page 300 (write at +0xff8)" },
		{ 3, R4K(511), "next entry: page 511 (byte write at +0x7ff)" },
		{ 4, R4K(43), "next entry: page 43 (reads of 42 and 43 and the second write to 5 logged nothing)" },
		{ 5, R2M + 0x1000, "next entry: the 4K page of the write inside the 2M EPT page" },
	};
	for (unsigned i = 0; i < sizeof log / sizeof log[0]; i++)
		expect(log[i].what, pml_log[first - log[i].slot], log[i].gpa);
	expect("PML index after 6 data pages", vmreadz(PML_INDEX), first - 6);
	expect("page 42: A set, D clear", *leaves[42].entry & (VMX_EPT_A | VMX_EPT_D), VMX_EPT_A);
}

/* A dirty-logging round: D flags cleared (with INVEPT), the same pages are logged again. */
static void second_round(void)
{
	new_round(false);
	static const struct step steps[] = {
		{ OP_WRITE, R4K(5) + 0x8, 0x9999, "round 2: write to page 5 again after its D flag was cleared" },
		{ OP_READ, R4K(42) + 0x10, 0, "round 2: read of page 42 (A still set)" },
	};
	run_steps(steps, sizeof steps / sizeof steps[0]);
	if (pml_on) {
		for (unsigned i = 0; i < n_tables; i++)
			expect("round 2: the guest's table pages are logged again first",
			       pml_log[PML_ENTRIES - 1 - i], table_pages[i]);
		expect("round 2: then page 5", pml_log[PML_ENTRIES - 1 - n_tables], R4K(5));
	}
}

/* INVEPT makes a changed EPT entry visible: page 300 remapped to another frame and back. */
static void remap_with_invept(void)
{
	struct leaf *l = &leaves[300];
	uint64_t saved = *l->entry;

	alias_page[1] = 0xa11a5;
	*word(R4K(300) + 8) = 0x300300;
	set_leaf(l, (uint64_t)alias_page | VMX_EPT_RWX | VMX_EPT_WB);
	expect("INVEPT (all-context) succeeds", invept(VMX_INVEPT_ALL, 0), VMX_OK);
	expect("the guest reads the new frame behind page 300", guest_read_value("read through the new mapping", R4K(300) + 8), 0xa11a5);
	access("write through the new mapping", OP_WRITE, R4K(300) + 16, 0xbeef);
	expect("  the write went to the new frame", alias_page[2], 0xbeef);
	expect("  and not to the old one", *word(R4K(300) + 16), 0);
	check_state("  logged as the guest-physical address, not the host-physical one");
	set_leaf(l, saved);
	invept_all();
	expect("after restoring it, the guest reads the old frame again", guest_read_value("read through the restored mapping", R4K(300) + 8), 0x300300);
}

struct violation {
	unsigned page;
	uint64_t rights; /* the page's EPT rights during the access (0: not present) */
	enum op op;
	uint32_t qual;
	const char *what;
};

/*
 * EPT violations (29.3.3.2) with their exit qualification (Table 28-7): bits 0-2 the access,
 * 3-5 the AND of bits 0-2 over the entries used, 7 guest-linear address valid, 8 the access was
 * to the translation of that linear address. The page is read first so its A flag is set and the
 * violation cannot be confused with the flag update. Then the rights are restored and the access
 * completes.
 */
static void violation(const struct violation *v, bool exec_only)
{
	struct leaf *l = &leaves[v->page];
	uint64_t addr = R4K(v->page) + 0x40;
	static const struct { enum op op; const char *label; } insn[] = {
		{ OP_READ, guest_read }, { OP_WRITE, guest_write }, { OP_WRITEB, guest_writeb },
	};
	uint64_t rip = addr;

	if (v->rights == VMX_EPT_X && !exec_only)
		return;
	for (unsigned i = 0; i < sizeof insn / sizeof insn[0]; i++)
		if (insn[i].op == v->op)
			rip = (uint64_t)insn[i].label;
	*(uint8_t *)addr = 0xc3; /* RET, for the fetch */
	access("  (read the page first)", OP_READ, addr, 0);
	uint64_t saved = *l->entry;
	uint16_t index = (uint16_t)vmreadz(PML_INDEX);
	set_leaf(l, v->rights ? (saved & ~VMX_EPT_RWX) | v->rights : 0);
	invept_all();
	if (!expect(v->what, guest_op(v->op, addr, 0xdead), EXIT_EPT_VIOLATION))
		return;
	expect("  exit qualification", vmreadz(EXIT_QUALIFICATION), v->qual);
	expect("  guest-physical address", vmreadz(GUEST_PHYSICAL_ADDRESS), addr);
	expect("  guest-linear address", vmreadz(GUEST_LINEAR_ADDRESS), addr);
	expect("  RIP at the access", vmreadz(GUEST_RIP), rip);
	expect("  memory unchanged", *(uint8_t *)addr, 0xc3);
	if (pml_on)
		expect("  PML index unchanged", vmreadz(PML_INDEX), index);
	check_state("  nothing set, nothing logged");
	set_leaf(l, saved);
	invept_all();
	expect("  after restoring the rights the access completes", run_guest(), predict(v->op, addr));
	check_state("  after it");
}

static void violations(bool exec_only)
{
	static const struct violation table[] = {
		{ 100, VMX_EPT_R | VMX_EPT_X, OP_WRITE,
		  Q_WRITE | Q_READABLE | Q_EXECUTABLE | Q_GLA_VALID | Q_GLA_TRANSLATED,
		  "write to a page without W: EPT violation" },
		{ 101, VMX_EPT_R, OP_WRITEB, Q_WRITE | Q_READABLE | Q_GLA_VALID | Q_GLA_TRANSLATED,
		  "byte write to a read-only page: EPT violation" },
		{ 102, 0, OP_READ, Q_READ | Q_GLA_VALID | Q_GLA_TRANSLATED,
		  "read of a not-present page: EPT violation, no rights reported" },
		{ 103, VMX_EPT_X, OP_READ, Q_READ | Q_EXECUTABLE | Q_GLA_VALID | Q_GLA_TRANSLATED,
		  "read of an execute-only page: EPT violation" },
		{ 104, VMX_EPT_R | VMX_EPT_W, OP_CALL,
		  Q_FETCH | Q_READABLE | Q_WRITABLE | Q_GLA_VALID | Q_GLA_TRANSLATED,
		  "fetch from a page without X: EPT violation" },
	};
	for (unsigned i = 0; i < sizeof table / sizeof table[0]; i++)
		violation(&table[i], exec_only);
}

/*
 * A guest paging-structure access is a write for EPT when A/D flags are on (29.3.5): with W
 * removed from the page holding the guest's PDPT, the walk for the guest's next fetch exits with
 * bits 0 and 1 set, bit 8 clear (an access to a paging-structure entry), the entry's address as
 * GPA and the fetched address as linear address (Table 28-7). Without A/D it is a read: no exit.
 */
static void paging_structure_violation(void)
{
	struct leaf *l = &leaves[PML_ENTRIES + 1 + 1]; /* the second table page of the walk */
	uint64_t rip = vmreadz(GUEST_RIP), entries[4], saved = *l->entry;

	guest_walk(rip, entries);
	*l->entry = saved & ~VMX_EPT_W;
	invept_all();
	uint32_t reason = guest_op(OP_READ, R4K(42) + 0x10, 0);
	if (!ad_on) {
		expect("without EPT A/D, a guest walk through a page without EPT W is a read: no exit",
		       reason, EXIT_VMCALL);
		*l->entry = saved;
		invept_all();
		return;
	}
	if (!expect("guest walk through a table page without EPT W: EPT violation", reason,
		    EXIT_EPT_VIOLATION))
		return;
	expect("  exit qualification: read and write, not the translation (bit 8 clear)",
	       vmreadz(EXIT_QUALIFICATION), Q_READ | Q_WRITE | Q_READABLE | Q_EXECUTABLE | Q_GLA_VALID);
	expect("  guest-physical address: the PDPTE", vmreadz(GUEST_PHYSICAL_ADDRESS), entries[1]);
	expect("  guest-linear address: the fetched RIP", vmreadz(GUEST_LINEAR_ADDRESS), rip);
	*l->entry = saved;
	invept_all();
	expect("  after restoring W the guest goes on", run_guest(), predict(OP_READ, R4K(42) + 0x10));
	check_state("  after it");
}

/*
 * The guest's own A/D updates (SDM 4.8) are writes for EPT (29.3.3.2: "Writes by the logical
 * processor to guest paging structures to update accessed and dirty flags are considered to be
 * data writes"), A/D flags for EPT on or off. The guest gets page tables of its own in pages 400
 * (PML4) and 401 (PDPT), mapping [0, 1G) with one 1G page, A and D clear. First the PML4 page
 * lacks EPT W: the walk for the guest's first fetch exits, with EPT A/D at the read of the PML4E
 * (treated as a write: qualification bits 0 and 1), without them at the write that sets its A
 * flag (bit 1 only); bit 8 is clear, the GPA is the PML4E's. Then, both A flags set, the PDPT
 * page lacks W and the guest writes: without EPT A/D the walk's reads pass and setting the 1G
 * page's D flag exits, with the data address as linear address; with them the PDPTE read exits
 * at the first fetch.
 */
static void guest_paging_updates(void)
{
	uint64_t *pml4 = word(R4K(400)), *pdpt = word(R4K(401));
	struct leaf *l4 = &leaves[400], *l3 = &leaves[401];
	uint64_t rip = vmreadz(GUEST_RIP), data = R4K(44) + 0x30;
	enum { P = 1, RW = 2, A = 0x20, D = 0x40, PS = 0x80 };

	memset(pml4, 0, PAGE_SIZE);
	memset(pdpt, 0, PAGE_SIZE);
	pml4[0] = R4K(401) | P | RW;
	pdpt[0] = 0 | P | RW | PS;
	vmwrite(GUEST_CR3, R4K(400));
	guest_cr3 = R4K(400);

	uint64_t saved4 = *l4->entry;
	set_leaf(l4, saved4 & ~VMX_EPT_W);
	invept_all();
	if (expect("guest walk that must set A in a PML4E on a page without EPT W: EPT violation",
		   guest_op(OP_READ, R4K(42) + 0x10, 0), EXIT_EPT_VIOLATION)) {
		expect(ad_on ? "  qualification: read and write (EPT A/D), not the translation"
			     : "  qualification: write (the A update), not the translation",
		       vmreadz(EXIT_QUALIFICATION),
		       (ad_on ? Q_READ : 0) | Q_WRITE | Q_READABLE | Q_EXECUTABLE | Q_GLA_VALID);
		expect("  guest-physical address: the PML4E", vmreadz(GUEST_PHYSICAL_ADDRESS), R4K(400));
		expect("  guest-linear address: the fetched RIP", vmreadz(GUEST_LINEAR_ADDRESS), rip);
		expect("  the guest's PML4E A flag still clear", pml4[0] & A, 0);
	}
	set_leaf(l4, saved4);
	invept_all();
	expect("  W restored, the guest goes on", run_guest(), predict(OP_READ, R4K(42) + 0x10));
	expect("  the guest's PML4E and PDPTE now have A set (4.8)", (pml4[0] & A) && (pdpt[0] & A), 1);
	expect("  and the 1G page no D flag yet", pdpt[0] & D, 0);
	check_state("  after it");

	uint64_t saved3 = *l3->entry;
	set_leaf(l3, saved3 & ~VMX_EPT_W);
	invept_all();
	rip = vmreadz(GUEST_RIP);
	if (expect("guest write that must set D in a PDPTE on a page without EPT W: EPT violation",
		   guest_op(OP_WRITE, data, 0x44), EXIT_EPT_VIOLATION)) {
		expect("  qualification", vmreadz(EXIT_QUALIFICATION),
		       (ad_on ? Q_READ : 0) | Q_WRITE | Q_READABLE | Q_EXECUTABLE | Q_GLA_VALID);
		expect("  guest-physical address: the PDPTE", vmreadz(GUEST_PHYSICAL_ADDRESS), R4K(401));
		expect(ad_on ? "  guest-linear address: the fetched RIP (the PDPTE read is a write)"
			     : "  guest-linear address: the data written",
		       vmreadz(GUEST_LINEAR_ADDRESS), ad_on ? rip : data);
		expect("  the write did not happen", *word(data), 0);
	}
	set_leaf(l3, saved3);
	invept_all();
	expect("  W restored, the write completes", run_guest(), predict(OP_WRITE, data));
	expect("  the 1G page's D flag is set", pdpt[0] & D, D);
	check_state("  after it");

	vmwrite(GUEST_CR3, read_cr3());
	guest_cr3 = read_cr3();
}

/*
 * EPT misconfigurations (29.3.3.1): write-only and write/execute rights, memory types 2, 3, 7 in
 * the leaf. Exit reason 49 with the GPA of the access (28.2.1); restored, the access completes.
 */
static void misconfigurations(void)
{
	static const struct { uint64_t bits; const char *what; } table[] = {
		{ VMX_EPT_W | VMX_EPT_WB, "read of a write-only page: EPT misconfiguration" },
		{ VMX_EPT_W | VMX_EPT_X | VMX_EPT_WB, "read of a write/execute page: EPT misconfiguration" },
		{ VMX_EPT_RWX | 2ull << VMX_EPT_MEMTYPE_SHIFT, "read of a page with memory type 2: EPT misconfiguration" },
		{ VMX_EPT_RWX | 7ull << VMX_EPT_MEMTYPE_SHIFT, "read of a page with memory type 7: EPT misconfiguration" },
	};
	struct leaf *l = &leaves[200];
	uint64_t addr = R4K(200) + 0x88, saved = *l->entry;

	for (unsigned i = 0; i < sizeof table / sizeof table[0]; i++) {
		*l->entry = (saved & ~(VMX_EPT_RWX | 7ull << VMX_EPT_MEMTYPE_SHIFT)) | table[i].bits;
		invept_all();
		if (!expect(table[i].what, guest_op(OP_READ, addr, 0), EXIT_EPT_MISCONFIG))
			continue;
		expect("  guest-physical address", vmreadz(GUEST_PHYSICAL_ADDRESS), addr);
		expect("  RIP at the access", vmreadz(GUEST_RIP), (uint64_t)guest_read);
		expect("  no flag set", *l->entry & (VMX_EPT_A | VMX_EPT_D), saved & (VMX_EPT_A | VMX_EPT_D));
		*l->entry = saved;
		invept_all();
		expect("  restored, the read completes", run_guest(), predict(OP_READ, addr));
	}
	check_state("after the misconfigurations");
}

/*
 * Fill the log (29.3.6): after 512 entries the index wraps to FFFFH; then an access that needs no
 * flag goes on, while one that needs an A or D flag is a log-full exit (reason 62) that sets
 * nothing and does not happen. The host empties the log and resumes; the access then completes.
 */
static void fill_the_log(void)
{
	new_round(true);
	/* Page 510: A set, D clear. Page 511: both clear. */
	access("new round: read page 510", OP_READ, R4K(510), 0);
	unsigned writes = PML_ENTRIES - n_tables - 1; /* the table pages log first, then these */
	for (unsigned i = 0; i < writes; i++) {
		uint64_t addr = R4K(i) + 8 * i;
		uint32_t want = predict(OP_WRITE, addr);
		if (guest_op(OP_WRITE, addr, i) != want || *word(addr) != i) {
			printk("FAIL write %u while filling the log\n", i);
			failures++;
		}
	}
	access("the 512th entry: a write into the 2M page", OP_WRITE, R2M + 0x5008, 0x512);
	expect("after 512 entries the PML index is 0xFFFF", vmreadz(PML_INDEX), 0xffff);
	expect("  entry 0 is the last page written", pml_log[0], R2M + 0x5000);
	expect("  entry 1 is the last 4K page written", pml_log[1], R4K(writes - 1));
	check_state("the log is full");

	access("log full: read of page 510 (A already set) does not exit", OP_READ, R4K(510), 0);
	access("log full: write to page 0 (D already set) does not exit", OP_WRITE, R4K(0) + 8, 0xd0);
	access("log full: read in the 2M page (A already set) does not exit", OP_READ, R2M + 0x7000, 0);
	access("log full: write elsewhere in the dirty 2M page does not exit", OP_WRITE, R2M + 0x9000, 0x29);

	*word(R4K(510) + 0x18) = 0x01d;
	expect("log full: write to page 510 (needs D): PML-full exit",
	       guest_op(OP_WRITE, R4K(510) + 0x18, 0x4e3), EXIT_PML_FULL);
	expect("  RIP at the write", vmreadz(GUEST_RIP), (uint64_t)guest_write);
	expect("  the write did not happen", *word(R4K(510) + 0x18), 0x01d);
	expect("  D still clear", *leaves[510].entry & VMX_EPT_D, 0);
	expect("  NMI unblocking (qualification bit 12) clear", vmreadz(EXIT_QUALIFICATION) & Q_NMI_UNBLOCKING, 0);
	check_state("  nothing logged");
	/* Flags are set only for an access the EPT rights allow: a violation comes first. */
	uint64_t saved = *leaves[510].entry;
	set_leaf(&leaves[510], saved & ~VMX_EPT_W);
	invept_all();
	expect("  the same write with W removed: EPT violation, not log full", run_guest(),
	       EXIT_EPT_VIOLATION);
	set_leaf(&leaves[510], saved);
	invept_all();
	expect("  W restored, log still full: PML-full exit again", run_guest(), EXIT_PML_FULL);
	set_pml_index(PML_ENTRIES - 1);
	expect("  index reset to 511: the write completes", run_guest(), predict(OP_WRITE, R4K(510)));
	expect("  the write happened", *word(R4K(510) + 0x18), 0x4e3);
	expect("  and was logged at index 511", pml_log[511], R4K(510));
	check_state("  after it");

	set_pml_index(0);
	access("one entry left: write to page 509 logs at index 0", OP_WRITE, R4K(509), 0x509);
	expect("  the index wrapped from 0 to 0xFFFF", vmreadz(PML_INDEX), 0xffff);
	expect("  entry 0", pml_log[0], R4K(509));
	expect("log full: read of page 511 (needs A): PML-full exit",
	       guest_op(OP_READ, R4K(511), 0), EXIT_PML_FULL);
	expect("  RIP at the read", vmreadz(GUEST_RIP), (uint64_t)guest_read);
	expect("  A still clear", *leaves[511].entry & VMX_EPT_A, 0);
	set_pml_index(PML_ENTRIES - 1);
	expect("  index reset: the read completes", run_guest(), predict(OP_READ, R4K(511)));
	expect("  and logs nothing (A only)", vmreadz(PML_INDEX), PML_ENTRIES - 1);
	check_state("  after it");
}

static void main_fn(void)
{
	uint64_t proc2_allowed = rdmsr(MSR_VMX_PROC2) >> 32, ept_cap = rdmsr(MSR_VMX_EPT_VPID_CAP);
	bool pml_ok = proc2_allowed & VMX_PROC2_PML, ad_ok = ept_cap & VMX_CAP_EPT_AD;
	enum vmx_status s;

	traps_init();
	if (!(proc2_allowed & VMX_PROC2_EPT))
		workload_report(RESULT_SKIP, "no EPT");
	if ((s = vmx_start(&vcpu)) != VMX_OK)
		workload_report(RESULT_ERROR, "cannot enter VMX operation (status %d)", s);
	printk("EPT A/D %s, PML %s\n", ad_ok ? "supported" : "not supported",
	       pml_ok ? "supported" : "not supported");
	build_ept();
	vmx_setup_vmcs((uint64_t)guest_loop, (uint64_t)(guest_stack + sizeof guest_stack));
	check_entry_controls(pml_ok, ad_ok);

	ad_on = ad_ok;
	pml_on = ad_ok && pml_ok;
	set_controls(VMX_PROC2_EPT | (pml_on ? VMX_PROC2_PML : 0), ad_on);
	first_entry();
	writes_and_reads();
	second_round();
	remap_with_invept();
	violations(ept_cap & EPT_CAP_EXEC_ONLY);
	paging_structure_violation();
	misconfigurations();
	guest_paging_updates();
	if (pml_on)
		fill_the_log();
	expect("vmxoff", vmxoff(), VMX_OK);
	if (failures)
		workload_report(RESULT_FAILURE, "%u checks failed", failures);
	if (!pml_on)
		workload_report(RESULT_SKIP, "EPT checks passed; %s not supported",
				ad_ok ? "PML" : "EPT A/D (and so PML)");
}

WORKLOAD("vmx: EPT accessed/dirty flags and page-modification logging", main_fn);
