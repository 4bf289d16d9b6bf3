/*
 * Guest-level access-rights checks: real #PFs taken through the IDT for SMAP (AC=0 and AC=1,
 * implicit supervisor accesses at CPL 3), STAC/CLAC at CPL 3, SMEP, CR0.WP and NX. Expected
 * vectors and error codes come from the SDM (Vol. 3, 4.6 and 4.7; Vol. 2B STAC/CLAC #UD).
 */
#include "traps.h"
#include "workload.h"

#define PTE_XD (1ull << 63)

#define USER_ALIAS 0x80000000ull /* PDPT[2]: a user mapping of the first GiB */
#define SLOTS 0x40000000ull      /* PDPT[1]: 4K pages set up per test */
enum slot { SLOT_USER_RO, SLOT_SUPER_RO, SLOT_USER_RW, SLOT_SUPER_XD, SLOT_GDT_LO, SLOT_GDT_HI };

/* #PF error codes, SDM Vol. 3, Figure 4-12: P=1, W/R=2, U/S=4, I/D=16. */
#define PF_PROT 1
#define PF_WRITE 2
#define PF_USER 4
#define PF_FETCH 16

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[512] __attribute__((aligned(4096)));
static uint64_t pt[512] __attribute__((aligned(4096)));
static uint8_t data_page[4096] __attribute__((aligned(4096)));
static uint8_t ret_page[4096] __attribute__((aligned(4096)));
static uint64_t gdt_pages[2][512] __attribute__((aligned(4096)));
static uint8_t user_stack[8192] __attribute__((aligned(4096)));
static unsigned failures, checks;

/* Ring-3 snippets: one access, then `int $0x80` back to ring 0 (the recovery point on a trap). */
extern char user_read[], user_read_end[], user_write[], user_write_end[], user_stac[],
	user_stac_end[], user_clac[], user_clac_end[], user_load_ds[], user_load_ds_end[],
	user_int81[], user_int81_end[], dpl0_gate[];
__asm__(".text\n.balign 16\n"
	"user_read: movb (%rdi), %al\nuser_read_end: int $0x80\n"
	"user_write: movb $7, (%rdi)\nuser_write_end: int $0x80\n"
	"user_stac: stac\nuser_stac_end: int $0x80\n"
	"user_clac: clac\nuser_clac_end: int $0x80\n"
	"user_load_ds: mov %di, %ds\nuser_load_ds_end: int $0x80\n"
	"user_int81: int $0x81\nuser_int81_end: int $0x80\n"
	"dpl0_gate: iretq\n");

static uint64_t alias(const void *p)
{
	return USER_ALIAS + (uint64_t)p;
}

static uint64_t slot_va(enum slot s)
{
	return SLOTS + 0x1000ull * s;
}

static void map_slot(enum slot s, const void *page, uint64_t flags)
{
	pt[s] = (uint64_t)page | PTE_P | flags;
	__asm__ volatile("invlpg (%0)" : : "r"(slot_va(s)) : "memory");
}

static void setup_paging(void)
{
	pml4[0] = (uint64_t)pdpt | PTE_P | PTE_RW | PTE_US;
	pdpt[0] = 0 | PTE_P | PTE_RW | PTE_PS;                /* supervisor identity */
	pdpt[1] = (uint64_t)pd | PTE_P | PTE_RW | PTE_US;
	pdpt[2] = 0 | PTE_P | PTE_RW | PTE_US | PTE_PS;       /* user alias */
	pd[0] = (uint64_t)pt | PTE_P | PTE_RW | PTE_US;
	map_slot(SLOT_USER_RO, data_page, PTE_US);
	map_slot(SLOT_SUPER_RO, data_page, 0);
	map_slot(SLOT_USER_RW, data_page, PTE_US | PTE_RW);
	map_slot(SLOT_SUPER_XD, ret_page, PTE_RW | PTE_XD);
	map_slot(SLOT_GDT_LO, gdt_pages[0], PTE_RW);
	map_slot(SLOT_GDT_HI, gdt_pages[1], PTE_RW | PTE_US);
	write_cr3((uint64_t)pml4);
}

struct expect {
	bool trap;
	uint64_t vector, error, cr2;
};

static void check(const char *what, bool trapped, struct expect e)
{
	bool ok = trapped == e.trap;
	checks++;
	if (ok && e.trap)
		ok = last_trap.vector == e.vector &&
		     (e.vector != 13 || last_trap.error == e.error) &&
		     (e.vector != 14 || (last_trap.error == e.error && last_trap.cr2 == e.cr2));
	if (ok) {
		printk("PASS %s\n", what);
		return;
	}
	failures++;
	printk("FAIL %s: trapped=%d vector=%lu error=%#lx cr2=%#lx; expected trapped=%d vector=%lu "
	       "error=%#lx cr2=%#lx\n",
	       what, trapped, last_trap.vector, last_trap.error, last_trap.cr2, e.trap, e.vector,
	       e.error, e.cr2);
}

static const struct expect NO_TRAP = { false, 0, 0, 0 };

static struct expect pf(uint64_t error, uint64_t cr2)
{
	return (struct expect){ true, 14, error, cr2 };
}

/* Run a ring-3 snippet; true if it trapped. */
static bool user(const char *start, const char *end, uint64_t arg)
{
	uint64_t before = last_trap.count;
	user_fixup = alias(end);
	run_user(alias(start), alias(user_stack + sizeof user_stack), arg);
	user_fixup = 0;
	return last_trap.count != before;
}

static void supervisor_checks(void)
{
	uint64_t u = alias(data_page);

	/* 4.6.1: SMAP, explicit supervisor data accesses to user pages need EFLAGS.AC = 1. */
	check("SMAP: AC=0 read of a user page faults", probe_read((void *)u), pf(PF_PROT, u));
	check("SMAP: AC=0 write to a user page faults", probe_write((void *)u), pf(PF_PROT | PF_WRITE, u));
	stac();
	check("SMAP: AC=1 read of a user page is allowed", probe_read((void *)u), NO_TRAP);
	check("SMAP: AC=1 write to a user page is allowed", probe_write((void *)u), NO_TRAP);
	clac();
	/* 4.6.1: SMEP, supervisor fetches from user pages fault; I/D set. */
	check("SMEP: fetch from a user page faults", probe_call((void *)alias(ret_page)),
	      pf(PF_PROT | PF_FETCH, alias(ret_page)));
	/* CR0.WP = 1: supervisor writes honour R/W; with WP = 0 they do not. */
	check("WP=1: write to a read-only supervisor page faults",
	      probe_write((void *)slot_va(SLOT_SUPER_RO)), pf(PF_PROT | PF_WRITE, slot_va(SLOT_SUPER_RO)));
	write_cr0(read_cr0() & ~CR0_WP);
	check("WP=0: write to a read-only supervisor page is allowed",
	      probe_write((void *)slot_va(SLOT_SUPER_RO)), NO_TRAP);
	write_cr0(read_cr0() | CR0_WP);
	/* EFER.NXE = 1: fetch from an XD page faults with I/D. */
	check("NX: fetch from an execute-disable page faults", probe_call((void *)slot_va(SLOT_SUPER_XD)),
	      pf(PF_PROT | PF_FETCH, slot_va(SLOT_SUPER_XD)));
	write_cr4(read_cr4() & ~CR4_SMAP);
	check("SMAP off: AC=0 read of a user page is allowed", probe_read((void *)u), NO_TRAP);
	write_cr4(read_cr4() | CR4_SMAP);
	check("SMAP back on: AC=0 read of a user page faults again", probe_read((void *)u), pf(PF_PROT, u));
}

static void user_checks(void)
{
	uint64_t super = (uint64_t)data_page; /* identity mapping: supervisor */
	uint64_t gdt_hi = slot_va(SLOT_GDT_HI);

	check("CPL3: read of a user page is allowed", user(user_read, user_read_end, alias(data_page)), NO_TRAP);
	check("CPL3: read of a supervisor page faults", user(user_read, user_read_end, super),
	      pf(PF_PROT | PF_USER, super));
	check("CPL3: write to a read-only user page faults",
	      user(user_write, user_write_end, slot_va(SLOT_USER_RO)),
	      pf(PF_PROT | PF_WRITE | PF_USER, slot_va(SLOT_USER_RO)));
	/* STAC/CLAC: #UD if CPL > 0 (SDM Vol. 2B). */
	check("CPL3: STAC is #UD", user(user_stac, user_stac_end, 0), (struct expect){ true, 6, 0, 0 });
	check("CPL3: CLAC is #UD", user(user_clac, user_clac_end, 0), (struct expect){ true, 6, 0, 0 });
	/* INT n checks the gate's DPL against CPL: #GP(vector * 8 + 2) (SDM Vol. 3, 6.12.1.1). */
	check("CPL3: INT to a DPL-0 gate is #GP(0x81*8+2)", user(user_int81, user_int81_end, 0),
	      (struct expect){ true, 13, 0x81 * 8 + 2, 0 });

	/*
	 * Implicit supervisor access at CPL 3: a GDT whose entry 7 lies on a user page. Loading DS
	 * reads the descriptor as a supervisor (U/S = 0 in the error code) and SMAP applies
	 * regardless of EFLAGS.AC (4.6.1).
	 */
	uint64_t base = gdt_hi - GDT_ENTRIES * 8; /* entries 0..6 end the supervisor page */
	for (unsigned i = 0; i < GDT_ENTRIES; i++)
		gdt_pages[0][512 - GDT_ENTRIES + i] = gdt[i];
	gdt_pages[1][0] = gdt[3]; /* entry 7: a user data segment, on the user page */
	lgdt_at(base, 8 * 8 - 1);
	check("CPL3 AC=0: descriptor load from a user page is an implicit SMAP fault",
	      user(user_load_ds, user_load_ds_end, 7 * 8 | 3), pf(PF_PROT, gdt_hi));
	user_rflags |= RFLAGS_AC;
	check("CPL3 AC=1: the implicit access still faults",
	      user(user_load_ds, user_load_ds_end, 7 * 8 | 3), pf(PF_PROT, gdt_hi));
	user_rflags &= ~RFLAGS_AC;
	lgdt_at((uint64_t)gdt, GDT_ENTRIES * 8 - 1);
}

static void rights_main(void)
{
	uint32_t a, b, c, d;

	cpuid(7, 0, &a, &b, &c, &d);
	if (!(b & (1u << 20)) || !(b & (1u << 7)))
		workload_report(RESULT_SKIP, "CPUID.7.EBX reports no SMAP (bit 20) or SMEP (bit 7)");
	traps_init();
	traps_set_gate(0x81, dpl0_gate, 0);
	setup_paging();
	ret_page[0] = 0xc3; /* ret */
	write_cr4(read_cr4() | CR4_SMEP | CR4_SMAP);
	supervisor_checks();
	user_checks();
	if (failures)
		workload_report(RESULT_FAILURE, "%u of %u checks failed", failures, checks);
	printk("%u checks passed\n", checks);
}

WORKLOAD("access rights: SMAP, SMEP, WP, NX, implicit accesses", rights_main);
