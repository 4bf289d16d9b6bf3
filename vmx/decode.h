/*
 * Decoding of the VMX instructions (SDM Vol. 3, 31 "VMX Instruction Reference"), which Unicorn
 * does not know: opcode, operands and the VM-exit instruction-information field they produce
 * (SDM Vol. 3, 28.2.5 "Information for VM Exits Due to Instruction Execution").
 */
#ifndef HVSIM_VMX_DECODE_H
#define HVSIM_VMX_DECODE_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;

#define VMX_INSNS(X)                      \
	X(VMCALL, "vmcall", 18)           \
	X(VMCLEAR, "vmclear", 19)         \
	X(VMLAUNCH, "vmlaunch", 20)       \
	X(VMPTRLD, "vmptrld", 21)         \
	X(VMPTRST, "vmptrst", 22)         \
	X(VMREAD, "vmread", 23)           \
	X(VMRESUME, "vmresume", 24)       \
	X(VMWRITE, "vmwrite", 25)         \
	X(VMXOFF, "vmxoff", 26)           \
	X(VMXON, "vmxon", 27)             \
	X(INVEPT, "invept", 50)           \
	X(INVVPID, "invvpid", 53)         \
	X(VMFUNC, "vmfunc", 59)

enum vmx_insn_kind {
#define X(id, name, reason) VMX_INSN_##id,
	VMX_INSNS(X)
#undef X
	VMX_INSN_COUNT
};

struct vmx_insn {
	enum vmx_insn_kind kind;
	unsigned len;
	bool has_modrm;
	bool mem;            /* the r/m operand is memory */
	unsigned reg;        /* ModRM.reg (with REX.R): a register number 0..15 */
	unsigned rm;         /* ModRM.rm register (with REX.B) when !mem */
	uint64_t addr;       /* linear address of the memory operand (segment base applied) */
	int64_t disp;        /* displacement, sign-extended (exit qualification) */
	bool rip_relative;   /* RIP-relative: the exit qualification is RIP after it + disp */
	uint32_t info;       /* VM-exit instruction-information field */
};

/* Decode the instruction at RIP; false if it is not a VMX instruction (deliver #UD). */
bool vmx_decode(struct cpu *cpu, struct vmx_insn *in);
const char *vmx_insn_name(enum vmx_insn_kind k);
unsigned vmx_insn_exit_reason(enum vmx_insn_kind k);

/* General-purpose register by number (0 = RAX ... 15 = R15). */
uint64_t vmx_gpr(struct cpu *cpu, unsigned n);
void vmx_set_gpr(struct cpu *cpu, unsigned n, uint64_t v);

#endif
