/*
 * SYSCALL/SYSRET round trip from ring 3 (SDM Vol. 2B, SYSCALL and SYSRET): the kernel entry sees
 * CS/SS from STAR[47:32], RCX = the return address, R11 = the caller's RFLAGS, and RFLAGS masked
 * by IA32_FMASK (here AC and IF, as a SMAP-safe hypervisor's entry points require).
 */
#include "traps.h"
#include "workload.h"

#define USER_ALIAS 0x80000000ull

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint8_t user_stack[8192] __attribute__((aligned(4096)));
uint64_t sc_rcx, sc_r11, sc_rflags, sc_cs, sc_ss, sc_count;

extern char syscall_entry[], user_syscall[], user_after_syscall[];
__asm__(".text\n"
	"syscall_entry:\n"
	"  mov %rcx, sc_rcx(%rip)\n"
	"  mov %r11, sc_r11(%rip)\n"
	"  pushfq; popq sc_rflags(%rip)\n"
	"  movq $0, sc_cs(%rip); mov %cs, sc_cs(%rip)\n"
	"  movq $0, sc_ss(%rip); mov %ss, sc_ss(%rip)\n"
	"  incq sc_count(%rip)\n"
	"  sysretq\n"
	"user_syscall:\n"
	"  pushfq; orq $0x40000, (%rsp); popfq\n" /* set AC in ring 3 */
	"  syscall\n"
	"user_after_syscall:\n"
	"  int $0x80\n");

static unsigned failures;

static void expect(const char *what, uint64_t got, uint64_t want)
{
	if (got == want) {
		printk("PASS %s\n", what);
		return;
	}
	failures++;
	printk("FAIL %s: got %#lx, expected %#lx\n", what, got, want);
}

static void syscall_main(void)
{
	traps_init();
	pml4[0] = (uint64_t)pdpt | 7;
	pdpt[0] = 0x83;       /* supervisor identity, 1G */
	pdpt[2] = 0x87;       /* user alias of the first GiB at 2 GiB */
	write_cr3((uint64_t)pml4);

	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | 1); /* SCE */
	/* STAR[47:32] = kernel CS 0x08 (SS 0x10); STAR[63:48] = 0x10 so SYSRET gives CS 0x23, SS 0x1b. */
	wrmsr(MSR_STAR, (0x10ull << 48) | (0x08ull << 32));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_FMASK, RFLAGS_AC | RFLAGS_IF);

	uint64_t traps = last_trap.count;
	user_fixup = 0;
	run_user(USER_ALIAS + (uint64_t)user_syscall, USER_ALIAS + (uint64_t)(user_stack + sizeof user_stack), 0);
	expect("no exception on the round trip", last_trap.count - traps, 0);
	expect("the kernel entry ran once", sc_count, 1);
	expect("CS = STAR[47:32]", sc_cs, 0x08);
	expect("SS = STAR[47:32] + 8", sc_ss, 0x10);
	expect("RCX = the instruction after SYSCALL", sc_rcx, USER_ALIAS + (uint64_t)user_after_syscall);
	expect("R11 holds the caller's AC", sc_r11 & RFLAGS_AC, RFLAGS_AC);
	expect("FMASK cleared AC in the kernel", sc_rflags & RFLAGS_AC, 0);
	expect("FMASK cleared IF in the kernel", sc_rflags & RFLAGS_IF, 0);
	if (failures)
		workload_report(RESULT_FAILURE, "%u checks failed", failures);
}

WORKLOAD("SYSCALL/SYSRET round trip", syscall_main);
