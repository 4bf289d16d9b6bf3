/*
 * Address translation as the CPU performs it at this moment. In VMX non-root operation with EPT,
 * the guest's linear-address walk reads its paging structures at guest-physical addresses, each
 * translated through EPT, and the final guest-physical address is translated too (SDM Vol. 3,
 * 29.3.2 "EPT Translation Mechanism"); the virtualization layer does the EPT part.
 */
#include "cpu/cpu.h"

/*
 * When a tapped access happened, in guest time: vtime counts a block's instructions when it
 * begins, so its accesses are dated to that beginning. Every block that begins before a tap's
 * quantum end then belongs to that quantum, and the run loop's flush comes right after it.
 */
static uint64_t tap_time(const struct cpu *cpu)
{
	uint64_t start = cpu->block_vtime > cpu->nonroot_since ? cpu->block_vtime : cpu->nonroot_since;
	return cpu->guest_time_before + (start - cpu->nonroot_since);
}

static bool entry_translate(void *opaque, uint64_t gpa, bool write, uint64_t *pa)
{
	struct cpu *cpu = opaque;
	struct virt_access a = { .gpa = gpa, .access = write ? MMU_WRITE : MMU_READ,
				 .paging_structure = true, .gla_valid = true, .gla = cpu->walk_gla,
				 .probe = cpu->walk_probe };
	struct virt_gpa g;

	if (!cpu->virt->translate(cpu, &a, &g))
		return false;
	if (cpu->tap && !a.probe)
		cpu->tap->access(cpu->tap->opaque, gpa, !write, tap_time(cpu));
	*pa = g.hpa;
	return true;
}

static struct pt_mem guest_tables(struct cpu *cpu, uint64_t va, bool probe)
{
	cpu->walk_gla = va;
	cpu->walk_probe = probe;
	return (struct pt_mem){ .phys = &cpu->phys, .translate = entry_translate, .opaque = cpu };
}

bool cpu_translate(struct cpu *cpu, const struct mmu_regs *regs, const struct mmu_req *req,
		   struct mmu_result *out, struct fault *f)
{
	if (!cpu->nonroot)
		return mmu_translate(regs, &cpu->ptmem, req, out, f);

	struct pt_mem mem = guest_tables(cpu, req->va, false);
	if (!mmu_translate(regs, &mem, req, out, f))
		return false;
	struct virt_access a = { .gpa = out->pa, .access = req->access, .gla_valid = true,
				 .gla = req->va };
	struct virt_gpa g;
	if (!cpu->virt->translate(cpu, &a, &g)) {
		*f = (struct fault){ .reason = FAULT_VM_EXIT, .cr2 = req->va };
		return false;
	}
	out->pa = g.hpa;
	out->prot &= g.prot;
	if (cpu->tap) {
		/* A page filled for reading must come back here when it is first written. */
		if (req->access == MMU_WRITE)
			cpu->tap->access(cpu->tap->opaque, a.gpa, false, tap_time(cpu));
		else
			out->prot &= ~MMU_PROT_W;
	}
	return true;
}

bool cpu_probe(struct cpu *cpu, const struct mmu_regs *regs, uint64_t va, uint64_t *pa)
{
	if (!cpu->nonroot)
		return mmu_probe(regs, &cpu->ptmem, va, pa);

	struct pt_mem mem = guest_tables(cpu, va, true);
	uint64_t gpa;
	struct virt_gpa g;
	if (!mmu_probe(regs, &mem, va, &gpa))
		return false;
	struct virt_access a = { .gpa = gpa, .access = MMU_READ, .probe = true };
	if (!cpu->virt->translate(cpu, &a, &g))
		return false;
	*pa = g.hpa;
	return true;
}
