/*
 * The only way hv touches guest memory. Each helper checks the range against the guest's memory
 * and copies; a bad guest pointer yields -HV_EFAULT, never a crash of hv.
 *   PV guests: guest memory is user pages in the current address space. The copy runs between
 *   STAC and CLAC as one faulting instruction with an exception-table fixup (uaccess_pv.S).
 *   VMX guests: the guest's linear address is translated through its page tables and EPT
 *   (vmx/gmem.c) and the bytes are copied through hv's direct map.
 */
#ifndef HV_UACCESS_H
#define HV_UACCESS_H

#include "domain.h"

int copy_from_guest(struct domain *d, void *dst, uint64_t guest_src, uint64_t len);
int copy_to_guest(struct domain *d, uint64_t guest_dst, const void *src, uint64_t len);

/* -HV_EFAULT unless a copy_to_guest of [p, p + len) would succeed; copies nothing. */
int guest_range_check(struct domain *d, uint64_t p, uint64_t len);

/* Low level, PV: copy with SMAP lifted for exactly one instruction; returns bytes NOT copied. */
uint64_t pv_copy_raw(void *dst, const void *src, uint64_t len);

#endif
