#include "traps.h"

#include "workload.h"

uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));
static struct idt_gate idt[256] __attribute__((aligned(16)));
static uint8_t ring0_stack[16384] __attribute__((aligned(16)));
volatile struct trap_record last_trap;
uint64_t trap_fixup; /* set by probes (asm) */
uint64_t user_fixup;

/* Register frame built by the common entry stub (see the asm below). */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error, rip, cs, rflags, rsp, ss;
};

void trap_handler(struct trap_frame *f);
void trap_handler(struct trap_frame *f)
{
	uint64_t cr2;
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	last_trap.vector = f->vector;
	last_trap.error = f->error;
	last_trap.cr2 = cr2;
	last_trap.rip = f->rip;
	last_trap.cs = f->cs;
	last_trap.rsp = f->rsp;
	last_trap.ss = f->ss;
	last_trap.frame_top = (uint64_t)(&f->ss + 1);
	last_trap.count++;
	if ((f->cs & 3) == 3 && user_fixup) {
		f->rip = user_fixup;
		return;
	}
	if ((f->cs & 3) == 0 && trap_fixup) {
		f->rip = trap_fixup;
		trap_fixup = 0;
		return;
	}
	workload_report(RESULT_ERROR, "unexpected exception %lu, error %#lx at rip %#lx cs %#lx cr2 %#lx",
			f->vector, f->error, f->rip, f->cs, cr2);
}

/* Entry stubs: vectors with an error code (8, 10-14, 17) skip the dummy push. */
#define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17)
__asm__(".text\n"
	"trap_common:\n"
	"  push %rax; push %rbx; push %rcx; push %rdx; push %rsi; push %rdi; push %rbp\n"
	"  push %r8; push %r9; push %r10; push %r11; push %r12; push %r13; push %r14; push %r15\n"
	"  mov %rsp, %rdi\n"
	"  call trap_handler\n"
	"  pop %r15; pop %r14; pop %r13; pop %r12; pop %r11; pop %r10; pop %r9; pop %r8\n"
	"  pop %rbp; pop %rdi; pop %rsi; pop %rdx; pop %rcx; pop %rbx; pop %rax\n"
	"  add $16, %rsp\n"
	"  iretq\n");

#define STUB(v)                                                                   \
	__asm__(".text\n trap_stub_" #v ":\n" "  .if " #v " != 8 && (" #v " < 10 || " #v \
		" > 14) && " #v " != 17\n  push $0\n  .endif\n  push $" #v "\n  jmp trap_common\n");
#define STUBS8(a) STUB(a##0) STUB(a##1) STUB(a##2) STUB(a##3) STUB(a##4) STUB(a##5) STUB(a##6) STUB(a##7)
STUB(0) STUB(1) STUB(2) STUB(3) STUB(4) STUB(5) STUB(6) STUB(7) STUB(8) STUB(9)
STUB(10) STUB(11) STUB(12) STUB(13) STUB(14) STUB(15) STUB(16) STUB(17) STUB(18) STUB(19)
STUB(20) STUB(21)

/* int $0x80: the way back from ring 3 (see run_user). */
__asm__(".text\n"
	"user_return_stub:\n"
	"  mov saved_kernel_rsp(%rip), %rsp\n"
	"  pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
	"  ret\n"
	".globl run_user\n"
	"run_user:\n"
	"  push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
	"  mov %rsp, saved_kernel_rsp(%rip)\n"
	"  push $0x1b\n"         /* SS = user data | 3 */
	"  push %rsi\n"          /* RSP */
	"  push user_rflags(%rip)\n" /* RFLAGS */
	"  push $0x23\n"         /* CS = user code | 3 */
	"  push %rdi\n"          /* RIP */
	"  mov %rdx, %rdi\n"
	"  iretq\n");
uint64_t saved_kernel_rsp;
uint64_t user_rflags = 0x2;

extern char trap_stub_0[], trap_stub_1[], trap_stub_2[], trap_stub_3[], trap_stub_4[],
	trap_stub_5[], trap_stub_6[], trap_stub_7[], trap_stub_8[], trap_stub_9[], trap_stub_10[],
	trap_stub_11[], trap_stub_12[], trap_stub_13[], trap_stub_14[], trap_stub_15[],
	trap_stub_16[], trap_stub_17[], trap_stub_18[], trap_stub_19[], trap_stub_20[],
	trap_stub_21[], user_return_stub[];

void traps_set_gate(unsigned v, const void *handler, unsigned dpl)
{
	uint64_t a = (uint64_t)handler;
	idt[v] = (struct idt_gate){ .off_lo = (uint16_t)a, .sel = SEL_KCODE,
				    .type_attr = (uint8_t)(0x80 | (dpl << 5) | 0xe),
				    .off_mid = (uint16_t)(a >> 16), .off_hi = (uint32_t)(a >> 32) };
}

static char *const stubs[] = {
	trap_stub_0, trap_stub_1, trap_stub_2, trap_stub_3, trap_stub_4, trap_stub_5,
	trap_stub_6, trap_stub_7, trap_stub_8, trap_stub_9, trap_stub_10, trap_stub_11,
	trap_stub_12, trap_stub_13, trap_stub_14, trap_stub_15, trap_stub_16, trap_stub_17,
	trap_stub_18, trap_stub_19, trap_stub_20, trap_stub_21,
};
#define STUB_COUNT (sizeof stubs / sizeof stubs[0])

void traps_reset_gate(unsigned v)
{
	if (v == 0x80)
		traps_set_gate(v, user_return_stub, 3);
	else if (v < STUB_COUNT)
		traps_set_gate(v, stubs[v], 0);
}

void traps_set_gate_ist(unsigned v, unsigned ist)
{
	idt[v].ist = (uint8_t)(ist & 7);
}

void traps_set_gate_present(unsigned v, bool present)
{
	idt[v].type_attr = (uint8_t)((idt[v].type_attr & 0x7f) | (present ? 0x80 : 0));
}

void traps_set_gate_type(unsigned v, unsigned type)
{
	idt[v].type_attr = (uint8_t)((idt[v].type_attr & 0xf0) | (type & 0xf));
}

uint64_t traps_set_rsp0(uint64_t top)
{
	uint64_t old = tss.rsp[0];
	tss.rsp[0] = top;
	return old;
}

uint64_t traps_set_ist(unsigned n, uint64_t top)
{
	uint64_t old = tss.ist[n - 1];
	tss.ist[n - 1] = top;
	return old;
}

void traps_init(void)
{
	uint64_t t = (uint64_t)&tss;

	gdt[0] = 0;
	gdt[1] = DESC_KCODE64;
	gdt[2] = DESC_KDATA;
	gdt[3] = DESC_UDATA;
	gdt[4] = DESC_UCODE64;
	/* 64-bit available TSS descriptor, two slots (SDM Vol. 3, 8.2.3). */
	gdt[5] = (sizeof tss - 1) | ((t & 0xffffff) << 16) | (0x89ull << 40) | ((t >> 24 & 0xff) << 56);
	gdt[6] = t >> 32;
	tss.rsp[0] = (uint64_t)(ring0_stack + sizeof ring0_stack);
	tss.iomap_base = sizeof tss;
	for (unsigned v = 0; v < STUB_COUNT; v++)
		traps_set_gate(v, stubs[v], 0);
	traps_set_gate(0x80, user_return_stub, 3);

	lgdt_at((uint64_t)gdt, sizeof gdt - 1);
	struct desc_ptr idtr = { sizeof idt - 1, (uint64_t)idt };
	__asm__ volatile("lidt %0" : : "m"(idtr));
	__asm__ volatile("ltr %w0" : : "r"((uint16_t)SEL_TSS));
	__asm__ volatile("pushq $0x08; lea 1f(%%rip), %%rax; pushq %%rax; lretq; 1:\n"
			 "mov $0x10, %%ax; mov %%ax, %%ds; mov %%ax, %%es; mov %%ax, %%ss"
			 ::: "rax", "memory");
}

/* Probes: arm trap_fixup with the recovery label, do one access, report whether it trapped. */
__asm__(".text\n"
	TRAPS_PROBE("probe_read", "  movb (%rdi), %al", "")
	TRAPS_PROBE("probe_write", "  movb $0x5a, (%rdi)", "")
	TRAPS_PROBE("probe_stac", "  stac", "")
	TRAPS_PROBE("probe_clac", "  clac", "")
	TRAPS_PROBE("probe_mov_cr4", "  mov %rdi, %cr4", "")
	TRAPS_PROBE("probe_mov_cr8", "  mov %rdi, %cr8", "")
	".globl probe_call\nprobe_call:\n"
	"  mov last_trap(%rip), %rdx\n"
	"  push %rdx\n"
	"  lea 1f(%rip), %rax; mov %rax, trap_fixup(%rip)\n"
	"  call *%rdi\n"
	"  jmp 2f\n"
	"1: add $8, %rsp\n" /* the faulting call pushed its return address */
	"2: pop %rdx; movq $0, trap_fixup(%rip)\n"
	"  xor %eax, %eax; cmp last_trap(%rip), %rdx; setne %al; ret\n");
