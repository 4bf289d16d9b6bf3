#include "sim/machine.h"

#include <errno.h>
#include <string.h>

#include "cpu/events.h"
#include "sim/boot32.h"
#include "sim/boot64.h"
#include "sim/exitcode.h"
#include "sim/loader.h"
#include "sim/ram.h"

int machine_create(struct machine *m, const struct machine_config *cfg)
{
	struct cpu_config cc = { .ram_size = cfg->ram_size, .log = cfg->log, .profile = cfg->profile };
	enum cpu_err err;

	memset(m, 0, sizeof *m);
	m->cfg = *cfg;
	m->serial = stdout;
	if (cfg->serial_path && !(m->serial = fopen(cfg->serial_path, "w"))) {
		fprintf(stderr, "hvsim: %s: cannot open for writing: %s\n", cfg->serial_path, strerror(errno));
		return EXIT_USAGE;
	}
	m->ram = ram_alloc(cfg->ram_size);
	if (!m->ram) {
		fprintf(stderr, "hvsim: cannot reserve %llu bytes of guest RAM\n",
			(unsigned long long)cfg->ram_size);
		return EXIT_SIM_FAULT;
	}
	err = cpu_init(&m->cpu, &cc, m->ram);
	if (err != CPU_OK) {
		fprintf(stderr, "hvsim: cannot create the CPU: %s\n", cpu_strerror(err));
		return err == CPU_ERR_PROFILE ? EXIT_USAGE : EXIT_SIM_FAULT;
	}
	vmx_attach(&m->vmx, &m->cpu);
	if (!platform_init(&m->platform, &m->cpu, m->serial, cfg->ram_size)) {
		fprintf(stderr, "hvsim: cannot map the local APIC page\n");
		return EXIT_SIM_FAULT;
	}
	m->cpu.budget = cfg->max_insns;
	return EXIT_OK;
}

int machine_boot(struct machine *m)
{
	struct image img;
	struct load_error err;
	struct boot_info bi;
	struct load_target t = { .phys = &m->cpu.phys, .cmdline = m->cfg.cmdline,
				 .modules = m->cfg.modules, .module_count = m->cfg.module_count };
	char why[160];

	if (!image_read(m->cfg.image, &img, &err)) {
		fprintf(stderr, "hvsim: %s\n", err.msg);
		return EXIT_USAGE;
	}
	bool ok = image_load(&img, &t, &bi, &err);
	image_free(&img);
	if (!ok) {
		fprintf(stderr, "hvsim: %s\n", err.msg);
		return EXIT_USAGE;
	}
	if (bi.kind == IMAGE_ELF64) {
		boot64_setup(&m->cpu, bi.entry, m->cfg.cmdline);
	} else if (!boot32_setup(&m->cpu, MB_AREA_GDT, (uint32_t)bi.entry, bi.mb_magic, bi.mb_info,
				 why, sizeof why)) {
		fprintf(stderr, "hvsim: %s: cannot enter 32-bit protected mode: %s\n", m->cfg.image, why);
		return EXIT_SIM_FAULT;
	}
	return EXIT_OK;
}

/* One line: where, and the exceptions that led to the shutdown (cpu/events.h). */
static void report_triple_fault(struct machine *m)
{
	struct cpu *c = &m->cpu;
	char chain[512];

	event_describe_chain(c, chain, sizeof chain);
	fprintf(stderr, "hvsim: triple fault at rip=%#llx (cpl %u): %s; the CPU shut down\n",
		(unsigned long long)cpu_get(c, UC_X86_REG_RIP), cpu_cpl(c), chain);
}

/* Run to the end, stopping at the observer's ticks (machine.h). */
int machine_run(struct machine *m)
{
	const struct machine_observer *o = m->observer;
	enum cpu_stop stop;

	for (;;) {
		if (o)
			m->cpu.stop_at = (m->cpu.vtime / o->period + 1) * o->period;
		stop = cpu_run(&m->cpu);
		if (!o || stop != CPU_STOP_DEBUG || m->cpu.debug_reason != CPU_DEBUG_TIME)
			break;
		if (!o->tick(o->ctx, m)) {
			m->cpu.stop_at = 0;
			fflush(m->serial);
			return EXIT_INTERRUPTED;
		}
	}
	m->cpu.stop_at = 0;
	return machine_exit_code(m, stop);
}

int machine_exit_code(struct machine *m, enum cpu_stop stop)
{
	fflush(m->serial);
	switch (stop) {
	case CPU_STOP_REQUEST:
		if (!m->platform.exited)
			return EXIT_SIM_FAULT;
		if (m->cfg.exit_style == EXIT_STYLE_QEMU)
			return (int)(((m->platform.exit_value << 1) | 1) & 0xff);
		return m->platform.exit_value == 0 ? EXIT_OK : EXIT_GUEST_FAIL;
	case CPU_STOP_HALT:
		return EXIT_OK;
	case CPU_STOP_BUDGET:
		fprintf(stderr, "hvsim: instruction budget of %llu exhausted at rip=%#llx\n",
			(unsigned long long)m->cfg.max_insns,
			(unsigned long long)cpu_get(&m->cpu, UC_X86_REG_RIP));
		return EXIT_SIM_FAULT;
	case CPU_STOP_TRIPLE_FAULT:
		report_triple_fault(m);
		vmx_dump_exits(&m->vmx, stderr);
		return EXIT_SIM_FAULT;
	default:
		fprintf(stderr, "hvsim: %s\n", m->cpu.error);
		vmx_dump_exits(&m->vmx, stderr);
		return EXIT_SIM_FAULT;
	}
}

void machine_destroy(struct machine *m)
{
	cpu_destroy(&m->cpu);
	ram_free(m->ram, m->cfg.ram_size);
	if (m->serial && m->serial != stdout)
		fclose(m->serial);
	m->ram = NULL;
}
