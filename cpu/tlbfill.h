#ifndef HVSIM_CPU_TLBFILL_H
#define HVSIM_CPU_TLBFILL_H

#include <stdbool.h>
#include <unicorn/unicorn.h>

#include "cpu/mmu.h"

struct cpu;

/* Decide user/supervisor, implicit and AC for an access made on QEMU MMU index 'mmu_idx'. */
void tlbfill_classify(struct cpu *cpu, struct mmu_req *req, int mmu_idx, bool smap);

/* UC_HOOK_TLB_FILL callback. */
bool tlbfill_hook(uc_engine *uc, uint64_t va, uc_mem_type type, uc_tlb_entry *e, void *opaque);

#endif
