/*
 * The TLB-fill hook: every Unicorn TLB miss asks here what a linear address maps to and what the
 * current access class may do with the page. The class is QEMU's MMU index (learned through
 * cpu/uc_glue.c): user, supervisor with SMAP checks, supervisor without. Accesses that QEMU makes
 * on a supervisor index while CPL = 3 are implicit supervisor accesses (descriptor tables, TSS,
 * IDT); so are accesses to those tables at any CPL (SDM Vol. 3, 4.6 "Access Rights").
 */
#include "cpu/tlbfill.h"

#include "cpu/cpl.h"
#include "cpu/cpu.h"
#include "cpu/uc_glue.h"

static bool in_range(uint64_t va, uint64_t base, uint32_t limit)
{
	return va >= (base & ~0xfffull) && va <= base + limit;
}

/* Does the page at 'va' hold part of a system table (GDT, LDT, IDT, TSS)? */
static bool system_table_page(struct cpu *cpu, uint64_t va)
{
	static const int tables[] = { UC_X86_REG_GDTR, UC_X86_REG_IDTR, UC_X86_REG_LDTR, UC_X86_REG_TR };
	for (unsigned i = 0; i < sizeof tables / sizeof tables[0]; i++) {
		uc_x86_mmr m;
		cpu_get_mmr(cpu, tables[i], &m);
		if (m.limit && in_range(va, m.base, m.limit))
			return true;
	}
	return false;
}

static bool rflags_ac(struct cpu *cpu)
{
	return cpu_get(cpu, UC_X86_REG_RFLAGS) & RFLAGS_AC;
}

void tlbfill_classify(struct cpu *cpu, struct mmu_req *req, int mmu_idx, bool smap)
{
	unsigned cpl = cpu_cpl(cpu);

	if (mmu_idx == GLUE_IDX_UNKNOWN)
		mmu_idx = cpl == 3 ? GLUE_IDX_USER : rflags_ac(cpu) ? GLUE_IDX_KNOSMAP : GLUE_IDX_KSMAP;
	req->user = false;
	req->implicit = false;
	req->ac = false;
	switch (mmu_idx) {
	case GLUE_IDX_USER:
		req->user = true;
		return;
	/*
	 * At CPL < 3 "implicit" and AC matter only to SMAP, so the four table registers and
	 * RFLAGS are read only when CR4.SMAP is set (this runs on every TLB miss).
	 */
	case GLUE_IDX_KSMAP:
		req->implicit = cpl == 3 || (smap && system_table_page(cpu, req->va));
		return;
	default:
		req->implicit = cpl == 3 || (smap && system_table_page(cpu, req->va));
		req->ac = cpl < 3 && smap && rflags_ac(cpu);
		return;
	}
}

static enum mmu_access access_of(uc_mem_type type)
{
	switch (type) {
	case UC_MEM_WRITE:
		return MMU_WRITE;
	case UC_MEM_FETCH:
		return MMU_FETCH;
	default:
		return MMU_READ;
	}
}

bool tlbfill_hook(uc_engine *uc, uint64_t va, uc_mem_type type, uc_tlb_entry *e, void *opaque)
{
	struct cpu *cpu = opaque;
	struct mmu_regs regs;
	struct mmu_req req = { .va = glue_fault_address(va), .access = access_of(type) };
	struct mmu_result r;
	struct fault f;
	(void)uc;

	cpu->stats_fills++;
	if (va == CPL_STUB_VA) {
		/*
		 * The top page of the linear address space belongs to hvsim: the CPL stubs run
		 * there, and Unicorn 2.1.1 probes an instruction fetch at -2 whenever a run stops
		 * (refusing it turns a clean stop into UC_ERR_EXCEPTION). Outside a stub run the
		 * page is read/execute only. No paging structure maps it, so the architectural
		 * flushes leave it in the TLB; cpu/cpl.c flushes it when the permissions change.
		 */
		e->paddr = CPL_STUB_PA;
		e->perms = cpu->stub_active ? UC_PROT_ALL : UC_PROT_READ | UC_PROT_EXEC;
		return true;
	}
	cpu_tlb_filled(cpu, va);
	cpu_mmu_regs(cpu, &regs);
	tlbfill_classify(cpu, &req, glue_mmu_idx(), regs.cr4 & CR4_SMAP);
	if (!cpu_translate(cpu, &regs, &req, &r, &f)) {
		/*
		 * The first refused fill raises the exception and unwinds Unicorn; fills that
		 * follow before uc_emu_start returns (Unicorn probes its stop address) must not
		 * replace it.
		 */
		if (!cpu->fault_pending) {
			cpu->fault = f;
			cpu->fault_pending = true;
			cpu->fault_fetch = type == UC_MEM_FETCH;
		}
		return false;
	}
	e->paddr = r.pa & ~0xfffull;
	e->perms = (uc_prot)r.prot;
	return true;
}
