#include "hypercall.h"

#include "tsc.h"

static uint32_t guest_type = HV_GUEST_NONE;

void hv_init(uint64_t boot_rdx)
{
	guest_type = boot_rdx == HV_BOOT_PV || boot_rdx == HV_BOOT_VMX ? (uint32_t)boot_rdx : HV_GUEST_NONE;
}

uint32_t hv_guest_type(void)
{
	return guest_type;
}

const char *hv_guest_name(void)
{
	return guest_type == HV_BOOT_PV ? "PV" : guest_type == HV_BOOT_VMX ? "VMX" : "bare";
}

long hv_call(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	switch (guest_type) {
	case HV_BOOT_PV:
		return hv_syscall(nr, a0, a1, a2, a3);
	case HV_BOOT_VMX:
		return hv_vmcall(nr, a0, a1, a2, a3);
	default:
		return -HV_ENOSYS;
	}
}

void hv_yield_clock_start(struct hv_yield_clock *c, uint64_t interval)
{
	*c = (struct hv_yield_clock){ .interval = interval, .next = rdtsc() + interval };
}

void hv_yield_if_due(struct hv_yield_clock *c)
{
	if (!c->interval || !hv_present())
		return;
	uint64_t now = rdtsc();
	if (now < c->next)
		return;
	hv_call(HC_YIELD, 0, 0, 0, 0);
	c->next = now + c->interval;
}
