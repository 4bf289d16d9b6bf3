/* hv's virtual memory layout, shared by assembly and C. */
#ifndef HV_BOOT_LAYOUT_H
#define HV_BOOT_LAYOUT_H

/* hv's image: the top 2 GiB, -mcmodel=kernel (hv.ld). */
#define KERNEL_VBASE 0xffffffff80000000
/* All of RAM, supervisor-only and not executable, at PML4 slot 272 (as Linux's old direct map). */
#define DIRECTMAP_SLOT 272
#define DIRECTMAP_BASE 0xffff880000000000
/* PV guests own PML4 slots 0..255, the lower half; hv's mappings are in slots 256..511. */
#define GUEST_HALF_SLOTS 256

#define HV_STACK_SIZE 32768

#endif
