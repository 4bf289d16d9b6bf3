/*
 * VM entries that fail and VM exits caused by VMX instructions in non-root operation. The guest
 * only reports what happened; tests/vmx/test_vmx_insn.c holds the expected results (SDM Vol. 3,
 * 27.2 "Checks on VMX Controls and Host-State Area", 27.3 "Checking and Loading Guest State",
 * 27.4 "Loading MSRs", 27.8 "VM-Entry Failures During or After Loading Guest State", 28.2.1
 * exit qualifications, 28.2.5 instruction information). One line per case:
 *
 *   case NAME: cf=0 zf=1 err=N          VMLAUNCH failed (VMfailValid)
 *   case NAME: exit=R [failure qual=Q]  a VM exit (bit 31 of the exit reason: "failure")
 *   case exit-NAME: reason=R len=L info=I qual=Q [next=N]   an instruction's VM exit
 *
 * Each entry case starts from vmx_setup_vmcs() (a valid 64-bit guest that executes VMCALL) and
 * changes a few fields.
 */
#include "traps.h"
#include "vmx.h"
#include "workload.h"

#define PROC_SECONDARY (1u << 31)
#define PROC2_EPT (1u << 1)
#define PROC2_VPID (1u << 5)
#define PROC2_PML (1u << 17)
#define PIN_PREEMPTION_TIMER (1u << 6)
#define EXIT_SAVE_PREEMPTION_TIMER (1u << 22)
#define ENTRY_LOAD_DEBUG (1u << 2)
#define MSR_SYSENTER_CS 0x174
#define USER_ALIAS 0x80000000ull /* PDPT[2]: a user mapping of the first GiB */
#define USER_ALIAS_OF(p) (USER_ALIAS + (uint64_t)(p))

/* Encodings the library does not name (SDM Appendix B). */
enum {
	EXIT_MSR_STORE_ADDR = 0x2006, EXIT_MSR_LOAD_ADDR = 0x2008, ENTRY_MSR_LOAD_ADDR = 0x200a,
	EXIT_MSR_STORE_COUNT = 0x400e, EXIT_MSR_LOAD_COUNT = 0x4010, ENTRY_MSR_LOAD_COUNT = 0x4014,
	GUEST_DR7_ENC = 0x681a, GUEST_PENDING_DBG = 0x6822, GUEST_IA32_DEBUGCTL = 0x2802,
};

static struct vmx_vcpu vcpu;
static uint8_t link_vmcs[4096] __attribute__((aligned(4096)));
static uint8_t bad_rev[4096] __attribute__((aligned(4096)));
static uint8_t page_a[4096] __attribute__((aligned(4096)));
static uint8_t page_b[4096] __attribute__((aligned(4096)));
/* VM-entry MSR-load area (Table 25-15): [0] loads IA32_SYSENTER_CS, [1] is the failing entry. */
static uint64_t msr_area[3][2] __attribute__((aligned(16)));
static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t ept_pml4[512] __attribute__((aligned(4096)));
static uint64_t ept_pdpt[512] __attribute__((aligned(4096)));
static uint64_t pml_log[512] __attribute__((aligned(4096)));
static uint8_t guest_stack[8192] __attribute__((aligned(16)));
static unsigned maxphyaddr;

extern char guest_vmcall[], nr_code[], nr_vmfunc[], nr_user[];
__asm__(".text\n"
	"guest_vmcall: vmcall; jmp guest_vmcall\n");

/* ---- entry cases: a table of VMCS writes ---- */

enum op {
	END,
	SET,        /* field = v */
	OR,         /* field |= v */
	CLR,        /* field &= ~v */
	SET_ADDR,   /* field = address of 'addr' + v */
	OR_BEYOND,  /* field |= the first bit beyond the physical-address width */
	OR_NOT_ALLOWED1, /* field |= the lowest control bit capability MSR v reports as not allowed 1 */
	CLR_REQUIRED1,   /* field &= ~the lowest control bit capability MSR v requires to be 1 */
	OR_NOT_FIXED1,   /* field |= the lowest bit clear in CR0/CR4 FIXED1 MSR v */
};

struct write {
	uint32_t enc;
	enum op op;
	uint64_t v;
	const void *addr;
};

enum setup {
	SECONDARY = 1, /* "activate secondary controls" */
	EPT = 2,       /* "enable EPT" with a valid EPTP (WB, 4 levels) and an identity map */
	IF_GATE = 4,   /* RFLAGS.IF = 1 and IDT vector 0x81 -> guest_vmcall */
	RESUME_AFTER = 8, /* after a failed entry, report VMRESUME too (is the VMCS still clear?) */
};

struct entry_case {
	const char *name;
	unsigned setup;
	struct write w[4];
};

#define W(e, o, val) { (e), (o), (val), NULL }
#define A(e, a, off) { (e), SET_ADDR, (off), (a) }
#define NONCANONICAL 0x0000800000000000ull
#define INTR(type, vector) (0x80000000u | (type) << 8 | (vector))

static const struct entry_case entry_cases[] = {
	{ "baseline", 0, { { 0 } } },
	/* 27.2.1.1-27.2.1.3: controls against the capability MSRs (VMfailValid 7) */
	{ "pin-not-allowed1", 0, { W(PIN_CONTROLS, OR_NOT_ALLOWED1, MSR_VMX_TRUE_PIN) } },
	{ "pin-required1-clear", 0, { W(PIN_CONTROLS, CLR_REQUIRED1, MSR_VMX_TRUE_PIN) } },
	{ "proc-not-allowed1", 0, { W(PROC_CONTROLS, OR_NOT_ALLOWED1, MSR_VMX_TRUE_PROC) } },
	{ "proc-required1-clear", 0, { W(PROC_CONTROLS, CLR_REQUIRED1, MSR_VMX_TRUE_PROC) } },
	{ "proc-cr3-exiting-clear", 0, { W(PROC_CONTROLS, CLR, 3u << 15) } },
	{ "proc2-not-allowed1", SECONDARY, { W(PROC2_CONTROLS, OR_NOT_ALLOWED1, MSR_VMX_PROC2) } },
	{ "proc2-ignored-without-activate", 0, { W(PROC2_CONTROLS, SET, 0xffffffff) } },
	{ "exit-not-allowed1", 0, { W(EXIT_CONTROLS, OR_NOT_ALLOWED1, MSR_VMX_TRUE_EXIT) } },
	{ "exit-required1-clear", 0, { W(EXIT_CONTROLS, CLR_REQUIRED1, MSR_VMX_TRUE_EXIT) } },
	{ "entry-not-allowed1", 0, { W(ENTRY_CONTROLS, OR_NOT_ALLOWED1, MSR_VMX_TRUE_ENTRY) } },
	{ "entry-required1-clear", 0, { W(ENTRY_CONTROLS, CLR_REQUIRED1, MSR_VMX_TRUE_ENTRY) } },
	{ "cr3-target-count-4", 0, { W(CR3_TARGET_COUNT, SET, 4) } },
	{ "cr3-target-count-5", 0, { W(CR3_TARGET_COUNT, SET, 5) } },
	{ "io-bitmaps", 0, { W(PROC_CONTROLS, OR, PROC_USE_IO_BITMAPS), A(IO_BITMAP_A, page_a, 0),
			     A(IO_BITMAP_B, page_b, 0) } },
	{ "io-bitmap-a-unaligned", 0, { W(PROC_CONTROLS, OR, PROC_USE_IO_BITMAPS),
					A(IO_BITMAP_A, page_a, 0x800), A(IO_BITMAP_B, page_b, 0) } },
	{ "io-bitmap-b-beyond-width", 0, { W(PROC_CONTROLS, OR, PROC_USE_IO_BITMAPS),
					   A(IO_BITMAP_A, page_a, 0), A(IO_BITMAP_B, page_b, 0),
					   W(IO_BITMAP_B, OR_BEYOND, 0) } },
	{ "io-bitmap-unaligned-unused", 0, { A(IO_BITMAP_A, page_a, 0x800) } },
	{ "msr-bitmap", 0, { W(PROC_CONTROLS, OR, PROC_USE_MSR_BITMAPS), A(MSR_BITMAP, page_a, 0) } },
	{ "msr-bitmap-unaligned", 0, { W(PROC_CONTROLS, OR, PROC_USE_MSR_BITMAPS),
				       A(MSR_BITMAP, page_a, 8) } },
	{ "msr-bitmap-unaligned-unused", 0, { A(MSR_BITMAP, page_a, 8) } },
	{ "ept", EPT, { { 0 } } },
	{ "eptp-memtype-uc", EPT, { W(EPT_POINTER, CLR, 7) } },
	{ "eptp-memtype-1", EPT, { W(EPT_POINTER, CLR, 7), W(EPT_POINTER, OR, 1) } },
	{ "eptp-walk-length-3", EPT, { W(EPT_POINTER, CLR, 7 << 3), W(EPT_POINTER, OR, 2 << 3) } },
	{ "eptp-walk-length-5", EPT, { W(EPT_POINTER, CLR, 7 << 3), W(EPT_POINTER, OR, 4 << 3) } },
	{ "eptp-ad", EPT, { W(EPT_POINTER, OR, 1 << 6) } },
	{ "eptp-reserved-bit-8", EPT, { W(EPT_POINTER, OR, 1 << 8) } },
	{ "eptp-beyond-width", EPT, { W(EPT_POINTER, OR_BEYOND, 0) } },
	{ "pml", EPT, { W(PROC2_CONTROLS, OR, PROC2_PML), A(PML_ADDRESS, pml_log, 0),
			W(PML_INDEX, SET, 511) } },
	{ "pml-without-ept", SECONDARY, { W(PROC2_CONTROLS, OR, PROC2_PML), A(PML_ADDRESS, pml_log, 0) } },
	{ "pml-address-unaligned", EPT, { W(PROC2_CONTROLS, OR, PROC2_PML),
					  A(PML_ADDRESS, pml_log, 0x800) } },
	{ "vpid-1", SECONDARY, { W(PROC2_CONTROLS, OR, PROC2_VPID), W(VPID, SET, 1) } },
	{ "vpid-0", SECONDARY, { W(PROC2_CONTROLS, OR, PROC2_VPID), W(VPID, SET, 0) } },
	{ "preemption-timer", 0, { W(PIN_CONTROLS, OR, PIN_PREEMPTION_TIMER),
				   W(EXIT_CONTROLS, OR, EXIT_SAVE_PREEMPTION_TIMER),
				   W(PREEMPTION_TIMER, SET, 1000000) } },
	{ "save-preemption-timer-without-activate", 0,
	  { W(EXIT_CONTROLS, OR, EXIT_SAVE_PREEMPTION_TIMER) } },
	{ "exit-msr-store-unaligned", 0, { W(EXIT_MSR_STORE_COUNT, SET, 1),
					   A(EXIT_MSR_STORE_ADDR, msr_area, 8) } },
	{ "exit-msr-load-unaligned", 0, { W(EXIT_MSR_LOAD_COUNT, SET, 1),
					  A(EXIT_MSR_LOAD_ADDR, msr_area, 8) } },
	{ "entry-msr-load-unaligned", 0, { W(ENTRY_MSR_LOAD_COUNT, SET, 1),
					   A(ENTRY_MSR_LOAD_ADDR, msr_area, 8) } },
	{ "entry-msr-load-beyond-width", 0, { W(ENTRY_MSR_LOAD_COUNT, SET, 1),
					      A(ENTRY_MSR_LOAD_ADDR, msr_area, 0),
					      W(ENTRY_MSR_LOAD_ADDR, OR_BEYOND, 0) } },
	{ "entry-msr-load-unaligned-count-0", 0, { A(ENTRY_MSR_LOAD_ADDR, msr_area, 8) } },
	/* 27.2.1.3: event injection */
	{ "inject-type-1", 0, { W(ENTRY_INTR_INFO, SET, INTR(1, 0x20)) } },
	{ "inject-type-7-without-mtf", 0, { W(ENTRY_INTR_INFO, SET, INTR(7, 0)) } },
	{ "inject-nmi-vector-3", 0, { W(ENTRY_INTR_INFO, SET, INTR(2, 3)) } },
	{ "inject-hw-exception-vector-32", 0, { W(ENTRY_INTR_INFO, SET, INTR(3, 32)) } },
	{ "inject-gp-without-error-code", 0, { W(ENTRY_INTR_INFO, SET, INTR(3, 13)) } },
	{ "inject-ud-with-error-code", 0, { W(ENTRY_INTR_INFO, SET, INTR(3, 6) | 1 << 11) } },
	{ "inject-extint-with-error-code", 0, { W(ENTRY_INTR_INFO, SET, INTR(0, 0x81) | 1 << 11) } },
	{ "inject-reserved-bit-12", 0, { W(ENTRY_INTR_INFO, SET, INTR(3, 6) | 1 << 12) } },
	{ "inject-error-code-bit-16", 0, { W(ENTRY_INTR_INFO, SET, INTR(3, 13) | 1 << 11),
					   W(ENTRY_EXCEPTION_ERROR, SET, 0x10000) } },
	{ "inject-soft-int-length-0", 0, { W(ENTRY_INTR_INFO, SET, INTR(4, 0x81)),
					   W(ENTRY_INSN_LEN, SET, 0) } },
	{ "inject-soft-int-length-16", 0, { W(ENTRY_INTR_INFO, SET, INTR(4, 0x81)),
					    W(ENTRY_INSN_LEN, SET, 16) } },
	{ "inject-soft-exception-length-0", 0, { W(ENTRY_INTR_INFO, SET, INTR(6, 3)),
						 W(ENTRY_INSN_LEN, SET, 0) } },
	{ "inject-soft-int", IF_GATE, { W(ENTRY_INTR_INFO, SET, INTR(4, 0x81)),
					W(ENTRY_INSN_LEN, SET, 2) } },
	{ "inject-extint", IF_GATE, { W(ENTRY_INTR_INFO, SET, INTR(0, 0x81)) } },
	{ "inject-extint-if-0", IF_GATE, { W(ENTRY_INTR_INFO, SET, INTR(0, 0x81)),
					   W(GUEST_RFLAGS, SET, 2) } },
	{ "inject-invalid-valid-bit-0", 0, { W(ENTRY_INTR_INFO, SET, INTR(1, 0x20) & 0x7fffffff) } },
	/* 27.2.2-27.2.4: host state (VMfailValid 8) */
	{ "host-cr0-pe-0", 0, { W(HOST_CR0, CLR, 1) } },
	{ "host-cr0-ne-0", 0, { W(HOST_CR0, CLR, 1 << 5) } },
	{ "host-cr0-not-fixed1", 0, { W(HOST_CR0, OR_NOT_FIXED1, MSR_VMX_CR0_FIXED1) } },
	{ "host-cr4-vmxe-0", 0, { W(HOST_CR4, CLR, 1 << 13) } },
	{ "host-cr4-not-fixed1", 0, { W(HOST_CR4, OR_NOT_FIXED1, MSR_VMX_CR4_FIXED1) } },
	{ "host-cr4-pae-0", 0, { W(HOST_CR4, CLR, 1 << 5) } },
	{ "host-cr3-beyond-width", 0, { W(HOST_CR3, OR_BEYOND, 0) } },
	{ "host-cs-selector-0", 0, { W(HOST_CS_SEL, SET, 0) } },
	{ "host-tr-selector-0", 0, { W(HOST_TR_SEL, SET, 0) } },
	{ "host-ds-rpl-3", 0, { W(HOST_DS_SEL, OR, 3) } },
	{ "host-es-ti-1", 0, { W(HOST_ES_SEL, OR, 4) } },
	{ "host-ss-selector-0", 0, { W(HOST_SS_SEL, SET, 0) } },
	{ "host-rip-noncanonical", 0, { W(HOST_RIP, SET, NONCANONICAL) } },
	{ "host-fs-base-noncanonical", 0, { W(HOST_FS_BASE, SET, NONCANONICAL) } },
	{ "host-gdtr-base-noncanonical", 0, { W(HOST_GDTR_BASE, OR, NONCANONICAL) } },
	{ "host-tr-base-noncanonical", 0, { W(HOST_TR_BASE, OR, NONCANONICAL) } },
	{ "host-sysenter-esp-noncanonical", 0, { W(HOST_SYSENTER_ESP, SET, NONCANONICAL) } },
	{ "host-address-space-size-0", 0, { W(EXIT_CONTROLS, CLR, EXIT_HOST_64) } },
	{ "host-efer-lma-0", 0, { W(HOST_IA32_EFER, CLR, 1 << 10) } },
	{ "host-efer-reserved-bit-1", 0, { W(HOST_IA32_EFER, OR, 1 << 1) } },
	{ "host-pat-type-2", 0, { W(HOST_IA32_PAT, SET, 0x0007040600070402ull) } },
	/* 27.3.1: guest state (VM exit 33 with bit 31 set) */
	{ "guest-cr0-pg-without-pe", RESUME_AFTER, { W(GUEST_CR0, CLR, 1) } },
	{ "guest-cr0-ne-0", 0, { W(GUEST_CR0, CLR, 1 << 5) } },
	{ "guest-cr0-not-fixed1", 0, { W(GUEST_CR0, OR_NOT_FIXED1, MSR_VMX_CR0_FIXED1) } },
	{ "guest-cr4-vmxe-0", 0, { W(GUEST_CR4, CLR, 1 << 13) } },
	{ "guest-cr4-not-fixed1", 0, { W(GUEST_CR4, OR_NOT_FIXED1, MSR_VMX_CR4_FIXED1) } },
	{ "guest-cr4-pae-0", 0, { W(GUEST_CR4, CLR, 1 << 5) } },
	{ "guest-cr3-beyond-width", 0, { W(GUEST_CR3, OR_BEYOND, 0) } },
	{ "guest-dr7-bit-32", 0, { W(ENTRY_CONTROLS, OR, ENTRY_LOAD_DEBUG),
				   W(GUEST_DR7_ENC, SET, 1ull << 32 | 0x400) } },
	{ "guest-dr7-valid", 0, { W(ENTRY_CONTROLS, OR, ENTRY_LOAD_DEBUG), W(GUEST_DR7_ENC, SET, 0x400) } },
	{ "guest-sysenter-esp-noncanonical", 0, { W(GUEST_SYSENTER_ESP, SET, NONCANONICAL) } },
	{ "guest-pat-type-2", 0, { W(GUEST_IA32_PAT, SET, 0x0007040600070402ull) } },
	{ "guest-efer-reserved-bit-1", 0, { W(GUEST_IA32_EFER, OR, 1 << 1) } },
	{ "guest-efer-lma-0", 0, { W(GUEST_IA32_EFER, CLR, 1 << 10) } },
	{ "guest-rflags-bit1-0", 0, { W(GUEST_RFLAGS, SET, 0) } },
	{ "guest-rflags-bit3", 0, { W(GUEST_RFLAGS, OR, 1 << 3) } },
	{ "guest-rflags-bit15", 0, { W(GUEST_RFLAGS, OR, 1 << 15) } },
	{ "guest-rflags-bit22", 0, { W(GUEST_RFLAGS, OR, 1 << 22) } },
	{ "guest-rflags-vm", 0, { W(GUEST_RFLAGS, OR, 1 << 17) } },
	{ "guest-rip-noncanonical", 0, { W(GUEST_RIP, SET, NONCANONICAL) } },
	{ "guest-cs-type-data", 0, { W(GUEST_CS_AR, SET, 0xa093) } },
	{ "guest-cs-type-9", 0, { W(GUEST_CS_AR, SET, 0xa099) } },
	{ "guest-cs-unusable", 0, { W(GUEST_CS_AR, OR, 1 << 16) } },
	{ "guest-cs-not-present", 0, { W(GUEST_CS_AR, CLR, 1 << 7) } },
	{ "guest-cs-l-and-d", 0, { W(GUEST_CS_AR, OR, 1 << 14) } },
	{ "guest-cs-limit-g-mismatch", 0, { W(GUEST_CS_LIMIT, SET, 0xfffff000) } },
	{ "guest-ss-rpl-3", 0, { W(GUEST_SS_SEL, OR, 3) } },
	{ "guest-ss-type-code", 0, { W(GUEST_SS_AR, SET, 0xc09b) } },
	{ "guest-tr-unusable", 0, { W(GUEST_TR_AR, OR, 1 << 16) } },
	{ "guest-tr-type-9", 0, { W(GUEST_TR_AR, SET, 0x89) } },
	{ "guest-tr-ti-1", 0, { W(GUEST_TR_SEL, OR, 4) } },
	{ "guest-ldtr-usable", 0, { W(GUEST_LDTR_AR, SET, 0x82), W(GUEST_LDTR_BASE, SET, 0),
				    W(GUEST_LDTR_LIMIT, SET, 0xffff) } },
	{ "guest-ldtr-type-3", 0, { W(GUEST_LDTR_AR, SET, 0x83) } },
	{ "guest-fs-base-noncanonical", 0, { W(GUEST_FS_BASE, SET, NONCANONICAL) } },
	{ "guest-gdtr-base-noncanonical", 0, { W(GUEST_GDTR_BASE, OR, NONCANONICAL) } },
	{ "guest-gdtr-limit-above-ffff", 0, { W(GUEST_GDTR_LIMIT, SET, 0x10000) } },
	{ "guest-activity-hlt", 0, { W(GUEST_ACTIVITY, SET, 1) } },
	{ "guest-activity-4", 0, { W(GUEST_ACTIVITY, SET, 4) } },
	{ "guest-interruptibility-bit-5", 0, { W(GUEST_INTERRUPTIBILITY, SET, 1 << 5) } },
	{ "guest-interruptibility-sti-and-mov-ss", 0, { W(GUEST_INTERRUPTIBILITY, SET, 3) } },
	{ "guest-sti-blocking-if-0", 0, { W(GUEST_INTERRUPTIBILITY, SET, 1) } },
	{ "guest-pending-dbg-bit-4", 0, { W(GUEST_PENDING_DBG, SET, 1 << 4) } },
	{ "vmcs-link-pointer-0", RESUME_AFTER, { W(VMCS_LINK_POINTER, SET, 0) } },
	{ "vmcs-link-pointer-unaligned", 0, { A(VMCS_LINK_POINTER, link_vmcs, 8) } },
	{ "vmcs-link-pointer-bad-revision", 0, { A(VMCS_LINK_POINTER, bad_rev, 0) } },
	{ "vmcs-link-pointer-vmcs", 0, { A(VMCS_LINK_POINTER, link_vmcs, 0) } },
	/* 27.4: VM-entry MSR-load area (VM exit 34, qualification = entry number) */
	{ "entry-msr-load-sysenter-cs", 0, { W(ENTRY_MSR_LOAD_COUNT, SET, 1),
					     A(ENTRY_MSR_LOAD_ADDR, msr_area[0], 0) } },
	{ "entry-msr-load-second-entry-gs-base", RESUME_AFTER,
	  { W(ENTRY_MSR_LOAD_COUNT, SET, 2), A(ENTRY_MSR_LOAD_ADDR, msr_area[0], 0) } },
};

/* One failing entry each, alone in the area (msr_area[1]). */
static const struct {
	const char *name;
	uint64_t index, value;
} msr_entries[] = {
	{ "fs-base", 0xc0000100, 0 },
	{ "gs-base", 0xc0000101, 0 },
	{ "index-bits-63-32", 1ull << 32 | MSR_SYSENTER_CS, 0 },
	{ "x2apic-tpr", 0x808, 0 },
	{ "smm-monitor-ctl", 0x9b, 0 },
	{ "unimplemented-msr", 0x12345, 0 },
};

static uint32_t bit_index(uint64_t v)
{
	return (uint32_t)__builtin_ctzll(v);
}

static uint64_t apply(const struct write *w, uint64_t old)
{
	uint64_t caps = w->op >= OR_NOT_ALLOWED1 ? rdmsr((uint32_t)w->v) : 0;
	switch (w->op) {
	case SET: return w->v;
	case OR: return old | w->v;
	case CLR: return old & ~w->v;
	case SET_ADDR: return (uint64_t)w->addr + w->v;
	case OR_BEYOND: return old | 1ull << maxphyaddr;
	case OR_NOT_ALLOWED1: return old | 1ull << bit_index(~(caps >> 32) & 0xffffffffull);
	case CLR_REQUIRED1: return old & ~(1ull << bit_index(caps & 0xffffffffull));
	case OR_NOT_FIXED1: return old | 1ull << bit_index(~caps);
	case END: break;
	}
	return old;
}

static void setup_ept(void)
{
	/* 1-GiB identity pages, read/write/execute, WB (SDM Table 29-2) */
	for (unsigned i = 0; i < 4; i++)
		ept_pdpt[i] = (uint64_t)i << 30 | 7 | 6 << 3 | 1 << 7;
	ept_pml4[0] = (uint64_t)ept_pdpt | 7;
	vmwrite(PROC_CONTROLS, vmreadz(PROC_CONTROLS) | PROC_SECONDARY);
	vmwrite(PROC2_CONTROLS, PROC2_EPT);
	vmwrite(EPT_POINTER, (uint64_t)ept_pml4 | 6 | 3 << 3);
}

static void setup_paging(void)
{
	pml4[0] = (uint64_t)pdpt | 7;
	pdpt[0] = 0 | 3 | 0x80;           /* supervisor identity map of the first GiB */
	pdpt[2] = 0 | 7 | 0x80;           /* user alias */
	write_cr3((uint64_t)pml4);
}

/* Fields vmx_setup_vmcs() leaves alone but some case changes: put them back first. */
static const struct {
	uint32_t enc;
	uint64_t value;
} defaults[] = {
	{ VPID, 0 }, { PML_INDEX, 0 }, { IO_BITMAP_A, 0 }, { IO_BITMAP_B, 0 }, { MSR_BITMAP, 0 },
	{ EXIT_MSR_STORE_ADDR, 0 }, { EXIT_MSR_LOAD_ADDR, 0 }, { ENTRY_MSR_LOAD_ADDR, 0 },
	{ PML_ADDRESS, 0 }, { EPT_POINTER, 0 }, { PF_ERROR_MASK, 0 }, { PF_ERROR_MATCH, 0 },
	{ CR3_TARGET_COUNT, 0 }, { EXIT_MSR_STORE_COUNT, 0 }, { EXIT_MSR_LOAD_COUNT, 0 },
	{ ENTRY_MSR_LOAD_COUNT, 0 }, { ENTRY_INTR_INFO, 0 }, { ENTRY_EXCEPTION_ERROR, 0 },
	{ ENTRY_INSN_LEN, 0 }, { PROC2_CONTROLS, 0 }, { GUEST_INTERRUPTIBILITY, 0 },
	{ GUEST_ACTIVITY, 0 }, { GUEST_SYSENTER_CS, 0 }, { PREEMPTION_TIMER, 0 },
	{ HOST_SYSENTER_CS, 0 }, { CR0_MASK, 0 }, { CR4_MASK, 0 }, { CR0_SHADOW, 0 },
	{ CR4_SHADOW, 0 }, { GUEST_LDTR_BASE, 0 }, { GUEST_LDTR_LIMIT, 0 }, { GUEST_DR7_ENC, 0x400 },
	{ GUEST_PENDING_DBG, 0 }, { GUEST_SYSENTER_ESP, 0 }, { GUEST_SYSENTER_EIP, 0 },
	{ GUEST_IA32_DEBUGCTL, 0 }, { HOST_FS_BASE, 0 }, { HOST_GS_BASE, 0 },
	{ HOST_SYSENTER_ESP, 0 }, { HOST_SYSENTER_EIP, 0 },
};

static void fresh_vmcs(void)
{
	vmclear((uint64_t)vcpu.vmcs);
	vmptrld((uint64_t)vcpu.vmcs);
	for (unsigned i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
		vmwrite(defaults[i].enc, defaults[i].value);
	vmx_setup_vmcs((uint64_t)guest_vmcall, (uint64_t)(guest_stack + sizeof guest_stack));
	vcpu.launched = false;
}

/* Reload the data segments (a host SS of 0 is legal for a 64-bit host, 27.2.3). */
static void restore_host_segments(void)
{
	__asm__ volatile("mov %0, %%ss; mov %0, %%ds; mov %0, %%es" : : "r"((uint64_t)SEL_KDATA));
}

static void report_run(uint32_t reason, enum vmx_status s)
{
	if (reason == 0xffffffffu) {
		printk("cf=%u zf=%u", s == VMX_FAIL_INVALID, s == VMX_FAIL_VALID);
		if (s == VMX_FAIL_VALID)
			printk(" err=%lu", vmreadz(VM_INSTRUCTION_ERROR));
		return;
	}
	printk("exit=%u", reason & 0xffff);
	if (reason >> 31)
		printk(" failure qual=%lu", vmreadz(EXIT_QUALIFICATION));
}

static void run_entry_case(const struct entry_case *c)
{
	enum vmx_status s;

	fresh_vmcs();
	if (c->setup & SECONDARY)
		vmwrite(PROC_CONTROLS, vmreadz(PROC_CONTROLS) | PROC_SECONDARY);
	if (c->setup & EPT)
		setup_ept();
	if (c->setup & IF_GATE)
		vmwrite(GUEST_RFLAGS, 0x202);
	for (unsigned i = 0; i < 4 && c->w[i].op != END; i++)
		vmwrite(c->w[i].enc, apply(&c->w[i], vmreadz(c->w[i].enc)));
	uint32_t reason = vmx_run(&vcpu, &s);
	restore_host_segments();
	printk("case %s: ", c->name);
	report_run(reason, s);
	/* Only after a VM exit proper: what an entry failure leaves there is not checked. */
	if ((c->setup & IF_GATE) && reason != 0xffffffffu && !(reason >> 31))
		printk(" entry-intr-info-valid=%lu", vmreadz(ENTRY_INTR_INFO) >> 31);
	printk("\n");
	if ((c->setup & RESUME_AFTER) && reason != 0xffffffffu) {
		/* vmx_run resumes a VMCS it has launched once; the launch state must say otherwise. */
		reason = vmx_run(&vcpu, &s);
		restore_host_segments();
		printk("case %s-then-vmresume: ", c->name);
		report_run(reason, s);
		printk("\n");
	}
}

static void msr_load_cases(void)
{
	char name[64];

	for (unsigned i = 0; i < sizeof msr_entries / sizeof msr_entries[0]; i++) {
		msr_area[1][0] = msr_entries[i].index;
		msr_area[1][1] = msr_entries[i].value;
		struct entry_case c = { name, i == 0 ? RESUME_AFTER : 0,
					{ W(ENTRY_MSR_LOAD_COUNT, SET, 1),
					  A(ENTRY_MSR_LOAD_ADDR, msr_area[1], 0) } };
		const char *p = "entry-msr-load-";
		unsigned n = 0;
		while (*p)
			name[n++] = *p++;
		for (p = msr_entries[i].name; *p && n < sizeof name - 1; p++)
			name[n++] = *p;
		name[n] = 0;
		run_entry_case(&c);
	}
}

/* ---- VMX instructions in non-root operation: each exits (26.1.2, 28.2.1, 28.2.5) ---- */

/*
 * One instruction per case, in this order; the host resumes after each (VM-exit instruction
 * length) and stops at CPUID. The operands are never accessed: the exit comes first.
 */
static const char *const nr_names[] = {
	"vmcall", "vmlaunch", "vmresume", "vmxoff",
	"vmptrld-rbx-disp8", "vmptrld-r12", "vmptrld-r13-disp8", "vmptrld-index-r12-scale4-disp32",
	"vmptrld-rbp", "vmptrld-rsp-disp8", "vmptrld-fs-rax-disp8", "vmptrld-es-rcx-rdx-scale2",
	"vmptrld-addr32-eax", "vmptrld-rip-relative", "vmclear-rsi-rdi-scale8-disp8",
	"vmptrst-r15", "vmxon-r9-disp32", "vmread-reg-rax-to-rbx", "vmread-reg-r10-to-r9",
	"vmread-mem-rcx-to-rdx-rsi-scale2-disp8", "vmwrite-reg-r8-to-r11",
	"vmwrite-mem-r14-disp32-to-rdi", "invept-rdx-disp8-r13", "invvpid-rax-rbx-rcx",
};
__asm__(".text\n"
	"nr_code:\n"
	"  vmcall\n"
	"  vmlaunch\n"
	"  vmresume\n"
	"  vmxoff\n"
	"  vmptrld 0x10(%rbx)\n"
	"  vmptrld (%r12)\n"
	"  vmptrld -8(%r13)\n"
	"  vmptrld 0x12345678(,%r12,4)\n"
	"  vmptrld (%rbp)\n"
	"  vmptrld -0x80(%rsp)\n"
	"  vmptrld %fs:8(%rax)\n"
	"  vmptrld %es:(%rcx,%rdx,2)\n"
	"  addr32 vmptrld (%eax)\n"
	"  vmptrld 0x100(%rip)\n"
	"  vmclear 0x20(%rsi,%rdi,8)\n"
	"  vmptrst (%r15)\n"
	"  vmxon 0x7fffffff(%r9)\n"
	"  vmread %rax, %rbx\n"
	"  vmread %r10, %r9\n"
	"  vmread %rcx, 0x40(%rdx,%rsi,2)\n"
	"  vmwrite %r8, %r11\n"
	"  vmwrite -0x1000(%r14), %rdi\n"
	"  invept 0x18(%rdx), %r13\n"
	"  invvpid (%rax,%rbx,1), %rcx\n"
	"  cpuid\n"
	"nr_vmfunc:\n"
	"  vmfunc\n"
	"  cpuid\n"
	".balign 16\n"
	"nr_user:\n"
	"  vmcall\n"
	"  vmread %rax, %rbx\n"
	"  cpuid\n");

/* Run the guest from 'rip' and report each exit until CPUID (reason 10). */
static void report_exits(const char *const *names, unsigned n)
{
	enum vmx_status s;
	for (unsigned i = 0;; i++) {
		uint32_t reason = vmx_run(&vcpu, &s);
		if (reason == 10 || reason == 0xffffffffu) {
			printk("exits end: reason=%u after %u\n", reason, i);
			return;
		}
		uint64_t rip = vmreadz(GUEST_RIP), len = vmreadz(EXIT_INSN_LEN);
		printk("case exit-%s: reason=%u len=%lu info=%#lx qual=%#lx next=%#lx",
		       i < n ? names[i] : "?", reason, len, vmreadz(EXIT_INSN_INFO),
		       vmreadz(EXIT_QUALIFICATION), rip + len);
		if (reason == 0) {
			/* An exception exit: no instruction length (28.2.5); VMFUNC is 3 bytes. */
			printk(" intr-info=%#lx", vmreadz(EXIT_INTR_INFO));
			len = 3;
		}
		printk("\n");
		vmwrite(GUEST_RIP, rip + len);
	}
}

static void nonroot_cases(void)
{
	static const char *const vmfunc_name[] = { "vmfunc" };
	static const char *const user_names[] = { "cpl3-vmcall", "cpl3-vmread" };

	fresh_vmcs();
	vmwrite(GUEST_RIP, (uint64_t)nr_code);
	report_exits(nr_names, sizeof nr_names / sizeof nr_names[0]);

	/* VMFUNC with "enable VM functions" 0 is #UD (31.3 VMFUNC): exception bitmap bit 6. */
	fresh_vmcs();
	vmwrite(GUEST_RIP, (uint64_t)nr_vmfunc);
	vmwrite(EXCEPTION_BITMAP, 1u << 6);
	report_exits(vmfunc_name, 1);

	/* At CPL 3 in non-root operation VMX instructions still exit (the CPL check comes later). */
	fresh_vmcs();
	vmwrite(GUEST_RIP, USER_ALIAS_OF(nr_user));
	vmwrite(GUEST_RSP, USER_ALIAS_OF(guest_stack + sizeof guest_stack));
	vmwrite(GUEST_CS_SEL, SEL_UCODE);
	vmwrite(GUEST_CS_AR, 0xa0fb);
	vmwrite(GUEST_SS_SEL, SEL_UDATA);
	vmwrite(GUEST_SS_AR, 0xc0f3);
	report_exits(user_names, 2);
}

static void vmx_entry_main(void)
{
	uint32_t a, b, c, d;

	traps_init();
	setup_paging();
	cpuid(0x80000008, 0, &a, &b, &c, &d);
	maxphyaddr = a & 0xff;
	traps_set_gate(0x81, guest_vmcall, 0);
	if (vmx_start(&vcpu) != VMX_OK)
		workload_report(RESULT_ERROR, "cannot enter VMX operation");
	uint32_t rev = (uint32_t)rdmsr(MSR_VMX_BASIC) & 0x7fffffffu, wrong = rev + 1;
	memcpy(link_vmcs, &rev, 4);
	memcpy(bad_rev, &wrong, 4);
	msr_area[0][0] = MSR_SYSENTER_CS;
	msr_area[1][0] = 0xc0000101;
	for (unsigned i = 0; i < sizeof entry_cases / sizeof entry_cases[0]; i++)
		run_entry_case(&entry_cases[i]);
	msr_load_cases();
	nonroot_cases();
	printk("cases done\n");
}

WORKLOAD("vmx: VM-entry checks and VMX-instruction exits", vmx_entry_main);
