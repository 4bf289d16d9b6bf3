/*
 * The VMX instructions in root operation and outside VMX operation, one named case at a time
 * (SDM Vol. 3, 31.3 "VMX Instructions", 31.4 "VM Instruction Error Numbers"). This guest only
 * reports what happened; tests/vmx/test_vmx_insn.c holds the expected results, each with the
 * SDM rule it comes from. One line per case:
 *
 *   case NAME: cf=C zf=Z [err=N] [more]   the instruction completed (err: VM-instruction error)
 *   case NAME: vector=V error=E [cr2=A]   it raised an exception instead
 *
 * Every instruction runs with CF, PF, AF, ZF, SF and OF set beforehand; "other-flags=" appears
 * if any of PF, AF, SF, OF survives (VMsucceed and VMfail clear them all, SDM 31.2).
 *
 * --cmdline fc-lock-only: lock IA32_FEATURE_CONTROL without "enable VMX outside SMX" (a lock
 * lasts until reset, so this needs its own boot).
 */
#include "traps.h"
#include "vmx.h"
#include "workload.h"

#define RFLAGS_PF (1ull << 2)
#define RFLAGS_AF (1ull << 4)
#define RFLAGS_SF (1ull << 7)
#define RFLAGS_OF (1ull << 11)

#define USER_ALIAS 0x80000000ull /* PDPT[2]: a user mapping of the first GiB */
#define NOT_PRESENT 0x40000000ull /* PDPT[1] is not present */

/* The trap handler of workloads/lib/traps.c resumes a CPL-0 fault here (set by try_call). */
extern uint64_t trap_fixup;

static struct vmx_vcpu vcpu;
static uint8_t vmcs_b[4096] __attribute__((aligned(4096)));
static uint8_t bad_rev[4096] __attribute__((aligned(4096)));
static uint8_t shadow_rev[4096] __attribute__((aligned(4096)));
static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t ept_pml4[512] __attribute__((aligned(4096)));
static uint8_t user_stack[4096] __attribute__((aligned(4096)));
static uint8_t guest_stack[4096] __attribute__((aligned(16)));
static uint32_t revision;
static unsigned maxphyaddr;

/*
 * Stubs: set the arithmetic flags, run one instruction, return RFLAGS. try_call(fn, a, b) calls
 * fn(a, b) and recovers from an exception in it (last_trap.count then tells).
 */
uint64_t try_call(const void *fn, uint64_t a, uint64_t b);
extern char s_vmxon[], s_vmclear[], s_vmptrld[], s_vmptrst[], s_vmread[], s_vmread_mem[],
	s_vmwrite[], s_vmwrite_mem[], s_vmcall[], s_vmxoff[], s_vmlaunch[], s_vmresume[],
	s_invept[], s_invvpid[], s_wrmsr_fc[], s_vmptrld_fs_rip[], guest_vmcall[];
#define FS_BASE_FOR_RIP 0x1000
#define STR(x) #x
#define XSTR(x) STR(x)
#define FLAGS_ALL "push $0x8d7; popfq\n" /* CF PF AF ZF SF OF, and reserved bit 1 */
#define FLAGS_OUT "pushfq; pop %rax\n"
__asm__(".text\n"
	"try_call:\n"
	"  push %rbx\n"
	"  mov %rsp, %rbx\n"
	"  mov %rdi, %rax\n"
	"  lea 1f(%rip), %rcx; mov %rcx, trap_fixup(%rip)\n"
	"  mov %rsi, %rdi; mov %rdx, %rsi\n"
	"  call *%rax\n"
	"  jmp 2f\n"
	"1: mov %rbx, %rsp; xor %eax, %eax\n"
	"2: movq $0, trap_fixup(%rip)\n"
	"  pop %rbx\n"
	"  ret\n"
	"s_vmxon: " FLAGS_ALL "vmxon (%rdi)\n" FLAGS_OUT "ret\n"
	"s_vmclear: " FLAGS_ALL "vmclear (%rdi)\n" FLAGS_OUT "ret\n"
	"s_vmptrld: " FLAGS_ALL "vmptrld (%rdi)\n" FLAGS_OUT "ret\n"
	"s_vmptrst: " FLAGS_ALL "vmptrst (%rdi)\n" FLAGS_OUT "ret\n"
	/* vmread(encoding, uint64_t *out): register destination, preset to a sentinel */
	"s_vmread: movabs $0x5a5a5a5a5a5a5a5a, %rdx\n" FLAGS_ALL "vmread %rdi, %rdx\n" FLAGS_OUT
	"  mov %rdx, (%rsi); ret\n"
	"s_vmread_mem: " FLAGS_ALL "vmread %rdi, (%rsi)\n" FLAGS_OUT "ret\n"
	"s_vmwrite: " FLAGS_ALL "vmwrite %rsi, %rdi\n" FLAGS_OUT "ret\n"
	"s_vmwrite_mem: " FLAGS_ALL "vmwrite (%rsi), %rdi\n" FLAGS_OUT "ret\n"
	"s_vmcall: " FLAGS_ALL "vmcall\n" FLAGS_OUT "ret\n"
	"s_vmxoff: " FLAGS_ALL "vmxoff\n" FLAGS_OUT "ret\n"
	"s_vmlaunch: " FLAGS_ALL "vmlaunch\n" FLAGS_OUT "ret\n"
	"s_vmresume: " FLAGS_ALL "vmresume\n" FLAGS_OUT "ret\n"
	"s_invept: " FLAGS_ALL "invept (%rsi), %rdi\n" FLAGS_OUT "ret\n"
	"s_invvpid: " FLAGS_ALL "invvpid (%rsi), %rdi\n" FLAGS_OUT "ret\n"
	"s_wrmsr_fc: mov $0x3a, %ecx; mov %edi, %eax; xor %edx, %edx; wrmsr\n" FLAGS_OUT "ret\n"
	/* vmptrld through FS (base FS_BASE_FOR_RIP) with a RIP-relative displacement */
	"s_vmptrld_fs_rip: " FLAGS_ALL "vmptrld %fs:fs_rip_operand-" XSTR(FS_BASE_FOR_RIP) "(%rip)\n"
	FLAGS_OUT "ret\n"
	"guest_vmcall: vmcall; jmp guest_vmcall\n");
uint64_t fs_rip_operand;

/* Ring-3 snippets (run through the user alias): one instruction, then `int $0x80` back. */
extern char u_vmxon[], u_vmxon_end[], u_vmread[], u_vmread_end[], u_vmcall[], u_vmcall_end[],
	u_vmxoff[], u_vmxoff_end[], u_vmptrst[], u_vmptrst_end[], u_invept[], u_invept_end[];
__asm__(".text\n.balign 16\n"
	"u_vmxon: vmxon (%rdi)\nu_vmxon_end: int $0x80\n"
	"u_vmread: vmread %rax, %rbx\nu_vmread_end: int $0x80\n"
	"u_vmcall: vmcall\nu_vmcall_end: int $0x80\n"
	"u_vmxoff: vmxoff\nu_vmxoff_end: int $0x80\n"
	"u_vmptrst: vmptrst (%rdi)\nu_vmptrst_end: int $0x80\n"
	"u_invept: invept (%rdi), %rax\nu_invept_end: int $0x80\n");

struct outcome {
	bool trapped;
	uint64_t rflags;
};

static struct outcome call(const void *fn, uint64_t a, uint64_t b)
{
	uint64_t before = last_trap.count;
	uint64_t rf = try_call(fn, a, b);
	return (struct outcome){ last_trap.count != before, rf };
}

static uint64_t alias(const void *p)
{
	return USER_ALIAS + (uint64_t)p;
}

static struct outcome user(const char *start, const char *end, uint64_t arg)
{
	uint64_t before = last_trap.count;
	user_fixup = alias(end);
	run_user(alias(start), alias(user_stack + sizeof user_stack), arg);
	user_fixup = 0;
	return (struct outcome){ last_trap.count != before, 0 };
}

static void put_outcome(struct outcome o)
{
	if (o.trapped) {
		printk("vector=%lu error=%#lx", last_trap.vector, last_trap.error);
		if (last_trap.vector == 14)
			printk(" cr2=%#lx", last_trap.cr2);
		return;
	}
	uint64_t cf = o.rflags & RFLAGS_CF, zf = o.rflags & RFLAGS_ZF;
	uint64_t other = o.rflags & (RFLAGS_PF | RFLAGS_AF | RFLAGS_SF | RFLAGS_OF);
	printk("cf=%u zf=%u", !!cf, !!zf);
	if (zf && !cf)
		printk(" err=%lu", vmreadz(VM_INSTRUCTION_ERROR));
	if (other)
		printk(" other-flags=%#lx", other);
}

/* One case line: the outcome, then 'fmt' (may be NULL). */
static void report(const char *name, struct outcome o, const char *fmt, ...)
{
	printk("case %s: ", name);
	put_outcome(o);
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		printk(" ");
		vprintk(fmt, ap);
		va_end(ap);
	}
	printk("\n");
}

static void value(const char *name, uint64_t v)
{
	printk("case %s: value=%#lx\n", name, v);
}

/* The first address bit beyond the physical-address width (CPUID.80000008H:EAX[7:0]). */
static uint64_t beyond_width(uint64_t pa)
{
	return pa | (1ull << maxphyaddr);
}

static struct outcome do_vmxon(uint64_t pa) { return call(s_vmxon, (uint64_t)&pa, 0); }
static struct outcome do_vmclear(uint64_t pa) { return call(s_vmclear, (uint64_t)&pa, 0); }
static struct outcome do_vmptrld(uint64_t pa) { return call(s_vmptrld, (uint64_t)&pa, 0); }
static struct outcome do_vmread(uint64_t enc, uint64_t *v) { return call(s_vmread, enc, (uint64_t)v); }
static struct outcome do_vmwrite(uint64_t enc, uint64_t v) { return call(s_vmwrite, enc, v); }

static struct outcome do_vmptrst(uint64_t *pa)
{
	*pa = 0x5a5a5a5a5a5a5a5aull;
	return call(s_vmptrst, (uint64_t)pa, 0);
}

static struct outcome do_invept(uint64_t type, uint64_t eptp, uint64_t *desc_at)
{
	static uint64_t desc[2] __attribute__((aligned(16)));
	desc[0] = eptp;
	desc[1] = 0;
	return call(s_invept, type, (uint64_t)(desc_at ? desc_at : desc));
}

static struct outcome do_invvpid(uint64_t type, uint64_t vpid, uint64_t la, uint64_t *desc_at)
{
	static uint64_t desc[2] __attribute__((aligned(16)));
	desc[0] = vpid;
	desc[1] = la;
	return call(s_invvpid, type, (uint64_t)(desc_at ? desc_at : desc));
}

static void setup_paging(void)
{
	pml4[0] = (uint64_t)pdpt | PTE_P | PTE_RW | PTE_US;
	pdpt[0] = 0 | PTE_P | PTE_RW | PTE_PS;           /* supervisor identity map */
	pdpt[1] = 0;                                      /* NOT_PRESENT */
	pdpt[2] = 0 | PTE_P | PTE_RW | PTE_US | PTE_PS;  /* user alias */
	write_cr3((uint64_t)pml4);
}

static void init_regions(void)
{
	uint32_t a, b, c, d;

	cpuid(0x80000008, 0, &a, &b, &c, &d);
	maxphyaddr = a & 0xff;
	revision = (uint32_t)rdmsr(MSR_VMX_BASIC) & 0x7fffffffu;
	memcpy(vcpu.vmxon, &revision, 4);
	memcpy(vcpu.vmcs, &revision, 4);
	memcpy(vmcs_b, &revision, 4);
	uint32_t wrong = revision + 1, shadow = revision | 0x80000000u;
	memcpy(bad_rev, &wrong, 4);
	memcpy(shadow_rev, &shadow, 4);
}

/* SDM 24.7 and VMXON's #UD/#GP conditions, before VMX operation is possible. */
static void outside_vmx(void)
{
	uint64_t vmxon_pa = (uint64_t)vcpu.vmxon, x;

	value("fc-reset-value", rdmsr(MSR_FEATURE_CONTROL));
	report("vmxon-cr4-vmxe-0", do_vmxon(vmxon_pa), NULL);
	report("vmptrld-cr4-vmxe-0", do_vmptrld(vmxon_pa), NULL);
	write_cr4(read_cr4() | CR4_VMXE);
	write_cr0(read_cr0() | (rdmsr(MSR_VMX_CR0_FIXED0) & 0xffffffffu));
	report("vmcall-outside-vmx", call(s_vmcall, 0, 0), NULL);
	report("vmread-outside-vmx", do_vmread(GUEST_RIP, &x), NULL);
	report("vmxoff-outside-vmx", call(s_vmxoff, 0, 0), NULL);
	report("vmlaunch-outside-vmx", call(s_vmlaunch, 0, 0), NULL);
	report("invept-outside-vmx", do_invept(2, 0, NULL), NULL);
	report("vmxon-fc-unlocked", do_vmxon(vmxon_pa), NULL);
	wrmsr(MSR_FEATURE_CONTROL, FC_LOCK | FC_VMXON_OUTSIDE_SMX);
	report("fc-locked-wrmsr", call(s_wrmsr_fc, FC_LOCK | FC_VMXON_OUTSIDE_SMX, 0), NULL);
	report("vmxon-cpl3", user(u_vmxon, u_vmxon_end, 0), NULL);
	write_cr0(read_cr0() & ~CR0_NE);
	report("vmxon-cr0-ne-0", do_vmxon(vmxon_pa), NULL);
	write_cr0(read_cr0() | CR0_NE);
	report("vmxon-unaligned", do_vmxon(vmxon_pa + 8), NULL);
	report("vmxon-beyond-width", do_vmxon(beyond_width(vmxon_pa)), NULL);
	report("vmxon-bad-revision", do_vmxon((uint64_t)bad_rev), NULL);
	report("vmxon-revision-bit31", do_vmxon((uint64_t)shadow_rev), NULL);
	report("vmxon", do_vmxon(vmxon_pa), NULL);
}

/* In VMX root operation without a current VMCS: VMfail is VMfailInvalid (31.2). */
static void root_without_vmcs(void)
{
	uint64_t vmxon_pa = (uint64_t)vcpu.vmxon, x = 0;
	struct outcome o;

	o = do_vmptrst(&x);
	report("vmptrst-no-vmcs", o, "value=%#lx", x);
	report("vmxon-in-root-no-vmcs", do_vmxon(vmxon_pa), NULL);
	report("vmread-no-vmcs", do_vmread(GUEST_RIP, &x), NULL);
	report("vmwrite-no-vmcs", do_vmwrite(GUEST_RIP, 0), NULL);
	report("vmlaunch-no-vmcs", call(s_vmlaunch, 0, 0), NULL);
	report("vmresume-no-vmcs", call(s_vmresume, 0, 0), NULL);
	report("vmcall-no-vmcs", call(s_vmcall, 0, 0), NULL);
	report("vmclear-unaligned-no-vmcs", do_vmclear((uint64_t)vcpu.vmcs + 8), NULL);
	report("vmptrld-vmxon-pointer-no-vmcs", do_vmptrld(vmxon_pa), NULL);
	report("invept-type3-no-vmcs", do_invept(3, 0, NULL), NULL);
	/* The VMREAD/VMWRITE memory operand is only touched once the VMCS pointer is valid. */
	report("vmwrite-no-vmcs-operand-not-present", call(s_vmwrite_mem, GUEST_RIP, NOT_PRESENT), NULL);
	report("vmptrld-operand-not-present", call(s_vmptrld, NOT_PRESENT, 0), NULL);
	report("vmclear", do_vmclear((uint64_t)vcpu.vmcs), NULL);
	report("vmptrld", do_vmptrld((uint64_t)vcpu.vmcs), NULL);
	o = do_vmptrst(&x);
	report("vmptrst", o, "value-is-vmcs=%u", x == (uint64_t)vcpu.vmcs);
}

/* VMfailValid with each error number of VMXON, VMCALL, VMCLEAR and VMPTRLD (31.4). */
static void pointer_errors(void)
{
	uint64_t vmxon_pa = (uint64_t)vcpu.vmxon, vmcs_pa = (uint64_t)vcpu.vmcs, x = 0;
	struct outcome o;

	report("vmxon-in-root", do_vmxon(vmxon_pa), NULL);
	report("vmcall-in-root", call(s_vmcall, 0, 0), NULL);
	report("vmclear-unaligned", do_vmclear(vmcs_pa + 0x800), NULL);
	report("vmclear-beyond-width", do_vmclear(beyond_width(vmcs_pa)), NULL);
	report("vmclear-vmxon-pointer", do_vmclear(vmxon_pa), NULL);
	report("vmptrld-unaligned", do_vmptrld(vmcs_pa + 4), NULL);
	report("vmptrld-beyond-width", do_vmptrld(beyond_width(vmcs_pa)), NULL);
	report("vmptrld-vmxon-pointer", do_vmptrld(vmxon_pa), NULL);
	report("vmptrld-bad-revision", do_vmptrld((uint64_t)bad_rev), NULL);
	report("vmptrld-revision-bit31", do_vmptrld((uint64_t)shadow_rev), NULL);
	o = do_vmptrst(&x);
	report("vmptrst-after-failures", o, "value-is-vmcs=%u", x == vmcs_pa);
	/* A RIP-relative memory operand still adds the segment base (Vol. 1, 3.5.1, 3.7.5.1). */
	fs_rip_operand = (uint64_t)vmcs_b;
	wrmsr(MSR_FS_BASE, FS_BASE_FOR_RIP);
	o = call(s_vmptrld_fs_rip, 0, 0);
	wrmsr(MSR_FS_BASE, 0);
	do_vmptrst(&x);
	report("vmptrld-fs-rip-relative", o, "value-is-operand=%u", x == (uint64_t)vmcs_b);
	do_vmptrld(vmcs_pa);
}

/* VMREAD / VMWRITE: encodings (25.11.2), widths, high halves, read-only fields, operands. */
static void read_write(void)
{
	uint64_t x = 0, mem = 0;
	struct outcome o;

	value("vmx-misc-bit29", rdmsr(MSR_VMX_MISC) >> 29 & 1);
	/* Field widths: a write of all ones reads back as the field's width (25.11.2, 31.3). */
	static const struct { const char *name; uint64_t enc; } widths[] = {
		{ "vmwrite-w16-all-ones", GUEST_ES_SEL }, { "vmwrite-w32-all-ones", GUEST_ES_LIMIT },
		{ "vmwrite-w64-all-ones", TSC_OFFSET }, { "vmwrite-natural-all-ones", CR0_MASK },
	};
	for (unsigned i = 0; i < sizeof widths / sizeof widths[0]; i++) {
		o = do_vmwrite(widths[i].enc, ~0ull);
		do_vmread(widths[i].enc, &x);
		report(widths[i].name, o, "read=%#lx", x);
	}
	do_vmwrite(GUEST_ES_SEL, 0x1234);
	o = do_vmread(GUEST_ES_SEL, &x);
	report("vmread-w16-zero-extends", o, "value=%#lx", x);
	do_vmwrite(TSC_OFFSET, 0x1122334455667788ull);
	o = do_vmread(TSC_OFFSET | 1, &x);
	report("vmread-w64-high", o, "value=%#lx", x);
	o = do_vmwrite(TSC_OFFSET | 1, 0xffffffffa5a5a5a5ull);
	do_vmread(TSC_OFFSET, &x);
	report("vmwrite-w64-high", o, "full=%#lx", x);
	/* Memory operands, 64 bits each way in 64-bit mode. */
	mem = 0x0123456789abcdefull;
	o = call(s_vmwrite_mem, GUEST_RSP, (uint64_t)&mem);
	do_vmread(GUEST_RSP, &x);
	report("vmwrite-memory-source", o, "read=%#lx", x);
	mem = ~0ull;
	o = call(s_vmread_mem, GUEST_ES_SEL, (uint64_t)&mem);
	report("vmread-memory-destination-w16", o, "memory=%#lx", mem);
	mem = ~0ull;
	o = call(s_vmread_mem, TSC_OFFSET | 1, (uint64_t)&mem);
	report("vmread-memory-destination-high", o, "memory=%#lx", mem);

	/* Unsupported components: VMfailValid(12), destination untouched. */
	static const struct { const char *name; uint64_t enc; } bad[] = {
		{ "unused-index", 0x6ffe },
		{ "bits-63-32-set", (1ull << 32) | GUEST_RIP },
		{ "bit-12-set", 0x1000 | GUEST_RIP },
		{ "bit-15-set", 0x8000 | GUEST_ES_SEL },
		{ "high-access-w16", GUEST_ES_SEL | 1 },
		{ "high-access-w32", GUEST_ES_LIMIT | 1 },
		{ "high-access-natural", GUEST_RIP | 1 },
	};
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		o = do_vmread(bad[i].enc, &x);
		printk("case vmread-%s: ", bad[i].name);
		put_outcome(o);
		printk(" value=%#lx\n", x);
		o = do_vmwrite(bad[i].enc, 0);
		printk("case vmwrite-%s: ", bad[i].name);
		put_outcome(o);
		printk("\n");
	}
	mem = 0x77;
	o = call(s_vmread_mem, 0x6ffe, (uint64_t)&mem);
	report("vmread-unsupported-memory-untouched", o, "memory=%#lx", mem);

	/* Read-only fields (VM-exit information, type 1). */
	static const struct { const char *name; uint64_t enc; } ro[] = {
		{ "vmwrite-vm-instruction-error", VM_INSTRUCTION_ERROR },
		{ "vmwrite-exit-reason", EXIT_REASON },
		{ "vmwrite-exit-qualification", EXIT_QUALIFICATION },
		{ "vmwrite-guest-physical-address-high", GUEST_PHYSICAL_ADDRESS | 1 },
	};
	for (unsigned i = 0; i < sizeof ro / sizeof ro[0]; i++)
		report(ro[i].name, do_vmwrite(ro[i].enc, 0), NULL);
	report("vmread-exit-reason", do_vmread(EXIT_REASON, &x), NULL);

	/* Order of checks against memory-operand faults (31.3 VMREAD, VMWRITE descriptions). */
	report("vmread-unsupported-destination-not-present",
	       call(s_vmread_mem, 0x6ffe, NOT_PRESENT), NULL);
	report("vmread-destination-not-present", call(s_vmread_mem, GUEST_RIP, NOT_PRESENT), NULL);
	report("vmwrite-unsupported-source-not-present",
	       call(s_vmwrite_mem, 0x6ffe, NOT_PRESENT), NULL);
}

/* INVEPT / INVVPID operand checks (31.3; types from IA32_VMX_EPT_VPID_CAP, A.10). */
static void invalidations(void)
{
	uint64_t eptp = (uint64_t)ept_pml4 | 6 | 3 << 3; /* WB, 4-level walk */
	uint64_t noncanonical = 0x0000800000000000ull;

	report("invept-all-context", do_invept(2, 0, NULL), NULL);
	report("invept-single-context", do_invept(1, eptp, NULL), NULL);
	report("invept-single-context-memtype-1", do_invept(1, (eptp & ~7ull) | 1, NULL), NULL);
	report("invept-single-context-walk-3", do_invept(1, (eptp & ~0x38ull) | 2 << 3, NULL), NULL);
	report("invept-single-context-ad", do_invept(1, eptp | 1 << 6, NULL), NULL);
	report("invept-single-context-reserved-bit-7", do_invept(1, eptp | 1 << 7, NULL), NULL);
	report("invept-type-0", do_invept(0, 0, NULL), NULL);
	report("invept-type-3", do_invept(3, 0, NULL), NULL);
	report("invept-type-3-descriptor-not-present", do_invept(3, 0, (uint64_t *)NOT_PRESENT), NULL);
	report("invept-descriptor-not-present", do_invept(2, 0, (uint64_t *)NOT_PRESENT), NULL);
	report("invvpid-individual", do_invvpid(0, 1, 0x1000, NULL), NULL);
	report("invvpid-individual-noncanonical", do_invvpid(0, 1, noncanonical, NULL), NULL);
	report("invvpid-individual-vpid-0", do_invvpid(0, 0, 0x1000, NULL), NULL);
	report("invvpid-single-context", do_invvpid(1, 1, 0, NULL), NULL);
	report("invvpid-single-context-vpid-0", do_invvpid(1, 0, 0, NULL), NULL);
	report("invvpid-all-context-vpid-0", do_invvpid(2, 0, 0, NULL), NULL);
	report("invvpid-single-retaining-globals", do_invvpid(3, 1, 0, NULL), NULL);
	report("invvpid-single-retaining-globals-vpid-0", do_invvpid(3, 0, 0, NULL), NULL);
	report("invvpid-type-4", do_invvpid(4, 1, 0, NULL), NULL);
	report("invvpid-descriptor-bits-63-16", do_invvpid(2, 0x10000, 0, NULL), NULL);
	report("invvpid-type-4-descriptor-not-present", do_invvpid(4, 1, 0, (uint64_t *)NOT_PRESENT), NULL);
}

/* In VMX root operation at CPL 3, every VMX instruction raises #GP(0) (31.3). */
static void cpl3_in_root(void)
{
	report("vmxon-cpl3-in-root", user(u_vmxon, u_vmxon_end, 0), NULL);
	report("vmread-cpl3", user(u_vmread, u_vmread_end, 0), NULL);
	report("vmcall-cpl3-in-root", user(u_vmcall, u_vmcall_end, 0), NULL);
	report("vmxoff-cpl3", user(u_vmxoff, u_vmxoff_end, 0), NULL);
	report("vmptrst-cpl3", user(u_vmptrst, u_vmptrst_end, alias(user_stack)), NULL);
	report("invept-cpl3", user(u_invept, u_invept_end, alias(user_stack)), NULL);
}

/* Launch state (25.1, 31.3 VMLAUNCH/VMRESUME/VMCLEAR) and the current-VMCS pointer. */
static void launch_state(void)
{
	uint64_t vmcs_pa = (uint64_t)vcpu.vmcs, x = 0;
	enum vmx_status s;
	struct outcome o;

	report("vmresume-clear", call(s_vmresume, 0, 0), NULL);
	vmx_setup_vmcs((uint64_t)guest_vmcall, (uint64_t)(guest_stack + sizeof guest_stack));
	vcpu.launched = false;
	uint32_t reason = vmx_run(&vcpu, &s);
	printk("case vmlaunch-clear: status=%u exit=%u\n", s, reason);
	report("vmlaunch-launched", call(s_vmlaunch, 0, 0), NULL);
	vmx_skip_instruction();
	reason = vmx_run(&vcpu, &s);
	printk("case vmresume-launched: status=%u exit=%u\n", s, reason);
	report("vmclear-current", do_vmclear(vmcs_pa), NULL);
	o = do_vmptrst(&x);
	report("vmptrst-after-vmclear-current", o, "value=%#lx", x);
	report("vmread-after-vmclear-current", do_vmread(GUEST_RIP, &x), NULL);
	do_vmptrld(vmcs_pa);
	report("vmresume-after-vmclear", call(s_vmresume, 0, 0), NULL);
	/* The VMCS data survive VMCLEAR (it only makes the launch state clear). */
	o = do_vmread(GUEST_RIP, &x);
	report("vmread-after-vmclear-vmptrld", o, "guest-rip-kept=%u", x == (uint64_t)guest_vmcall);
	report("vmclear-other", do_vmclear((uint64_t)vmcs_b), NULL);
	o = do_vmptrst(&x);
	report("vmptrst-after-vmclear-other", o, "value-is-vmcs=%u", x == vmcs_pa);
	report("vmptrld-other", do_vmptrld((uint64_t)vmcs_b), NULL);
	o = do_vmptrst(&x);
	report("vmptrst-after-switch", o, "value-is-other=%u", x == (uint64_t)vmcs_b);
	report("vmresume-other-clear", call(s_vmresume, 0, 0), NULL);
}

/* VMXOFF leaves VMX operation: VMX instructions but VMXON are #UD again (31.3). */
static void after_vmxoff(void)
{
	uint64_t x = 0;
	struct outcome o;

	report("vmxoff", call(s_vmxoff, 0, 0), NULL);
	report("vmread-after-vmxoff", do_vmread(GUEST_RIP, &x), NULL);
	report("vmptrld-after-vmxoff", do_vmptrld((uint64_t)vcpu.vmcs), NULL);
	report("vmcall-after-vmxoff", call(s_vmcall, 0, 0), NULL);
	report("vmlaunch-after-vmxoff", call(s_vmlaunch, 0, 0), NULL);
	report("vmxoff-after-vmxoff", call(s_vmxoff, 0, 0), NULL);
	report("invvpid-after-vmxoff", do_invvpid(2, 0, 0, NULL), NULL);
	report("vmxon-after-vmxoff", do_vmxon((uint64_t)vcpu.vmxon), NULL);
	o = do_vmptrst(&x);
	report("vmptrst-after-vmxon", o, "value=%#lx", x);
	report("vmxoff-again", call(s_vmxoff, 0, 0), NULL);
}

static void fc_lock_only(void)
{
	wrmsr(MSR_FEATURE_CONTROL, FC_LOCK);
	write_cr4(read_cr4() | CR4_VMXE);
	write_cr0(read_cr0() | (rdmsr(MSR_VMX_CR0_FIXED0) & 0xffffffffu));
	report("vmxon-fc-locked-without-outside-smx", do_vmxon((uint64_t)vcpu.vmxon), NULL);
	report("fc-locked-wrmsr", call(s_wrmsr_fc, FC_LOCK | FC_VMXON_OUTSIDE_SMX, 0), NULL);
}

static bool cmdline_is(const char *s)
{
	const char *c = workload_cmdline;
	if (!c)
		return false;
	while (*s && *c == *s)
		s++, c++;
	return !*s && !*c;
}

static void vmx_insn_main(void)
{
	traps_init();
	setup_paging();
	init_regions();
	if (cmdline_is("fc-lock-only")) {
		fc_lock_only();
		return;
	}
	outside_vmx();
	root_without_vmcs();
	pointer_errors();
	read_write();
	invalidations();
	cpl3_in_root();
	launch_state();
	after_vmxoff();
	printk("cases done\n");
}

WORKLOAD("vmx: VMX instruction results and error numbers", vmx_insn_main);
