/*
 * Hypercalls: one table, one entry per call (hv_abi.h documents the ABI). Every guest pointer
 * goes through the copy helpers — except in HC_UNSAFE_READ, the deliberate bug compiled in only
 * with HV_UNSAFE_DEMO=1: it reads the guest's buffer directly, the class of bug SMAP exists to
 * catch (with SMAP on, it faults and trap/dispatch.c reports a SMAP violation).
 */
#include "hypercall.h"

#include "logdirty.h"
#include "uaccess.h"

typedef int64_t (*hypercall_fn)(struct domain *d, const uint64_t a[4]);

static struct hypercall_ctx active;
static bool in_hypercall;

static int64_t hc_console_write(struct domain *d, const uint64_t a[4])
{
	char buf[128];
	uint64_t done = 0, len = a[1];

	if (len > (1u << 20))
		return -HV_EINVAL;
	while (done < len) {
		uint64_t n = len - done < sizeof buf ? len - done : sizeof buf;
		if (copy_from_guest(d, buf, a[0] + done, n))
			return done ? (int64_t)done : -HV_EFAULT;
		domain_console(d, buf, n);
		done += n;
	}
	return (int64_t)done;
}

static int64_t hc_meminfo(struct domain *d, const uint64_t a[4])
{
	struct hv_meminfo mi = {
		.ram_bytes = d->ram_bytes, .page_size = PAGE_SIZE,
		.guest_type = d->type == DOMAIN_PV ? HV_BOOT_PV : HV_BOOT_VMX,
		.migrations = d->migrations,
	};
	return copy_to_guest(d, a[0], &mi, sizeof mi);
}

static int64_t hc_logdirty(struct domain *d, const uint64_t a[4])
{
	if (d->type != DOMAIN_VMX)
		return -HV_ENOSYS;
	return logdirty_guest_op(d->vm, a[0], a[1], a[2]);
}

static int64_t hc_yield(struct domain *d, const uint64_t a[4])
{
	(void)d, (void)a;
	return 0;
}

/*
 * The guest's verdict. Its message (already on the guest's console) must be readable: hv reads
 * its first byte, so that a bad pointer is refused like everywhere else.
 */
static int64_t hc_report(struct domain *d, const uint64_t a[4])
{
	char c;

	if (a[0] != HV_RESULT_SUCCESS && a[0] != HV_RESULT_FAILURE && a[0] != HV_RESULT_ERROR &&
	    a[0] != HV_RESULT_SKIP)
		return -HV_EINVAL;
	if (copy_from_guest(d, &c, a[1], 1))
		return -HV_EFAULT;
	domain_end(d, (int)a[0]);
}

#ifdef HV_UNSAFE_DEMO
/* THE BUG, on purpose: dereferences a guest pointer with no helper, no range check, no STAC. */
static int64_t hc_unsafe_read(struct domain *d, const uint64_t a[4])
{
	const volatile uint8_t *p = (const volatile uint8_t *)a[0];
	uint64_t sum = 0;

	(void)d;
	for (uint64_t i = 0; i < a[1] && i < (1u << 20); i++)
		sum += p[i];
	return (int64_t)sum;
}
#endif

static const struct {
	const char *name;
	hypercall_fn fn;
} table[HC_COUNT] = {
	[HC_CONSOLE_WRITE] = { "console_write", hc_console_write },
	[HC_MEMINFO] = { "meminfo", hc_meminfo },
	[HC_LOGDIRTY] = { "logdirty", hc_logdirty },
	[HC_YIELD] = { "yield", hc_yield },
	[HC_REPORT] = { "report", hc_report },
#ifdef HV_UNSAFE_DEMO
	[HC_UNSAFE_READ] = { "unsafe_read", hc_unsafe_read },
#endif
};

int64_t hypercall(struct domain *d, uint64_t nr, const uint64_t a[4])
{
	if (nr >= HC_COUNT || !table[nr].fn)
		return -HV_ENOSYS;
	active = (struct hypercall_ctx){ d, (unsigned)nr, table[nr].name };
	in_hypercall = true;
	int64_t r = table[nr].fn(d, a);
	in_hypercall = false;
	return r;
}

const struct hypercall_ctx *hypercall_current(void)
{
	return in_hypercall ? &active : NULL;
}

void hypercall_leave(void)
{
	in_hypercall = false;
}
