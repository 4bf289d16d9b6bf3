/* Watchpoints as Unicorn memory hooks (cpu/debug.h); breakpoints are checked in on_block. */
#include "cpu/debug.h"

#include "cpu/cpu.h"
#include "cpu/icount.h"

/*
 * A data breakpoint is a trap (SDM Vol. 3, 17.3.1.2): the stop comes after the instruction. A
 * stop requested here takes effect where the block ends; a debugger that needs the exact
 * instruction steps the block again (sim/debug/engine.c).
 */
static void on_access(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
		      void *opaque)
{
	struct cpu *cpu = opaque;
	bool write = type == UC_MEM_WRITE;
	(void)uc, (void)size, (void)value;

	if (cpu->stub_active || cpu->watch_hit || !cpu->debug || !cpu->debug->watchpoint)
		return;
	if (cpu->debug->watchpoint(cpu->debug->opaque, cpu, addr, (unsigned)size, write)) {
		cpu->watch_hit = true;
		cpu_stop_after_block(cpu);
	}
}

bool cpu_watch_insert(struct cpu *cpu, uint64_t addr, uint64_t len, bool read, bool write,
		      uc_hook *out)
{
	int type = (read ? UC_HOOK_MEM_READ : 0) | (write ? UC_HOOK_MEM_WRITE : 0);

	if (!len || addr + len - 1 < addr || !type)
		return false;
	/* Unicorn matches a hook's range against where an access starts, not what it covers. */
	uint64_t first = addr > CPU_ACCESS_MAX - 1 ? addr - (CPU_ACCESS_MAX - 1) : 0;
	if (uc_hook_add(cpu->uc, out, type, on_access, cpu, first, addr + len - 1) != UC_ERR_OK)
		return false;
	/*
	 * Code translated without a memory hook reads and writes pages in the TLB inline, past
	 * every hook (Unicorn's tcg_uc_has_hookmem is asked at translation): translate it again.
	 */
	uc_ctl_flush_tb(cpu->uc);
	return true;
}

void cpu_watch_remove(struct cpu *cpu, uc_hook h)
{
	uc_hook_del(cpu->uc, h);
	uc_ctl_flush_tb(cpu->uc); /* the last one gone, code may take the fast path again */
}

void cpu_set_breakpoints(struct cpu *cpu, const uint64_t *addrs, unsigned n)
{
	cpu->breaks = addrs;
	cpu->nbreaks = n;
}

/*
 * A breakpoint in the block about to run (on_block): at its first instruction, stop before it;
 * further in, run the instructions before it alone, as for a deadline (cpu/run.c), so that the
 * next block starts at the breakpoint. Returns true if the block must not run now.
 */
bool cpu_break_check(struct cpu *cpu, uint64_t pc, uint32_t size)
{
	uint64_t first = 0;
	bool found = false;

	for (unsigned i = 0; i < cpu->nbreaks; i++) {
		uint64_t a = cpu->breaks[i];
		if (a >= pc && a < pc + size && (!found || a < first)) {
			first = a;
			found = true;
		}
	}
	if (!found)
		return false;
	if (first == pc) {
		if (!cpu->debug || !cpu->debug->breakpoint ||
		    !cpu->debug->breakpoint(cpu->debug->opaque, cpu, pc))
			return false;
		cpu->debug_stop = true;
		cpu->debug_reason = CPU_DEBUG_BREAKPOINT;
		return true;
	}
	cpu->split_pc = pc;
	cpu->split_insns = icount_before(cpu, pc, first);
	return cpu->split_insns != 0;
}

void cpu_drop_held(struct cpu *cpu)
{
	cpu->held.valid = false;
}
