#include "sim/statehash.h"

#include <string.h>

#include "cpu/cpu.h"
#include "cpu/profile.h"

/* FNV-1a over 64-bit words: simple, stable across builds, good enough to tell states apart. */
#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static uint64_t mix(uint64_t h, uint64_t v)
{
	return (h ^ v) * FNV_PRIME;
}

static uint64_t mix_range(uint64_t h, const struct phys_range *r)
{
	for (uint64_t off = 0; off < r->size; off += 8) {
		uint64_t w;
		memcpy(&w, r->host + off, 8);
		h = mix(h, w);
	}
	return h;
}

uint64_t state_hash(struct cpu *cpu)
{
	static const int regs[] = {
		UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RSI,
		UC_X86_REG_RDI, UC_X86_REG_RBP, UC_X86_REG_RSP, UC_X86_REG_R8, UC_X86_REG_R9,
		UC_X86_REG_R10, UC_X86_REG_R11, UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14,
		UC_X86_REG_R15, UC_X86_REG_RIP, UC_X86_REG_RFLAGS, UC_X86_REG_CS, UC_X86_REG_SS,
		UC_X86_REG_CR0, UC_X86_REG_CR3, UC_X86_REG_CR4,
	};
	uint64_t h = FNV_OFFSET;

	for (unsigned i = 0; i < sizeof regs / sizeof regs[0]; i++)
		h = mix(h, cpu_get(cpu, regs[i]));
	h = mix(h, cpu_rdmsr(cpu, MSR_EFER));
	h = mix(h, cpu->vtime);
	/* Low RAM, then high RAM: a machine without RAM above the hole hashes as it always did. */
	for (unsigned i = 0; i < PHYS_RANGES; i++)
		h = mix_range(h, &cpu->phys.range[i]);
	return h;
}
