/*
 * The current VMCS, every field by name (vmx/vmcs_fields.def), with the fields whose bits have
 * names decoded; and the page-modification log it points to. Read from the VMCS region in RAM
 * with vmcs_read: looking changes nothing.
 */
#include <inttypes.h>
#include <string.h>
#include <strings.h>

#include "sim/debug/inspect.h"
#include "vmx/controls.h"
#include "vmx/ept.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"

struct bit_name {
	uint32_t mask;
	const char *name;
};
#define N(t) (sizeof t / sizeof t[0])

/* SDM Vol. 3, Table 25-5 "Definitions of Pin-Based VM-Execution Controls". */
static const struct bit_name pin_bits[] = {
	{ PIN_EXTINT_EXITING, "external-interrupt exiting" }, { PIN_NMI_EXITING, "NMI exiting" },
	{ PIN_VIRTUAL_NMIS, "virtual NMIs" }, { PIN_PREEMPTION_TIMER, "activate VMX-preemption timer" },
	{ PIN_POSTED_INTERRUPTS, "process posted interrupts" },
};
/* Table 25-6 "Definitions of Primary Processor-Based VM-Execution Controls". */
static const struct bit_name proc_bits[] = {
	{ PROC_INTR_WINDOW, "interrupt-window exiting" }, { PROC_TSC_OFFSETTING, "use TSC offsetting" },
	{ PROC_HLT_EXITING, "HLT exiting" }, { PROC_INVLPG_EXITING, "INVLPG exiting" },
	{ 1u << 10, "MWAIT exiting" }, { 1u << 11, "RDPMC exiting" },
	{ PROC_RDTSC_EXITING, "RDTSC exiting" }, { PROC_CR3_LOAD_EXITING, "CR3-load exiting" },
	{ PROC_CR3_STORE_EXITING, "CR3-store exiting" }, { 1u << 17, "activate tertiary controls" },
	{ PROC_CR8_LOAD_EXITING, "CR8-load exiting" }, { PROC_CR8_STORE_EXITING, "CR8-store exiting" },
	{ PROC_TPR_SHADOW, "use TPR shadow" }, { PROC_NMI_WINDOW, "NMI-window exiting" },
	{ 1u << 23, "MOV-DR exiting" }, { PROC_UNCOND_IO_EXITING, "unconditional I/O exiting" },
	{ PROC_USE_IO_BITMAPS, "use I/O bitmaps" }, { 1u << 27, "monitor trap flag" },
	{ PROC_USE_MSR_BITMAPS, "use MSR bitmaps" }, { 1u << 29, "MONITOR exiting" },
	{ 1u << 30, "PAUSE exiting" }, { PROC_SECONDARY_CONTROLS, "activate secondary controls" },
};
/* Table 25-7 "Definitions of Secondary Processor-Based VM-Execution Controls". */
static const struct bit_name proc2_bits[] = {
	{ 1u << 0, "virtualize APIC accesses" }, { PROC2_ENABLE_EPT, "enable EPT" },
	{ 1u << 2, "descriptor-table exiting" }, { 1u << 3, "enable RDTSCP" },
	{ 1u << 4, "virtualize x2APIC mode" }, { PROC2_ENABLE_VPID, "enable VPID" },
	{ 1u << 6, "WBINVD exiting" }, { PROC2_UNRESTRICTED_GUEST, "unrestricted guest" },
	{ 1u << 8, "APIC-register virtualization" }, { 1u << 9, "virtual-interrupt delivery" },
	{ 1u << 10, "PAUSE-loop exiting" }, { 1u << 11, "RDRAND exiting" },
	{ 1u << 12, "enable INVPCID" }, { 1u << 13, "enable VM functions" },
	{ 1u << 14, "VMCS shadowing" }, { 1u << 15, "enable ENCLS exiting" },
	{ 1u << 16, "RDSEED exiting" }, { PROC2_ENABLE_PML, "enable PML" },
	{ 1u << 18, "EPT-violation #VE" }, { 1u << 19, "conceal VMX from PT" },
	{ 1u << 20, "enable XSAVES/XRSTORS" }, { 1u << 22, "mode-based execute control for EPT" },
	{ 1u << 23, "sub-page write permissions for EPT" }, { 1u << 25, "use TSC scaling" },
};
/* Table 25-14 "Definitions of Primary VM-Exit Controls". */
static const struct bit_name exit_bits[] = {
	{ EXIT_SAVE_DEBUG_CONTROLS, "save debug controls" },
	{ EXIT_HOST_ADDR_SPACE_SIZE, "host address-space size" },
	{ 1u << 12, "load IA32_PERF_GLOBAL_CTRL" }, { EXIT_ACK_INTERRUPT, "acknowledge interrupt on exit" },
	{ EXIT_SAVE_PAT, "save IA32_PAT" }, { EXIT_LOAD_PAT, "load IA32_PAT" },
	{ EXIT_SAVE_EFER, "save IA32_EFER" }, { EXIT_LOAD_EFER, "load IA32_EFER" },
	{ EXIT_SAVE_PREEMPTION_TIMER, "save VMX-preemption timer value" },
	{ 1u << 23, "clear IA32_BNDCFGS" }, { 1u << 24, "conceal VMX from PT" },
};
/* Table 25-16 "Definitions of VM-Entry Controls". */
static const struct bit_name entry_bits[] = {
	{ ENTRY_LOAD_DEBUG_CONTROLS, "load debug controls" }, { ENTRY_IA32E_GUEST, "IA-32e mode guest" },
	{ ENTRY_SMM, "entry to SMM" }, { ENTRY_DEACTIVATE_DUAL_MONITOR, "deactivate dual-monitor treatment" },
	{ 1u << 13, "load IA32_PERF_GLOBAL_CTRL" }, { ENTRY_LOAD_PAT, "load IA32_PAT" },
	{ ENTRY_LOAD_EFER, "load IA32_EFER" }, { 1u << 16, "load IA32_BNDCFGS" },
	{ 1u << 17, "conceal VMX from PT" },
};
/* Table 25-3 "Format of Interruptibility State". */
static const struct bit_name interruptibility_bits[] = {
	{ 1u << 0, "blocking by STI" }, { 1u << 1, "blocking by MOV SS" },
	{ 1u << 2, "blocking by SMI" }, { 1u << 3, "blocking by NMI" },
};

static void print_names(FILE *out, uint64_t v, const struct bit_name *t, size_t n)
{
	const char *sep = "";
	uint64_t unnamed = v;

	if (!v)
		return;
	fputs("  [", out);
	for (size_t i = 0; i < n; i++) {
		if (v & t[i].mask) {
			fprintf(out, "%s%s", sep, t[i].name);
			sep = ", ";
		}
		unnamed &= ~(uint64_t)t[i].mask;
	}
	if (unnamed)
		fprintf(out, "%sother bits %#" PRIx64, sep, unnamed);
	fputc(']', out);
}

/* ---- decoders of single fields ---- */

/* SDM Vol. 3, Table 25-2 "Format of Access Rights". */
static void decode_ar(FILE *out, uint64_t v)
{
	if (v & (1u << 16)) {
		fputs("  [unusable]", out);
		return;
	}
	fprintf(out, "  [type %u%s DPL %u%s%s%s%s]", (unsigned)(v & 15), v & (1u << 4) ? " S" : "",
		(unsigned)(v >> 5 & 3), v & (1u << 7) ? " P" : " not-present", v & (1u << 13) ? " L" : "",
		v & (1u << 14) ? " D/B" : "", v & (1u << 15) ? " G" : "");
}

/* Table 25-19/25-20: VM-entry/exit interruption information and IDT-vectoring information. */
static void decode_intr_info(FILE *out, uint64_t v)
{
	static const char *const types[8] = { "external interrupt", "reserved", "NMI",
					      "hardware exception", "software interrupt",
					      "privileged software exception", "software exception",
					      "other event" };
	if (!(v & (1u << 31))) {
		fputs("  [not valid]", out);
		return;
	}
	const char *name = dbg_vector_name(v & 0xff);
	fprintf(out, "  [%s, vector %u%s%s%s]", types[v >> 8 & 7], (unsigned)(v & 0xff),
		name ? " " : "", name ? name : "", v & (1u << 11) ? ", error code" : "");
}

static void decode_exit_reason(FILE *out, uint64_t v)
{
	const char *id = dbg_exit_reason_id(v & 0xffff);

	fprintf(out, "  [%s: %s%s]", id ? id : "?", vmx_exit_reason_name(v & 0xffff),
		v & EXIT_REASON_ENTRY_FAILURE ? ", VM-entry failure" : "");
}

/* Table 28-7 "Exit Qualification for EPT Violations" (the only qualification decoded here). */
static void decode_ept_qual(FILE *out, uint64_t v)
{
	ept_qual_t q = { .raw = v };

	fprintf(out, "  [EPT violation: %s%s%saccess; entries allow %c%c%c",
		q.read ? "read " : "", q.write ? "write " : "", q.fetch ? "fetch " : "",
		q.readable ? 'r' : '-', q.writable ? 'w' : '-', q.executable ? 'x' : '-');
	if (q.gla_valid)
		fputs(q.gla_translated ? "; to the translated GLA" : "; to a guest paging entry", out);
	fprintf(out, "%s]", q.nmi_unblocking ? "; NMI unblocking" : "");
}

/* 25.6.11 "Extended-Page-Table Pointer (EPTP)". */
static void decode_eptp(FILE *out, uint64_t v)
{
	eptp_t e = { .raw = v };

	fprintf(out, "  [memory type %s, %u-level walk, A/D flags %s, PML4 table %#" PRIx64 "]",
		e.memtype == 6 ? "WB" : e.memtype == 0 ? "UC" : "reserved", e.walk_length + 1,
		e.ad ? "on" : "off", (uint64_t)(v & PT_ADDR_MASK));
}

/* 29.3.6: the PML index names the next free entry; outside 0..511 the log is full. */
static void decode_pml_index(FILE *out, uint64_t v)
{
	if (v < 512)
		fprintf(out, "  [next entry %" PRIu64 "]", v);
	else
		fprintf(out, "  [log full%s]", v == 0xffff ? ": wrapped past entry 0" : "");
}

/* SDM Vol. 3, 31.4 "VM Instruction Error Numbers", Table 31-1. */
static void decode_insn_error(FILE *out, uint64_t v)
{
	static const char *const errors[] = {
		[1] = "VMCALL executed in VMX root operation",
		[2] = "VMCLEAR with invalid physical address",
		[3] = "VMCLEAR with VMXON pointer",
		[4] = "VMLAUNCH with non-clear VMCS",
		[5] = "VMRESUME with non-launched VMCS",
		[6] = "VMRESUME after VMXOFF",
		[7] = "VM entry with invalid control field(s)",
		[8] = "VM entry with invalid host-state field(s)",
		[9] = "VMPTRLD with invalid physical address",
		[10] = "VMPTRLD with VMXON pointer",
		[11] = "VMPTRLD with incorrect VMCS revision identifier",
		[12] = "VMREAD/VMWRITE from/to unsupported VMCS component",
		[13] = "VMWRITE to read-only VMCS component",
		[15] = "VMXON executed in VMX root operation",
		[26] = "VM entry with events blocked by MOV SS",
		[28] = "invalid operand to INVEPT/INVVPID",
	};
	if (v && v < N(errors) && errors[v])
		fprintf(out, "  [%s]", errors[v]);
}

static void decode_activity(FILE *out, uint64_t v)
{
	static const char *const states[] = { "active", "HLT", "shutdown", "wait-for-SIPI" };
	if (v < N(states))
		fprintf(out, "  [%s]", states[v]);
}

/* ---- the whole VMCS ---- */

struct vmcs_view {
	struct dbg_session *s;
	struct machine *m;
	uint64_t exit_reason; /* decides how the exit qualification reads */
};

static bool is_ar(const char *name)
{
	size_t n = strlen(name);
	return n > 3 && !strcmp(name + n - 3, "_AR");
}

static void decode(const struct vmcs_view *v, enum vmcs_field f, uint64_t val, FILE *out)
{
	switch (f) {
	case VMCS_PIN_BASED_CONTROLS: print_names(out, val, pin_bits, N(pin_bits)); break;
	case VMCS_PROC_BASED_CONTROLS: print_names(out, val, proc_bits, N(proc_bits)); break;
	case VMCS_SECONDARY_CONTROLS: print_names(out, val, proc2_bits, N(proc2_bits)); break;
	case VMCS_EXIT_CONTROLS: print_names(out, val, exit_bits, N(exit_bits)); break;
	case VMCS_ENTRY_CONTROLS: print_names(out, val, entry_bits, N(entry_bits)); break;
	case VMCS_GUEST_INTERRUPTIBILITY:
		print_names(out, val, interruptibility_bits, N(interruptibility_bits));
		break;
	case VMCS_GUEST_ACTIVITY_STATE: decode_activity(out, val); break;
	case VMCS_EXIT_REASON: decode_exit_reason(out, val); break;
	case VMCS_EXIT_INTR_INFO:
	case VMCS_IDT_VECTORING_INFO:
	case VMCS_ENTRY_INTR_INFO: decode_intr_info(out, val); break;
	case VMCS_EPT_POINTER: decode_eptp(out, val); break;
	case VMCS_PML_INDEX: decode_pml_index(out, val); break;
	case VMCS_VM_INSTRUCTION_ERROR: decode_insn_error(out, val); break;
	case VMCS_EXIT_QUALIFICATION:
		if ((v->exit_reason & 0xffff) == EXIT_EPT_VIOLATION)
			decode_ept_qual(out, val);
		else if ((v->exit_reason & 0xffff) == EXIT_PML_FULL && (val & (1u << 12)))
			fputs("  [NMI unblocking due to IRET]", out);
		break;
	case VMCS_GUEST_CR0: case VMCS_HOST_CR0: case VMCS_CR0_READ_SHADOW:
		dbg_print_reg_bits(out, "cr0", val);
		break;
	case VMCS_GUEST_CR4: case VMCS_HOST_CR4: case VMCS_CR4_READ_SHADOW:
		dbg_print_reg_bits(out, "cr4", val);
		break;
	case VMCS_GUEST_IA32_EFER: case VMCS_HOST_IA32_EFER: dbg_print_reg_bits(out, "efer", val); break;
	case VMCS_GUEST_RFLAGS: dbg_print_reg_bits(out, "rflags", val); break;
	default:
		if (is_ar(vmcs_fields[f].name))
			decode_ar(out, val);
		break;
	}
}

/* The group of Appendix B a field belongs to: its width and type (25.11.2). */
static unsigned group_of(enum vmcs_field f)
{
	return vmcs_fields[f].width << 2 | vmcs_fields[f].type;
}

static void print_group(enum vmcs_field f, FILE *out)
{
	static const char *const widths[] = { [W16] = "16-bit", [W64] = "64-bit", [W32] = "32-bit",
					      [NATURAL] = "natural-width" };
	static const char *const types[] = { [CONTROL] = "control", [EXIT_INFO] = "read-only data",
					     [GUEST] = "guest-state", [HOST] = "host-state" };

	fprintf(out, "%s %s fields:\n", widths[vmcs_fields[f].width], types[vmcs_fields[f].type]);
}

static bool field_matches(enum vmcs_field f, const char *filter)
{
	const char *name = vmcs_fields[f].name;
	size_t n = filter ? strlen(filter) : 0;

	if (!filter)
		return true;
	for (; *name; name++)
		if (!strncasecmp(name, filter, n))
			return true;
	return false;
}

static void print_field(const struct vmcs_view *v, enum vmcs_field f, FILE *out)
{
	struct machine *m = v->m;
	uint64_t val = vmcs_read(&m->cpu.phys, m->vmx.vmcs, f);
	char sym[200];

	fprintf(out, "  %-28s 0x%04x = %#" PRIx64, vmcs_fields[f].name, vmcs_fields[f].encoding, val);
	if ((f == VMCS_GUEST_RIP || f == VMCS_HOST_RIP) && v->s->syms &&
	    symtab_find(v->s->syms, val, NULL))
		fprintf(out, "  [%s]", symtab_format(v->s->syms, val, sym, sizeof sym));
	decode(v, f, val, out);
	fputc('\n', out);
}

enum dbg_cmd_result dbg_cmd_vmcs(struct dbg_session *s, const struct dbg_args *a, FILE *out)
{
	struct vmcs_view v = { .s = s, .m = dbg_machine(s->dbg) };
	const char *filter = a->argc ? a->argv[0] : NULL;
	unsigned group = ~0u;
	unsigned shown = 0;

	if (dbg_cmd_max_args(out, a, 1) != DBG_CMD_OK)
		return DBG_CMD_ERROR;
	if (!v.m->vmx.on || v.m->vmx.vmcs == VMCS_NONE)
		return dbg_cmd_error(out, a, "no current VMCS%s", v.m->vmx.on ? "" : " (not in VMX operation)");
	if (!phys_contains(&v.m->cpu.phys, v.m->vmx.vmcs, VMCS_REGION_SIZE))
		return dbg_cmd_error(out, a, "the current VMCS %#" PRIx64 " is not in RAM", v.m->vmx.vmcs);
	v.exit_reason = vmcs_read(&v.m->cpu.phys, v.m->vmx.vmcs, VMCS_EXIT_REASON);
	fprintf(out, "VMCS %#" PRIx64 " (%s, revision %#x)\n", v.m->vmx.vmcs,
		vmcs_read32_at(&v.m->cpu.phys, v.m->vmx.vmcs + VMCS_OFF_LAUNCHED) ? "launched" : "clear",
		vmcs_read32_at(&v.m->cpu.phys, v.m->vmx.vmcs + VMCS_OFF_REVISION) & 0x7fffffffu);
	for (enum vmcs_field f = 0; f < VMCS_FIELD_COUNT; f++) {
		if (!field_matches(f, filter))
			continue;
		if (!filter && group != group_of(f)) {
			print_group(f, out);
			group = group_of(f);
		}
		print_field(&v, f, out);
		shown++;
	}
	if (!shown)
		return dbg_cmd_error(out, a, "no field matches '%s'", filter);
	return DBG_CMD_OK;
}

/* ---- the page-modification log ---- */

#define PML_ENTRIES 512 /* one 4K page of 64-bit GPAs (SDM Vol. 3, 29.3.6) */

/*
 * The log fills downwards from the index software loaded (511 for the whole page; `pml TOP`
 * for a smaller log) and the index names the next free entry; logging at entry 0 wraps it to
 * 0xFFFF, and any index outside 0..511 means the next D-flag update is a log-full exit
 * (29.3.6). So the valid entries are index+1..TOP, or all of 0..TOP once the index wrapped.
 */
static int pml_first_valid(uint64_t index, uint64_t top)
{
	if (index == 0xffff)
		return 0;
	return index < PML_ENTRIES ? (int)index + 1 : (int)top + 1;
}

static void print_pml_entry(struct machine *m, uint64_t eptp, unsigned slot, uint64_t gpa,
			    FILE *out)
{
	struct pt_walk w = { 0 };

	fprintf(out, "  [%3u] GPA %#" PRIx64, slot, gpa);
	dbg_ept_walk(m, eptp, gpa, &w);
	if (w.status == PT_OK)
		fprintf(out, "  EPT leaf D=%d\n", !!(w.entry[w.leaf_level] & (1ull << 9)));
	else
		fputs("  (no EPT translation)\n", out);
}

enum dbg_cmd_result dbg_cmd_pml(struct dbg_session *s, const struct dbg_args *a, FILE *out)
{
	struct machine *m = dbg_machine(s->dbg);
	uint64_t top = PML_ENTRIES - 1;

	if (dbg_cmd_max_args(out, a, 1) != DBG_CMD_OK)
		return DBG_CMD_ERROR;
	if (a->argc == 1 && (!dbg_parse_number(a->argv[0], &top) || top >= PML_ENTRIES))
		return dbg_cmd_error(out, a, "bad top entry '%s' (0..511: the index software loads)",
				     a->argv[0]);
	if (!dbg_vmcs_current(m))
		return dbg_cmd_error(out, a, "no current VMCS");
	const struct phys *p = &m->cpu.phys;
	uint64_t proc = vmcs_read(p, m->vmx.vmcs, VMCS_PROC_BASED_CONTROLS);
	uint64_t proc2 = vmcs_read(p, m->vmx.vmcs, VMCS_SECONDARY_CONTROLS);
	uint64_t addr = vmcs_read(p, m->vmx.vmcs, VMCS_PML_ADDRESS);
	uint64_t index = vmcs_read(p, m->vmx.vmcs, VMCS_PML_INDEX);
	uint64_t eptp = vmcs_read(p, m->vmx.vmcs, VMCS_EPT_POINTER);
	bool on = (proc & PROC_SECONDARY_CONTROLS) && (proc2 & PROC2_ENABLE_PML);

	fprintf(out, "PML %s: address %#" PRIx64 ", index %#" PRIx64, on ? "enabled" : "disabled",
		addr, index);
	decode_pml_index(out, index);
	fputc('\n', out);
	int first = pml_first_valid(index, top);
	if (first > (int)top) {
		fprintf(out, "no entries logged (entries %d..%" PRIu64 ")\n", first, top);
		return DBG_CMD_OK;
	}
	fprintf(out, "%" PRIu64 " entries logged, oldest first (entries %" PRIu64 " down to %d):\n",
		top + 1 - (uint64_t)first, top, first);
	for (int slot = (int)top; slot >= first; slot--) {
		uint64_t gpa;
		if (!dbg_read_phys(s->dbg, addr + 8ull * (unsigned)slot, &gpa, sizeof gpa))
			return dbg_cmd_error(out, a, "the log at %#" PRIx64 " is not in RAM", addr);
		print_pml_entry(m, eptp, (unsigned)slot, gpa, out);
	}
	return DBG_CMD_OK;
}
