/* Breakpoints and watchpoints as Unicorn hooks (cpu/debug.h); the run loop handles the stops. */
#include "cpu/debug.h"

#include "cpu/cpu.h"

/* Runs before the instruction at 'addr': a stop here leaves it unexecuted (RIP = addr). */
static void on_breakpoint(uc_engine *uc, uint64_t addr, uint32_t size, void *opaque)
{
	struct cpu *cpu = opaque;
	(void)size;

	if (cpu->stub_active || cpu->debug_stop || cpu->breaks_off || !cpu->debug ||
	    !cpu->debug->breakpoint)
		return;
	if (cpu->debug->breakpoint(cpu->debug->opaque, cpu, addr)) {
		cpu->debug_stop = true;
		cpu->debug_reason = CPU_DEBUG_BREAKPOINT;
		cpu->debug_addr = addr;
		uc_emu_stop(uc);
	}
}

/*
 * A data breakpoint is a trap (SDM Vol. 3, 17.3.1.2): the stop comes after the instruction. The
 * access is noted here; the next instruction's code hook (or the run loop, if the block ends
 * first) stops.
 */
static void on_access(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
		      void *opaque)
{
	struct cpu *cpu = opaque;
	bool write = type == UC_MEM_WRITE;
	(void)uc, (void)size, (void)value;

	if (cpu->stub_active || cpu->watch_hit || !cpu->debug || !cpu->debug->watchpoint)
		return;
	if (cpu->debug->watchpoint(cpu->debug->opaque, cpu, addr, write)) {
		cpu->watch_hit = true;
		cpu->debug_addr = addr;
		cpu->debug_write = write;
	}
}

static void on_insn_after_watch(uc_engine *uc, uint64_t addr, uint32_t size, void *opaque)
{
	struct cpu *cpu = opaque;
	(void)addr, (void)size;

	if (cpu->watch_hit && !cpu->debug_stop) {
		cpu->debug_stop = true;
		cpu->debug_reason = CPU_DEBUG_WATCHPOINT;
		uc_emu_stop(uc);
	}
}

bool cpu_break_insert(struct cpu *cpu, uint64_t addr, uc_hook *out)
{
	return uc_hook_add(cpu->uc, out, UC_HOOK_CODE, on_breakpoint, cpu, addr, addr) == UC_ERR_OK;
}

bool cpu_watch_insert(struct cpu *cpu, uint64_t addr, uint64_t len, bool read, bool write,
		      uc_hook *out)
{
	int type = (read ? UC_HOOK_MEM_READ : 0) | (write ? UC_HOOK_MEM_WRITE : 0);

	if (!len || addr + len - 1 < addr)
		return false;
	if (!cpu->watch_insns && uc_hook_add(cpu->uc, &cpu->watch_code_hook, UC_HOOK_CODE,
					     on_insn_after_watch, cpu, 1, 0) != UC_ERR_OK)
		return false;
	if (uc_hook_add(cpu->uc, out, type, on_access, cpu, addr, addr + len - 1) != UC_ERR_OK) {
		if (!cpu->watch_insns)
			uc_hook_del(cpu->uc, cpu->watch_code_hook);
		return false;
	}
	cpu->watch_insns++;
	return true;
}

void cpu_point_remove(struct cpu *cpu, uc_hook h)
{
	uc_hook_del(cpu->uc, h);
}

void cpu_watch_removed(struct cpu *cpu)
{
	if (cpu->watch_insns && !--cpu->watch_insns)
		uc_hook_del(cpu->uc, cpu->watch_code_hook);
}

void cpu_drop_held(struct cpu *cpu)
{
	cpu->held.valid = false;
}
