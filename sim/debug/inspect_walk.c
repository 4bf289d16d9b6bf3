/*
 * Page walks as a debugger shows them: `ept walk GPA` through the current VMCS's EPT, and
 * `pt walk [guest] VA` through the IA-32e paging structures, each level with its entry and
 * flags. Both use cpu/pagewalk.c's pt_walk with the architectural entry formats and never set
 * an A or D flag (no pt_set_accessed_dirty, no PML): looking changes nothing.
 */
#include <inttypes.h>
#include <string.h>

#include "cpu/profile.h"
#include "sim/debug/inspect.h"
#include "vmx/controls.h"
#include "vmx/ept.h"
#include "vmx/vmcs.h"

static unsigned slot_of(uint64_t addr, int level)
{
	return (unsigned)(addr >> (12 + 9 * (level - 1)) & 0x1ff);
}

static const char *page_size(int leaf_level)
{
	static const char *const sizes[] = { "?", "4K", "2M", "1G", "512G" };
	return sizes[leaf_level >= 1 && leaf_level <= 4 ? leaf_level : 0];
}

/* ---- EPT ---- */

/* EPT entry bits (SDM Vol. 3, 29.3.2, Tables 29-1 to 29-6; A/D: 29.3.5). */
#define EPTE_R (1ull << 0)
#define EPTE_W (1ull << 1)
#define EPTE_X (1ull << 2)
#define EPTE_MEMTYPE_SHIFT 3
#define EPTE_IPAT (1ull << 6)
#define EPTE_LARGE (1ull << 7)
#define EPTE_A (1ull << 8)
#define EPTE_D (1ull << 9)

bool dbg_vmcs_current(struct machine *m)
{
	return m->vmx.on && m->vmx.vmcs != VMCS_NONE &&
	       phys_contains(&m->cpu.phys, m->vmx.vmcs, VMCS_REGION_SIZE);
}

/* "enable EPT" in the secondary controls, themselves activated (SDM 25.6.2). */
bool dbg_vmcs_ept_on(struct machine *m)
{
	uint64_t proc = vmcs_read(&m->cpu.phys, m->vmx.vmcs, VMCS_PROC_BASED_CONTROLS);
	uint64_t proc2 = vmcs_read(&m->cpu.phys, m->vmx.vmcs, VMCS_SECONDARY_CONTROLS);
	return (proc & PROC_SECONDARY_CONTROLS) && (proc2 & PROC2_ENABLE_EPT);
}

void dbg_ept_walk(struct machine *m, uint64_t eptp, uint64_t gpa, struct pt_walk *w)
{
	eptp_t e = { .raw = eptp };
	struct pt_format fmt;
	struct pt_mem mem = { .phys = &m->cpu.phys };

	ept_entry_format(&fmt, &m->vmx.ept_caps, e.ad);
	pt_walk(&fmt, &mem, eptp, gpa, w);
}

static const char *ept_memtype(uint64_t e)
{
	static const char *const types[8] = { "UC", "WC", "mt2?", "mt3?", "WT", "WP", "WB", "mt7?" };
	return types[e >> EPTE_MEMTYPE_SHIFT & 7];
}

static void print_ept_entry(const struct pt_walk *w, int level, uint64_t gpa, bool leaf,
			    FILE *out)
{
	static const char *const names[] = { "", "PTE", "PDE", "PDPTE", "PML4E" };
	uint64_t e = w->entry[level];

	fprintf(out, "  %-5s #%-3u at %#" PRIx64 " = 0x%016" PRIx64 "  %c%c%c", names[level],
		slot_of(gpa, level), w->entry_addr[level], e, e & EPTE_R ? 'r' : '-',
		e & EPTE_W ? 'w' : '-', e & EPTE_X ? 'x' : '-');
	if (leaf)
		fprintf(out, " %s%s%s", ept_memtype(e), e & EPTE_IPAT ? " IPAT" : "",
			level > 1 ? (level == 2 ? " 2M-page" : " 1G-page") : "");
	fprintf(out, " A=%d", !!(e & EPTE_A));
	if (leaf)
		fprintf(out, " D=%d", !!(e & EPTE_D));
	fputc('\n', out);
}

static void print_ept_walk(const struct pt_walk *w, uint64_t gpa, FILE *out)
{
	int last = w->status == PT_OK ? w->leaf_level : w->fault_level;

	for (int level = PT_LEVELS; level >= last; level--)
		print_ept_entry(w, level, gpa, w->status == PT_OK && level == w->leaf_level, out);
	if (w->status == PT_NOT_PRESENT)
		fputs("  not present: an access would cause an EPT violation (exit reason 48)\n", out);
	else if (w->status == PT_RESERVED)
		fputs("  misconfigured: an access would cause an EPT misconfiguration (exit reason 49)\n",
		      out);
	else
		fprintf(out, "  GPA %#" PRIx64 " -> HPA %#" PRIx64 " (%s page)\n", gpa, w->pa,
			page_size(w->leaf_level));
}

enum dbg_cmd_result dbg_cmd_ept_walk(struct dbg_session *s, const struct dbg_args *a, FILE *out)
{
	struct machine *m = dbg_machine(s->dbg);
	struct pt_walk w = { 0 };
	uint64_t gpa;

	if (a->argc != 1)
		return dbg_cmd_error(out, a, "expected one guest-physical address");
	if (!dbg_parse_value(s, a->argv[0], &gpa))
		return dbg_cmd_error(out, a, "bad address '%s'", a->argv[0]);
	if (!dbg_vmcs_current(m))
		return dbg_cmd_error(out, a, "no current VMCS");
	if (!dbg_vmcs_ept_on(m))
		return dbg_cmd_error(out, a, "the current VMCS does not enable EPT");
	uint64_t eptp = vmcs_read(&m->cpu.phys, m->vmx.vmcs, VMCS_EPT_POINTER);
	eptp_t e = { .raw = eptp };
	fprintf(out, "EPT walk of GPA %#" PRIx64 ": EPTP %#" PRIx64 " (%u-level walk, A/D flags %s)\n",
		gpa, eptp, e.walk_length + 1, e.ad ? "on" : "off");
	dbg_ept_walk(m, eptp, gpa, &w);
	print_ept_walk(&w, gpa, out);
	return DBG_CMD_OK;
}

/* ---- IA-32e paging ---- */

/* Paging-structure entry bits (SDM Vol. 3, 4.5, Tables 4-15 to 4-20). */
static const struct {
	uint64_t bit;
	const char *name;
	bool leaf_only, non_pte; /* D and G only in a leaf; PS only above level 1 */
} pte_flags[] = {
	{ 1ull << 0, "P" }, { 1ull << 1, "RW" }, { 1ull << 2, "US" }, { 1ull << 3, "PWT" },
	{ 1ull << 4, "PCD" }, { 1ull << 5, "A" }, { 1ull << 6, "D", .leaf_only = true },
	{ 1ull << 7, "PS", .non_pte = true }, { 1ull << 8, "G", .leaf_only = true },
	{ 1ull << 63, "NX" },
};
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2)
#define PTE_NX (1ull << 63)

struct pt_view {
	struct machine *m;
	struct mmu_regs regs;
	bool nested;      /* table addresses are guest-physical, translated through EPT */
	uint64_t eptp;
};

/* Translate a guest paging-structure address through EPT, without touching a flag. */
static bool table_gpa(void *opaque, uint64_t gpa, bool write, uint64_t *hpa)
{
	struct pt_view *v = opaque;
	struct pt_walk w;

	(void)write;
	dbg_ept_walk(v->m, v->eptp, gpa, &w);
	*hpa = w.pa;
	return w.status == PT_OK;
}

static void print_pt_entry(const struct pt_view *v, const struct pt_walk *w, int level,
			   uint64_t va, bool leaf, FILE *out)
{
	static const char *const names[] = { "", "PTE", "PDE", "PDPTE", "PML4E" };
	uint64_t e = w->entry[level];

	fprintf(out, "  %-5s #%-3u at %#" PRIx64, names[level], slot_of(va, level),
		w->entry_addr[level]);
	if (v->nested)
		fprintf(out, " (HPA %#" PRIx64 ")", w->entry_pa[level]);
	fprintf(out, " = 0x%016" PRIx64 "  [", e);
	for (size_t i = 0; i < sizeof pte_flags / sizeof pte_flags[0]; i++) {
		if ((pte_flags[i].leaf_only && !leaf) || (pte_flags[i].non_pte && level == 1))
			continue;
		if (e & pte_flags[i].bit)
			fprintf(out, " %s", pte_flags[i].name);
	}
	fputs(" ]\n", out);
}

/* "rwx" for what an access class may do, given the combined rights. */
static void rights(FILE *out, const char *who, bool r, bool w, bool x, const char *note)
{
	fprintf(out, "%s %c%c%c%s", who, r ? 'r' : '-', w ? 'w' : '-', x ? 'x' : '-', note);
}

/*
 * The access rights of SDM Vol. 3, 4.6.1: R/W and U/S are ANDed over the levels, XD is ORed;
 * then for user accesses U/S and R/W decide, for supervisor accesses CR0.WP, SMEP (no fetch from
 * user pages) and SMAP (no data access to user pages unless EFLAGS.AC = 1 for explicit accesses).
 */
static void print_rights(const struct pt_view *v, const struct pt_walk *w, FILE *out)
{
	bool user = true, writable = true, nx = false;
	bool nxe = v->regs.efer & EFER_NXE, wp = v->regs.cr0 & CR0_WP;

	for (int level = PT_LEVELS; level >= w->leaf_level; level--) {
		user &= !!(w->entry[level] & PTE_US);
		writable &= !!(w->entry[level] & PTE_RW);
		nx |= nxe && (w->entry[level] & PTE_NX);
	}
	fputs("  effective: ", out);
	if (user)
		rights(out, "user", true, writable, !nx, "; ");
	else
		fputs("user none; ", out);
	bool smap = user && (v->regs.cr4 & CR4_SMAP), smep = user && (v->regs.cr4 & CR4_SMEP);
	rights(out, "supervisor", true, writable || !wp, !nx && !smep,
	       smap ? " (SMAP: data accesses only with EFLAGS.AC=1, never implicit ones)" : "");
	fputc('\n', out);
}

static void print_pt_walk(const struct pt_view *v, const struct pt_walk *w, uint64_t va, FILE *out)
{
	int last = w->status == PT_OK ? w->leaf_level : w->fault_level;

	for (int level = PT_LEVELS; level >= last; level--) {
		if (w->status == PT_TRANSLATE_FAILED && level == last)
			break;
		print_pt_entry(v, w, level, va, w->status == PT_OK && level == w->leaf_level, out);
	}
	if (w->status == PT_TRANSLATE_FAILED) {
		/* The walk stopped before reading the entry: its address comes from the level above. */
		uint64_t table = last == PT_LEVELS ? v->regs.cr3 : w->entry[last + 1];
		fprintf(out, "  level %d entry at GPA %#" PRIx64 " has no EPT translation\n", last,
			(uint64_t)(table & PT_ADDR_MASK) + 8u * slot_of(va, last));
		return;
	}
	if (w->status == PT_NOT_PRESENT) {
		fputs("  not present: an access would cause #PF (not-present)\n", out);
		return;
	}
	if (w->status == PT_RESERVED) {
		fputs("  reserved bits set: an access would cause #PF (reserved-bit)\n", out);
		return;
	}
	print_rights(v, w, out);
	fprintf(out, "  VA %#" PRIx64 " -> %s %#" PRIx64 " (%s page)", va, v->nested ? "GPA" : "PA",
		w->pa, page_size(w->leaf_level));
	if (v->nested) {
		struct pt_walk e;
		dbg_ept_walk(v->m, v->eptp, w->pa, &e);
		if (e.status == PT_OK)
			fprintf(out, " -> HPA %#" PRIx64, e.pa);
		else
			fputs(" -> no EPT translation", out);
	}
	fputc('\n', out);
}

/* The paging state of the running software, or with 'guest' of the current VMCS's guest. */
static bool pt_view_init(struct pt_view *v, struct machine *m, bool guest, const struct dbg_args *a,
			 FILE *out)
{
	*v = (struct pt_view){ .m = m };
	if (!guest) {
		cpu_mmu_regs(&m->cpu, &v->regs);
	} else {
		if (!dbg_vmcs_current(m)) {
			dbg_cmd_error(out, a, "no current VMCS");
			return false;
		}
		const struct phys *p = &m->cpu.phys;
		v->regs = (struct mmu_regs){ .cr0 = vmcs_read(p, m->vmx.vmcs, VMCS_GUEST_CR0),
					     .cr3 = vmcs_read(p, m->vmx.vmcs, VMCS_GUEST_CR3),
					     .cr4 = vmcs_read(p, m->vmx.vmcs, VMCS_GUEST_CR4),
					     .efer = vmcs_read(p, m->vmx.vmcs, VMCS_GUEST_IA32_EFER),
					     .maxphyaddr = 46 };
	}
	if ((guest || m->cpu.nonroot) && dbg_vmcs_current(m) && dbg_vmcs_ept_on(m)) {
		v->nested = true;
		v->eptp = vmcs_read(&m->cpu.phys, m->vmx.vmcs, VMCS_EPT_POINTER);
	}
	return true;
}

enum dbg_cmd_result dbg_cmd_pt_walk(struct dbg_session *s, const struct dbg_args *a, FILE *out)
{
	struct machine *m = dbg_machine(s->dbg);
	bool guest = a->argc == 2 && !strcmp(a->argv[0], "guest");
	struct pt_view v;
	struct pt_walk w = { 0 };
	uint64_t va;

	if (a->argc != 1 && !guest)
		return dbg_cmd_error(out, a, "expected [guest] VA");
	if (!dbg_parse_value(s, a->argv[a->argc - 1], &va))
		return dbg_cmd_error(out, a, "bad address '%s'", a->argv[a->argc - 1]);
	if (!pt_view_init(&v, m, guest, a, out))
		return DBG_CMD_ERROR;
	if (!(v.regs.cr0 & CR0_PG)) {
		fprintf(out, "paging is off: linear address %#" PRIx64 " is the physical address\n", va);
		return DBG_CMD_OK;
	}
	if (!(v.regs.efer & EFER_LMA) || !(v.regs.cr4 & CR4_PAE) || (v.regs.cr4 & CR4_LA57))
		return dbg_cmd_error(out, a, "only 4-level paging (IA-32e mode) is walked");
	fprintf(out, "%s page walk of VA %#" PRIx64 ": CR3 %#" PRIx64 "%s\n",
		guest || m->cpu.nonroot ? "guest" : "host", va, v.regs.cr3,
		v.nested ? " (table addresses are guest-physical, translated through EPT)" : "");
	struct pt_mem mem = { .phys = &m->cpu.phys, .translate = v.nested ? table_gpa : NULL,
			      .opaque = &v };
	pt_walk(ia32e_format(&v.regs), &mem, v.regs.cr3, va, &w);
	print_pt_walk(&v, &w, va, out);
	return DBG_CMD_OK;
}
