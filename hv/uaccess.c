/* Copy helpers: range checks, then the guarded copy (uaccess.h). */
#include "uaccess.h"

#include "pv.h"
#include "vmx/vm.h"

/*
 * Every guest's pointers must lie in [PAGE_SIZE, ram_bytes): never the NULL page (hv_abi.h), never
 * past its RAM, never hv's half. A PV guest's memory is mapped at exactly those addresses; a VMX
 * guest's addresses are then translated through its page tables (vm_copy).
 */
static bool range_ok(const struct domain *d, uint64_t p, uint64_t len)
{
	return p >= PAGE_SIZE && len <= d->ram_bytes && p <= d->ram_bytes - len;
}

int copy_from_guest(struct domain *d, void *dst, uint64_t src, uint64_t len)
{
	if (!range_ok(d, src, len))
		return -HV_EFAULT;
	if (d->type == DOMAIN_VMX)
		return vm_copy(d->vm, dst, src, len, false);
	return pv_copy_raw(dst, (const void *)src, len) ? -HV_EFAULT : 0;
}

int copy_to_guest(struct domain *d, uint64_t dst, const void *src, uint64_t len)
{
	if (!range_ok(d, dst, len))
		return -HV_EFAULT;
	if (d->type == DOMAIN_VMX)
		return vm_copy(d->vm, (void *)src, dst, len, true);
	return pv_copy_raw((void *)dst, src, len) ? -HV_EFAULT : 0;
}

int guest_range_check(struct domain *d, uint64_t p, uint64_t len)
{
	if (!range_ok(d, p, len))
		return -HV_EFAULT;
	return d->type == DOMAIN_VMX ? vm_copy(d->vm, NULL, p, len, true) : 0;
}
