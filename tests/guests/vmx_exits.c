/*
 * A small test hypervisor that makes its guest cause each VM exit of SDM Vol. 3, 26.1-26.2 (and
 * the event injection of 27.6) and reports what the CPU recorded: exit reason, qualification,
 * interruption and IDT-vectoring information, instruction length, guest RIP and whatever else a
 * rule is about. It judges nothing itself: every observation is printed as "OBS key=value" and
 * tests/vmx/test_vmx_exits.c compares them with its table of rules written from the SDM.
 *
 * The guest is 64-bit ring 0 and shares the host's CR3, GDT and IDT (vmx_setup_vmcs), so its
 * IDT handlers are ours: the recording stubs below note the vector and the top of the stack
 * frame, then leave the guest with VMCALL.
 */
#include "traps.h"
#include "vmx.h"
#include "workload.h"

/* VMCS encodings workloads/lib/vmx.h does not name (SDM Vol. 3, Appendix B). */
enum {
	CR3_TARGET_VALUE0 = 0x6008,
	IDT_VECTORING_ERROR = 0x440a,
};

/* Controls (SDM Vol. 3, 25.6.1, 25.6.2, 25.7.1). */
#define PIN_EXTINT_EXITING (1u << 0)
#define PIN_PREEMPTION_TIMER (1u << 6)
#define PROC_INTR_WINDOW (1u << 2)
#define PROC_TSC_OFFSETTING (1u << 3)
#define PROC_INVLPG_EXITING (1u << 9)
#define PROC_RDTSC_EXITING (1u << 12)
#define PROC_CR3_LOAD_EXITING (1u << 15)
#define PROC_CR3_STORE_EXITING (1u << 16)
#define PROC_UNCOND_IO_EXITING (1u << 24)
#define EXIT_ACK_INTERRUPT (1u << 15)
#define EXIT_SAVE_PREEMPTION_TIMER (1u << 22)

#define CR0_TS (1ull << 3)
#define CR4_PCE (1ull << 8)

/* VM-entry interruption information (SDM Vol. 3, Table 25-17). */
#define INJECT(type, vector) ((1u << 31) | ((type) << 8) | (vector))
#define INJECT_ERROR (1u << 11)

/* Linear addresses: PML4 entry 1 is not present in the boot identity map (README, Booting). */
#define UNMAPPED_VA 0x8000000000ull
#define NONCANONICAL_VA 0x8000000000000000ull
#define INVLPG_VA 0x12345678ull

#define APIC 0xfee00000ull
#define APIC_EOI 0xb0
#define APIC_SVR 0xf0
#define APIC_LVT_TIMER 0x320
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_DIV 0x3e0
#define TIMER_VECTOR 0x40
#define SOFT_VECTOR 0x41
#define EXT_VECTOR 0x42

static struct vmx_vcpu vcpu;
static uint8_t guest_stack[8192] __attribute__((aligned(16)));
static uint8_t io_bitmap_a[4096] __attribute__((aligned(4096)));
static uint8_t io_bitmap_b[4096] __attribute__((aligned(4096)));
static uint8_t msr_bitmap[4096] __attribute__((aligned(4096)));
static uint64_t other_pml4[512] __attribute__((aligned(4096)));
static uint8_t io_buffer[16];

/* What the recording stubs saw: the vector and the four words at the top of the frame. */
volatile uint64_t rec_vector, rec_w[4], rec_cr2;
volatile uint64_t ticks;

extern char g_ud[], g_int3[], g_int_n3[], g_int_soft[], g_read[], g_write[], g_read64[],
	g_outb_imm[], g_outw_imm[], g_inl_dx[], g_inb_dx[], g_rep_outsb[], g_insw[], g_rdmsr[],
	g_wrmsr[], g_rd_cr0[], g_wr_cr0[], g_rd_cr4[], g_wr_cr4[], g_wr_cr3[], g_rd_cr3[], g_hlt[],
	g_hlt_after[], g_rdtsc[], g_invlpg[], g_spin[], g_count[], g_wait_ticks[], g_sti[],
	g_sti_shadow[], g_sti_open[], g_vmcall[];
__asm__(".text\n"
	"g_ud: ud2\n"
	"g_int3: int3\n vmcall\n"
	"g_int_n3: .byte 0xcd, 0x03\n vmcall\n" /* INT 3, not INT3: gas would emit CC */
	"g_int_soft: int $0x41\n vmcall\n"
	"g_read: movb (%rbx), %al\n vmcall\n"
	"g_write: movb %al, (%rbx)\n vmcall\n"
	"g_read64: mov (%rbx), %rax\n vmcall\n"
	"g_outb_imm: outb %al, $0x80\n vmcall\n"
	"g_outw_imm: outw %ax, $0x80\n vmcall\n"
	"g_inl_dx: inl %dx, %eax\n vmcall\n"
	"g_inb_dx: inb %dx, %al\n vmcall\n"
	"g_rep_outsb: rep outsb\n vmcall\n"
	"g_insw: insw\n vmcall\n"
	"g_rdmsr: rdmsr\n vmcall\n"
	"g_wrmsr: wrmsr\n vmcall\n"
	"g_rd_cr0: mov %cr0, %rax\n vmcall\n"
	"g_wr_cr0: mov %r10, %cr0\n vmcall\n"
	"g_rd_cr4: mov %cr4, %rax\n vmcall\n"
	"g_wr_cr4: mov %r10, %cr4\n vmcall\n"
	"g_wr_cr3: mov %r10, %cr3\n vmcall\n"
	"g_rd_cr3: mov %cr3, %r12\n vmcall\n"
	"g_hlt: hlt\n"
	"g_hlt_after: vmcall\n"
	"g_rdtsc: rdtsc\n vmcall\n"
	"g_invlpg: invlpg (%rbx)\n vmcall\n"
	"g_spin: inc %rax\n jmp g_spin\n"
	"g_count: inc %rax\n cmp %rbx, %rax\n jne g_count\n vmcall\n"
	"g_wait_ticks: sti\n 1: cmpq $0, ticks(%rip)\n je 1b\n vmcall\n"
	"g_sti: inc %rax\n sti\n"
	"g_sti_shadow: inc %rax\n"
	"g_sti_open: inc %rax\n vmcall\n"
	"g_vmcall: vmcall\n");

/* Recording IDT stubs: in the guest, note the vector and the frame, then VMCALL to the host. */
#define REC_STUB(v)                                                                     \
	__asm__(".text\nrec_stub_" #v ":\n"                                              \
		"  movq $" #v ", rec_vector(%rip)\n"                                       \
		"  mov 0(%rsp), %rax; mov %rax, rec_w+0(%rip)\n"                           \
		"  mov 8(%rsp), %rax; mov %rax, rec_w+8(%rip)\n"                           \
		"  mov 16(%rsp), %rax; mov %rax, rec_w+16(%rip)\n"                         \
		"  mov 24(%rsp), %rax; mov %rax, rec_w+24(%rip)\n"                         \
		"  mov %cr2, %rax; mov %rax, rec_cr2(%rip)\n"                              \
		"  vmcall\n  ud2\n");
REC_STUB(3) REC_STUB(6) REC_STUB(13) REC_STUB(14) REC_STUB(0x41) REC_STUB(0x42)
extern char rec_stub_3[], rec_stub_6[], rec_stub_13[], rec_stub_14[], rec_stub_0x41[],
	rec_stub_0x42[];

/* The APIC timer's handler, for host and guest alike (they share the IDT). */
extern char timer_stub[];
__asm__(".text\n"
	"timer_stub:\n"
	"  push %rax\n"
	"  incq ticks(%rip)\n"
	"  mov $0xfee000b0, %eax\n"
	"  movl $0, (%rax)\n"
	"  pop %rax\n"
	"  iretq\n");

static void apic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(APIC + reg) = v;
}

static void obs(const char *scenario, const char *what, uint64_t value)
{
	printk("OBS %s.%s=%#lx\n", scenario, what, value);
}

/* A fresh VMCS for one scenario: the library's 64-bit guest at 'rip', nothing intercepted. */
static void scenario(void *rip)
{
	vmx_setup_vmcs((uint64_t)rip, (uint64_t)(guest_stack + sizeof guest_stack));
	vmwrite(CR0_MASK, 0);
	vmwrite(CR4_MASK, 0);
	vmwrite(CR0_SHADOW, 0);
	vmwrite(CR4_SHADOW, 0);
	vmwrite(CR3_TARGET_COUNT, 0);
	vmwrite(PF_ERROR_MASK, 0);
	vmwrite(PF_ERROR_MATCH, 0);
	vmwrite(ENTRY_INTR_INFO, 0);
	vmwrite(PREEMPTION_TIMER, 0);
	vmwrite(TSC_OFFSET, 0);
	memset(&vcpu.gprs, 0, sizeof vcpu.gprs);
	rec_vector = ~0ull;
	rec_w[0] = rec_w[1] = rec_w[2] = rec_w[3] = rec_cr2 = 0;
}

static void set_proc(uint32_t bits)
{
	vmwrite(PROC_CONTROLS, vmx_adjust(MSR_VMX_TRUE_PROC, bits));
}

static void set_pin(uint32_t bits)
{
	vmwrite(PIN_CONTROLS, vmx_adjust(MSR_VMX_TRUE_PIN, bits));
}

static void set_exit(uint32_t bits)
{
	vmwrite(EXIT_CONTROLS, vmx_adjust(MSR_VMX_TRUE_EXIT,
					  EXIT_HOST_64 | EXIT_LOAD_PAT | EXIT_LOAD_EFER | bits));
}

/* VM entry; then the exit information every rule may look at. */
static uint32_t run(const char *name)
{
	enum vmx_status s;
	uint32_t reason = vmx_run(&vcpu, &s);

	if (reason == 0xffffffffu) {
		printk("entry failed in %s: status %d, error %lu\n", name, s,
		       vmreadz(VM_INSTRUCTION_ERROR));
		workload_report(RESULT_ERROR, "VM entry failed");
	}
	obs(name, "reason", reason);
	obs(name, "qual", vmreadz(EXIT_QUALIFICATION));
	obs(name, "intr_info", vmreadz(EXIT_INTR_INFO));
	obs(name, "intr_error", vmreadz(EXIT_INTR_ERROR));
	obs(name, "idt_vec", vmreadz(IDT_VECTORING_INFO));
	obs(name, "idt_error", vmreadz(IDT_VECTORING_ERROR));
	obs(name, "len", vmreadz(EXIT_INSN_LEN));
	obs(name, "rip", vmreadz(GUEST_RIP));
	obs(name, "rax", vcpu.gprs.rax);
	if (rec_vector != ~0ull) {
		obs(name, "h_vector", rec_vector);
		for (unsigned i = 0; i < 4; i++) {
			static const char *const w[] = { "h_w0", "h_w1", "h_w2", "h_w3" };
			obs(name, w[i], rec_w[i]);
		}
		obs(name, "h_cr2", rec_cr2);
	}
	return reason;
}

/* 26.2 exception bitmap; 28.2.2 exit interruption information; 28.3.3 RIP of the fault. */
static void exceptions(void)
{
	scenario(g_ud);
	vmwrite(EXCEPTION_BITMAP, 1u << 6);
	run("ud");
	obs("ud", "at", (uint64_t)g_ud);

	scenario(g_ud);
	run("ud_nobit");
	obs("ud_nobit", "at", (uint64_t)g_ud);

	scenario(g_int3);
	vmwrite(EXCEPTION_BITMAP, 1u << 3);
	run("bp");
	obs("bp", "at", (uint64_t)g_int3);

	scenario(g_int_n3);
	vmwrite(EXCEPTION_BITMAP, 1u << 3);
	run("int_n3");
	obs("int_n3", "after", (uint64_t)g_int_n3 + 2);

	scenario(g_read64);
	vmwrite(EXCEPTION_BITMAP, 1u << 13);
	vcpu.gprs.rbx = NONCANONICAL_VA;
	run("gp");
	obs("gp", "at", (uint64_t)g_read64);
}

/* #PF: bit 14 and the PFEC mask/match decide together (26.2); CR2 is not written (28.1). */
static void page_faults(void)
{
	static const struct {
		const char *name;
		void *code;
		uint32_t bit14, mask, match;
	} cases[] = {
		{ "pf_all", g_read, 1, 0, 0 },          /* 0 & 0 == 0: matches, bit 14 = 1 */
		{ "pf_read_nomatch1", g_read, 1, 2, 2 }, /* PFEC 0: no match, bit 14 = 1 */
		{ "pf_write_match1", g_write, 1, 2, 2 }, /* PFEC 2: match, bit 14 = 1 */
		{ "pf_write_match0", g_write, 0, 2, 2 }, /* match, bit 14 = 0 */
		{ "pf_read_nomatch0", g_read, 0, 2, 2 }, /* no match, bit 14 = 0 */
	};
	const uint64_t cr2_sentinel = 0xc2c2c000;

	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		scenario(cases[i].code);
		vmwrite(EXCEPTION_BITMAP, cases[i].bit14 << 14);
		vmwrite(PF_ERROR_MASK, cases[i].mask);
		vmwrite(PF_ERROR_MATCH, cases[i].match);
		vcpu.gprs.rbx = UNMAPPED_VA;
		__asm__ volatile("mov %0, %%cr2" : : "r"(cr2_sentinel));
		run(cases[i].name);
		uint64_t cr2;
		__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
		obs(cases[i].name, "cr2_after", cr2);
		obs(cases[i].name, "at", (uint64_t)cases[i].code);
	}
	obs("pf", "cr2_sentinel", cr2_sentinel);
	obs("pf", "va", UNMAPPED_VA);
}

/* 26.2: a triple fault in the guest is a VM exit, not a shutdown of the machine. */
static void triple_fault(void)
{
	scenario(g_ud);
	vmwrite(GUEST_IDTR_LIMIT, 0); /* #UD, then #GP, #DF, #GP: every vector beyond the limit */
	run("triple");
	obs("triple", "host_alive", 1);
}

/* 26.1.3 I/O instructions; Table 28-5 exit qualification. */
static void io(void)
{
	static const struct {
		const char *name;
		void *code;
		uint16_t dx;
	} uncond[] = {
		{ "io_outb_imm", g_outb_imm, 0 }, { "io_outw_imm", g_outw_imm, 0 },
		{ "io_inl_dx", g_inl_dx, 0x1234 }, { "io_rep_outsb", g_rep_outsb, 0x1234 },
		{ "io_insw", g_insw, 0x1234 },
	};
	for (unsigned i = 0; i < sizeof uncond / sizeof uncond[0]; i++) {
		scenario(uncond[i].code);
		set_proc(PROC_UNCOND_IO_EXITING);
		vcpu.gprs.rdx = uncond[i].dx;
		vcpu.gprs.rcx = 1;
		vcpu.gprs.rsi = vcpu.gprs.rdi = (uint64_t)io_buffer;
		run(uncond[i].name);
	}
	scenario(g_inb_dx);
	vcpu.gprs.rdx = 0x1234;
	run("io_none");

	/* Bitmap A covers 0000-7FFF, B 8000-FFFF: one bit per port. */
	memset(io_bitmap_a, 0, sizeof io_bitmap_a);
	memset(io_bitmap_b, 0, sizeof io_bitmap_b);
	io_bitmap_a[0x1234 / 8] |= 1u << (0x1234 % 8);
	io_bitmap_b[0x1000 / 8] |= 1u << (0x1000 % 8); /* port 0x9000 */
	io_bitmap_b[0] |= 1u;                         /* port 0x8000 */
	static const struct {
		const char *name;
		void *code;
		uint16_t port;
	} bm[] = {
		{ "iobm_a_set", g_inb_dx, 0x1234 },    { "iobm_a_clear", g_inb_dx, 0x1235 },
		{ "iobm_b_set", g_inb_dx, 0x9000 },    { "iobm_b_clear", g_inb_dx, 0x9001 },
		{ "iobm_span_b", g_inl_dx, 0x8ffe },   { "iobm_span_ab", g_inl_dx, 0x7ffe },
		{ "iobm_l_clear", g_inl_dx, 0x8ff0 },  { "iobm_wrap", g_inl_dx, 0xfffe },
	};
	for (unsigned i = 0; i < sizeof bm / sizeof bm[0]; i++) {
		scenario(bm[i].code);
		/* "use I/O bitmaps" overrides "unconditional I/O exiting" (26.1.3). */
		set_proc(PROC_USE_IO_BITMAPS | PROC_UNCOND_IO_EXITING);
		vmwrite(IO_BITMAP_A, (uint64_t)io_bitmap_a);
		vmwrite(IO_BITMAP_B, (uint64_t)io_bitmap_b);
		vcpu.gprs.rdx = bm[i].port;
		run(bm[i].name);
	}
}

/* 26.1.3 RDMSR/WRMSR; 25.6.9 MSR bitmaps: read low, read high, write low, write high. */
static void bitmap_set(uint32_t offset, uint32_t bit)
{
	msr_bitmap[offset + bit / 8] |= (uint8_t)(1u << (bit % 8));
}

static void msrs(void)
{
	static const struct {
		const char *name;
		void *code;
		uint32_t msr;
		bool bitmaps;
	} cases[] = {
		{ "msr_rd_nobm", g_rdmsr, 0x175, false },  { "msr_wr_nobm", g_wrmsr, 0x175, false },
		{ "msr_rd_low_set", g_rdmsr, 0x174, true }, { "msr_rd_low_clear", g_rdmsr, 0x175, true },
		{ "msr_wr_low_readbit", g_wrmsr, 0x174, true },
		{ "msr_wr_low_set", g_wrmsr, 0x176, true },
		{ "msr_rd_high_set", g_rdmsr, 0xc0000080, true },
		{ "msr_rd_high_clear", g_rdmsr, 0xc0000081, true },
		{ "msr_wr_high_set", g_wrmsr, 0xc0000102, true },
		{ "msr_wr_high_clear", g_wrmsr, 0xc0000084, true },
		{ "msr_rd_out_low", g_rdmsr, 0x2000, true },
		{ "msr_rd_out_high", g_rdmsr, 0xc0002000, true },
		{ "msr_wr_out", g_wrmsr, 0x40000000, true },
	};
	memset(msr_bitmap, 0, sizeof msr_bitmap);
	bitmap_set(0, 0x174);     /* read, low */
	bitmap_set(1024, 0x80);   /* read, high: C0000080H */
	bitmap_set(2048, 0x176);  /* write, low */
	bitmap_set(3072, 0x102);  /* write, high: C0000102H */
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		scenario(cases[i].code);
		if (cases[i].bitmaps) {
			set_proc(PROC_USE_MSR_BITMAPS);
			vmwrite(MSR_BITMAP, (uint64_t)msr_bitmap);
		}
		vcpu.gprs.rcx = cases[i].msr;
		if (cases[i].code == g_wrmsr) { /* write what the MSR holds: harmless if it happens */
			uint64_t v = cases[i].msr == 0xc0000084 ? rdmsr(cases[i].msr) : 0;
			vcpu.gprs.rax = (uint32_t)v;
			vcpu.gprs.rdx = v >> 32;
		}
		run(cases[i].name);
	}
}

/* 26.1.3 MOV to/from CR0, CR3, CR4; 26.3 reads through the shadows; Table 28-3 qualification. */
static void cr0_cr4(void)
{
	uint64_t cr0 = read_cr0() & ~CR0_TS, cr4 = read_cr4() & ~CR4_PCE;

	/* CR0: TS is host-owned, shadowed as 1 while the real bit is 0. */
	static const struct {
		const char *name;
		void *code;
		uint64_t set, clear;
	} c0[] = {
		{ "cr0_read", g_rd_cr0, 0, 0 },
		{ "cr0_write_shadow", g_wr_cr0, CR0_TS, 0 }, /* masked bit = shadow: no exit */
		{ "cr0_write_differ", g_wr_cr0, 0, 0 },      /* masked bit != shadow: exit */
		{ "cr0_write_unmasked", g_wr_cr0, CR0_TS, CR0_MP },
	};
	for (unsigned i = 0; i < sizeof c0 / sizeof c0[0]; i++) {
		scenario(c0[i].code);
		vmwrite(GUEST_CR0, cr0);
		vmwrite(CR0_MASK, CR0_TS);
		vmwrite(CR0_SHADOW, CR0_TS);
		vcpu.gprs.r10 = (cr0 | c0[i].set) & ~c0[i].clear;
		run(c0[i].name);
		obs(c0[i].name, "guest_cr0", vmreadz(GUEST_CR0));
	}
	obs("cr0", "real", cr0);

	/* CR4: VMXE (shadow 0) and PCE (shadow 1) host-owned; the real VMXE is 1, PCE 0. */
	const struct {
		const char *name;
		void *code;
		uint64_t value;
	} c4[] = {
		{ "cr4_read", g_rd_cr4, 0 },
		{ "cr4_write_shadow", g_wr_cr4, (cr4 & ~CR4_VMXE) | CR4_PCE },
		{ "cr4_write_differ", g_wr_cr4, cr4 | CR4_PCE },
	};
	for (unsigned i = 0; i < sizeof c4 / sizeof c4[0]; i++) {
		scenario(c4[i].code);
		vmwrite(GUEST_CR4, cr4);
		vmwrite(CR4_MASK, CR4_VMXE | CR4_PCE);
		vmwrite(CR4_SHADOW, CR4_PCE);
		vcpu.gprs.r10 = c4[i].value;
		run(c4[i].name);
		obs(c4[i].name, "guest_cr4", vmreadz(GUEST_CR4));
	}
	obs("cr4", "real", cr4);
}

static void cr3(void)
{
	uint64_t cr3 = read_cr3();
	static const struct {
		const char *name;
		void *code;
		uint32_t proc;
		unsigned targets;
		bool write_other;
	} cases[] = {
		{ "cr3_load_notarget", g_wr_cr3, PROC_CR3_LOAD_EXITING, 0, false },
		{ "cr3_load_target0", g_wr_cr3, PROC_CR3_LOAD_EXITING, 1, false },
		{ "cr3_load_target1", g_wr_cr3, PROC_CR3_LOAD_EXITING, 2, false },
		{ "cr3_load_nomatch", g_wr_cr3, PROC_CR3_LOAD_EXITING, 2, true },
		{ "cr3_load_off", g_wr_cr3, 0, 0, false },
		{ "cr3_store", g_rd_cr3, PROC_CR3_STORE_EXITING, 0, false },
		{ "cr3_store_off", g_rd_cr3, 0, 0, false },
	};

	/* Another PML4 with the same contents: a valid CR3 different from the current one. */
	memcpy(other_pml4, (const void *)(cr3 & ~0xfffull), sizeof other_pml4);
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		scenario(cases[i].code);
		set_proc(cases[i].proc);
		/* Target 0 is never the value written; target 1 is the current CR3. */
		vmwrite(CR3_TARGET_VALUE0, 0x1000);
		vmwrite(CR3_TARGET_VALUE0 + 2, cr3);
		if (cases[i].targets == 1)
			vmwrite(CR3_TARGET_VALUE0, cr3);
		vmwrite(CR3_TARGET_COUNT, cases[i].targets);
		vcpu.gprs.r10 = cases[i].write_other ? (uint64_t)other_pml4 : cr3;
		run(cases[i].name);
		obs(cases[i].name, "r12", vcpu.gprs.r12);
	}
	obs("cr3", "real", cr3);
}

/* 26.1.3 HLT exiting; without it, 26.5.1: the preemption timer counts in the HLT state. */
static void hlt(void)
{
	scenario(g_hlt);
	set_proc(PROC_HLT_EXITING);
	run("hlt");
	obs("hlt", "at", (uint64_t)g_hlt);

	scenario(g_hlt);
	set_pin(PIN_PREEMPTION_TIMER);
	vmwrite(PREEMPTION_TIMER, 4);
	vmwrite(GUEST_RFLAGS, 0x2 | RFLAGS_IF);
	run("hlt_off");
	obs("hlt_off", "after", (uint64_t)g_hlt_after);

	/* The same with RFLAGS.IF = 0: no interrupt can end the halt, a VM exit still does. */
	scenario(g_hlt);
	set_pin(PIN_PREEMPTION_TIMER);
	vmwrite(PREEMPTION_TIMER, 4);
	run("hlt_off_cli");
	obs("hlt_off_cli", "after", (uint64_t)g_hlt_after);
}

/* The guest's TSC (EDX:EAX of its RDTSC or RDMSR) between two readings of the host's. */
static void run_tsc(const char *name, uint64_t offset)
{
	uint64_t t0 = rdtsc();
	run(name);
	uint64_t t1 = rdtsc();
	obs(name, "guest", (vcpu.gprs.rdx << 32) | (uint32_t)vcpu.gprs.rax);
	obs(name, "host_before", t0);
	obs(name, "host_after", t1);
	obs(name, "offset", offset);
}

/* 26.1.3 RDTSC exiting; 26.3 and 25.6.5 TSC offsetting. */
static void tsc(void)
{
	static const struct {
		const char *name;
		uint32_t proc;
		uint64_t offset;
	} cases[] = {
		{ "tsc_offset", PROC_TSC_OFFSETTING, 0x100000000000ull },
		{ "tsc_offset_neg", PROC_TSC_OFFSETTING, (uint64_t)-1000 },
		{ "tsc_nooffset", 0, 0x100000000000ull },
	};

	scenario(g_rdtsc);
	set_proc(PROC_RDTSC_EXITING);
	run("rdtsc_exit");
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		scenario(g_rdtsc);
		set_proc(cases[i].proc);
		vmwrite(TSC_OFFSET, cases[i].offset);
		run_tsc(cases[i].name, cases[i].offset);
	}

	/* RDMSR of IA32_TIME_STAMP_COUNTER (10H) without an MSR exit also adds the offset. */
	scenario(g_rdmsr);
	set_proc(PROC_TSC_OFFSETTING | PROC_USE_MSR_BITMAPS);
	memset(msr_bitmap, 0, sizeof msr_bitmap);
	vmwrite(MSR_BITMAP, (uint64_t)msr_bitmap);
	vmwrite(TSC_OFFSET, 0x100000000000ull);
	vcpu.gprs.rcx = 0x10;
	run_tsc("tsc_msr", 0x100000000000ull);
}

/* 26.1.3 INVLPG exiting; 28.2.1 its exit qualification. */
static void invlpg_exit(void)
{
	scenario(g_invlpg);
	set_proc(PROC_INVLPG_EXITING);
	vcpu.gprs.rbx = INVLPG_VA;
	run("invlpg");
	obs("invlpg", "va", INVLPG_VA);

	scenario(g_invlpg);
	vcpu.gprs.rbx = INVLPG_VA;
	run("invlpg_off");
}

/* 26.5.1 VMX-preemption timer, 27.7.4 a zero value at entry, 28.3.4 saving its value. */
static void preemption_timer(void)
{
	obs("misc", "rate", rdmsr(MSR_VMX_MISC) & 0x1f);

	scenario(g_spin);
	set_pin(PIN_PREEMPTION_TIMER);
	vmwrite(PREEMPTION_TIMER, 64);
	run("timer64");
	obs("timer64", "value", 64);

	scenario(g_spin);
	set_pin(PIN_PREEMPTION_TIMER);
	vmwrite(PREEMPTION_TIMER, 0);
	run("timer0");
	obs("timer0", "start", (uint64_t)g_spin);

	scenario(g_count);
	set_pin(PIN_PREEMPTION_TIMER);
	set_exit(EXIT_SAVE_PREEMPTION_TIMER);
	vmwrite(PREEMPTION_TIMER, 1000);
	vcpu.gprs.rbx = 320;
	run("timer_save");
	obs("timer_save", "saved", vmreadz(PREEMPTION_TIMER));

	scenario(g_count);
	set_pin(PIN_PREEMPTION_TIMER);
	vmwrite(PREEMPTION_TIMER, 1000);
	vcpu.gprs.rbx = 320;
	run("timer_nosave");
	obs("timer_nosave", "field", vmreadz(PREEMPTION_TIMER));
}

/* 27.6 event injection: delivered through the guest IDT as if it had just occurred. */
static void injection(void)
{
	static const struct {
		const char *name;
		uint32_t info, error, len;
		uint64_t rflags;
	} cases[] = {
		{ "inj_ud", INJECT(3, 6), 0, 0, 0x2 },
		{ "inj_gp", INJECT(3, 13) | INJECT_ERROR, 0x1234, 0, 0x2 },
		{ "inj_soft_int", INJECT(4, SOFT_VECTOR), 0, 2, 0x2 },
		{ "inj_soft_bp", INJECT(6, 3), 0, 1, 0x2 },
		{ "inj_ext", INJECT(0, EXT_VECTOR), 0, 0, 0x2 | RFLAGS_IF },
	};
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		scenario(g_vmcall);
		vmwrite(ENTRY_INTR_INFO, cases[i].info);
		vmwrite(ENTRY_EXCEPTION_ERROR, cases[i].error);
		vmwrite(ENTRY_INSN_LEN, cases[i].len);
		vmwrite(GUEST_RFLAGS, cases[i].rflags);
		run(cases[i].name);
		obs(cases[i].name, "entry_rip", (uint64_t)g_vmcall);
		obs(cases[i].name, "entry_info_after", vmreadz(ENTRY_INTR_INFO));
	}
}

/* 28.2.3 IDT-vectoring information: an exit during delivery of another event. */
static void vectoring(void)
{
	scenario(g_ud);
	vmwrite(EXCEPTION_BITMAP, 1u << 11);
	traps_set_gate_present(6, false);
	run("vec_ud_np");
	obs("vec_ud_np", "at", (uint64_t)g_ud);

	scenario(g_int_soft);
	vmwrite(EXCEPTION_BITMAP, 1u << 11);
	traps_set_gate_present(SOFT_VECTOR, false);
	run("vec_int_np");
	obs("vec_int_np", "at", (uint64_t)g_int_soft);
	traps_set_gate_present(SOFT_VECTOR, true);

	scenario(g_vmcall);
	vmwrite(EXCEPTION_BITMAP, 1u << 11);
	vmwrite(ENTRY_INTR_INFO, INJECT(3, 6));
	run("vec_inj_np");
	obs("vec_inj_np", "entry_rip", (uint64_t)g_vmcall);
	traps_set_gate_present(6, true);
}

/* 26.2 external interrupts and interrupt window, 28.2.2 "acknowledge interrupt on exit", 27.7.5. */
static void start_apic_timer(uint32_t count)
{
	ticks = 0;
	apic_write(APIC_TIMER_INIT, count);
}

/* A vector's bit in the APIC's IRR or ISR (SDM Vol. 3, 11.8.4: 32-bit registers 16 bytes apart). */
static uint32_t apic_vector_bit(uint32_t base, unsigned vector)
{
	return *(volatile uint32_t *)(APIC + base + 0x10 * (vector / 32)) >> (vector % 32) & 1;
}
#define APIC_ISR 0x100
#define APIC_IRR 0x200

static void interrupts(void)
{
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_TIMER_DIV, 0xb);
	apic_write(APIC_LVT_TIMER, TIMER_VECTOR);

	/* Guest RFLAGS.IF = 0: external-interrupt exiting does not look at it. */
	scenario(g_spin);
	set_pin(PIN_EXTINT_EXITING);
	set_exit(EXIT_ACK_INTERRUPT);
	start_apic_timer(5000);
	run("extint_ack");
	obs("extint_ack", "irr", apic_vector_bit(APIC_IRR, TIMER_VECTOR));
	obs("extint_ack", "isr", apic_vector_bit(APIC_ISR, TIMER_VECTOR));
	obs("extint_ack", "host_ticks", ticks);
	apic_write(APIC_EOI, 0); /* acknowledged on exit: in service until the host's EOI */

	scenario(g_spin);
	set_pin(PIN_EXTINT_EXITING);
	start_apic_timer(5000);
	run("extint_noack");
	obs("extint_noack", "irr", apic_vector_bit(APIC_IRR, TIMER_VECTOR));
	obs("extint_noack", "isr", apic_vector_bit(APIC_ISR, TIMER_VECTOR));
	__asm__ volatile("sti; hlt; cli"); /* still pending: the host takes it now */
	obs("extint_noack", "host_ticks", ticks);

	scenario(g_wait_ticks);
	start_apic_timer(5000);
	run("extint_guest");
	obs("extint_guest", "ticks", ticks);

	scenario(g_spin);
	set_proc(PROC_INTR_WINDOW);
	vmwrite(GUEST_RFLAGS, 0x2 | RFLAGS_IF);
	run("window_open");
	obs("window_open", "start", (uint64_t)g_spin);

	scenario(g_sti);
	set_proc(PROC_INTR_WINDOW);
	run("window_sti");
	obs("window_sti", "open_at", (uint64_t)g_sti_open);
}

static void main_fn(void)
{
	traps_init();
	traps_set_gate(3, rec_stub_3, 0);
	traps_set_gate(6, rec_stub_6, 0);
	traps_set_gate(13, rec_stub_13, 0);
	traps_set_gate(14, rec_stub_14, 0);
	traps_set_gate(SOFT_VECTOR, rec_stub_0x41, 0);
	traps_set_gate(EXT_VECTOR, rec_stub_0x42, 0);
	traps_set_gate(TIMER_VECTOR, timer_stub, 0);
	if (vmx_start(&vcpu) != VMX_OK)
		workload_report(RESULT_ERROR, "cannot enter VMX operation");

	exceptions();
	page_faults();
	triple_fault();
	io();
	msrs();
	cr0_cr4();
	cr3();
	hlt();
	tsc();
	invlpg_exit();
	preemption_timer();
	injection();
	vectoring();
	interrupts();
	vmxoff();
	printk("OBS done.all=1\n");
}

WORKLOAD("vmx: VM-exit causes and the exit information they record", main_fn);
