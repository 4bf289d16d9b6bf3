#include "vmx/decode.h"

#include "cpu/cpu.h"

static const int gpr_ids[16] = {
	UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX,
	UC_X86_REG_RSP, UC_X86_REG_RBP, UC_X86_REG_RSI, UC_X86_REG_RDI,
	UC_X86_REG_R8,  UC_X86_REG_R9,  UC_X86_REG_R10, UC_X86_REG_R11,
	UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15,
};

uint64_t vmx_gpr(struct cpu *cpu, unsigned n)
{
	return cpu_get(cpu, gpr_ids[n & 15]);
}

void vmx_set_gpr(struct cpu *cpu, unsigned n, uint64_t v)
{
	cpu_set(cpu, gpr_ids[n & 15], v);
}

static const struct {
	const char *name;
	unsigned reason;
} insns[VMX_INSN_COUNT] = {
#define X(id, name, reason) [VMX_INSN_##id] = { name, reason },
	VMX_INSNS(X)
#undef X
};

const char *vmx_insn_name(enum vmx_insn_kind k)
{
	return insns[k].name;
}

unsigned vmx_insn_exit_reason(enum vmx_insn_kind k)
{
	return insns[k].reason;
}

/* Instruction-information field layout (SDM Vol. 3, Tables 28-13..28-15). */
#define INFO_SCALE(s) ((uint32_t)(s) << 0)
#define INFO_REG1(r) ((uint32_t)(r) << 3)
#define INFO_ADDR64 (2u << 7)
#define INFO_ADDR32 (1u << 7)
#define INFO_REGISTER (1u << 10)
#define INFO_SEG(s) ((uint32_t)(s) << 15)
#define INFO_INDEX(r) ((uint32_t)(r) << 18)
#define INFO_NO_INDEX (1u << 22)
#define INFO_BASE(r) ((uint32_t)(r) << 23)
#define INFO_NO_BASE (1u << 27)
#define INFO_REG2(r) ((uint32_t)(r) << 28)

enum { SEG_ES_N, SEG_CS_N, SEG_SS_N, SEG_DS_N, SEG_FS_N, SEG_GS_N };

struct prefixes {
	bool opsize, rep, repne, addr32;
	int seg; /* -1: default */
	uint8_t rex;
};

static unsigned parse_prefixes(const uint8_t *b, unsigned n, struct prefixes *p)
{
	unsigned i = 0;
	*p = (struct prefixes){ .seg = -1 };
	for (; i < n; i++) {
		switch (b[i]) {
		case 0x66: p->opsize = true; continue;
		case 0xf3: p->rep = true; continue;
		case 0xf2: p->repne = true; continue;
		case 0x67: p->addr32 = true; continue;
		case 0xf0: continue;
		case 0x26: p->seg = SEG_ES_N; continue;
		case 0x2e: p->seg = SEG_CS_N; continue;
		case 0x36: p->seg = SEG_SS_N; continue;
		case 0x3e: p->seg = SEG_DS_N; continue;
		case 0x64: p->seg = SEG_FS_N; continue;
		case 0x65: p->seg = SEG_GS_N; continue;
		}
		break;
	}
	if (i < n && (b[i] & 0xf0) == 0x40)
		p->rex = b[i++];
	return i;
}

static int64_t read_disp(const uint8_t *b, unsigned size)
{
	if (size == 1)
		return (int8_t)b[0];
	return (int32_t)((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
			 (uint32_t)b[3] << 24);
}

/*
 * ModRM (and SIB, displacement) at b[*pos] in 64-bit mode (SDM Vol. 2A, 2.2.1). Fills the operand
 * and the addressing part of the instruction-information field; RIP-relative addresses are
 * resolved once the length is known.
 */
static bool parse_modrm(struct cpu *cpu, const uint8_t *b, unsigned n, unsigned *pos,
			const struct prefixes *p, struct vmx_insn *in, bool *rip_relative)
{
	if (*pos >= n)
		return false;
	uint8_t modrm = b[(*pos)++];
	unsigned mod = modrm >> 6, rm = modrm & 7;
	bool rex_b = p->rex & 1, rex_x = p->rex & 2, rex_r = p->rex & 4;

	in->has_modrm = true;
	in->reg = ((modrm >> 3) & 7) | (rex_r ? 8 : 0);
	*rip_relative = false;
	if (mod == 3) {
		in->mem = false;
		in->rm = rm | (rex_b ? 8 : 0);
		in->info = INFO_REGISTER | INFO_REG1(in->rm);
		return true;
	}
	in->mem = true;
	int base = -1, index = -1;
	unsigned scale = 0, disp_size = mod == 1 ? 1 : mod == 2 ? 4 : 0;
	if (rm == 4) {
		if (*pos >= n)
			return false;
		uint8_t sib = b[(*pos)++];
		scale = sib >> 6;
		index = ((sib >> 3) & 7) | (rex_x ? 8 : 0);
		if (index == 4)
			index = -1; /* no index */
		base = (sib & 7) | (rex_b ? 8 : 0);
		if ((sib & 7) == 5 && mod == 0) {
			base = -1;
			disp_size = 4;
		}
	} else if (rm == 5 && mod == 0) {
		*rip_relative = true;
		disp_size = 4;
	} else {
		base = rm | (rex_b ? 8 : 0);
	}
	if (*pos + disp_size > n)
		return false;
	in->disp = disp_size ? read_disp(b + *pos, disp_size) : 0;
	*pos += disp_size;

	uint64_t ea = (uint64_t)in->disp;
	if (base >= 0)
		ea += vmx_gpr(cpu, (unsigned)base);
	if (index >= 0)
		ea += vmx_gpr(cpu, (unsigned)index) << scale;
	if (p->addr32)
		ea &= 0xffffffffu;
	/* SS for RSP/RBP as base (SDM Vol. 1, 3.7.4.1); R12/R13 (REX.B) default to DS like the rest. */
	int seg = p->seg >= 0 ? p->seg : base == 4 || base == 5 ? SEG_SS_N : SEG_DS_N;
	/* In 64-bit mode only FS and GS have bases (SDM Vol. 1, 3.4.2.1). */
	if (seg == SEG_FS_N)
		ea += cpu_get(cpu, UC_X86_REG_FS_BASE);
	else if (seg == SEG_GS_N)
		ea += cpu_get(cpu, UC_X86_REG_GS_BASE);
	in->addr = ea;
	in->info = INFO_SCALE(scale) | (p->addr32 ? INFO_ADDR32 : INFO_ADDR64) | INFO_SEG(seg) |
		   (index >= 0 ? INFO_INDEX(index) : INFO_NO_INDEX) |
		   (base >= 0 ? INFO_BASE(base) : INFO_NO_BASE);
	return true;
}

/* 0F 01 C1..C4, D4: no operands (SDM Vol. 3, 31.3). */
static bool group7(uint8_t modrm, struct vmx_insn *in)
{
	switch (modrm) {
	case 0xc1: in->kind = VMX_INSN_VMCALL; return true;
	case 0xc2: in->kind = VMX_INSN_VMLAUNCH; return true;
	case 0xc3: in->kind = VMX_INSN_VMRESUME; return true;
	case 0xc4: in->kind = VMX_INSN_VMXOFF; return true;
	case 0xd4: in->kind = VMX_INSN_VMFUNC; return true;
	}
	return false;
}

/* 0F C7 /6 and /7 with a memory operand, told apart by the mandatory prefix. */
static bool group9(const struct prefixes *p, const struct vmx_insn *in, enum vmx_insn_kind *k)
{
	if (!in->mem)
		return false; /* RDRAND / RDSEED: Unicorn executes those */
	if (in->reg % 8 == 6) {
		*k = p->rep ? VMX_INSN_VMXON : p->opsize ? VMX_INSN_VMCLEAR : VMX_INSN_VMPTRLD;
		return true;
	}
	if (in->reg % 8 == 7 && !p->rep && !p->opsize) {
		*k = VMX_INSN_VMPTRST;
		return true;
	}
	return false;
}

bool vmx_decode(struct cpu *cpu, struct vmx_insn *in)
{
	uint8_t b[15];
	unsigned n = sizeof b, pos;
	uint64_t rip = cpu_get(cpu, UC_X86_REG_RIP);
	struct prefixes p;
	bool riprel = false;

	while (n && !cpu_peek(cpu, rip, b, n))
		n--; /* the instruction may end just before an unmapped page */
	*in = (struct vmx_insn){ 0 };
	pos = parse_prefixes(b, n, &p);
	if (pos + 2 > n || b[pos] != 0x0f)
		return false;
	uint8_t op = b[pos + 1];
	pos += 2;
	switch (op) {
	case 0x01:
		if (pos >= n || !group7(b[pos], in))
			return false;
		pos++;
		break;
	case 0x78:
	case 0x79:
		if (p.opsize || p.rep || p.repne || !parse_modrm(cpu, b, n, &pos, &p, in, &riprel))
			return false;
		in->kind = op == 0x78 ? VMX_INSN_VMREAD : VMX_INSN_VMWRITE;
		in->info |= INFO_REG2(in->reg);
		break;
	case 0xc7: {
		enum vmx_insn_kind k;
		if (!parse_modrm(cpu, b, n, &pos, &p, in, &riprel) || !group9(&p, in, &k))
			return false;
		in->kind = k;
		break;
	}
	case 0x38:
		if (pos >= n || !p.opsize || (b[pos] != 0x80 && b[pos] != 0x81))
			return false;
		in->kind = b[pos] == 0x80 ? VMX_INSN_INVEPT : VMX_INSN_INVVPID;
		pos++;
		if (!parse_modrm(cpu, b, n, &pos, &p, in, &riprel))
			return false;
		in->info |= INFO_REG2(in->reg);
		break;
	default:
		return false;
	}
	in->len = pos;
	in->rip_relative = riprel;
	if (riprel) /* parse_modrm added displacement and segment base; now the next RIP */
		in->addr += rip + pos;
	return true;
}
