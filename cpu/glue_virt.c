#define _GNU_SOURCE
#include "cpu/glue_virt.h"

#include <dlfcn.h>
#include <stdio.h>

#include "cpu/cpu.h"
#include "cpu/cr.h"
#include "cpu/icount.h"
#include "cpu/uc_glue.h"

typedef void (*env_fn)(void *env);
typedef uint64_t (*in_fn)(void *env, uint32_t port);
typedef void (*out_fn)(void *env, uint32_t port, uint32_t data);
typedef uint64_t (*read_cr_fn)(void *env, int reg);
typedef void (*invlpg_fn)(void *env, uint64_t addr);

static env_fn real_cpuid, real_rdtsc;
static in_fn real_in[3];
static out_fn real_out[3];
static read_cr_fn real_read_cr;
static invlpg_fn real_invlpg;

/* Exported replacements (cpu/uc_glue.dynlist). */
void helper_cpuid_x86_64(void *env);
void helper_rdtsc_x86_64(void *env);
uint64_t helper_inb_x86_64(void *env, uint32_t port);
uint64_t helper_inw_x86_64(void *env, uint32_t port);
uint64_t helper_inl_x86_64(void *env, uint32_t port);
void helper_outb_x86_64(void *env, uint32_t port, uint32_t data);
void helper_outw_x86_64(void *env, uint32_t port, uint32_t data);
void helper_outl_x86_64(void *env, uint32_t port, uint32_t data);
uint64_t helper_read_crN_x86_64(void *env, int reg);
void helper_invlpg_x86_64(void *env, uint64_t addr);

void glue_virt_exit(void *env, struct virt_event ev, uintptr_t retaddr)
{
	struct cpu *cpu = glue_cpu();

	if (!cpu || !cpu->executing || cpu->own_msr_access || !cpu->nonroot ||
	    !cpu->virt->exits(cpu, &ev))
		return;
	cpu->vmexit = ev;
	cpu->vmexit_pending = true;
	glue_raise(env, X86_GP, retaddr);
}

#define RA ((uintptr_t)__builtin_return_address(0))

void helper_cpuid_x86_64(void *env)
{
	glue_virt_exit(env, (struct virt_event){ .kind = VIRT_CPUID }, RA);
	real_cpuid(env);
}

void helper_rdtsc_x86_64(void *env)
{
	glue_virt_exit(env, (struct virt_event){ .kind = VIRT_RDTSC }, RA);
	real_rdtsc(env);
}

static struct virt_event io_event(uint32_t port, unsigned size, bool in)
{
	return (struct virt_event){ .kind = VIRT_IO,
				    .io = { .port = (uint16_t)port, .size = (uint8_t)size, .in = in } };
}

#define IO_HELPERS(suffix, idx, size)                                                    \
	uint64_t helper_in##suffix##_x86_64(void *env, uint32_t port)                      \
	{                                                                                  \
		glue_virt_exit(env, io_event(port, size, true), RA);                        \
		return real_in[idx](env, port);                                            \
	}                                                                                  \
	void helper_out##suffix##_x86_64(void *env, uint32_t port, uint32_t data)          \
	{                                                                                  \
		glue_virt_exit(env, io_event(port, size, false), RA);                       \
		real_out[idx](env, port, data);                                            \
	}
IO_HELPERS(b, 0, 1)
IO_HELPERS(w, 1, 2)
IO_HELPERS(l, 2, 4)

/*
 * MOV from CR: CR3 may exit; CR0 and CR4 read through the read shadows (SDM 26.3); CR8 is the
 * platform APIC's TPR (cpu/cr.h; hvsim offers neither CR8 exiting nor the TPR shadow).
 */
uint64_t helper_read_crN_x86_64(void *env, int reg)
{
	struct cpu *cpu = glue_cpu();
	struct virt_event ev = { .kind = VIRT_CR_READ, .cr = { .cr = (uint8_t)reg } };

	glue_virt_exit(env, ev, RA);
	uint64_t value = cpu && reg == 8 ? cr8_read(cpu) : real_read_cr(env, reg);
	if (cpu && cpu->nonroot)
		value = cpu->virt->cr_read(cpu, (unsigned)reg, value);
	return value;
}

void helper_invlpg_x86_64(void *env, uint64_t addr)
{
	glue_virt_exit(env, (struct virt_event){ .kind = VIRT_INVLPG, .addr = addr }, RA);
	real_invlpg(env, addr);
}

void glue_flush_page(void *env, uint64_t va)
{
	real_invlpg(env, va);
}

bool glue_virt_check(char *why, unsigned len)
{
	static const struct {
		const char *name;
		void **real;
		void *ours;
	} table[] = {
		{ "helper_cpuid_x86_64", (void **)&real_cpuid, (void *)helper_cpuid_x86_64 },
		{ "helper_rdtsc_x86_64", (void **)&real_rdtsc, (void *)helper_rdtsc_x86_64 },
		{ "helper_inb_x86_64", (void **)&real_in[0], (void *)helper_inb_x86_64 },
		{ "helper_inw_x86_64", (void **)&real_in[1], (void *)helper_inw_x86_64 },
		{ "helper_inl_x86_64", (void **)&real_in[2], (void *)helper_inl_x86_64 },
		{ "helper_outb_x86_64", (void **)&real_out[0], (void *)helper_outb_x86_64 },
		{ "helper_outw_x86_64", (void **)&real_out[1], (void *)helper_outw_x86_64 },
		{ "helper_outl_x86_64", (void **)&real_out[2], (void *)helper_outl_x86_64 },
		{ "helper_read_crN_x86_64", (void **)&real_read_cr, (void *)helper_read_crN_x86_64 },
		{ "helper_invlpg_x86_64", (void **)&real_invlpg, (void *)helper_invlpg_x86_64 },
	};
	for (unsigned i = 0; i < sizeof table / sizeof table[0]; i++) {
		*table[i].real = dlsym(RTLD_NEXT, table[i].name);
		if (!*table[i].real || dlsym(RTLD_DEFAULT, table[i].name) != table[i].ours) {
			snprintf(why, len, "libunicorn does not call hvsim's %s", table[i].name);
			return false;
		}
	}
	return true;
}

/* Prefixes and REX before the opcode (SDM Vol. 2A, 2.1.1, 2.2.1). */
static unsigned skip_prefixes(const uint8_t *b, unsigned n, bool *rep, uint8_t *rex)
{
	unsigned i = 0;
	*rep = false;
	*rex = 0;
	for (; i < n; i++) {
		uint8_t c = b[i];
		if (c == 0xf3 || c == 0xf2)
			*rep = true;
		else if (c != 0x66 && c != 0x67 && c != 0xf0 && c != 0x26 && c != 0x2e &&
			 c != 0x36 && c != 0x3e && c != 0x64 && c != 0x65)
			break;
	}
	if (i < n && (b[i] & 0xf0) == 0x40)
		*rex = b[i++];
	return i;
}

void glue_virt_complete(struct cpu *cpu, struct virt_event *ev)
{
	uint64_t rip = cpu_get(cpu, UC_X86_REG_RIP);
	uint8_t b[15] = { 0 };
	unsigned n = sizeof b;
	bool rep;
	uint8_t rex;

	while (n && !cpu_peek(cpu, rip, b, n))
		n--;
	ev->insn_len = icount_insn_length(cpu, rip);
	unsigned i = skip_prefixes(b, n, &rep, &rex);
	if (ev->kind == VIRT_IO && i < n) {
		uint8_t op = b[i];
		ev->io.imm = op >= 0xe4 && op <= 0xe7;
		ev->io.string = op >= 0x6c && op <= 0x6f;
		ev->io.rep = ev->io.string && rep;
	}
	/* MOV to/from CR: 0F 22 / 0F 20 with ModRM; rm (with REX.B) is the general register. */
	if ((ev->kind == VIRT_CR_READ || ev->kind == VIRT_CR_WRITE) && i + 2 < n && b[i] == 0x0f)
		ev->cr.gpr = (uint8_t)((b[i + 2] & 7) | ((rex & 1) ? 8 : 0));
}
