/*
 * PV guests: a 64-bit guest kernel that runs in ring 3, in an address space of its own whose lower
 * half maps its memory as user pages at the addresses it was linked for, with hv's half shared
 * (supervisor-only). Hypercalls arrive by SYSCALL (pv_entry.S).
 */
#ifndef HV_PV_H
#define HV_PV_H

#include "domain.h"

/* The registers SYSCALL leaves to hv, as pv_entry.S saves them. */
struct pv_regs {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t rsp;
};

struct pv {
	uint64_t root;     /* PML4 */
	uint64_t nframes;
	uint64_t *frames;  /* guest page n lives in frame frames[n] */
};

void pv_init(void);
/* Build the guest from its ELF image and run it until it ends; returns its result. */
int pv_run(struct domain *d, const void *elf, uint64_t elf_len);

#endif
