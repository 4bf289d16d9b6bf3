/* The three trackers (logdirty.h), each a few operations on EPT leaves and VMCS fields. */
#include "logdirty.h"


static void leaves_clear(struct vm *vm, uint64_t bits)
{
	for (uint64_t n = 0; n < vm->mem.npages; n++)
		vm->ept.leaves[n] &= ~bits;
}

static void leaves_set(struct vm *vm, uint64_t bits)
{
	for (uint64_t n = 0; n < vm->mem.npages; n++)
		vm->ept.leaves[n] |= bits;
}

/* Re-arm the pages in vm->dirty by clearing 'bits' in their leaves. */
static void dirty_leaves_clear(struct vm *vm, uint64_t bits)
{
	for (uint64_t w = 0; w < bitmap_words(vm->mem.npages); w++)
		for (uint64_t m = vm->dirty[w]; m; m &= m - 1)
			vm->ept.leaves[w * 64 + (uint64_t)__builtin_ctzll(m)] &= ~bits;
}

static void proc2_update(uint32_t set, uint32_t clear)
{
	vmwrite(PROC2_CONTROLS, (vmreadz(PROC2_CONTROLS) | set) & ~clear);
}

/* ---- PML (SDM Vol. 3, 29.3.6) ---- */

/*
 * The log fills downwards from the index software loads (511 uses the whole page; a lower one
 * makes a smaller log); the index names the next free entry and wraps from 0 to 0xFFFF once the
 * log is full (SDM Vol. 3, 29.3.6). Entries above the index are valid: drain them, start over.
 */
static void pml_drain(struct vm *vm)
{
	uint64_t index = vmreadz(PML_INDEX) & 0xffff, top = vm->pml_entries - 1;

	for (uint64_t i = index > top ? 0 : index + 1; i <= top; i++) {
		uint64_t gfn = vm->vcpu->pml[i] >> PAGE_SHIFT;
		if (gfn < vm->mem.npages)
			bitmap_set(vm->dirty, gfn);
	}
	vmwrite(PML_INDEX, top);
}

static void pml_enable(struct vm *vm)
{
	leaves_clear(vm, VMX_EPT_D);
	vmwrite(PML_INDEX, vm->pml_entries - 1);
	proc2_update(VMX_PROC2_PML, 0);
}

static void pml_collect(struct vm *vm)
{
	pml_drain(vm);
	dirty_leaves_clear(vm, VMX_EPT_D);
}

static void pml_disable(struct vm *vm)
{
	pml_drain(vm);
	proc2_update(0, VMX_PROC2_PML);
	leaves_set(vm, VMX_EPT_D);
}

static bool pml_exit(struct vm *vm, uint32_t reason, uint64_t qual, uint64_t gpa)
{
	(void)qual, (void)gpa;
	if (reason != EXIT_PML_FULL)
		return false;
	pml_drain(vm);
	return true;
}

const struct tracker tracker_pml = {
	.name = "pml", .needs_ad = true, .needs_pml = true, .enable = pml_enable,
	.collect = pml_collect, .disable = pml_disable, .exit = pml_exit,
};

/* ---- write-protect ---- */

static void wp_enable(struct vm *vm)
{
	leaves_clear(vm, VMX_EPT_W);
}

static void wp_collect(struct vm *vm)
{
	dirty_leaves_clear(vm, VMX_EPT_W);
}

static void wp_disable(struct vm *vm)
{
	leaves_set(vm, VMX_EPT_W);
}

/*
 * The first write to a protected page: log it and give W back. No INVEPT: the violation itself
 * invalidated the translations for that address (SDM Vol. 3, 29.4.3.3).
 */
static bool wp_exit(struct vm *vm, uint32_t reason, uint64_t qual, uint64_t gpa)
{
	uint64_t gfn = gpa >> PAGE_SHIFT;

	if (reason != EXIT_EPT_VIOLATION || !(qual & EPTV_WRITE) || gfn >= vm->mem.npages ||
	    (vm->ept.leaves[gfn] & VMX_EPT_W))
		return false;
	vm->ept.leaves[gfn] |= VMX_EPT_W;
	bitmap_set(vm->dirty, gfn);
	return true;
}

const struct tracker tracker_wp = {
	.name = "wp", .enable = wp_enable, .collect = wp_collect, .disable = wp_disable,
	.exit = wp_exit,
};

/* ---- D-bit scan ---- */

static void scan_enable(struct vm *vm)
{
	leaves_clear(vm, VMX_EPT_D);
}

static void scan_collect(struct vm *vm)
{
	for (uint64_t n = 0; n < vm->mem.npages; n++)
		if (vm->ept.leaves[n] & VMX_EPT_D) {
			bitmap_set(vm->dirty, n);
			vm->ept.leaves[n] &= ~VMX_EPT_D;
		}
}

static void scan_disable(struct vm *vm)
{
	leaves_set(vm, VMX_EPT_D);
}

static bool scan_exit(struct vm *vm, uint32_t reason, uint64_t qual, uint64_t gpa)
{
	(void)vm, (void)reason, (void)qual, (void)gpa;
	return false;
}

const struct tracker tracker_scan = {
	.name = "scan", .needs_ad = true, .enable = scan_enable, .collect = scan_collect,
	.disable = scan_disable, .exit = scan_exit,
};
