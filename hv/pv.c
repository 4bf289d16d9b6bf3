/* PV guests (pv.h). */
#include "pv.h"

#include "arch/x86.h"
#include "gmem.h"
#include "hypercall.h"
#include "mm/mm.h"
#include "trap/trap.h"

extern char pv_syscall_entry[];
extern struct pv_regs *pv_enter_regs;
extern uint64_t pv_enter_rip;
void pv_enter(void);
void pv_syscall(struct pv_regs *r);

/* SYSCALL/SYSRET (SDM Vol. 2, SYSCALL): selectors, entry point, and the flags entry clears. */
void pv_init(void)
{
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR, (uint64_t)SEL_STAR_SYSRET << 48 | (uint64_t)SEL_KCODE << 32);
	wrmsr(MSR_LSTAR, (uint64_t)pv_syscall_entry);
	wrmsr(MSR_FMASK, RFLAGS_IF | RFLAGS_TF | RFLAGS_DF | RFLAGS_AC | RFLAGS_NT | RFLAGS_IOPL);
}

void pv_syscall(struct pv_regs *r)
{
	const uint64_t a[4] = { r->rdi, r->rsi, r->rdx, r->r10 };
	r->rax = (uint64_t)hypercall(current_domain(), r->rax, a);
}

/* Guest page n at virtual address n * 4K, user and writable; page 0 stays unmapped. */
static bool map_guest(uint64_t root, const struct gmem *m)
{
	for (uint64_t n = 1; n < m->npages; n++)
		if (!pt_map(root, n << PAGE_SHIFT, m->frames[n], PTE_US | PTE_RW))
			return false;
	return true;
}

int pv_run(struct domain *d, const void *elf, uint64_t elf_len)
{
	struct gmem m;
	struct pv pv = { 0 };
	struct pv_regs regs = { 0 };
	const char *why;

	if (!gmem_alloc(&m, d->ram_bytes) || !(pv.root = pt_new_space()) || !map_guest(pv.root, &m))
		panic("out of memory for guest %s", d->name);
	if (!elf_load(&m, elf, elf_len, &pv_enter_rip, &why)) {
		printf("hv: guest %s: %s\n", d->name, why);
		gmem_free(&m);
		return DOMAIN_CRASHED;
	}
	guest_boot_cmdline(&m, d->cmdline);
	regs.rsp = guest_boot_base(&m);
	regs.rdi = d->ram_bytes;
	regs.rsi = guest_boot_base(&m) + GUEST_BOOT_CMDLINE;
	regs.rdx = HV_BOOT_PV;
	pv_enter_regs = &regs;
	d->pv = &pv;
	domain_set_current(d);
	write_cr3(pv.root);
	if (!hv_setjmp(&d->ended))
		pv_enter();
	write_cr3(paging_hv_root());
	domain_set_current(NULL);
	gmem_free(&m);
	return d->result;
}
