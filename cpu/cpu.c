#include "cpu/cpu.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpl.h"
#include "cpu/cr.h"
#include "cpu/events.h"
#include "cpu/glue_exc.h"
#include "cpu/glue_virt.h"
#include "cpu/icount.h"
#include "cpu/profile.h"
#include "cpu/tlbfill.h"
#include "cpu/uc_glue.h"

static const char *const cpu_errors[] = {
	[CPU_OK] = "success",
	[CPU_ERR_UNICORN] = "Unicorn refused the machine setup",
	[CPU_ERR_NOMEM] = "out of memory",
	[CPU_ERR_PROFILE] = "unknown CPU profile",
	[CPU_ERR_GLUE] = "Unicorn's internal helpers cannot be replaced",
};

const char *cpu_strerror(enum cpu_err e)
{
	return (unsigned)e < sizeof cpu_errors / sizeof cpu_errors[0] ? cpu_errors[e] : "?";
}

uint64_t cpu_get_api(struct cpu *cpu, int reg)
{
	uint64_t v = 0;
	if (reg == UC_X86_REG_CR8)
		return cr8_read(cpu); /* not Unicorn's: the APIC's (cpu/cr.h) */
	uc_err err = uc_reg_read(cpu->uc, reg, &v);
	if (err != UC_ERR_OK) {
		fprintf(stderr, "hvsim: internal error: reading register %d: %s\n", reg, uc_strerror(err));
		abort();
	}
	return v;
}

void cpu_set(struct cpu *cpu, int reg, uint64_t value)
{
	if (reg == UC_X86_REG_CR8) {
		cr8_write(cpu, value);
		return;
	}
	uc_err err = uc_reg_write(cpu->uc, reg, &value);
	if (err != UC_ERR_OK) {
		fprintf(stderr, "hvsim: internal error: writing register %d: %s\n", reg, uc_strerror(err));
		abort();
	}
}

/*
 * Unicorn 2.1.1's uc_reg_write(UC_X86_REG_CR2) runs cpu_x86_update_cr3() with the new value
 * (its CR1/CR2/CR3 cases share code), clobbering CR3. Put CR3 back after writing CR2.
 */
void cpu_set_cr2(struct cpu *cpu, uint64_t cr2)
{
	uint64_t cr3 = cpu_get(cpu, UC_X86_REG_CR3);
	cpu_set(cpu, UC_X86_REG_CR2, cr2);
	cpu_set(cpu, UC_X86_REG_CR3, cr3);
}

void cpu_get_mmr(struct cpu *cpu, int reg, uc_x86_mmr *m)
{
	*m = (uc_x86_mmr){ 0 };
	if (!glue_env_mmr(&cpu->env, reg, m))
		uc_reg_read(cpu->uc, reg, m);
}

void cpu_set_mmr(struct cpu *cpu, int reg, const uc_x86_mmr *m)
{
	uc_reg_write(cpu->uc, reg, m);
}

/* In protected mode CPL is CS.RPL (QEMU keeps SS.DPL equal to it). */
unsigned cpu_cpl(struct cpu *cpu)
{
	if (!(cpu_get(cpu, UC_X86_REG_CR0) & CR0_PE))
		return 0;
	return (unsigned)cpu_get(cpu, UC_X86_REG_CS) & 3;
}

uint64_t cpu_rdmsr(struct cpu *cpu, uint32_t index)
{
	uc_x86_msr m = { .rid = index };
	uint64_t v;
	/*
	 * In place: the MSRs cpu/glue_env.c found are ones the profile leaves to Unicorn, which
	 * the virtualization layer never reports (cpu/virt.h), so the API would end in QEMU's
	 * helper_rdmsr reading that field.
	 */
	if (glue_env_msr(&cpu->env, index, &v))
		return v;
	bool own = cpu->own_msr_access;
	cpu->own_msr_access = true;
	uc_reg_read(cpu->uc, UC_X86_REG_MSR, &m);
	cpu->own_msr_access = own;
	return m.value;
}

void cpu_wrmsr(struct cpu *cpu, uint32_t index, uint64_t value)
{
	uc_x86_msr m = { .rid = index, .value = value };
	bool own = cpu->own_msr_access;
	cpu->own_msr_access = true;
	uc_reg_write(cpu->uc, UC_X86_REG_MSR, &m);
	cpu->own_msr_access = own;
}

void cpu_mmu_regs(struct cpu *cpu, struct mmu_regs *r)
{
	r->cr0 = cpu_get(cpu, UC_X86_REG_CR0);
	r->cr3 = cpu_get(cpu, UC_X86_REG_CR3);
	r->cr4 = cpu_get(cpu, UC_X86_REG_CR4);
	r->efer = cpu_rdmsr(cpu, MSR_EFER);
	r->maxphyaddr = 46;
}

/*
 * QEMU caches translations in its TLB and translated blocks, by linear address, in a jump cache
 * that is looked up without translating. Its INVLPG drops both for one page; done for every page
 * filled since the last flush, that is all a full flush drops: every TLB entry came through the
 * fill hook, and every jump-cache entry was made by a lookup that went through the TLB since.
 * A full flush clears each MMU index's table and the 32 KB jump cache, whatever they hold.
 */
void cpu_flush_tlb(struct cpu *cpu)
{
	if (!cpu->env.base || cpu->tlb_page_count > CPU_TLB_PAGES)
		uc_ctl_flush_tlb(cpu->uc);
	else
		for (unsigned i = 0; i < cpu->tlb_page_count; i++)
			glue_flush_page(cpu->env.base, cpu->tlb_pages[i]);
	cpu->tlb_page_count = 0;
}

void cpu_flush_tlb_page(struct cpu *cpu, uint64_t va)
{
	if (cpu->env.base)
		glue_flush_page(cpu->env.base, va & ~0xfffull);
	else
		uc_ctl_flush_tlb(cpu->uc);
}

/*
 * on_block counts a whole block when it starts; an instruction inside it that reads the time
 * (RDTSC, RDMSR of the TSC) sees the instructions retired before it. QEMU synchronises RIP
 * before those helpers, since they may fault.
 */
uint64_t cpu_now(struct cpu *cpu)
{
	uint64_t rip;

	if (!cpu->executing || !cpu->block_size)
		return cpu->vtime;
	rip = cpu_get(cpu, UC_X86_REG_RIP);
	if (rip < cpu->block_pc || rip >= cpu->block_pc + cpu->block_size)
		return cpu->vtime;
	return cpu->block_vtime + icount_before(cpu, cpu->block_pc, rip);
}

void cpu_set_nonroot(struct cpu *cpu, bool nonroot)
{
	if (nonroot && !cpu->nonroot)
		cpu->nonroot_since = cpu->vtime;
	else if (!nonroot && cpu->nonroot)
		cpu->guest_time_before += cpu->vtime - cpu->nonroot_since;
	cpu->nonroot = nonroot;
}

void cpu_tlb_filled(struct cpu *cpu, uint64_t va)
{
	uint64_t page = va & ~0xfffull;
	unsigned n = cpu->tlb_page_count;

	for (unsigned i = 0; i < n && i < CPU_TLB_PAGES; i++)
		if (cpu->tlb_pages[i] == page)
			return;
	if (n < CPU_TLB_PAGES)
		cpu->tlb_pages[n] = page;
	if (n <= CPU_TLB_PAGES)
		cpu->tlb_page_count = n + 1;
}

void cpu_request_stop(struct cpu *cpu)
{
	cpu->stop_requested = true;
	cpu_stop_after_block(cpu);
}

/*
 * Unicorn sees a stop request when the next block starts, after that block's hook: on_block
 * must not count a block that will not run.
 */
void cpu_stop_after_block(struct cpu *cpu)
{
	cpu->stopping = true;
	uc_emu_stop(cpu->uc);
}

void cpu_kick(struct cpu *cpu)
{
	cpu->deadline = 0;
}

void cpu_log(struct cpu *cpu, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(cpu->cfg.log_file ? cpu->cfg.log_file : stderr, fmt, ap);
	va_end(ap);
}

bool cpu_virt_rw(struct cpu *cpu, uint64_t va, void *buf, size_t len, bool write, bool user,
		 bool implicit, struct fault *f)
{
	struct mmu_regs regs;
	uint8_t *p = buf;

	cpu_mmu_regs(cpu, &regs);
	while (len) {
		struct mmu_req req = { .va = va, .access = write ? MMU_WRITE : MMU_READ,
				       .user = user, .implicit = implicit };
		struct mmu_result r;
		size_t chunk = 0x1000 - (va & 0xfff);
		uint8_t *host;
		if (chunk > len)
			chunk = len;
		if (!cpu_translate(cpu, &regs, &req, &r, f))
			return false;
		host = phys_host(&cpu->phys, r.pa, chunk);
		if (!host) {
			if (write)
				uc_mem_write(cpu->uc, r.pa, p, chunk);
			else if (uc_mem_read(cpu->uc, r.pa, p, chunk) != UC_ERR_OK)
				memset(p, 0xff, chunk);
		} else if (write) {
			memcpy(host, p, chunk);
		} else {
			memcpy(p, host, chunk);
		}
		va += chunk;
		p += chunk;
		len -= chunk;
	}
	return true;
}

bool cpu_peek(struct cpu *cpu, uint64_t va, void *buf, size_t len)
{
	struct mmu_regs regs;
	uint8_t *p = buf;

	cpu_mmu_regs(cpu, &regs);
	while (len) {
		size_t chunk = 0x1000 - (va & 0xfff);
		const uint8_t *host;
		uint64_t pa;
		if (chunk > len)
			chunk = len;
		if (!cpu_probe(cpu, &regs, va, &pa) || !(host = phys_host(&cpu->phys, pa, chunk)))
			return false;
		memcpy(p, host, chunk);
		va += chunk;
		p += chunk;
		len -= chunk;
	}
	return true;
}

static void count_block(struct cpu *cpu, uint64_t pc, uint32_t size, unsigned n)
{
	cpu->block_vtime = cpu->vtime;
	cpu->block_pc = pc;
	cpu->block_size = size;
	cpu->vtime += n;
}

/* Everything but a known block that runs whole before the deadline (on_block). */
static __attribute__((noinline, cold)) void on_block_slow(uc_engine *uc, struct cpu *cpu,
							  uint64_t pc, uint32_t size)
{
	/*
	 * A stop requested here ends the run before this block executes (Unicorn checks for it
	 * after the block hook): count the block only if it runs.
	 */
	if (cpu->vtime >= cpu->deadline) {
		uc_emu_stop(uc);
		return;
	}
	if (cpu->nbreaks && !cpu->breaks_off && !cpu->running_first && cpu_break_check(cpu, pc, size)) {
		uc_emu_stop(uc);
		return;
	}
	unsigned n = icount_lookup(cpu, cpu->icache, pc, size);
	if (cpu->vtime + n > cpu->deadline && !cpu->running_first) {
		/* The deadline falls inside: the run loop runs the part before it alone (cpu/run.c). */
		cpu->split_pc = pc;
		cpu->split_insns = cpu->deadline - cpu->vtime;
		uc_emu_stop(uc);
		return;
	}
	count_block(cpu, pc, size, n);
}

/* Every block, before it runs: the hot path of the whole simulator (measured by `make bench`). */
static void on_block(uc_engine *uc, uint64_t pc, uint32_t size, void *opaque)
{
	struct cpu *cpu = opaque;

	if (cpu->stub_active || cpu->stopping)
		return;
	unsigned n = icount_probe(cpu->icache, pc, size);
	if (__builtin_expect(n && cpu->vtime + n <= cpu->deadline && !cpu->nbreaks, 1))
		count_block(cpu, pc, size, n);
	else
		on_block_slow(uc, cpu, pc, size);
}

static void on_interrupt(uc_engine *uc, uint32_t intno, void *opaque)
{
	struct cpu *cpu = opaque;
	(void)uc;

	cpu->exc_pending = true;
	cpu->exc_vector = (uint8_t)intno;
	cpu->exc_error = glue_exc_take(&cpu->env, (uint8_t)intno, &cpu->exc_soft);
	cpu_stop_after_block(cpu);
}

static bool on_invalid(uc_engine *uc, void *opaque)
{
	struct cpu *cpu = opaque;
	(void)uc;

	cpu->exc_pending = true;
	cpu->exc_vector = X86_UD;
	cpu->exc_soft = false;
	cpu_stop_after_block(cpu);
	return true;
}

static uint32_t on_in(uc_engine *uc, uint32_t port, int size, void *opaque)
{
	struct cpu *cpu = opaque;
	(void)uc;
	return cpu->io.in ? cpu->io.in(cpu->io.opaque, (uint16_t)port, (unsigned)size)
			  : 0xffffffffu;
}

static void on_out(uc_engine *uc, uint32_t port, int size, uint32_t value, void *opaque)
{
	struct cpu *cpu = opaque;
	(void)uc;
	if (cpu->io.out)
		cpu->io.out(cpu->io.opaque, (uint16_t)port, (unsigned)size, value);
}

static bool on_cpuid(uc_engine *uc, void *opaque)
{
	struct cpu *cpu = opaque;
	struct cpuid_regs r;
	(void)uc;

	profile_cpuid(cpu, (uint32_t)cpu_get(cpu, UC_X86_REG_RAX),
		      (uint32_t)cpu_get(cpu, UC_X86_REG_RCX), &r);
	cpu_set(cpu, UC_X86_REG_RAX, r.eax);
	cpu_set(cpu, UC_X86_REG_RBX, r.ebx);
	cpu_set(cpu, UC_X86_REG_RCX, r.ecx);
	cpu_set(cpu, UC_X86_REG_RDX, r.edx);
	return true; /* skip Unicorn's own CPUID */
}

/* Unicorn's SYSCALL only calls this hook and steps over the instruction; cpu/run.c performs it. */
static void on_syscall(uc_engine *uc, void *opaque)
{
	struct cpu *cpu = opaque;
	(void)uc;

	cpu->syscall_pending = true;
	cpu_stop_after_block(cpu);
}

static enum cpu_err add_hooks(struct cpu *cpu)
{
	uc_hook *h = cpu->hooks;
	uc_err e = UC_ERR_OK;

	e |= uc_hook_add(cpu->uc, h++, UC_HOOK_TLB_FILL, tlbfill_hook, cpu, 1, 0);
	e |= uc_hook_add(cpu->uc, h++, UC_HOOK_BLOCK, on_block, cpu, 1, 0);
	e |= uc_hook_add(cpu->uc, h++, UC_HOOK_INTR, on_interrupt, cpu, 1, 0);
	e |= uc_hook_add(cpu->uc, h++, UC_HOOK_INSN_INVALID, on_invalid, cpu, 1, 0);
	e |= uc_hook_add(cpu->uc, h++, UC_HOOK_INSN, on_in, cpu, 1, 0, UC_X86_INS_IN);
	e |= uc_hook_add(cpu->uc, h++, UC_HOOK_INSN, on_out, cpu, 1, 0, UC_X86_INS_OUT);
	e |= uc_hook_add(cpu->uc, h++, UC_HOOK_INSN, on_cpuid, cpu, 1, 0, UC_X86_INS_CPUID);
	e |= uc_hook_add(cpu->uc, h++, UC_HOOK_INSN, on_syscall, cpu, 1, 0, UC_X86_INS_SYSCALL);
	return e == UC_ERR_OK ? CPU_OK : CPU_ERR_UNICORN;
}

/* Each RAM range is one Unicorn region over its part of the host block (cpu/phys.h). */
static bool map_ram(struct cpu *cpu)
{
	for (unsigned i = 0; i < PHYS_RANGES; i++) {
		const struct phys_range *r = &cpu->phys.range[i];
		if (r->size && uc_mem_map_ptr(cpu->uc, r->base, r->size, UC_PROT_ALL, r->host) != UC_ERR_OK)
			return false;
	}
	return true;
}

enum cpu_err cpu_init(struct cpu *cpu, const struct cpu_config *cfg, uint8_t *ram)
{
	char why[200];
	enum cpu_err err;

	memset(cpu, 0, sizeof *cpu);
	cpu->cfg = *cfg;
	cpu->profile = profile_find(cfg->profile);
	if (!cpu->profile)
		return CPU_ERR_PROFILE;
	if (!glue_check(why, sizeof why) || !glue_virt_check(why, sizeof why)) {
		fprintf(stderr, "hvsim: %s\n", why);
		return CPU_ERR_GLUE;
	}
	cpu->phys = phys_layout(ram, cfg->ram_size);
	cpu->ptmem = (struct pt_mem){ .phys = &cpu->phys };
	cpu->deadline = UINT64_MAX;
	cpu->msr_apic_base = 0xfee00000ull | (1ull << 11) | (1ull << 8);
	cpu->icache = icount_new();
	if (!cpu->icache)
		return CPU_ERR_NOMEM;
	if (uc_open(UC_ARCH_X86, UC_MODE_64, &cpu->uc) != UC_ERR_OK)
		return CPU_ERR_UNICORN;
	glue_enter(cpu);
	if (uc_ctl_set_cpu_model(cpu->uc, UC_CPU_X86_BROADWELL) != UC_ERR_OK ||
	    uc_ctl_tlb_mode(cpu->uc, UC_TLB_VIRTUAL) != UC_ERR_OK ||
	    !map_ram(cpu) ||
	    !cpl_init(cpu))
		return CPU_ERR_UNICORN;
	err = add_hooks(cpu);
	if (err == CPU_OK && !glue_env_locate(cpu, why, sizeof why)) {
		fprintf(stderr, "hvsim: %s\n", why);
		return CPU_ERR_GLUE;
	}
	return err;
}

void cpu_destroy(struct cpu *cpu)
{
	if (cpu->uc)
		uc_close(cpu->uc);
	icount_free(cpu->icache);
	glue_leave();
	cpu->uc = NULL;
	cpu->icache = NULL;
}
