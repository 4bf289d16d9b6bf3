/*
 * Guest memory of a VMX guest as the copy helpers see it: a guest-linear address goes through the
 * guest's own 4-level paging (SDM Vol. 3, 4.5; the guest runs with CR0.PG and IA-32e paging),
 * then guest-physical to host frame through gmem (which is what EPT maps). Every table read and
 * the final range must lie in guest RAM, else -HV_EFAULT. Writes are marked dirty for log-dirty.
 * With host == NULL, only the translation is checked (a dry run).
 */
#include "vmx/vm.h"

#include "arch/x86.h"
#include "logdirty.h"

static bool read_gpa64(const struct vm *vm, uint64_t gpa, uint64_t *v)
{
	if (gpa >> PAGE_SHIFT >= vm->mem.npages || (gpa & 7))
		return false;
	*v = *(const uint64_t *)((const uint8_t *)gmem_page(&vm->mem, gpa >> PAGE_SHIFT) + (gpa & 4095));
	return true;
}

/* Guest-linear to guest-physical for a supervisor access; false where the CPU would #PF. */
static bool translate(const struct vm *vm, uint64_t gva, bool write, uint64_t *gpa)
{
	uint64_t table = vmreadz(GUEST_CR3) & PTE_ADDR, e = 0;
	bool wp = vmreadz(GUEST_CR0) & CR0_WP;

	if ((uint64_t)((int64_t)(gva << 16) >> 16) != gva) /* non-canonical */
		return false;
	for (unsigned shift = 39;; shift -= 9) {
		if (!read_gpa64(vm, table + ((gva >> shift) & 511) * 8, &e) || !(e & PTE_P))
			return false;
		if (write && wp && !(e & PTE_RW))
			return false;
		if (shift == 12 || (shift <= 30 && (e & PTE_PS))) {
			uint64_t size = 1ull << shift;
			*gpa = (e & PTE_ADDR & ~(size - 1)) | (gva & (size - 1));
			return true;
		}
		table = e & PTE_ADDR;
	}
}

int vm_copy(struct vm *vm, void *host, uint64_t gva, uint64_t len, bool to_guest)
{
	uint8_t *h = host;

	while (len) {
		uint64_t gpa, chunk = PAGE_SIZE - (gva & (PAGE_SIZE - 1));
		chunk = chunk < len ? chunk : len;
		if (!translate(vm, gva, to_guest, &gpa) || gpa >> PAGE_SHIFT >= vm->mem.npages)
			return -HV_EFAULT;
		uint8_t *g = (uint8_t *)gmem_page(&vm->mem, gpa >> PAGE_SHIFT) + (gpa & (PAGE_SIZE - 1));
		if (!host) {
			/* a dry run: only the translation is checked */
		} else if (to_guest) {
			memcpy(g, h, chunk);
			logdirty_mark(vm, gpa >> PAGE_SHIFT);
		} else {
			memcpy(h, g, chunk);
		}
		h = h ? h + chunk : NULL;
		gva += chunk;
		len -= chunk;
	}
	return 0;
}
