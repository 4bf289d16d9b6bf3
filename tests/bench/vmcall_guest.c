/*
 * `make bench`, VM exit round trip: a test hypervisor whose guest executes VMCALL in a loop, with
 * the smallest root handler that keeps it going (read the exit reason, step the guest's RIP
 * over the VMCALL, VMRESUME). The command line says what to run:
 *   "vmx N"   N round trips (N VMCALL exits), then a HLT exit ends the guest
 *   "base N"  the same guest loop without VMX and without the VMCALL, for the cost outside it
 *   "vmread N"  N VMREADs in VMX root operation: the cost of one emulated VMX instruction
 * tests/bench/bench_vmexit.c times the runs from outside; the guest reports only the count.
 */
#include "traps.h"
#include "vmx.h"
#include "workload.h"

#define PROC_HLT_EXITING (1u << 7)
#define EXIT_REASON_HLT 12

static struct vmx_vcpu vcpu;
static uint8_t guest_stack[4096] __attribute__((aligned(16)));

/*
 * bench_launch(n): VMLAUNCH the guest with RCX = n; returns the reason of the first exit that is
 * not VMCALL (or ~0 if VMLAUNCH/VMRESUME failed). The VMCALL exits are handled in assembly at
 * HOST_RIP without touching RCX, the guest's loop counter (a VM exit saves no GPR).
 */
uint64_t bench_launch(uint64_t n);
extern char bench_exit[], bench_guest[], bench_guest_base[], bench_vmread[];
__asm__(".text\n"
	".globl bench_launch\n"
	"bench_launch:\n"
	"  push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
	"  mov $0x6c14, %eax; vmwrite %rsp, %rax\n"        /* HOST_RSP */
	"  mov %rdi, %rcx\n"
	"  vmlaunch\n"
	"  jmp 2f\n"
	"bench_exit:\n"
	"  mov $0x4402, %eax; vmread %rax, %rax\n"          /* exit reason */
	"  cmp $18, %eax; jne 1f\n"
	"  mov $0x681e, %edx; vmread %rdx, %rsi\n"          /* guest RIP */
	"  mov $0x440c, %eax; vmread %rax, %rax\n"          /* VM-exit instruction length */
	"  add %rax, %rsi; vmwrite %rsi, %rdx\n"
	"  vmresume\n"
	"2: mov $-1, %rax\n"
	"1: pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
	"  ret\n"
	/* The guest: N times VMCALL; then HLT (which exits). 3 instructions per round trip. */
	"bench_guest:\n"
	"  vmcall\n"
	"  dec %rcx\n"
	"  jnz bench_guest\n"
	"  hlt\n"
	/* The baseline loop, without the VMCALL: 2 instructions per iteration. */
	"bench_guest_base:\n"
	"  dec %rcx\n"
	"  jnz bench_guest_base\n"
	"  ret\n"
	/* VMREAD of the exit reason in a loop: 4 instructions per iteration. */
	"bench_vmread:\n"
	"  mov $0x4402, %eax; vmread %rax, %rdx\n"
	"  dec %rcx\n"
	"  jnz bench_vmread\n"
	"  ret\n");

static uint64_t parse_count(const char *s)
{
	uint64_t n = 0;
	while (*s == ' ')
		s++;
	while (*s >= '0' && *s <= '9')
		n = n * 10 + (uint64_t)(*s++ - '0');
	return n;
}

static void main_fn(void)
{
	const char *cmd = workload_cmdline ? workload_cmdline : "";
	const char *arg = cmd;
	uint64_t n;

	while (*arg && *arg != ' ')
		arg++;
	n = parse_count(arg);
	if (n == 0 || (cmd[0] != 'b' && cmd[0] != 'v'))
		workload_report(RESULT_ERROR, "command line '%s': expected 'vmx N', 'base N' or 'vmread N'", cmd);
	traps_init();
	if (cmd[0] == 'b') {
		__asm__ volatile("call bench_guest_base" : "+c"(n) : : "memory", "cc");
		printk("baseline loop done\n");
		return;
	}
	if (vmx_start(&vcpu) != VMX_OK)
		workload_report(RESULT_ERROR, "cannot enter VMX operation");
	if (cmd[2] == 'r') { /* "vmread" */
		__asm__ volatile("call bench_vmread" : "+c"(n) : : "rax", "rdx", "memory", "cc");
		printk("VMREAD loop done\n");
		return;
	}
	vmx_setup_vmcs((uint64_t)bench_guest, (uint64_t)(guest_stack + sizeof guest_stack));
	vmwrite(PROC_CONTROLS, vmx_adjust(MSR_VMX_TRUE_PROC, PROC_HLT_EXITING));
	vmwrite(HOST_RIP, (uint64_t)bench_exit);
	uint64_t reason = bench_launch(n);
	if (reason != EXIT_REASON_HLT)
		workload_report(RESULT_ERROR, "the guest ended with exit reason %#lx, not HLT (error %lu)",
				reason, vmreadz(VM_INSTRUCTION_ERROR));
	printk("%lu VMCALL round trips done\n", n);
}

WORKLOAD("bench: VMCALL round trips", main_fn);
