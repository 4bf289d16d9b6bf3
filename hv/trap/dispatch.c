/*
 * Exceptions: a fault on a guest address inside a copy helper continues at its fixup; a fault
 * caused by a PV guest (CPL 3) crashes that guest, and so does a fault inside one of its hypercalls
 * (after a full report: it is hv's bug, but no guest may bring hv down); any other fault is fatal. A supervisor access to a user page that SMAP forbids (SDM Vol. 3, 4.6.1) is reported as
 * a SMAP violation naming the hypercall that made it, the report the seed's scenario is about.
 */
#include "trap/trap.h"

#include "arch/x86.h"
#include "domain.h"
#include "hypercall.h"
#include "mm/mm.h"

#define VEC_PF 14

extern const struct extable_entry __extable_start[], __extable_end[];

static const char *const vector_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS", "#NP", "#SS",
	"#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

static bool extable_fixup(struct trap_frame *f)
{
	for (const struct extable_entry *e = __extable_start; e < __extable_end; e++)
		if (e->insn == f->rip) {
			f->rip = e->fixup;
			return true;
		}
	return false;
}

static const char *vector_name(uint64_t v)
{
	return v < 32 && vector_names[v] ? vector_names[v] : "#??";
}

/* A supervisor-mode #PF that SMAP or SMEP caused (SDM Vol. 3, 4.6.1), or NULL. */
static const char *pf_protection_reason(const struct trap_frame *f, uint64_t cr2)
{
	uint64_t cr4 = read_cr4(), leaf = pt_lookup(read_cr3() & PTE_ADDR, cr2);

	if ((f->error & (PFEC_P | PFEC_U)) != PFEC_P || !(leaf & PTE_US))
		return NULL;
	if (f->error & PFEC_I)
		return cr4 & CR4_SMEP ? "SMEP violation" : NULL;
	return (cr4 & CR4_SMAP) && !(f->rflags & RFLAGS_AC) ? "SMAP violation" : NULL;
}

static void print_pf_line(const struct trap_frame *f, uint64_t cr2)
{
	printf("hv:   RIP %016lx <", f->rip);
	print_symbol(f->rip);
	printf(">  CR2 %016lx  error 0x%lx (%s, %s, %s)  AC=%lu CPL=%lu\n", cr2, f->error,
	       f->error & PFEC_P ? "protection" : "not-present",
	       f->error & PFEC_I ? "fetch" : f->error & PFEC_W ? "write" : "read",
	       f->error & PFEC_U ? "user" : "supervisor", (f->rflags >> 18) & 1, f->cs & 3);
}

static void print_registers(const struct trap_frame *f)
{
	printf("hv:   RAX %016lx RBX %016lx RCX %016lx RDX %016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
	printf("hv:   RSI %016lx RDI %016lx RBP %016lx RSP %016lx\n", f->rsi, f->rdi, f->rbp, f->rsp);
	printf("hv:   R8  %016lx R9  %016lx R10 %016lx R11 %016lx\n", f->r8, f->r9, f->r10, f->r11);
	printf("hv:   R12 %016lx R13 %016lx R14 %016lx R15 %016lx\n", f->r12, f->r13, f->r14, f->r15);
	printf("hv:   RFLAGS %016lx CS %04lx SS %04lx CR0 %016lx CR3 %016lx CR4 %016lx\n", f->rflags,
	       f->cs, f->ss, read_cr0(), read_cr3(), read_cr4());
}

/* A PV guest's own fault: it dies, hv carries on. */
static void guest_fault(const struct trap_frame *f)
{
	uint64_t cr2 = read_cr2();

	printf("hv: guest %s: %s", current_domain()->name, vector_name(f->vector));
	if (f->vector == VEC_PF)
		printf(" at %016lx (error 0x%lx)", cr2, f->error);
	printf(" at RIP %016lx\n", f->rip);
	domain_crash(current_domain(), "guest exception");
}

static void hv_fault(const struct trap_frame *f)
{
	uint64_t cr2 = read_cr2();
	const struct hypercall_ctx *hc = hypercall_current();
	const char *why = f->vector == VEC_PF ? pf_protection_reason(f, cr2) : NULL;

	if (why && hc) {
		printf("hv: %s in hypercall %s (%u) from guest %s\n", why, hc->name, hc->nr, hc->dom->name);
		print_pf_line(f, cr2);
		domain_crash(hc->dom, why);
	}
	if (hc) { /* any other fault of a hypercall: its guest dies, not hv */
		printf("hv: %s in hypercall %s (%u) from guest %s\n", vector_name(f->vector), hc->name,
		       hc->nr, hc->dom->name);
		if (f->vector == VEC_PF)
			print_pf_line(f, cr2);
		print_registers(f);
		domain_crash(hc->dom, "fault in a hypercall");
	}
	printf("hv: fatal %s", why ? why : vector_name(f->vector));
	if (f->vector != VEC_PF)
		printf(" (error 0x%lx) at RIP %016lx <", f->error, f->rip), print_symbol(f->rip), printf(">");
	printf("\n");
	if (f->vector == VEC_PF)
		print_pf_line(f, cr2);
	print_registers(f);
	panic("unexpected exception");
}

void trap_dispatch(struct trap_frame *f)
{
	if (f->vector == VEC_PF && !(f->cs & 3) && extable_fixup(f))
		return;
	if (f->cs & 3)
		guest_fault(f);
	hv_fault(f);
}
