#include "cpu/icount.h"

#include <capstone/capstone.h>
#include <stdlib.h>

#include "cpu/cpu.h"

#define ICACHE_SLOTS 65536u

struct icount_slot {
	uint64_t pc;
	uint32_t size;
	uint32_t count;
};

struct icount_cache {
	csh cs;
	struct icount_slot slot[ICACHE_SLOTS];
};

struct icount_cache *icount_new(void)
{
	struct icount_cache *c = calloc(1, sizeof *c);
	if (c && cs_open(CS_ARCH_X86, CS_MODE_64, &c->cs) != CS_ERR_OK) {
		free(c);
		return NULL;
	}
	return c;
}

void icount_free(struct icount_cache *c)
{
	if (!c)
		return;
	cs_close(&c->cs);
	free(c);
}

static unsigned decode_count(struct cpu *cpu, struct icount_cache *c, uint64_t pc, uint32_t size)
{
	uint8_t code[4096];
	unsigned count = 0;
	struct fault f;

	if (size > sizeof code)
		size = sizeof code;
	if (!cpu_virt_rw(cpu, pc, code, size, false, false, false, &f))
		return 1;
	const uint8_t *p = code;
	size_t left = size;
	uint64_t addr = pc;
	cs_insn *insn = cs_malloc(c->cs);
	while (left && cs_disasm_iter(c->cs, &p, &left, &addr, insn))
		count++;
	cs_free(insn, 1);
	/* Bytes Capstone cannot decode (rare) count one instruction each. */
	return count + (unsigned)left;
}

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
