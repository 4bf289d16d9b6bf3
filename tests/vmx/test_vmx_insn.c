/*
 * The VMX instructions and the VM-entry checks, one table row per rule of the SDM (Vol. 3):
 * 31.2 conventions, 31.3 "VMX Instructions" (each instruction's Operation section), 31.4 "VM
 * Instruction Error Numbers", 27.2 "Checks on VMX Controls and Host-State Area" (VMfailValid 7
 * and 8), 27.3.1 "Checks on the Guest State Area" and 27.4 "Loading MSRs" (VM exits 33 and 34,
 * 27.8), 26.1.2 (VMX instructions exit unconditionally in non-root operation) with 28.2.1 (exit
 * qualification) and 28.2.5 (instruction length and information). Expected values are written
 * here from the SDM; the guests (tests/guests/vmx_insn.c, vmx_entry.c) only report what happened.
 * A failure names every row that broke, with its rule. A VM exit (including a failed entry, 33
 * and 34) is reported only if the host resumed at HOST_RIP: vmx_run() of workloads/lib/vmx.c
 * returns an exit reason only through vmx_exit_host, the HOST_RIP vmx_setup_vmcs() writes.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/harness.h"

enum { BDW = 1, NOPML = 2, HSW = 4, ALL = 7 };
static const char *const profiles[] = { "broadwell-ep", "broadwell-ep-nopml", "haswell-ep" };
#define PROFILES 3

struct row {
	const char *name;
	unsigned profiles; /* where this expectation holds (0: ALL) */
	const char *expect;
	const char *rule;
};

/* Outcomes in the guests' notation (31.2: VMsucceed, VMfailInvalid, VMfailValid(n)). */
#define OK "cf=0 zf=0"
#define FAIL_INVALID "cf=1 zf=0"
#define FAIL(n) "cf=0 zf=1 err=" #n
#define UD "vector=6 error=0x0"
#define GP0 "vector=13 error=0x0"
#define PF(err) "vector=14 error=" err " cr2=0x40000000"
#define ALL_ONES "0xffffffffffffffff"

/* ---- tests/guests/vmx_insn.c: instruction results ---- */

static const struct row insn_rows[] = {
	{ "fc-reset-value", 0, "value=0x0", "24.7: IA32_FEATURE_CONTROL is cleared to 0 at reset" },
	{ "vmxon-cr4-vmxe-0", 0, UD, "VMXON: #UD if CR4.VMXE = 0" },
	{ "vmptrld-cr4-vmxe-0", 0, UD, "VMPTRLD: #UD if not in VMX operation" },
	{ "vmcall-outside-vmx", 0, UD, "VMCALL: #UD if not in VMX operation" },
	{ "vmread-outside-vmx", 0, UD, "VMREAD: #UD if not in VMX operation" },
	{ "vmxoff-outside-vmx", 0, UD, "VMXOFF: #UD if not in VMX operation" },
	{ "vmlaunch-outside-vmx", 0, UD, "VMLAUNCH: #UD if not in VMX operation" },
	{ "invept-outside-vmx", 0, UD, "INVEPT: #UD if not in VMX operation" },
	{ "vmxon-fc-unlocked", 0, GP0, "VMXON: #GP(0) if IA32_FEATURE_CONTROL bit 0 (lock) is clear" },
	{ "fc-locked-wrmsr", 0, GP0, "24.7: WRMSR to a locked IA32_FEATURE_CONTROL is #GP" },
	{ "vmxon-cpl3", 0, GP0, "VMXON: #GP(0) outside VMX operation if CPL > 0" },
	{ "vmxon-cr0-ne-0", 0, GP0, "VMXON: #GP(0) if CR0 is not supported in VMX operation (FIXED0: NE)" },
	{ "vmxon-unaligned", 0, FAIL_INVALID, "VMXON: VMfailInvalid if the pointer is not 4K-aligned" },
	{ "vmxon-beyond-width", 0, FAIL_INVALID,
	  "VMXON: VMfailInvalid if the pointer sets bits beyond the physical-address width" },
	{ "vmxon-bad-revision", 0, FAIL_INVALID,
	  "VMXON: VMfailInvalid if rev[30:0] is not the VMCS revision identifier" },
	{ "vmxon-revision-bit31", 0, FAIL_INVALID, "VMXON: VMfailInvalid if rev[31] = 1" },
	{ "vmxon", 0, OK, "VMXON: VMsucceed (and 31.2: CF PF AF ZF SF OF cleared)" },
	{ "vmptrst-no-vmcs", 0, OK " value=" ALL_ONES,
	  "VMXON leaves no current VMCS: VMPTRST stores FFFFFFFF_FFFFFFFFH" },
	{ "vmxon-in-root-no-vmcs", 0, FAIL_INVALID,
	  "VMXON in root: VMfail(15), VMfailInvalid without a current VMCS (31.2)" },
	{ "vmread-no-vmcs", 0, FAIL_INVALID, "VMREAD: VMfailInvalid if the current-VMCS pointer is invalid" },
	{ "vmwrite-no-vmcs", 0, FAIL_INVALID, "VMWRITE: VMfailInvalid if the current-VMCS pointer is invalid" },
	{ "vmlaunch-no-vmcs", 0, FAIL_INVALID, "VMLAUNCH: VMfailInvalid if the current-VMCS pointer is invalid" },
	{ "vmresume-no-vmcs", 0, FAIL_INVALID, "VMRESUME: VMfailInvalid if the current-VMCS pointer is invalid" },
	{ "vmcall-no-vmcs", 0, FAIL_INVALID, "VMCALL in root: VMfail(1), VMfailInvalid without a current VMCS" },
	{ "vmclear-unaligned-no-vmcs", 0, FAIL_INVALID, "VMCLEAR: VMfail(2) is VMfailInvalid without a current VMCS" },
	{ "vmptrld-vmxon-pointer-no-vmcs", 0, FAIL_INVALID,
	  "VMPTRLD: VMfail(10) is VMfailInvalid without a current VMCS" },
	{ "invept-type3-no-vmcs", 0, FAIL_INVALID, "INVEPT: VMfail(28) is VMfailInvalid without a current VMCS" },
	{ "vmwrite-no-vmcs-operand-not-present", 0, FAIL_INVALID,
	  "VMWRITE: the memory source is read only after the VMCS pointer is found valid" },
	{ "vmptrld-operand-not-present", 0, PF("0x0"), "VMPTRLD: #PF reading the memory operand" },
	{ "vmclear", 0, OK, "VMCLEAR: VMsucceed" },
	{ "vmptrld", 0, OK, "VMPTRLD: VMsucceed" },
	{ "vmptrst", 0, OK " value-is-vmcs=1", "VMPTRST: stores the current-VMCS pointer" },
	{ "vmxon-in-root", 0, FAIL(15), "VMXON in VMX root operation: VMfailValid(15)" },
	{ "vmcall-in-root", 0, FAIL(1), "VMCALL in VMX root operation: VMfailValid(1)" },
	{ "vmclear-unaligned", 0, FAIL(2), "VMCLEAR: not 4K-aligned: VMfailValid(2)" },
	{ "vmclear-beyond-width", 0, FAIL(2), "VMCLEAR: beyond the physical-address width: VMfailValid(2)" },
	{ "vmclear-vmxon-pointer", 0, FAIL(3), "VMCLEAR with the VMXON pointer: VMfailValid(3)" },
	{ "vmptrld-unaligned", 0, FAIL(9), "VMPTRLD: not 4K-aligned: VMfailValid(9)" },
	{ "vmptrld-beyond-width", 0, FAIL(9), "VMPTRLD: beyond the physical-address width: VMfailValid(9)" },
	{ "vmptrld-vmxon-pointer", 0, FAIL(10), "VMPTRLD with the VMXON pointer: VMfailValid(10)" },
	{ "vmptrld-bad-revision", 0, FAIL(11), "VMPTRLD: wrong revision identifier: VMfailValid(11)" },
	{ "vmptrld-revision-bit31", 0, FAIL(11),
	  "VMPTRLD: rev[31] = 1 without VMCS shadowing: VMfailValid(11)" },
	{ "vmptrst-after-failures", 0, OK " value-is-vmcs=1", "failed VMCLEAR/VMPTRLD keep the current VMCS" },
	{ "vmptrld-fs-rip-relative", 0, OK " value-is-operand=1",
	  "VMPTRLD m64: FS base + RIP-relative address (Vol. 1, 3.7.5.1), 64-bit operand read there" },
	{ "vmx-misc-bit29", 0, "value=0x0",
	  "A.6: IA32_VMX_MISC[29] = 0: VMWRITE may not write VM-exit information fields" },
	{ "vmwrite-w16-all-ones", 0, OK " read=0xffff", "25.11.2: a 16-bit field keeps bits 15:0 of the source" },
	{ "vmwrite-w32-all-ones", 0, OK " read=0xffffffff", "25.11.2: a 32-bit field keeps bits 31:0" },
	{ "vmwrite-w64-all-ones", 0, OK " read=" ALL_ONES, "25.11.2: a 64-bit field keeps 64 bits" },
	{ "vmwrite-natural-all-ones", 0, OK " read=" ALL_ONES, "25.11.2: natural width is 64 bits here" },
	{ "vmread-w16-zero-extends", 0, OK " value=0x1234",
	  "VMREAD: high bits of a destination longer than the field are cleared" },
	{ "vmread-w64-high", 0, OK " value=0x11223344",
	  "25.11.2: access type 1 (high) reads bits 63:32 of a 64-bit field" },
	{ "vmwrite-w64-high", 0, OK " full=0xa5a5a5a555667788",
	  "25.11.2: access type 1 writes bits 63:32 and keeps bits 31:0" },
	{ "vmwrite-memory-source", 0, OK " read=0x123456789abcdef", "VMWRITE r64, m64" },
	{ "vmread-memory-destination-w16", 0, OK " memory=0x1234",
	  "VMREAD m64: 64 bits written, high bits cleared" },
	{ "vmread-memory-destination-high", 0, OK " memory=0xa5a5a5a5",
	  "VMREAD m64 of a high access: bits 63:32 of the field, zero-extended" },
#define UNSUPPORTED(what, rule)                                                                  \
	{ "vmread-" what, 0, FAIL(12) " value=0x5a5a5a5a5a5a5a5a", "VMREAD: " rule ": VMfailValid(12), destination unchanged" }, \
	{ "vmwrite-" what, 0, FAIL(12), "VMWRITE: " rule ": VMfailValid(12)" }
	UNSUPPORTED("unused-index", "an encoding that names no field"),
	UNSUPPORTED("bits-63-32-set", "encoding bits 63:32 not 0 (unsupported component)"),
	UNSUPPORTED("bit-12-set", "encoding bit 12 is reserved (25.11.2)"),
	UNSUPPORTED("bit-15-set", "encoding bits 31:15 are reserved (25.11.2)"),
	UNSUPPORTED("high-access-w16", "access type 1 exists only for 64-bit fields"),
	UNSUPPORTED("high-access-w32", "access type 1 exists only for 64-bit fields"),
	UNSUPPORTED("high-access-natural", "access type 1 exists only for 64-bit fields"),
	{ "vmread-unsupported-memory-untouched", 0, FAIL(12) " memory=0x77",
	  "VMREAD: no memory write when the field is unsupported" },
	{ "vmwrite-vm-instruction-error", 0, FAIL(13), "VMWRITE to a read-only field: VMfailValid(13)" },
	{ "vmwrite-exit-reason", 0, FAIL(13), "VMWRITE to a read-only field: VMfailValid(13)" },
	{ "vmwrite-exit-qualification", 0, FAIL(13), "VMWRITE to a read-only field: VMfailValid(13)" },
	{ "vmwrite-guest-physical-address-high", 0, FAIL(13),
	  "VMWRITE to the high half of a read-only field: VMfailValid(13)" },
	{ "vmread-exit-reason", 0, OK, "VMREAD of a read-only field succeeds" },
	{ "vmread-unsupported-destination-not-present", 0, FAIL(12),
	  "VMREAD: destination faults only after the field is found supported" },
	{ "vmread-destination-not-present", 0, PF("0x2"), "VMREAD m64: #PF (write) on the destination" },
	{ "vmwrite-unsupported-source-not-present", 0, PF("0x0"),
	  "VMWRITE: source faults come before the field-supported check" },
	{ "invept-all-context", 0, OK, "INVEPT type 2 (all-context): VMsucceed" },
	{ "invept-single-context", 0, OK, "INVEPT type 1 with a valid EPTP: VMsucceed" },
	{ "invept-single-context-memtype-1", 0, FAIL(28),
	  "INVEPT type 1: an EPTP VM entry would refuse (memory type) is VMfailValid(28)" },
	{ "invept-single-context-walk-3", 0, FAIL(28), "INVEPT type 1: EPTP page-walk length 3: VMfailValid(28)" },
	{ "invept-single-context-ad", BDW | NOPML, OK, "INVEPT type 1: EPTP A/D bit with EPT_VPID_CAP[21] = 1" },
	{ "invept-single-context-ad", HSW, FAIL(28), "INVEPT type 1: EPTP A/D bit with EPT_VPID_CAP[21] = 0" },
	{ "invept-single-context-reserved-bit-7", 0, FAIL(28), "INVEPT type 1: EPTP bits 11:7 reserved" },
	{ "invept-type-0", 0, FAIL(28), "INVEPT: unsupported type: VMfailValid(28)" },
	{ "invept-type-3", 0, FAIL(28), "INVEPT: unsupported type: VMfailValid(28)" },
	{ "invept-type-3-descriptor-not-present", 0, FAIL(28),
	  "INVEPT: the type is checked before the descriptor is read" },
	{ "invept-descriptor-not-present", 0, PF("0x0"), "INVEPT: #PF reading the descriptor" },
	{ "invvpid-individual", 0, OK, "INVVPID type 0, VPID 1, canonical address: VMsucceed" },
	{ "invvpid-individual-noncanonical", 0, FAIL(28), "INVVPID type 0: non-canonical address: VMfailValid(28)" },
	{ "invvpid-individual-vpid-0", 0, FAIL(28), "INVVPID type 0: VPID 0: VMfailValid(28)" },
	{ "invvpid-single-context", 0, OK, "INVVPID type 1, VPID 1: VMsucceed" },
	{ "invvpid-single-context-vpid-0", 0, FAIL(28), "INVVPID type 1: VPID 0: VMfailValid(28)" },
	{ "invvpid-all-context-vpid-0", 0, OK, "INVVPID type 2 ignores the VPID: VMsucceed" },
	{ "invvpid-single-retaining-globals", 0, OK, "INVVPID type 3, VPID 1: VMsucceed" },
	{ "invvpid-single-retaining-globals-vpid-0", 0, FAIL(28), "INVVPID type 3: VPID 0: VMfailValid(28)" },
	{ "invvpid-type-4", 0, FAIL(28), "INVVPID: unsupported type: VMfailValid(28)" },
	{ "invvpid-descriptor-bits-63-16", 0, FAIL(28), "INVVPID: descriptor bits 63:16 not 0: VMfailValid(28)" },
	{ "invvpid-type-4-descriptor-not-present", 0, FAIL(28),
	  "INVVPID: the type is checked before the descriptor is read" },
	{ "vmxon-cpl3-in-root", 0, GP0, "VMXON in root at CPL > 0: #GP(0)" },
	{ "vmread-cpl3", 0, GP0, "VMREAD in root at CPL > 0: #GP(0)" },
	{ "vmcall-cpl3-in-root", 0, GP0, "VMCALL in root at CPL > 0: #GP(0)" },
	{ "vmxoff-cpl3", 0, GP0, "VMXOFF at CPL > 0: #GP(0)" },
	{ "vmptrst-cpl3", 0, GP0, "VMPTRST at CPL > 0: #GP(0)" },
	{ "invept-cpl3", 0, GP0, "INVEPT at CPL > 0: #GP(0)" },
	{ "vmresume-clear", 0, FAIL(5), "VMRESUME with a clear VMCS: VMfailValid(5)" },
	{ "vmlaunch-clear", 0, "status=0 exit=18", "VMLAUNCH of a clear VMCS enters the guest (VMCALL exits, 18)" },
	{ "vmlaunch-launched", 0, FAIL(4), "VMLAUNCH with a launched VMCS: VMfailValid(4)" },
	{ "vmresume-launched", 0, "status=0 exit=18", "VMRESUME of a launched VMCS enters the guest" },
	{ "vmclear-current", 0, OK, "VMCLEAR of the current VMCS: VMsucceed" },
	{ "vmptrst-after-vmclear-current", 0, OK " value=" ALL_ONES,
	  "VMCLEAR of the current VMCS makes the pointer FFFFFFFF_FFFFFFFFH" },
	{ "vmread-after-vmclear-current", 0, FAIL_INVALID, "... so VMREAD is VMfailInvalid" },
	{ "vmresume-after-vmclear", 0, FAIL(5), "VMCLEAR makes the launch state clear: VMRESUME VMfailValid(5)" },
	{ "vmread-after-vmclear-vmptrld", 0, OK " guest-rip-kept=1", "VMCLEAR writes the VMCS data back to memory" },
	{ "vmclear-other", 0, OK, "VMCLEAR of another VMCS: VMsucceed" },
	{ "vmptrst-after-vmclear-other", 0, OK " value-is-vmcs=1", "... the current VMCS stays current" },
	{ "vmptrld-other", 0, OK, "VMPTRLD of another VMCS: VMsucceed" },
	{ "vmptrst-after-switch", 0, OK " value-is-other=1", "VMPTRLD makes its operand the current VMCS" },
	{ "vmresume-other-clear", 0, FAIL(5), "VMRESUME with a clear VMCS: VMfailValid(5)" },
	{ "vmxoff", 0, OK, "VMXOFF: VMsucceed" },
	{ "vmread-after-vmxoff", 0, UD, "after VMXOFF: VMREAD #UD" },
	{ "vmptrld-after-vmxoff", 0, UD, "after VMXOFF: VMPTRLD #UD" },
	{ "vmcall-after-vmxoff", 0, UD, "after VMXOFF: VMCALL #UD" },
	{ "vmlaunch-after-vmxoff", 0, UD, "after VMXOFF: VMLAUNCH #UD" },
	{ "vmxoff-after-vmxoff", 0, UD, "after VMXOFF: VMXOFF #UD" },
	{ "invvpid-after-vmxoff", 0, UD, "after VMXOFF: INVVPID #UD" },
	{ "vmxon-after-vmxoff", 0, OK, "VMXON again after VMXOFF: VMsucceed" },
	{ "vmptrst-after-vmxon", 0, OK " value=" ALL_ONES, "VMXON: no current VMCS" },
	{ "vmxoff-again", 0, OK, "VMXOFF: VMsucceed" },
};

static const struct row fc_lock_rows[] = {
	{ "vmxon-fc-locked-without-outside-smx", 0, GP0,
	  "VMXON: #GP(0) outside SMX if IA32_FEATURE_CONTROL bit 2 is clear (even when locked)" },
	{ "fc-locked-wrmsr", 0, GP0, "24.7: WRMSR to a locked IA32_FEATURE_CONTROL is #GP" },
};

/* ---- tests/guests/vmx_entry.c: VM-entry checks ---- */

#define EXIT(n) "exit=" #n
#define GUEST_STATE "exit=33 failure qual=0"
#define LINK_POINTER "exit=33 failure qual=4"
#define MSR_LOAD(i) "exit=34 failure qual=" #i
#define C7(what) FAIL(7), "27.2.1: " what ": VMfailValid(7)"
#define H8(what) FAIL(8), "27.2.2-27.2.4: " what ": VMfailValid(8)"
#define G33(what) GUEST_STATE, "27.3.1: " what ": VM exit 33 with bit 31, qualification 0"

static const struct row entry_rows[] = {
	{ "baseline", 0, EXIT(18), "a valid 64-bit guest runs to its VMCALL (exit 18)" },
	{ "pin-not-allowed1", 0, C7("a pin-based control outside TRUE_PINBASED allowed-1") },
	{ "pin-required1-clear", 0, C7("a pin-based control TRUE_PINBASED requires to be 1 is 0") },
	{ "proc-not-allowed1", 0, C7("a processor-based control outside TRUE_PROCBASED allowed-1") },
	{ "proc-required1-clear", 0, C7("a control TRUE_PROCBASED requires to be 1 is 0") },
	{ "proc-cr3-exiting-clear", 0, EXIT(18), "A.3.2: TRUE_PROCBASED lets CR3-load/store exiting be 0" },
	{ "proc2-not-allowed1", 0, C7("a secondary control outside PROCBASED_CTLS2 allowed-1") },
	{ "proc2-ignored-without-activate", 0, EXIT(18),
	  "27.2.1.1: secondary controls are not checked when \"activate secondary controls\" is 0" },
	{ "exit-not-allowed1", 0, C7("a VM-exit control outside TRUE_EXIT allowed-1") },
	{ "exit-required1-clear", 0, C7("a VM-exit control TRUE_EXIT requires to be 1 is 0") },
	{ "entry-not-allowed1", 0, C7("a VM-entry control outside TRUE_ENTRY allowed-1") },
	{ "entry-required1-clear", 0, C7("a VM-entry control TRUE_ENTRY requires to be 1 is 0") },
	{ "cr3-target-count-4", 0, EXIT(18), "27.2.1.1: CR3-target count 4 is allowed" },
	{ "cr3-target-count-5", 0, C7("CR3-target count greater than 4") },
	{ "io-bitmaps", 0, EXIT(18), "27.2.1.1: 4K-aligned I/O bitmaps are allowed" },
	{ "io-bitmap-a-unaligned", 0, C7("I/O bitmap A address bits 11:0 not 0") },
	{ "io-bitmap-b-beyond-width", 0, C7("I/O bitmap B address beyond the physical-address width") },
	{ "io-bitmap-unaligned-unused", 0, EXIT(18), "27.2.1.1: I/O bitmaps unchecked without \"use I/O bitmaps\"" },
	{ "msr-bitmap", 0, EXIT(18), "27.2.1.1: a 4K-aligned MSR bitmap is allowed" },
	{ "msr-bitmap-unaligned", 0, C7("MSR-bitmap address bits 11:0 not 0") },
	{ "msr-bitmap-unaligned-unused", 0, EXIT(18), "27.2.1.1: MSR bitmap unchecked without \"use MSR bitmaps\"" },
	{ "ept", 0, EXIT(18), "27.2.1.1: a valid EPTP (WB, 4 levels)" },
	{ "eptp-memtype-uc", 0, EXIT(18), "27.2.1.1: EPTP memory type UC (EPT_VPID_CAP[8] = 1)" },
	{ "eptp-memtype-1", 0, C7("EPTP memory type 1 (not reported by EPT_VPID_CAP)") },
	{ "eptp-walk-length-3", 0, C7("EPTP page-walk length 3 (bits 5:3 = 2)") },
	{ "eptp-walk-length-5", 0, C7("EPTP page-walk length 5 without EPT_VPID_CAP[7]") },
	{ "eptp-ad", BDW | NOPML, EXIT(18), "27.2.1.1: EPTP bit 6 with EPT_VPID_CAP[21] = 1" },
	{ "eptp-ad", HSW, C7("EPTP bit 6 (A/D) with EPT_VPID_CAP[21] = 0") },
	{ "eptp-reserved-bit-8", 0, C7("EPTP bits 11:7 reserved") },
	{ "eptp-beyond-width", 0, C7("EPTP bits beyond the physical-address width") },
	{ "pml", BDW, EXIT(18), "27.2.1.1: \"enable PML\" with EPT and a 4K-aligned PML address" },
	{ "pml", NOPML | HSW, C7("\"enable PML\" not allowed by PROCBASED_CTLS2 (no PML)") },
	{ "pml-without-ept", 0, C7("\"enable PML\" without \"enable EPT\"") },
	{ "pml-address-unaligned", 0, C7("PML address bits 11:0 not 0 (or PML not allowed)") },
	{ "vpid-1", 0, EXIT(18), "27.2.1.1: \"enable VPID\" with VPID 1" },
	{ "vpid-0", 0, C7("\"enable VPID\" with VPID 0000H") },
	{ "preemption-timer", 0, EXIT(18), "27.2.1.2: save timer value with the timer active" },
	{ "save-preemption-timer-without-activate", 0,
	  C7("\"save VMX-preemption timer value\" without \"activate VMX-preemption timer\"") },
	{ "exit-msr-store-unaligned", 0, C7("VM-exit MSR-store address bits 3:0 not 0 (count 1)") },
	{ "exit-msr-load-unaligned", 0, C7("VM-exit MSR-load address bits 3:0 not 0 (count 1)") },
	{ "entry-msr-load-unaligned", 0, C7("VM-entry MSR-load address bits 3:0 not 0 (count 1)") },
	{ "entry-msr-load-beyond-width", 0, C7("VM-entry MSR-load area beyond the physical-address width") },
	{ "entry-msr-load-unaligned-count-0", 0, EXIT(18), "27.2.1.3: the address is checked only if the count is not 0" },
	{ "inject-type-1", 0, C7("injected interruption type 1 (reserved)") },
	{ "inject-type-7-without-mtf", 0, C7("injected type 7 without the \"monitor trap flag\" control") },
	{ "inject-nmi-vector-3", 0, C7("injected NMI with a vector other than 2") },
	{ "inject-hw-exception-vector-32", 0, C7("injected hardware exception with vector > 31") },
	{ "inject-gp-without-error-code", 0, C7("deliver-error-code 0 for #GP (it has one)") },
	{ "inject-ud-with-error-code", 0, C7("deliver-error-code 1 for #UD (it has none)") },
	{ "inject-extint-with-error-code", 0, C7("deliver-error-code 1 for an external interrupt") },
	{ "inject-reserved-bit-12", 0, C7("interruption-information bits 30:12 not 0") },
	{ "inject-error-code-bit-16", 0, C7("error code bits 31:16 not 0 (bits 31:15 in older editions)") },
	{ "inject-soft-int-length-0", 0, C7("software interrupt with instruction length 0 (IA32_VMX_MISC[30] = 0)") },
	{ "inject-soft-int-length-16", 0, C7("software interrupt with instruction length above 15") },
	{ "inject-soft-exception-length-0", 0, C7("software exception with instruction length 0") },
	{ "inject-soft-int", 0, EXIT(18) " entry-intr-info-valid=0",
	  "27.6: INT 81H injected through the guest IDT; a VM exit clears the valid bit (28.2.4)" },
	{ "inject-extint", 0, EXIT(18) " entry-intr-info-valid=0",
	  "27.6: external interrupt 81H injected with RFLAGS.IF = 1; the exit clears the valid bit" },
	{ "inject-extint-if-0", 0, G33("external interrupt injected with RFLAGS.IF = 0 (27.3.1.4)") },
	{ "inject-invalid-valid-bit-0", 0, EXIT(18), "27.2.1.3: nothing is checked when the valid bit is 0" },
	{ "host-cr0-pe-0", 0, H8("host CR0.PE = 0 (IA32_VMX_CR0_FIXED0)") },
	{ "host-cr0-ne-0", 0, H8("host CR0.NE = 0 (IA32_VMX_CR0_FIXED0)") },
	{ "host-cr0-not-fixed1", 0, H8("host CR0 sets a bit clear in IA32_VMX_CR0_FIXED1") },
	{ "host-cr4-vmxe-0", 0, H8("host CR4.VMXE = 0 (IA32_VMX_CR4_FIXED0)") },
	{ "host-cr4-not-fixed1", 0, H8("host CR4 sets a bit clear in IA32_VMX_CR4_FIXED1") },
	{ "host-cr4-pae-0", 0, H8("host CR4.PAE = 0 with \"host address-space size\" 1") },
	{ "host-cr3-beyond-width", 0, H8("host CR3 beyond the physical-address width") },
	{ "host-cs-selector-0", 0, H8("host CS selector 0000H") },
	{ "host-tr-selector-0", 0, H8("host TR selector 0000H") },
	{ "host-ds-rpl-3", 0, H8("host DS selector with RPL 3") },
	{ "host-es-ti-1", 0, H8("host ES selector with TI 1") },
	{ "host-ss-selector-0", 0, EXIT(18), "27.2.3: SS may be 0000H when \"host address-space size\" is 1" },
	{ "host-rip-noncanonical", 0, H8("host RIP not canonical") },
	{ "host-fs-base-noncanonical", 0, H8("host FS base not canonical") },
	{ "host-gdtr-base-noncanonical", 0, H8("host GDTR base not canonical") },
	{ "host-tr-base-noncanonical", 0, H8("host TR base not canonical") },
	{ "host-sysenter-esp-noncanonical", 0, H8("host IA32_SYSENTER_ESP not canonical") },
	{ "host-address-space-size-0", 0, H8("\"host address-space size\" 0 while IA32_EFER.LMA = 1") },
	{ "host-efer-lma-0", 0, H8("host IA32_EFER.LMA differs from \"host address-space size\"") },
	{ "host-efer-reserved-bit-1", 0, H8("host IA32_EFER reserved bit set") },
	{ "host-pat-type-2", 0, H8("host IA32_PAT entry with memory type 2") },
	{ "guest-cr0-pg-without-pe", 0, G33("guest CR0.PG = 1 with PE = 0") },
	{ "guest-cr0-pg-without-pe-then-vmresume", 0, FAIL(5),
	  "31.3 VMLAUNCH: a failed entry leaves the launch state clear: VMRESUME VMfailValid(5)" },
	{ "guest-cr0-ne-0", 0, G33("guest CR0.NE = 0 (IA32_VMX_CR0_FIXED0)") },
	{ "guest-cr0-not-fixed1", 0, G33("guest CR0 sets a bit clear in IA32_VMX_CR0_FIXED1") },
	{ "guest-cr4-vmxe-0", 0, G33("guest CR4.VMXE = 0 (IA32_VMX_CR4_FIXED0)") },
	{ "guest-cr4-not-fixed1", 0, G33("guest CR4 sets a bit clear in IA32_VMX_CR4_FIXED1") },
	{ "guest-cr4-pae-0", 0, G33("\"IA-32e mode guest\" with CR4.PAE = 0") },
	{ "guest-cr3-beyond-width", 0, G33("guest CR3 beyond the physical-address width") },
	{ "guest-dr7-bit-32", 0, G33("\"load debug controls\" with DR7 bits 63:32 not 0") },
	{ "guest-dr7-valid", 0, EXIT(18), "27.3.1.1: \"load debug controls\" with DR7 = 400H" },
	{ "guest-sysenter-esp-noncanonical", 0, G33("guest IA32_SYSENTER_ESP not canonical") },
	{ "guest-pat-type-2", 0, G33("\"load IA32_PAT\" with an entry of memory type 2") },
	{ "guest-efer-reserved-bit-1", 0, G33("\"load IA32_EFER\" with a reserved bit set") },
	{ "guest-efer-lma-0", 0, G33("\"load IA32_EFER\": LMA differs from \"IA-32e mode guest\"") },
	{ "guest-rflags-bit1-0", 0, G33("RFLAGS bit 1 = 0") },
	{ "guest-rflags-bit3", 0, G33("RFLAGS reserved bit 3 set") },
	{ "guest-rflags-bit15", 0, G33("RFLAGS reserved bit 15 set") },
	{ "guest-rflags-bit22", 0, G33("RFLAGS reserved bits 63:22 not 0") },
	{ "guest-rflags-vm", 0, G33("RFLAGS.VM with \"IA-32e mode guest\"") },
	{ "guest-rip-noncanonical", 0, G33("RIP not canonical with CS.L = 1") },
	{ "guest-cs-type-data", 0, G33("CS type 3 (not an accessed code segment)") },
	{ "guest-cs-type-9", 0, EXIT(18), "27.3.1.2: CS type 9 (execute-only, accessed) is allowed" },
	{ "guest-cs-unusable", 0, G33("CS unusable") },
	{ "guest-cs-not-present", 0, G33("CS.P = 0") },
	{ "guest-cs-l-and-d", 0, G33("CS.L and CS.D both 1 in IA-32e mode") },
	{ "guest-cs-limit-g-mismatch", 0, G33("CS limit bits 11:0 not all 1 with G = 1") },
	{ "guest-ss-rpl-3", 0, G33("SS.RPL differs from CS.RPL") },
	{ "guest-ss-type-code", 0, G33("usable SS of type 11") },
	{ "guest-tr-unusable", 0, G33("TR unusable") },
	{ "guest-tr-type-9", 0, G33("TR type 9 in IA-32e mode (must be 11, busy)") },
	{ "guest-tr-ti-1", 0, G33("TR selector with TI 1") },
	{ "guest-ldtr-usable", 0, EXIT(18), "27.3.1.2: a usable LDTR of type 2" },
	{ "guest-ldtr-type-3", 0, G33("usable LDTR of type 3") },
	{ "guest-fs-base-noncanonical", 0, G33("FS base not canonical") },
	{ "guest-gdtr-base-noncanonical", 0, G33("GDTR base not canonical") },
	{ "guest-gdtr-limit-above-ffff", 0, G33("GDTR limit bits 31:16 not 0") },
	{ "guest-activity-hlt", 0, G33("activity state 1 (HLT), not reported by IA32_VMX_MISC[6]") },
	{ "guest-activity-4", 0, G33("activity state 4 (outside 0-3)") },
	{ "guest-interruptibility-bit-5", 0, G33("interruptibility-state reserved bit set") },
	{ "guest-interruptibility-sti-and-mov-ss", 0, G33("blocking by STI and by MOV SS together") },
	{ "guest-sti-blocking-if-0", 0, G33("blocking by STI with RFLAGS.IF = 0") },
	{ "guest-pending-dbg-bit-4", 0, G33("pending debug exceptions reserved bit 4 set") },
	{ "vmcs-link-pointer-0", 0, LINK_POINTER, "27.3.1.5: VMCS link pointer not ~0 (no VMCS there): exit 33, qualification 4" },
	{ "vmcs-link-pointer-0-then-vmresume", 0, FAIL(5), "31.3: the failed VMLAUNCH left the launch state clear" },
	{ "vmcs-link-pointer-unaligned", 0, LINK_POINTER, "27.3.1.5: VMCS link pointer bits 11:0 not 0" },
	{ "vmcs-link-pointer-bad-revision", 0, LINK_POINTER, "27.3.1.5: VMCS link pointer to a wrong revision" },
	{ "vmcs-link-pointer-vmcs", 0, EXIT(18), "27.3.1.5: a VMCS link pointer to a VMCS region is allowed" },
	{ "entry-msr-load-sysenter-cs", 0, EXIT(18), "27.4: loading IA32_SYSENTER_CS succeeds" },
	{ "entry-msr-load-second-entry-gs-base", 0, MSR_LOAD(2),
	  "27.4: IA32_GS_BASE may not be loaded: exit 34, qualification = entry 2 (1-based)" },
	{ "entry-msr-load-second-entry-gs-base-then-vmresume", 0, FAIL(5),
	  "31.3 VMLAUNCH: launch state becomes launched only after MSR loading succeeds" },
	{ "entry-msr-load-fs-base", 0, MSR_LOAD(1), "27.4: IA32_FS_BASE (C0000100H) may not be loaded" },
	{ "entry-msr-load-fs-base-then-vmresume", 0, FAIL(5), "31.3 VMLAUNCH: the launch state stays clear" },
	{ "entry-msr-load-gs-base", 0, MSR_LOAD(1), "27.4: IA32_GS_BASE (C0000101H) may not be loaded" },
	{ "entry-msr-load-index-bits-63-32", 0, MSR_LOAD(1), "27.4: entry bits 63:32 (reserved) not 0" },
	{ "entry-msr-load-x2apic-tpr", 0, MSR_LOAD(1), "27.4: an x2APIC MSR (bits 31:8 = 000008H)" },
	{ "entry-msr-load-smm-monitor-ctl", 0, MSR_LOAD(1), "27.4: IA32_SMM_MONITOR_CTL may not be loaded" },
	{ "entry-msr-load-unimplemented-msr", 0, MSR_LOAD(1), "27.4: an MSR WRMSR would #GP on" },
};

/* ---- VMX instructions in non-root operation (26.1.2, 28.2.1, 28.2.5) ---- */

enum layout {
	NO_INFO,  /* VMCALL, VMLAUNCH, VMRESUME, VMXOFF: instruction information undefined */
	PTR,      /* VMCLEAR, VMPTRLD, VMPTRST, VMXON: Table 28-13 */
	RW,       /* VMREAD, VMWRITE: Table 28-14 */
	INV,      /* INVEPT, INVPCID, INVVPID: the INVEPT/INVVPID table of 28.2.5 */
};
enum { ES, CS, SS, DS, FS, GS };
enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15, NONE = -1 };
enum { A16, A32, A64 };

struct exit_row {
	const char *name;
	unsigned reason, len;
	enum layout layout;
	bool reg_operand;          /* RW: register form (bit 10) */
	int reg1;                  /* RW register form: the r/m register */
	unsigned scale, asize, seg;
	int index, base, reg2;
	int64_t disp;
	bool rip_relative;         /* qualification = next RIP + disp (28.2.1) */
	const char *rule;
};

#define MEM(sc, as, sg, ix, bs) .scale = (sc), .asize = (as), .seg = (sg), .index = (ix), .base = (bs)
static const struct exit_row exit_rows[] = {
	{ "vmcall", 18, 3, NO_INFO, .rule = "VMCALL exits (reason 18), 3 bytes" },
	{ "vmlaunch", 20, 3, NO_INFO, .rule = "VMLAUNCH exits (20)" },
	{ "vmresume", 24, 3, NO_INFO, .rule = "VMRESUME exits (24)" },
	{ "vmxoff", 26, 3, NO_INFO, .rule = "VMXOFF exits (26)" },
	{ "vmptrld-rbx-disp8", 21, 4, PTR, MEM(0, A64, DS, NONE, RBX), .disp = 0x10,
	  .rule = "VMPTRLD exits (21); base RBX, DS, qualification = displacement" },
	{ "vmptrld-r12", 21, 5, PTR, MEM(0, A64, DS, NONE, R12),
	  .rule = "base R12 (SIB): default segment DS (only RSP/RBP imply SS)" },
	{ "vmptrld-r13-disp8", 21, 5, PTR, MEM(0, A64, DS, NONE, R13), .disp = -8,
	  .rule = "base R13: DS; displacement sign-extended to 64 bits" },
	{ "vmptrld-index-r12-scale4-disp32", 21, 9, PTR, MEM(2, A64, DS, R12, NONE), .disp = 0x12345678,
	  .rule = "index R12 (REX.X), scale 4, no base" },
	{ "vmptrld-rbp", 21, 4, PTR, MEM(0, A64, SS, NONE, RBP), .rule = "base RBP: default segment SS" },
	{ "vmptrld-rsp-disp8", 21, 5, PTR, MEM(0, A64, SS, NONE, RSP), .disp = -0x80,
	  .rule = "base RSP: default segment SS" },
	{ "vmptrld-fs-rax-disp8", 21, 5, PTR, MEM(0, A64, FS, NONE, RAX), .disp = 8, .rule = "FS override" },
	{ "vmptrld-es-rcx-rdx-scale2", 21, 5, PTR, MEM(1, A64, ES, RDX, RCX), .rule = "ES override, index RDX, scale 2" },
	{ "vmptrld-addr32-eax", 21, 4, PTR, MEM(0, A32, DS, NONE, RAX), .rule = "67H prefix: address size 32" },
	{ "vmptrld-rip-relative", 21, 7, PTR, MEM(0, A64, DS, NONE, NONE), .disp = 0x100, .rip_relative = true,
	  .rule = "28.2.1: RIP-relative: qualification = displacement + RIP of the next instruction" },
	{ "vmclear-rsi-rdi-scale8-disp8", 19, 6, PTR, MEM(3, A64, DS, RDI, RSI), .disp = 0x20,
	  .rule = "VMCLEAR exits (19)" },
	{ "vmptrst-r15", 22, 4, PTR, MEM(0, A64, DS, NONE, R15), .rule = "VMPTRST exits (22)" },
	{ "vmxon-r9-disp32", 27, 9, PTR, MEM(0, A64, DS, NONE, R9), .disp = 0x7fffffff,
	  .rule = "VMXON exits (27) in non-root operation" },
	{ "vmread-reg-rax-to-rbx", 23, 3, RW, .reg_operand = true, .reg1 = RBX, .reg2 = RAX,
	  .rule = "VMREAD exits (23); register form: Reg1 = destination, Reg2 = encoding register" },
	{ "vmread-reg-r10-to-r9", 23, 4, RW, .reg_operand = true, .reg1 = R9, .reg2 = R10,
	  .rule = "VMREAD register form with REX.R and REX.B" },
	{ "vmread-mem-rcx-to-rdx-rsi-scale2-disp8", 23, 5, RW, MEM(1, A64, DS, RSI, RDX), .reg2 = RCX,
	  .disp = 0x40, .rule = "VMREAD memory form" },
	{ "vmwrite-reg-r8-to-r11", 25, 4, RW, .reg_operand = true, .reg1 = R8, .reg2 = R11,
	  .rule = "VMWRITE exits (25); Reg1 = source, Reg2 = encoding register" },
	{ "vmwrite-mem-r14-disp32-to-rdi", 25, 8, RW, MEM(0, A64, DS, NONE, R14), .reg2 = RDI,
	  .disp = -0x1000, .rule = "VMWRITE memory form" },
	{ "invept-rdx-disp8-r13", 50, 7, INV, MEM(0, A64, DS, NONE, RDX), .reg2 = R13, .disp = 0x18,
	  .rule = "INVEPT exits (50); Reg2 = type register" },
	{ "invvpid-rax-rbx-rcx", 53, 6, INV, MEM(0, A64, DS, RBX, RAX), .reg2 = RCX,
	  .rule = "INVVPID exits (53)" },
	{ "cpl3-vmcall", 18, 3, NO_INFO, .rule = "26.1.2: at CPL 3 in non-root operation VMCALL exits (no #GP)" },
	{ "cpl3-vmread", 23, 3, RW, .reg_operand = true, .reg1 = RBX, .reg2 = RAX,
	  .rule = "VMREAD at CPL 3 in non-root operation exits before the CPL check" },
};

/* The instruction-information value and the mask of its defined bits (28.2.5 tables). */
static void expected_info(const struct exit_row *r, uint32_t *value, uint32_t *defined)
{
	uint32_t v = 0, d = 0;
	bool mem = !(r->layout == RW && r->reg_operand);

	if (r->layout == NO_INFO) {
		*value = *defined = 0;
		return;
	}
	if (r->layout == RW) {
		v |= (uint32_t)r->reg2 << 28, d |= 0xfu << 28;
		v |= (mem ? 0u : 1u) << 10, d |= 1u << 10;
		if (!mem) {
			v |= (uint32_t)r->reg1 << 3, d |= 0xfu << 3;
			*value = v, *defined = d;
			return;
		}
	} else {
		d |= 1u << 10; /* cleared to 0 */
		if (r->layout == INV)
			v |= (uint32_t)r->reg2 << 28, d |= 0xfu << 28;
	}
	v |= r->asize << 7, d |= 7u << 7;
	v |= r->seg << 15, d |= 7u << 15;
	d |= 1u << 22 | 1u << 27;
	if (r->index == NONE)
		v |= 1u << 22;
	else
		v |= r->scale | (uint32_t)r->index << 18, d |= 3u | 0xfu << 18;
	if (r->base == NONE)
		v |= 1u << 27;
	else
		v |= (uint32_t)r->base << 23, d |= 0xfu << 23;
	*value = v, *defined = d;
}

/* ---- running the guests and comparing ---- */

/* The rest of the line "case NAME: ..." in 'out', copied into 'got'; false if absent. */
static bool case_line(const char *out, const char *name, char *got, size_t n)
{
	char key[160];
	snprintf(key, sizeof key, "case %s: ", name);
	for (const char *p = strstr(out, key); p; p = strstr(p + 1, key)) {
		if (p != out && p[-1] != '\n')
			continue;
		p += strlen(key);
		size_t len = strcspn(p, "\n");
		if (len >= n)
			len = n - 1;
		memcpy(got, p, len);
		got[len] = 0;
		return true;
	}
	return false;
}

static void run_guest(struct run_result *r, const char *image, const char *profile, const char *cmdline)
{
	const char *args[10] = { "run", "--cpu", profile };
	unsigned n = 3;
	if (cmdline) {
		args[n++] = "--cmdline";
		args[n++] = cmdline;
	}
	args[n++] = build_path(image);
	args[n] = NULL;
	run_hvsim(r, args);
	ck_assert_msg(r->exit_code == 0, "%s --cpu %s: exit %d\n%s\n%s", image, profile, r->exit_code,
		      r->out, r->err);
	ck_assert_msg(strstr(r->out, "Test result: SUCCESS"), "%s", r->out);
}

static bool row_applies(const struct row *row, unsigned profile_bit)
{
	return !row->profiles || (row->profiles & profile_bit);
}

static bool known_case(const struct row *rows, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(rows[i].name) == len && !strncmp(rows[i].name, name, len))
			return true;
	return false;
}

static void check_rows(struct report *rep, const char *profile, unsigned profile_bit, const char *out,
		       const struct row *rows, size_t n, const char *prefix_ignored)
{
	char got[512];

	for (size_t i = 0; i < n; i++) {
		if (!row_applies(&rows[i], profile_bit))
			continue;
		if (!case_line(out, rows[i].name, got, sizeof got))
			report_broken(rep, "[%s] %s: no result (rule: %s)", profile, rows[i].name, rows[i].rule);
		else if (strcmp(got, rows[i].expect))
			report_broken(rep, "[%s] %s: got \"%s\", expected \"%s\" (rule: %s)", profile, rows[i].name,
			     got, rows[i].expect, rows[i].rule);
	}
	/* Every case the guest reports has a row: nothing runs unchecked. */
	for (const char *p = strstr(out, "case "); p; p = strstr(p + 1, "case ")) {
		if (p != out && p[-1] != '\n')
			continue;
		const char *name = p + 5;
		size_t len = strcspn(name, ":\n");
		if (prefix_ignored && !strncmp(name, prefix_ignored, strlen(prefix_ignored)))
			continue;
		if (!known_case(rows, n, name, len))
			report_broken(rep, "[%s] case %.*s has no row in the table", profile, (int)len, name);
	}
}

START_TEST(vmx_instruction_results)
{
	struct report rep = { 0 };
	for (unsigned p = 0; p < PROFILES; p++) {
		struct run_result r;
		run_guest(&r, "tests/guests/vmx_insn.elf", profiles[p], NULL);
		ck_assert_msg(strstr(r.out, "cases done"), "%s", r.out);
		check_rows(&rep, profiles[p], 1u << p, r.out, insn_rows, sizeof insn_rows / sizeof insn_rows[0], NULL);
		run_result_free(&r);
	}
	report_finish(&rep);
}
END_TEST

START_TEST(vmxon_needs_feature_control_bit_2)
{
	struct report rep = { 0 };
	struct run_result r;
	run_guest(&r, "tests/guests/vmx_insn.elf", profiles[0], "fc-lock-only");
	check_rows(&rep, profiles[0], BDW, r.out, fc_lock_rows, sizeof fc_lock_rows / sizeof fc_lock_rows[0], NULL);
	run_result_free(&r);
	report_finish(&rep);
}
END_TEST

static void check_exit_rows(struct report *rep, const char *profile, const char *out)
{
	char got[512];

	for (size_t i = 0; i < sizeof exit_rows / sizeof exit_rows[0]; i++) {
		const struct exit_row *e = &exit_rows[i];
		char name[96];
		unsigned reason, len;
		uint64_t info, qual, next;
		snprintf(name, sizeof name, "exit-%s", e->name);
		if (!case_line(out, name, got, sizeof got) ||
		    sscanf(got, "reason=%u len=%u info=%" SCNx64 " qual=%" SCNx64 " next=%" SCNx64, &reason,
			   &len, &info, &qual, &next) != 5) {
			report_broken(rep, "[%s] %s: no result (rule: %s)", profile, name, e->rule);
			continue;
		}
		uint32_t want_info, defined;
		expected_info(e, &want_info, &defined);
		/* 28.2.1: bits beyond the address size are undefined. */
		uint64_t want_qual = (uint64_t)e->disp + (e->rip_relative ? next : 0);
		uint64_t qual_mask = e->asize == A32 ? 0xffffffffull : ~0ull;
		bool check_qual = e->layout != NO_INFO;
		if (reason != e->reason || len != e->len || ((uint32_t)info & defined) != want_info ||
		    (check_qual && (qual & qual_mask) != (want_qual & qual_mask)))
			report_broken(rep, "[%s] %s: got reason %u len %u info %#" PRIx64 " qual %#" PRIx64
			     "; expected reason %u len %u info %#x (defined bits %#x) qual %#" PRIx64 " (rule: %s)",
			     profile, name, reason, len, info, qual, e->reason, e->len, want_info, defined,
			     check_qual ? want_qual : qual, e->rule);
	}
	/* VMFUNC with "enable VM functions" 0 is #UD (31.3 VMFUNC): an exception exit, vector 6. */
	if (!case_line(out, "exit-vmfunc", got, sizeof got) || strncmp(got, "reason=0 ", 9) ||
	    !strstr(got, "intr-info=0x80000306"))
		report_broken(rep, "[%s] exit-vmfunc: got \"%s\", expected reason 0 with interruption information "
		     "80000306H (rule: VMFUNC is #UD without \"enable VM functions\"; #UD is a hardware "
		     "exception, Table 25-17)", profile, got);
	if (!strstr(out, "exits end: reason=10 after 24\n"))
		report_broken(rep, "[%s] the non-root sequence did not reach its CPUID after 24 exits", profile);
}

START_TEST(vm_entry_checks_and_instruction_exits)
{
	struct report rep = { 0 };
	for (unsigned p = 0; p < PROFILES; p++) {
		struct run_result r;
		run_guest(&r, "tests/guests/vmx_entry.elf", profiles[p], NULL);
		ck_assert_msg(strstr(r.out, "cases done"), "%s", r.out);
		check_rows(&rep, profiles[p], 1u << p, r.out, entry_rows, sizeof entry_rows / sizeof entry_rows[0],
			   "exit-");
		check_exit_rows(&rep, profiles[p], r.out);
		run_result_free(&r);
	}
	report_finish(&rep);
}
END_TEST

START_TEST(vmx_insn_runs_are_deterministic)
{
	expect_deterministic_run("tests/guests/vmx_entry.elf");
}
END_TEST

Suite *suite_vmx_insn(void)
{
	Suite *s = suite_create("vmx/insn");
	TCase *tc = tcase_create("rules");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, vmx_instruction_results);
	tcase_add_test(tc, vmxon_needs_feature_control_bit_2);
	tcase_add_test(tc, vm_entry_checks_and_instruction_exits);
	tcase_add_test(tc, vmx_insn_runs_are_deterministic);
	suite_add_tcase(s, tc);
	return s;
}
