/*
 * A triple fault: an exception whose delivery raises a second one (#DF, SDM Vol. 3, Table 6-5),
 * whose delivery faults again. "If another contributory or page fault exception occurs while
 * attempting to call the double-fault handler, the processor enters shutdown mode" (6.15,
 * Interrupt 8). The guest never comes back: hvsim stops with exit code 3 and reports the chain.
 *
 * --cmdline picks the chain (the guest prints what the report must name):
 *   np  RDMSR of a missing MSR: #GP(0); the #GP gate is not present: #NP(13*8+IDT+EXT);
 *       #DF; the #DF gate is not present: #NP(8*8+IDT+EXT) (error codes: 6.13)
 *   pf  a load from an unmapped page: #PF; the #PF handler's IST stack is unmapped: #PF while
 *       pushing the frame; #DF; the #DF handler's IST stack is unmapped too: #PF
 */
#include "traps.h"
#include "workload.h"

#define SLOTS 0x40000000ull /* PDPT[1]: 4K pages, none mapped */
#define PF_STACK_TOP (SLOTS + 0x2000)
#define DF_STACK_TOP (SLOTS + 0x4000)
#define UNMAPPED_DATA (SLOTS + 0x5000)
#define MSR_BOGUS 0x12345678u
#define GATE_DF 8
#define GATE_GP 13
#define GATE_PF 14

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[512] __attribute__((aligned(4096)));
static uint64_t pt[512] __attribute__((aligned(4096)));

void triple_rdmsr(uint32_t msr);
void triple_load(uint64_t va);
extern char triple_rdmsr_insn[], triple_load_insn[];
__asm__(".text\n"
	".globl triple_rdmsr\ntriple_rdmsr: mov %edi, %ecx\ntriple_rdmsr_insn: rdmsr\n  ret\n"
	".globl triple_load\ntriple_load:\ntriple_load_insn: mov (%rdi), %rax\n  ret\n");

static bool is(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static void setup_paging(void)
{
	pml4[0] = (uint64_t)pdpt | PTE_P | PTE_RW;
	pdpt[0] = 0 | PTE_P | PTE_RW | PTE_PS;
	pdpt[1] = (uint64_t)pd | PTE_P | PTE_RW;
	pd[0] = (uint64_t)pt | PTE_P | PTE_RW; /* every PTE 0: nothing mapped */
	write_cr3((uint64_t)pml4);
}

static void triple_main(void)
{
	const char *which = workload_cmdline ? workload_cmdline : "";

	traps_init();
	setup_paging();
	if (is(which, "np")) {
		traps_set_gate_present(GATE_GP, false);
		traps_set_gate_present(GATE_DF, false);
		printk("triple: rip=%#lx\n", (uint64_t)triple_rdmsr_insn);
		triple_rdmsr(MSR_BOGUS);
	} else if (is(which, "pf")) {
		traps_set_ist(1, PF_STACK_TOP);
		traps_set_ist(2, DF_STACK_TOP);
		traps_set_gate_ist(GATE_PF, 1);
		traps_set_gate_ist(GATE_DF, 2);
		printk("triple: rip=%#lx cr2=%#lx pf-stack=%#lx df-stack=%#lx\n",
		       (uint64_t)triple_load_insn, (uint64_t)UNMAPPED_DATA, (uint64_t)PF_STACK_TOP,
		       (uint64_t)DF_STACK_TOP);
		triple_load(UNMAPPED_DATA);
	} else {
		workload_report(RESULT_ERROR, "--cmdline must be np or pf, not '%s'", which);
	}
	workload_report(RESULT_FAILURE, "the CPU survived a fault while delivering #DF");
}

WORKLOAD("triple fault: a fault while delivering #DF shuts the CPU down", triple_main);
