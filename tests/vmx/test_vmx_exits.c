/*
 * VM-exit causes end to end. tests/guests/vmx_exits.c is a small hypervisor that makes its guest
 * cause each exit and prints what the CPU recorded as "OBS scenario.field=value"; it judges
 * nothing. The rules are here, one row each, written from the SDM (Vol. 3: 25 VMCS controls;
 * 26.1-26.3 non-root operation; 26.5 preemption timer; 27.6 event injection; 27.7 exits right
 * after VM entry; 28.2-28.3 exit information and saved state; Appendix C exit reasons). A failing
 * row names the rule it checks.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/harness.h"

/* Appendix C, basic exit reasons. */
enum {
	R_EXCEPTION = 0, R_EXTINT = 1, R_TRIPLE = 2, R_WINDOW = 7, R_HLT = 12, R_INVLPG = 14,
	R_RDTSC = 16, R_VMCALL = 18, R_CR = 28, R_IO = 30, R_RDMSR = 31, R_WRMSR = 32, R_TIMER = 52,
};

/* Interruption information (Table 25-17/25-18): vector 7:0, type 10:8, error code 11, valid 31. */
#define VALID (1u << 31)
#define T_EXT 0u
#define T_HW 3u
#define T_SWINT 4u
#define T_SWEXC 6u
#define INFO(type, vec) (VALID | (type) << 8 | (vec))
#define INFO_EC(type, vec) (INFO(type, vec) | 1u << 11)

/* I/O exit qualification (Table 28-5). */
#define IOQ(size, in, string, rep, imm, port)                                               \
	((uint64_t)((size) - 1) | (uint64_t)(in) << 3 | (uint64_t)(string) << 4 |             \
	 (uint64_t)(rep) << 5 | (uint64_t)(imm) << 6 | (uint64_t)(port) << 16)
#define IN 1
#define OUT 0

/* Control-register exit qualification (Table 28-3): CR 3:0, access type 5:4, GPR 11:8. */
#define CRQ(cr, type, gpr) ((uint64_t)(cr) | (uint64_t)(type) << 4 | (uint64_t)(gpr) << 8)
#define MOV_TO_CR 0
#define MOV_FROM_CR 1
#define R10 10
#define R12 12

#define CR0_MP (1ull << 1)
#define CR0_TS (1ull << 3)
#define CR4_PCE (1ull << 8)
#define CR4_VMXE (1ull << 13)

/* Error code naming an IDT entry (SDM Vol. 3, 6.13): index << 3, IDT bit 1, EXT bit 0. */
#define IDT_ERR(vec, ext) ((uint64_t)(vec) << 3 | 2u | (ext))

/*
 * One rule: observation 'key' must equal ((other ? obs(other) : 0) & ~clear | set) + add, in the
 * bits of 'mask' (all bits if 0).
 */
struct rule {
	const char *key, *other;
	uint64_t set, clear;
	int64_t add;
	uint64_t mask;
	const char *why;
};

#define IS(k, v, why) { k, NULL, v, 0, 0, 0, why }
#define SAME(k, o, why) { k, o, 0, 0, 0, 0, why }
#define PLUS(k, o, n, why) { k, o, 0, 0, n, 0, why }
#define BITS(k, o, s, c, why) { k, o, s, c, 0, 0, why }
#define MASKED(k, v, m, why) { k, NULL, v, 0, 0, m, why }

static const struct rule rules[] = {
	/* 26.2 exceptions and the exception bitmap; 28.2.2 exit interruption information. */
	IS("ud.reason", R_EXCEPTION,
	     "26.2: #UD with bit 6 of the exception bitmap set exits (reason 0)"),
	IS("ud.intr_info", INFO(T_HW, 6),
	     "28.2.2: #UD from UD2 is a hardware exception (type 3), vector 6, no error code"),
	SAME("ud.rip", "ud.at",
	     "28.3.3: an exception exit saves the RIP the fault would push: the UD2"),
	IS("ud.idt_vec", 0,
	     "28.2.3: no event was being delivered: IDT-vectoring information invalid"),
	IS("ud_nobit.reason", R_VMCALL,
	     "26.2: #UD with its bitmap bit clear is delivered through the guest IDT (its handler's VMCALL exits)"),
	IS("ud_nobit.h_vector", 6, "26.2: the guest's #UD handler runs"),
	SAME("ud_nobit.h_w0", "ud_nobit.at", "6.14: the #UD frame holds the RIP of the UD2"),
	IS("bp.reason", R_EXCEPTION, "26.2: INT3 with bit 3 set exits"),
	IS("bp.intr_info", INFO(T_SWEXC, 3),
	     "28.2.2: INT3 raises a software exception (type 6), vector 3"),
	IS("bp.len", 1,
	     "28.2.4: an exit due to a software exception reports the instruction length (INT3: 1)"),
	SAME("bp.rip", "bp.at",
	     "28.3.3: RIP references the INT3 that caused the software exception"),
	IS("int_n3.reason", R_VMCALL,
	     "26.2: INT n is not an exception: INT 3 (CD 03) ignores bit 3 of the bitmap"),
	IS("int_n3.h_vector", 3, "INT 3 (CD 03) is delivered through the guest IDT"),
	SAME("int_n3.h_w0", "int_n3.after", "INT n pushes the address of the next instruction"),
	IS("gp.reason", R_EXCEPTION, "26.2: #GP with bit 13 set exits"),
	IS("gp.intr_info", INFO_EC(T_HW, 13), "28.2.2: #GP delivers an error code: bit 11 set"),
	IS("gp.intr_error", 0,
	     "28.2.2: the exit interruption error code holds #GP's error code (0: non-canonical address)"),
	SAME("gp.rip", "gp.at", "28.3.3: RIP references the faulting instruction"),

	/* 26.2 #PF: bit 14 and PFEC_MASK/PFEC_MATCH; Table 28-1; 28.1 CR2 not written. */
	IS("pf_all.reason", R_EXCEPTION, "26.2: bit 14 = 1, (PFEC & 0) == 0 matches: #PF exits"),
	IS("pf_all.intr_info", INFO_EC(T_HW, 14),
	     "28.2.2: #PF: type 3, vector 14, error code valid"),
	IS("pf_all.intr_error", 0, "28.2.2: PFEC of a supervisor read of a not-present page is 0"),
	SAME("pf_all.qual", "pf.va",
	     "Table 28-1: the exit qualification of a #PF exit is the linear address"),
	SAME("pf_all.cr2_after", "pf.cr2_sentinel",
	     "28.1: a #PF that causes a VM exit does not load CR2"),
	SAME("pf_all.rip", "pf_all.at", "28.3.3: RIP references the faulting instruction"),
	IS("pf_read_nomatch1.reason", R_VMCALL,
	     "26.2: bit 14 = 1 but (PFEC & MASK) != MATCH: no exit"),
	IS("pf_read_nomatch1.h_vector", 14, "26.2: the #PF is delivered through the guest IDT"),
	IS("pf_read_nomatch1.h_w0", 0, "6.15: the delivered #PF pushes its error code"),
	SAME("pf_read_nomatch1.h_cr2", "pf.va", "a #PF delivered through the IDT loads CR2"),
	IS("pf_write_match1.reason", R_EXCEPTION,
	     "26.2: bit 14 = 1 and (PFEC & MASK) == MATCH: exit"),
	IS("pf_write_match1.intr_error", 2,
	     "28.2.2: PFEC of a supervisor write to a not-present page is 2"),
	SAME("pf_write_match1.qual", "pf.va",
	     "Table 28-1: qualification = faulting linear address"),
	SAME("pf_write_match1.cr2_after", "pf.cr2_sentinel", "28.1: CR2 unchanged"),
	IS("pf_write_match0.reason", R_VMCALL, "26.2: bit 14 = 0 and the PFEC matches: no exit"),
	IS("pf_write_match0.h_w0", 2, "the delivered #PF carries PFEC 2"),
	IS("pf_read_nomatch0.reason", R_EXCEPTION,
	     "26.2: bit 14 = 0 and the PFEC does not match: exit"),
	SAME("pf_read_nomatch0.qual", "pf.va",
	     "Table 28-1: qualification = faulting linear address"),

	/* 26.2 triple fault. */
	IS("triple.reason", R_TRIPLE,
	     "26.2: a triple fault in non-root operation is a VM exit (reason 2)"),
	IS("triple.host_alive", 1, "26.2: ... not a shutdown: the host runs on after it"),

	/* 26.1.3 I/O instructions and bitmaps; Table 28-5. */
	IS("io_outb_imm.reason", R_IO, "26.1.3: unconditional I/O exiting: OUT exits"),
	IS("io_outb_imm.qual", IOQ(1, OUT, 0, 0, 1, 0x80),
	     "Table 28-5: 1 byte, OUT, immediate operand, port 80H"),
	IS("io_outb_imm.len", 2, "28.2.4: OUT imm8, AL is 2 bytes"),
	IS("io_outw_imm.qual", IOQ(2, OUT, 0, 0, 1, 0x80),
	     "Table 28-5: size field 1 means 2 bytes"),
	IS("io_outw_imm.len", 3, "28.2.4: 66 E7 ib is 3 bytes"),
	IS("io_inl_dx.qual", IOQ(4, IN, 0, 0, 0, 0x1234),
	     "Table 28-5: 4 bytes, IN, port in DX (bit 6 = 0)"),
	IS("io_inl_dx.len", 1, "28.2.4: IN EAX, DX is 1 byte"),
	IS("io_rep_outsb.qual", IOQ(1, OUT, 1, 1, 0, 0x1234),
	     "Table 28-5: string (bit 4) and REP (bit 5)"),
	IS("io_rep_outsb.len", 2, "28.2.4: REP OUTSB is 2 bytes"),
	IS("io_insw.qual", IOQ(2, IN, 1, 0, 0, 0x1234),
	     "Table 28-5: INSW: 2 bytes, IN, string, no REP"),
	IS("io_none.reason", R_VMCALL,
	     "26.1.3: with neither I/O control set, IN executes without an exit"),
	IS("iobm_a_set.reason", R_IO, "26.1.3: bitmap A bit for port 1234H set: exit"),
	IS("iobm_a_set.qual", IOQ(1, IN, 0, 0, 0, 0x1234), "Table 28-5 for the bitmap exit"),
	IS("iobm_a_clear.reason", R_VMCALL,
	     "26.1.3: bit clear: no exit; \"unconditional I/O exiting\" is ignored with \"use I/O bitmaps\""),
	IS("iobm_b_set.reason", R_IO, "26.1.3: bitmap B covers 8000H-FFFFH: port 9000H's bit set"),
	IS("iobm_b_clear.reason", R_VMCALL, "26.1.3: port 9001H's bit clear: no exit"),
	IS("iobm_span_b.reason", R_IO,
	     "26.1.3: a 4-byte access 8FFEH-9001H exits if any of its ports' bits is set"),
	IS("iobm_span_ab.reason", R_IO,
	     "26.1.3: 7FFEH-8001H spans bitmaps A and B; port 8000H's bit (in B) set"),
	IS("iobm_l_clear.reason", R_VMCALL,
	     "26.1.3: a 4-byte access with all four bits clear does not exit"),
	IS("iobm_wrap.reason", R_IO, "26.1.3: an access that wraps past port FFFFH exits"),

	/* 26.1.3 RDMSR/WRMSR, 25.6.9 MSR bitmaps. */
	IS("msr_rd_nobm.reason", R_RDMSR,
	     "26.1.3: without \"use MSR bitmaps\" every RDMSR exits (reason 31)"),
	IS("msr_rd_nobm.len", 2, "28.2.4: RDMSR is 2 bytes"),
	IS("msr_wr_nobm.reason", R_WRMSR,
	     "26.1.3: without MSR bitmaps every WRMSR exits (reason 32)"),
	IS("msr_rd_low_set.reason", R_RDMSR,
	     "25.6.9: read bitmap for low MSRs (bytes 0-1023), bit 174H set"),
	IS("msr_rd_low_clear.reason", R_VMCALL, "25.6.9: read-low bit 175H clear: no exit"),
	IS("msr_wr_low_readbit.reason", R_VMCALL,
	     "25.6.9: write bitmaps are separate: 174H's read bit does not make WRMSR exit"),
	IS("msr_wr_low_set.reason", R_WRMSR,
	     "25.6.9: write bitmap for low MSRs (bytes 2048-3071), bit 176H set"),
	IS("msr_rd_high_set.reason", R_RDMSR,
	     "25.6.9: read bitmap for high MSRs (bytes 1024-2047), C0000080H set"),
	IS("msr_rd_high_clear.reason", R_VMCALL, "25.6.9: read-high bit C0000081H clear: no exit"),
	IS("msr_wr_high_set.reason", R_WRMSR,
	     "25.6.9: write bitmap for high MSRs (bytes 3072-4095), C0000102H set"),
	IS("msr_wr_high_clear.reason", R_VMCALL, "25.6.9: write-high bit C0000084H clear: no exit"),
	IS("msr_rd_out_low.reason", R_RDMSR,
	     "26.1.3: RDMSR of 2000H (outside 0-1FFFH and C0000000H-C0001FFFH) always exits"),
	IS("msr_rd_out_high.reason", R_RDMSR,
	     "26.1.3: RDMSR of C0002000H (outside both ranges) always exits"),
	IS("msr_wr_out.reason", R_WRMSR,
	     "26.1.3: WRMSR of 40000000H (outside both ranges) always exits"),

	/* 26.1.3 MOV CR, 26.3 guest/host masks and read shadows, Table 28-3. */
	IS("cr0_read.reason", R_VMCALL, "26.1.3: MOV from CR0 never exits"),
	BITS("cr0_read.rax", "cr0.real", CR0_TS, 0,
	     "26.3: MOV from CR0 reads masked bits (TS) from the shadow, the others from CR0"),
	IS("cr0_write_shadow.reason", R_VMCALL,
	     "26.1.3: MOV to CR0 whose masked bits equal the shadow does not exit"),
	SAME("cr0_write_shadow.guest_cr0", "cr0.real",
	     "26.3: ... and leaves the host-owned bits unchanged (TS stays 0)"),
	IS("cr0_write_differ.reason", R_CR,
	     "26.1.3: MOV to CR0 setting a masked bit to a value other than the shadow's exits"),
	IS("cr0_write_differ.qual", CRQ(0, MOV_TO_CR, R10),
	     "Table 28-3: CR0, MOV to CR (type 0), source R10"),
	IS("cr0_write_differ.len", 4, "28.2.4: MOV CR0, R10 is 4 bytes"),
	SAME("cr0_write_differ.guest_cr0", "cr0.real", "28.1: the exiting MOV does not change CR0"),
	IS("cr0_write_unmasked.reason", R_VMCALL,
	     "26.1.3: changing only a guest-owned bit (MP) does not exit"),
	BITS("cr0_write_unmasked.guest_cr0", "cr0.real", 0, CR0_MP,
	     "26.3: ... and the guest-owned bit changes"),
	IS("cr4_read.reason", R_VMCALL, "26.1.3: MOV from CR4 never exits"),
	BITS("cr4_read.rax", "cr4.real", CR4_PCE, CR4_VMXE,
	     "26.3: masked CR4 bits read from the shadow (VMXE 0, PCE 1)"),
	IS("cr4_write_shadow.reason", R_VMCALL,
	     "26.1.3: MOV to CR4 equal to the shadow in masked bits does not exit"),
	SAME("cr4_write_shadow.guest_cr4", "cr4.real", "26.3: host-owned VMXE stays 1 and PCE 0"),
	IS("cr4_write_differ.reason", R_CR,
	     "26.1.3: MOV to CR4 with VMXE 1 where the shadow has 0 exits"),
	IS("cr4_write_differ.qual", CRQ(4, MOV_TO_CR, R10), "Table 28-3: CR4, MOV to CR, R10"),
	IS("cr3_load_notarget.reason", R_CR,
	     "26.1.3: CR3-load exiting with CR3-target count 0: every MOV to CR3 exits"),
	IS("cr3_load_notarget.qual", CRQ(3, MOV_TO_CR, R10), "Table 28-3: CR3, MOV to CR, R10"),
	IS("cr3_load_target0.reason", R_VMCALL,
	     "26.1.3: no exit when the value equals CR3-target value 0"),
	IS("cr3_load_target1.reason", R_VMCALL,
	     "26.1.3: ... or any of the first 'count' target values"),
	IS("cr3_load_nomatch.reason", R_CR, "26.1.3: a value matching no target exits"),
	IS("cr3_load_off.reason", R_VMCALL,
	     "26.1.3: without CR3-load exiting MOV to CR3 does not exit"),
	IS("cr3_store.reason", R_CR, "26.1.3: CR3-store exiting: MOV from CR3 exits"),
	IS("cr3_store.qual", CRQ(3, MOV_FROM_CR, R12),
	     "Table 28-3: CR3, MOV from CR (type 1), destination R12"),
	IS("cr3_store.len", 4, "28.2.4: MOV R12, CR3 is 4 bytes"),
	IS("cr3_store_off.reason", R_VMCALL,
	     "26.1.3: without CR3-store exiting MOV from CR3 does not exit"),
	SAME("cr3_store_off.r12", "cr3.real", "26.3: ... and reads CR3 itself"),

	/* 26.1.3 HLT, RDTSC, INVLPG. */
	IS("hlt.reason", R_HLT, "26.1.3: HLT exiting: HLT exits (reason 12)"),
	IS("hlt.len", 1, "28.2.4: HLT is 1 byte"),
	SAME("hlt.rip", "hlt.at", "28.3.3: RIP references the HLT"),
	IS("hlt_off.reason", R_TIMER,
	     "26.1.3: without HLT exiting the guest halts; the preemption timer counts in HLT (26.5.1) and exits"),
	SAME("hlt_off.rip", "hlt_off.after", "28.3.3: the HLT completed: RIP past it"),
	IS("hlt_off_cli.reason", R_TIMER,
	     "26.5.1: a halt with RFLAGS.IF = 0 still ends in the preemption-timer exit"),
	SAME("hlt_off_cli.rip", "hlt_off_cli.after", "28.3.3: RIP past the HLT"),
	IS("rdtsc_exit.reason", R_RDTSC, "26.1.3: RDTSC exiting: RDTSC exits (reason 16)"),
	IS("rdtsc_exit.len", 2, "28.2.4: RDTSC is 2 bytes"),
	IS("invlpg.reason", R_INVLPG, "26.1.3: INVLPG exiting: INVLPG exits (reason 14)"),
	SAME("invlpg.qual", "invlpg.va",
	     "28.2.1: the exit qualification of INVLPG is the linear-address operand"),
	IS("invlpg.len", 3, "28.2.4: INVLPG (%rbx) is 3 bytes"),
	IS("invlpg_off.reason", R_VMCALL, "26.1.3: without INVLPG exiting INVLPG does not exit"),

	/* 26.5.1 VMX-preemption timer; 28.3.4 saving it. Counts: see the checks below. */
	IS("timer64.reason", R_TIMER,
	     "26.5.1: the VMX-preemption timer reaching 0 exits (reason 52)"),
	IS("timer0.reason", R_TIMER, "27.7.4: a timer value of 0 at VM entry exits ..."),
	IS("timer0.rax", 0, "27.7.4: ... before any guest instruction executes"),
	SAME("timer0.rip", "timer0.start", "27.7.4: ... RIP is the entry RIP"),
	IS("timer_save.reason", R_VMCALL, "the guest reached its VMCALL before the timer"),
	IS("timer_nosave.field", 1000,
	     "28.3.4: without \"save VMX-preemption timer value\" the field is not written"),

	/* 27.6 event injection. */
	IS("inj_ud.h_vector", 6, "27.6: an injected #UD is delivered through the guest IDT"),
	SAME("inj_ud.h_w0", "inj_ud.entry_rip",
	     "27.6.1.1: a hardware exception pushes the guest RIP"),
	IS("inj_ud.entry_info_after", INFO(T_HW, 6) & ~VALID,
	     "28.2.5: every VM exit clears the valid bit of the VM-entry interruption information"),
	IS("inj_gp.h_vector", 13, "27.6: an injected #GP is delivered"),
	IS("inj_gp.h_w0", 0x1234, "27.6.1.1: with the VM-entry exception error code"),
	SAME("inj_gp.h_w1", "inj_gp.entry_rip", "27.6.1.1: ... and the guest RIP"),
	IS("inj_soft_int.h_vector", 0x41,
	     "27.6: an injected software interrupt (type 4) is delivered"),
	PLUS("inj_soft_int.h_w0", "inj_soft_int.entry_rip", 2,
	     "27.6.1.1: pushing guest RIP + VM-entry instruction length"),
	IS("inj_soft_bp.h_vector", 3, "27.6: an injected software exception (type 6) is delivered"),
	PLUS("inj_soft_bp.h_w0", "inj_soft_bp.entry_rip", 1,
	     "27.6.1.1: pushing guest RIP + VM-entry instruction length"),
	IS("inj_ext.h_vector", 0x42, "27.6: an injected external interrupt (IF = 1) is delivered"),
	SAME("inj_ext.h_w0", "inj_ext.entry_rip", "27.6.1.1: pushing the guest RIP"),
	IS("inj_ext.h_w2", 0x202, "27.6.1.1: and RFLAGS as loaded from the guest-state area"),

	/* 28.2.3 IDT-vectoring information. */
	IS("vec_ud_np.reason", R_EXCEPTION,
	     "26.2: #NP raised while delivering #UD exits (bit 11 set)"),
	IS("vec_ud_np.intr_info", INFO_EC(T_HW, 11),
	     "28.2.2: exit interruption information names the #NP"),
	IS("vec_ud_np.intr_error", IDT_ERR(6, 1),
	     "6.13: #NP error code: IDT entry 6, IDT bit, EXT (a hardware event)"),
	IS("vec_ud_np.idt_vec", INFO(T_HW, 6),
	     "28.2.3: IDT-vectoring information names the #UD being delivered"),
	SAME("vec_ud_np.rip", "vec_ud_np.at", "28.3.3: RIP references the UD2"),
	IS("vec_int_np.intr_error", IDT_ERR(0x41, 0), "6.13: EXT is 0 while delivering INT n"),
	IS("vec_int_np.idt_vec", INFO(T_SWINT, 0x41),
	     "28.2.3: the INT 41H being delivered, type 4 (software interrupt)"),
	IS("vec_int_np.len", 2,
	     "28.2.4: a fault during delivery of a software interrupt reports its instruction length"),
	SAME("vec_int_np.rip", "vec_int_np.at",
	     "28.3.3: the #NP is a fault of the INT n: RIP references it"),
	IS("vec_inj_np.idt_vec", INFO(T_HW, 6),
	     "28.2.3: an injected event whose delivery exits is reported as IDT vectoring"),
	IS("vec_inj_np.intr_error", IDT_ERR(6, 1), "6.13: #NP error code for IDT entry 6"),
	SAME("vec_inj_np.rip", "vec_inj_np.entry_rip", "28.3.3: RIP is the guest RIP of the entry"),

	/* 26.2 external interrupts and interrupt window, 28.2.2 acknowledge on exit, 27.7.5. */
	IS("extint_ack.reason", R_EXTINT,
	     "26.2: external-interrupt exiting: the APIC timer interrupt exits (reason 1) even with RFLAGS.IF = 0"),
	IS("extint_ack.intr_info", INFO(T_EXT, 0x40),
	     "28.2.2: with \"acknowledge interrupt on exit\" the vector is in the exit interruption information"),
	IS("extint_ack.irr", 0, "28.2.2: the interrupt was acknowledged: no longer requested ..."),
	IS("extint_ack.isr", 1, "... but in service"),
	IS("extint_ack.host_ticks", 0, "26.2: the interrupt is not delivered through the IDT"),
	MASKED("extint_noack.intr_info", 0, VALID,
	     "28.2.2: without acknowledge on exit the exit interruption information is invalid"),
	IS("extint_noack.reason", R_EXTINT,
	     "26.2: external-interrupt exiting without acknowledge: reason 1"),
	IS("extint_noack.irr", 1, "28.2.2: the interrupt stays pending ..."),
	IS("extint_noack.host_ticks", 1, "... and the host takes it when it sets IF"),
	IS("extint_guest.reason", R_VMCALL,
	     "26.2: without external-interrupt exiting the interrupt does not exit ..."),
	IS("extint_guest.ticks", 1, "... it is delivered through the guest IDT"),
	IS("window_open.reason", R_WINDOW,
	     "27.7.5: interrupt-window exiting with RFLAGS.IF = 1 exits (reason 7) ..."),
	IS("window_open.rax", 0, "27.7.5: ... before any guest instruction"),
	SAME("window_open.rip", "window_open.start", "27.7.5: ... at the entry RIP"),
	IS("window_sti.reason", R_WINDOW,
	     "26.2: interrupt window: an exit at the first instruction boundary with IF = 1 and no STI/MOV SS blocking"),
	SAME("window_sti.rip", "window_sti.open_at",
	     "26.2 / STI: after STI, blocking lasts one instruction: the exit comes after the next one"),
	IS("window_sti.rax", 2,
	     "26.2: the instruction in the STI shadow ran, the one after it did not"),

	IS("done.all", 1, "the test hypervisor ran every scenario"),
};

static const char *const image = "tests/guests/vmx_exits.elf";

struct obs {
	char key[64];
	uint64_t value;
};
static struct obs obs[2048];
static unsigned nobs;
static struct run_result run;

/* Run the guest once (in the runner process, before the tests fork) and collect its OBS lines. */
static void run_guest(void)
{
	const char *args[] = { "run", build_path(image), NULL };

	run_hvsim(&run, args);
	for (const char *p = run.out; (p = strstr(p, "OBS ")) && nobs < sizeof obs / sizeof obs[0]; p++) {
		const char *eq = strchr(p, '=');
		size_t len = eq ? (size_t)(eq - p - 4) : 0;
		if (!eq || len >= sizeof obs[0].key)
			continue;
		memcpy(obs[nobs].key, p + 4, len);
		obs[nobs].key[len] = 0;
		obs[nobs].value = strtoull(eq + 1, NULL, 0);
		nobs++;
	}
}

static void free_run(void)
{
	run_result_free(&run);
}

static bool lookup(const char *key, uint64_t *v)
{
	for (unsigned i = 0; i < nobs; i++)
		if (!strcmp(obs[i].key, key)) {
			*v = obs[i].value;
			return true;
		}
	return false;
}

static uint64_t need(const char *key)
{
	uint64_t v = 0;
	ck_assert_msg(lookup(key, &v), "no observation '%s' (exit %d)\n%s\n%s", key, run.exit_code,
		      run.out, run.err);
	return v;
}

START_TEST(guest_ran)
{
	ck_assert_msg(run.exit_code == 0, "exit %d\n%s\n%s", run.exit_code, run.out, run.err);
	ck_assert_ptr_nonnull(strstr(run.out, "Test result: SUCCESS"));
}
END_TEST

START_TEST(rule)
{
	const struct rule *r = &rules[_i];
	uint64_t got = need(r->key), mask = r->mask ? r->mask : ~0ull;
	uint64_t want = ((r->other ? need(r->other) : 0) & ~r->clear) | r->set;

	want += (uint64_t)r->add;
	ck_assert_msg((got & mask) == (want & mask), "%s: %s = %#" PRIx64 ", expected %#" PRIx64,
		      r->why, r->key, got, want);
}
END_TEST

/*
 * 26.5.1: the timer counts down by 1 each time bit X (IA32_VMX_MISC[4:0]) of the TSC changes,
 * and the TSC counts retired instructions here (README): from value N it reaches 0 after
 * between (N - 1) * 2^X + 1 and N * 2^X instructions, whatever the TSC's phase at entry. The
 * guest loop is 2 instructions (INC, JMP); RAX counts the INCs. One iteration of slack each way
 * for where in the loop the exit lands.
 */
START_TEST(preemption_timer_count)
{
	uint64_t rate = need("misc.rate"), n = need("timer64.value"), count = need("timer64.rax");
	uint64_t lo = ((n - 1) << rate) / 2, hi = (n << rate) / 2 + 1;

	ck_assert_msg(count >= lo && count <= hi,
		      "26.5.1: timer %" PRIu64 " at rate 2^%" PRIu64 ": %" PRIu64
		      " loop iterations, expected %" PRIu64 "..%" PRIu64, n, rate, count, lo, hi);
}
END_TEST

/*
 * 28.3.4: "save VMX-preemption timer value" stores the remaining count. The guest ran K
 * iterations of a 3-instruction loop (INC, CMP, JNE) and a VMCALL from timer value 1000: E = 3K
 * + 1 instructions, which decrement the timer floor(E / 2^X) or ceil(E / 2^X) times.
 */
START_TEST(preemption_timer_saved)
{
	uint64_t rate = need("misc.rate"), k = need("timer_save.rax"), saved = need("timer_save.saved");
	uint64_t e = 3 * k + 1, lo = 1000 - ((e + (1u << rate) - 1) >> rate), hi = 1000 - (e >> rate);

	ck_assert_msg(saved >= lo && saved <= hi,
		      "28.3.4: saved timer %" PRIu64 " after %" PRIu64 " instructions, expected %" PRIu64
		      "..%" PRIu64, saved, e, lo, hi);
}
END_TEST

/*
 * 26.3 / 25.6.5: with "use TSC offsetting", RDTSC (and RDMSR of IA32_TIME_STAMP_COUNTER) in the
 * guest returns the TSC plus the offset (mod 2^64): between the host's reads before VM entry
 * and after the exit. Without the control the offset is not added.
 */
START_TEST(tsc_offsetting)
{
	static const struct {
		const char *name;
		bool offset;
	} cases[] = { { "tsc_offset", true }, { "tsc_offset_neg", true }, { "tsc_msr", true },
		      { "tsc_nooffset", false } };
	char k[64];

	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *n = cases[i].name;
		snprintf(k, sizeof k, "%s.guest", n);
		uint64_t guest = need(k);
		snprintf(k, sizeof k, "%s.offset", n);
		uint64_t tsc = guest - (cases[i].offset ? need(k) : 0);
		snprintf(k, sizeof k, "%s.host_before", n);
		uint64_t before = need(k);
		snprintf(k, sizeof k, "%s.host_after", n);
		uint64_t after = need(k);
		ck_assert_msg(tsc >= before && tsc <= after,
			      "26.3: %s: guest TSC %#" PRIx64 " minus offset is %#" PRIx64
			      ", not within the host's %#" PRIx64 "..%#" PRIx64, n, guest, tsc, before, after);
	}
}
END_TEST

START_TEST(exits_are_deterministic)
{
	expect_deterministic_run(image);
}
END_TEST

Suite *suite_vmx_exits(void)
{
	Suite *s = suite_create("vmx/exits");
	TCase *tc = tcase_create("exits");
	tcase_add_unchecked_fixture(tc, run_guest, free_run);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, guest_ran);
	tcase_add_loop_test(tc, rule, 0, (int)(sizeof rules / sizeof rules[0]));
	tcase_add_test(tc, preemption_timer_count);
	tcase_add_test(tc, preemption_timer_saved);
	tcase_add_test(tc, tsc_offsetting);
	tcase_add_test(tc, exits_are_deterministic);
	suite_add_tcase(s, tc);
	return s;
}
