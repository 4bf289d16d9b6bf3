#include "cpu/icount.h"

#include <capstone/capstone.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/profile.h"

/* Code-segment descriptor bits (SDM Vol. 3, 3.4.5): L (64-bit code), D (32-bit default size). */
#define DESC_L (1ull << 53)
#define DESC_D (1ull << 54)
#define SEL_TI 4u

enum icount_mode { MODE_16, MODE_32, MODE_64, MODES };

static const cs_mode cs_modes[MODES] = { CS_MODE_16, CS_MODE_32, CS_MODE_64 };

struct icount_cache {
	struct icount_slot slot[ICACHE_SLOTS]; /* first: icount_slots() relies on it */
	csh cs[MODES];
};
_Static_assert(offsetof(struct icount_cache, slot) == 0, "icount_slots() needs the table first");

struct icount_cache *icount_new(void)
{
	struct icount_cache *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	for (unsigned m = 0; m < MODES; m++) {
		if (cs_open(CS_ARCH_X86, cs_modes[m], &c->cs[m]) != CS_ERR_OK) {
			icount_free(c);
			return NULL;
		}
	}
	return c;
}

void icount_free(struct icount_cache *c)
{
	if (!c)
		return;
	for (unsigned m = 0; m < MODES; m++)
		if (c->cs[m])
			cs_close(&c->cs[m]);
	free(c);
}


/*
 * The code size the block executes in (SDM Vol. 3, "Code-Segment Descriptor in 64-bit Mode"
 * and 3.4.5 "Segment Descriptors"): 64-bit when
 * IA-32e mode is active and CS.L = 1, else CS.D picks 32 or 16 bits. Unicorn does not expose
 * the CS descriptor cache, so the descriptor is read from the GDT/LDT; if that fails, LMA alone
 * decides. Called on a cache miss only.
 */
static enum icount_mode current_mode(struct cpu *cpu)
{
	bool lma = cpu_rdmsr(cpu, MSR_EFER) & EFER_LMA;
	uint16_t sel = (uint16_t)cpu_get(cpu, UC_X86_REG_CS);
	uc_x86_mmr table;
	uint64_t desc;

	if (!(cpu_get(cpu, UC_X86_REG_CR0) & CR0_PE))
		return MODE_16;
	cpu_get_mmr(cpu, (sel & SEL_TI) ? UC_X86_REG_LDTR : UC_X86_REG_GDTR, &table);
	if ((sel & ~7u) + 7u > table.limit || !cpu_peek(cpu, table.base + (sel & ~7u), &desc, 8))
		return lma ? MODE_64 : MODE_32;
	if (lma && (desc & DESC_L))
		return MODE_64;
	return (desc & DESC_D) ? MODE_32 : MODE_16;
}

static unsigned decode_count(struct cpu *cpu, struct icount_cache *c, uint64_t pc, uint32_t size)
{
	uint8_t code[4096];
	unsigned count = 0;
	csh cs = c->cs[current_mode(cpu)];

	if (size > sizeof code)
		size = sizeof code;
	if (!cpu_peek(cpu, pc, code, size))
		return 1;
	const uint8_t *p = code;
	size_t left = size;
	uint64_t addr = pc;
	cs_insn *insn = cs_malloc(cs);
	while (left && cs_disasm_iter(cs, &p, &left, &addr, insn))
		count++;
	cs_free(insn, 1);
	/*
	 * Bytes Capstone cannot decode are one instruction: QEMU ends a block right after the bytes
	 * of an instruction it cannot translate (any VMX instruction: "0F 78" of a VMREAD), so they
	 * are a partial instruction, which raises #UD and is emulated or delivered as one.
	 */
	return count + (left ? 1u : 0u);
}

/*
 * Counts are cached by (address, size), not by mode: the same bytes at the same address run in
 * two code sizes is left to the first one seen (boot code switches mode by jumping elsewhere).
 */
unsigned icount_block(struct cpu *cpu, uint64_t pc, uint32_t size)
{
	struct icount_cache *c = cpu->icache;
	struct icount_slot *s = &c->slot[(pc ^ (pc >> 16) ^ size) & (ICACHE_SLOTS - 1)];

	if (s->pc != pc || s->size != size || !s->count) {
		s->pc = pc;
		s->size = size;
		s->count = decode_count(cpu, c, pc, size);
	}
	return s->count;
}

unsigned icount_insn_length(struct cpu *cpu, uint64_t rip)
{
	struct icount_cache *c = cpu->icache;
	uint8_t code[15];
	size_t n = sizeof code;
	const uint8_t *p = code;
	uint64_t addr = rip;
	unsigned len = 0;

	while (n && !cpu_peek(cpu, rip, code, n))
		n--; /* the instruction may end just before an unmapped page */
	cs_insn *insn = cs_malloc(c->cs[current_mode(cpu)]);
	if (cs_disasm_iter(c->cs[current_mode(cpu)], &p, &n, &addr, insn))
		len = insn->size;
	cs_free(insn, 1);
	return len;
}

unsigned icount_before(struct cpu *cpu, uint64_t pc, uint64_t rip)
{
	if (rip <= pc || rip - pc > 4096)
		return 0;
	return icount_lookup(cpu, cpu->icache, pc, (uint32_t)(rip - pc));
}

uint64_t icount_skip(struct cpu *cpu, uint64_t rip, uint64_t n)
{
	while (n--) {
		unsigned len = icount_insn_length(cpu, rip);
		if (!len)
			return 0;
		rip += len;
	}
	return rip;
}
