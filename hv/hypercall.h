/* The hypercall table (hv_abi.h is the guest's view). */
#ifndef HV_HYPERCALL_H
#define HV_HYPERCALL_H

#include "domain.h"

struct hypercall_ctx {
	struct domain *dom;
	unsigned nr;
	const char *name;
};

/* Run hypercall 'nr' for domain d with arguments a[0..3]; returns the guest's RAX. */
int64_t hypercall(struct domain *d, uint64_t nr, const uint64_t a[4]);
/* The hypercall being handled (for fault reports), or NULL. */
const struct hypercall_ctx *hypercall_current(void);
void hypercall_leave(void);

#endif
