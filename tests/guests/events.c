/*
 * Event delivery in 64-bit mode, checked from inside the guest:
 *   - which stack the CPU builds the frame on: TSS.IST[n] when the gate names one (at any CPL),
 *     TSS.RSP0 on a change to ring 0, else the current stack; and that the new RSP is aligned
 *     down to 16 bytes before anything is pushed (SDM Vol. 3, 6.14.2 "64-Bit Mode Stack Frame",
 *     6.14.4 "Stack Switching in IA-32e Mode", 6.14.5 "Interrupt Stack Table"; Vol. 2A, INT n
 *     pseudocode: "NewRSP <- NewRSP AND FFFFFFFFFFFFFFF0H");
 *   - exceptions raised while delivering another one: #DF with error code 0 or serial handling,
 *     by the classes of SDM Vol. 3, Table 6-5 "Conditions for Generating a Double Fault";
 *   - error codes that name an IDT entry: index << 3 | IDT (bit 1) | EXT (bit 0), EXT set when
 *     the exception occurred while delivering an earlier exception and clear when it occurred
 *     while delivering INT n / INT3 / INTO (SDM Vol. 3, 6.13 "Error Code");
 *   - exceptions raised one after another, each delivered: none of them is a double fault.
 */
#include "traps.h"
#include "workload.h"


#define SLOTS 0x40000000ull      /* PDPT[1]: 4K pages, none of them mapped */
#define USER_ALIAS 0x80000000ull /* PDPT[2]: a user mapping of the first GiB */
#define UNMAPPED_TOP (SLOTS + 0x2000) /* a stack top whose page [SLOTS+4K, SLOTS+8K) is absent */
#define UNMAPPED_DATA (SLOTS + 0x5000)

/* SDM Table 6-1 vectors and the error-code flags of 6.13. */
#define V_BP 3
#define V_UD 6
#define V_DF 8
#define V_NP 11
#define V_GP 13
#define V_PF 14
#define ERR_EXT 1u
#define ERR_IDT 2u
#define IDT_ERR(v) ((v) * 8u + ERR_IDT)
#define PF_WRITE 2u /* 4.7: P = 0 (not present), W/R = 1, U/S = 0 */

#define MSR_BOGUS 0x12345678u /* no such MSR: RDMSR is #GP(0) (SDM Vol. 2B, RDMSR) */

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[512] __attribute__((aligned(4096)));
static uint64_t pt[512] __attribute__((aligned(4096)));
static uint8_t ist_stacks[3][8192] __attribute__((aligned(4096)));
static uint8_t alt_stack[16384] __attribute__((aligned(4096)));
static uint8_t rsp0_stack[8192] __attribute__((aligned(4096)));
static uint8_t user_stack[8192] __attribute__((aligned(4096)));
static unsigned failures, checks;
uint64_t saved_probe_rsp;

/* Probes (TRAPS_PROBE, traps.h): 'after' runs with the RSP the handler resumed with. */
bool probe_ud(void);
bool probe_int3(void);
bool probe_rdmsr(uint32_t msr);
bool probe_load(uint64_t va);
bool probe_load_ds(uint16_t sel);
bool probe_ud_on_stack(uint64_t rsp); /* UD2 with RSP = rsp */
extern char probe_ud_insn[], probe_int3_insn[], user_ud[], user_ud_end[];
__asm__(".text\n"
	TRAPS_PROBE("probe_ud", "probe_ud_insn: ud2", "")
	TRAPS_PROBE("probe_int3", "probe_int3_insn: int3", "")
	TRAPS_PROBE("probe_rdmsr", "  mov %edi, %ecx; rdmsr", "")
	TRAPS_PROBE("probe_load", "  mov (%rdi), %rax", "")
	TRAPS_PROBE("probe_load_ds", "  mov %di, %ds", "")
	TRAPS_PROBE("probe_ud_on_stack", "  mov %rsp, saved_probe_rsp(%rip); mov %rdi, %rsp; ud2",
	      "mov saved_probe_rsp(%rip), %rsp")
	"user_ud: ud2\nuser_ud_end: int $0x80\n");

static void expect_eq(const char *what, uint64_t got, uint64_t want)
{
	checks++;
	if (got == want) {
		printk("PASS %s\n", what);
		return;
	}
	failures++;
	printk("FAIL %s: got %#lx, expected %#lx\n", what, got, want);
}

/* The exception the last probe took: vector and error code (SDM 6.13 / Table 6-1). */
static void expect_trap(const char *what, bool trapped, uint64_t vector, uint64_t error)
{
	checks++;
	if (trapped && last_trap.vector == vector && last_trap.error == error) {
		printk("PASS %s\n", what);
		return;
	}
	failures++;
	printk("FAIL %s: trapped=%d vector=%lu error=%#lx; expected vector %lu error %#lx\n", what,
	       trapped, last_trap.vector, last_trap.error, vector, error);
}

static uint64_t top_of(uint8_t *stack, uint64_t size)
{
	return (uint64_t)stack + size;
}

static uint64_t alias(const void *p)
{
	return USER_ALIAS + (uint64_t)p;
}

static void setup_paging(void)
{
	pml4[0] = (uint64_t)pdpt | PTE_P | PTE_RW | PTE_US;
	pdpt[0] = 0 | PTE_P | PTE_RW | PTE_PS;          /* supervisor identity map of 1 GiB */
	pdpt[1] = (uint64_t)pd | PTE_P | PTE_RW;
	pd[0] = (uint64_t)pt | PTE_P | PTE_RW;          /* every PTE stays 0: not present */
	pdpt[2] = 0 | PTE_P | PTE_RW | PTE_US | PTE_PS; /* user alias for ring 3 */
	write_cr3((uint64_t)pml4);
}

/* 6.14.5: a gate with IST = n switches to TSS.IST[n] even without a privilege change. */
static void ist_at_cpl0(void)
{
	uint64_t t = top_of(ist_stacks[1], sizeof ist_stacks[1]);

	traps_set_gate_ist(V_UD, 2);
	traps_set_ist(2, t);
	expect_trap("CPL0 IST=2: #UD delivered", probe_ud(), V_UD, 0);
	expect_eq("CPL0 IST=2: frame built at TSS.IST2", last_trap.frame_top, t);
	expect_eq("CPL0 IST=2: pushed RIP is the faulting UD2", last_trap.rip, (uint64_t)probe_ud_insn);
	expect_eq("CPL0 IST=2: pushed SS is the unchanged kernel SS", last_trap.ss, SEL_KDATA);
	/* Vol. 2A INT n: NewRSP <- TSS[IST] AND ...FFF0H, so a misaligned IST pointer is aligned. */
	traps_set_ist(2, t - 8);
	probe_ud();
	expect_eq("CPL0 IST=2 at top-8: frame aligned down to top-16", last_trap.frame_top, t - 16);
	traps_reset_gate(V_UD);
}

/* 6.14.2/6.14.4: no IST and no CPL change: the current stack, aligned down to 16 bytes. */
static void current_stack_at_cpl0(void)
{
	uint64_t s = top_of(alt_stack, sizeof alt_stack) - 64;

	expect_trap("CPL0 IST=0: #UD delivered", probe_ud_on_stack(s), V_UD, 0);
	expect_eq("CPL0 IST=0, RSP 16-aligned: frame built right below RSP", last_trap.frame_top, s);
	expect_eq("CPL0 IST=0: pushed RSP is the interrupted RSP", last_trap.rsp, s);
	probe_ud_on_stack(s - 8);
	expect_eq("CPL0 IST=0, RSP = 8 mod 16: frame aligned down to RSP-8", last_trap.frame_top, s - 16);
	expect_eq("CPL0 IST=0: pushed RSP is the unaligned RSP", last_trap.rsp, s - 8);
}

/* Run the ring-3 UD2 snippet; true if it trapped. */
static bool user_ud2(void)
{
	uint64_t before = last_trap.count;
	user_fixup = alias(user_ud_end);
	run_user(alias(user_ud), alias(user_stack + sizeof user_stack), 0);
	user_fixup = 0;
	return last_trap.count == before + 1;
}

/* 6.14.4: from CPL 3 without IST the CPU loads RSP from TSS.RSP0; with IST, from TSS.IST[n]. */
static void stacks_from_cpl3(void)
{
	uint64_t r = top_of(rsp0_stack, sizeof rsp0_stack);
	uint64_t t = top_of(ist_stacks[2], sizeof ist_stacks[2]);
	uint64_t old = traps_set_rsp0(r);

	expect_trap("CPL3 IST=0: #UD delivered", user_ud2(), V_UD, 0);
	expect_eq("CPL3 IST=0: frame built at TSS.RSP0", last_trap.frame_top, r);
	expect_eq("CPL3 IST=0: pushed SS is the user SS", last_trap.ss, SEL_UDATA);
	expect_eq("CPL3 IST=0: pushed RSP is the user RSP", last_trap.rsp,
		  alias(user_stack + sizeof user_stack));
	expect_eq("CPL3 IST=0: pushed CS is the user CS", last_trap.cs, SEL_UCODE);
	traps_set_rsp0(r - 8);
	user_ud2();
	expect_eq("CPL3 IST=0, RSP0 = 8 mod 16: frame aligned down", last_trap.frame_top, r - 16);
	traps_set_rsp0(r);

	traps_set_gate_ist(V_UD, 3);
	traps_set_ist(3, t);
	expect_trap("CPL3 IST=3: #UD delivered", user_ud2(), V_UD, 0);
	expect_eq("CPL3 IST=3: IST wins over RSP0", last_trap.frame_top, t);
	traps_reset_gate(V_UD);
	traps_set_rsp0(old);
}

/*
 * Table 6-5: contributory then contributory, and page fault then contributory or page fault,
 * give #DF. Its error code is always 0 (6.15, Interrupt 8). Every #DF here is delivered through
 * a gate with IST = 1, so its frame must start at TSS.IST1.
 */
static void expect_df(const char *what, const char *where, bool trapped, uint64_t ist_top)
{
	expect_trap(what, trapped, V_DF, 0);
	expect_eq(where, last_trap.frame_top, ist_top);
}

static void double_faults(void)
{
	uint64_t t1 = top_of(ist_stacks[0], sizeof ist_stacks[0]);

	traps_set_ist(1, t1);
	traps_set_gate_ist(V_DF, 1);

	/* #GP (contributory) whose gate is not present: #NP (contributory) while delivering it. */
	traps_set_gate_present(V_GP, false);
	expect_df("#GP, then #NP delivering it: #DF(0)", "#GP, then #NP: #DF frame at TSS.IST1",
		  probe_rdmsr(MSR_BOGUS), t1);
	traps_reset_gate(V_GP);

	/* #GP whose gate has a reserved type (0): #GP while delivering it (6.14.1: only 64-bit
	 * interrupt and trap gates are allowed in the IDT). */
	traps_set_gate_type(V_GP, 0);
	expect_df("#GP, then #GP delivering it: #DF(0)", "#GP, then #GP: #DF frame at TSS.IST1",
		  probe_rdmsr(MSR_BOGUS), t1);
	traps_reset_gate(V_GP);

	/* #PF whose handler stack is not mapped: #PF while delivering it. */
	traps_set_gate_ist(V_PF, 2);
	traps_set_ist(2, UNMAPPED_TOP);
	expect_df("#PF, then #PF pushing its frame: #DF(0)", "#PF, then #PF: #DF frame at TSS.IST1",
		  probe_load(UNMAPPED_DATA), t1);
	traps_reset_gate(V_PF);

	/* #PF whose gate is not present: #NP (contributory) while delivering it. */
	traps_set_gate_present(V_PF, false);
	expect_df("#PF, then #NP delivering it: #DF(0)", "#PF, then #NP: #DF frame at TSS.IST1",
		  probe_load(UNMAPPED_DATA), t1);
	traps_reset_gate(V_PF);

	traps_reset_gate(V_DF);
}

/* Table 6-5 cases that are handled serially: the second exception is delivered, no #DF. */
static void serial_exceptions(void)
{
	/* Benign first (#UD): the #NP is delivered as such, EXT = 1 (delivering an exception),
	 * and as a fault it points at the UD2 (6.13; 6.15, Interrupt 11). */
	traps_set_gate_present(V_UD, false);
	expect_trap("#UD, then #NP delivering it: #NP(6*8+IDT+EXT), no #DF", probe_ud(), V_NP,
		    IDT_ERR(V_UD) | ERR_EXT);
	expect_eq("#UD, then #NP: #NP points at the UD2", last_trap.rip, (uint64_t)probe_ud_insn);
	traps_reset_gate(V_UD);

	/* INT3 is a software interrupt: its #NP has EXT = 0 and points at the INT3 (Vol. 2A,
	 * INT n/INTO/INT3: #NP(vector * 8 + 2) is a fault of the instruction). */
	traps_set_gate_present(V_BP, false);
	expect_trap("INT3, then #NP delivering it: #NP(3*8+IDT), EXT clear", probe_int3(), V_NP,
		    IDT_ERR(V_BP));
	expect_eq("INT3, then #NP: #NP points at the INT3", last_trap.rip, (uint64_t)probe_int3_insn);
	traps_reset_gate(V_BP);

	/* Contributory first, page fault second: handled serially. The #PF is a supervisor write
	 * to a not-present page, and CR2 lies in that page (4.7). */
	traps_set_gate_ist(V_GP, 2);
	traps_set_ist(2, UNMAPPED_TOP);
	expect_trap("#GP, then #PF pushing its frame: #PF(W), no #DF", probe_rdmsr(MSR_BOGUS), V_PF,
		    PF_WRITE);
	expect_eq("#GP, then #PF: CR2 is in the unmapped stack page", last_trap.cr2 & ~0xfffull,
		  UNMAPPED_TOP - 0x1000);
	traps_reset_gate(V_GP);
}

/*
 * Exceptions an instruction raises, one after another: each is delivered on its own (a delivered
 * exception is over; Table 6-5 applies only to one raised while delivering another), and each
 * keeps its error code (Vol. 2B RDMSR: #GP(0); Vol. 2B MOV: #GP(selector) for a selector
 * outside the descriptor table).
 */
static void consecutive_exceptions(void)
{
	uint16_t past_limit = GDT_ENTRIES * 8 + 0x100;

	expect_trap("RDMSR of a missing MSR: #GP(0)", probe_rdmsr(MSR_BOGUS), V_GP, 0);
	expect_trap("RDMSR of a missing MSR again: #GP(0), not #DF", probe_rdmsr(MSR_BOGUS), V_GP, 0);
	expect_trap("MOV DS of a selector past the GDT limit: #GP(selector)", probe_load_ds(past_limit),
		    V_GP, past_limit);
	expect_trap("UD2 after three #GPs: #UD", probe_ud(), V_UD, 0);
}

static void events_main(void)
{
	traps_init();
	setup_paging();
	consecutive_exceptions();
	ist_at_cpl0();
	current_stack_at_cpl0();
	stacks_from_cpl3();
	double_faults();
	serial_exceptions();
	if (failures)
		workload_report(RESULT_FAILURE, "%u of %u checks failed", failures, checks);
	printk("%u checks passed\n", checks);
}

WORKLOAD("event delivery: IST, RSP0, alignment, #DF and serial exceptions", events_main);
