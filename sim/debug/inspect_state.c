/*
 * The CPU's state as a debugger shows it: `regs`, `where`, `vtime`, `info symbol` and `exits`.
 * Registers are read, never written; MSRs through the CPU model's own read path.
 */
#include <inttypes.h>
#include <string.h>
#include <strings.h>

#include "cpu/profile.h"
#include "sim/debug/inspect.h"
#include "vmx/vmcs.h"

struct bit_name {
	unsigned bit;
	const char *name;
};

/* "  [NAME NAME]": the names of the set bits of 'v'. */
static void print_bits(FILE *out, uint64_t v, const struct bit_name *names, size_t n)
{
	const char *sep = "";

	fputs("  [", out);
	for (size_t i = 0; i < n; i++) {
		if (v >> names[i].bit & 1) {
			fprintf(out, "%s%s", sep, names[i].name);
			sep = " ";
		}
	}
	fputc(']', out);
}
#define PRINT_BITS(out, v, names) print_bits(out, v, names, sizeof names / sizeof names[0])

/* RFLAGS (SDM Vol. 1, 3.4.3, Figure 3-8). */
static const struct bit_name rflags_bits[] = {
	{ 0, "CF" }, { 2, "PF" }, { 4, "AF" }, { 6, "ZF" }, { 7, "SF" }, { 8, "TF" },
	{ 9, "IF" }, { 10, "DF" }, { 11, "OF" }, { 14, "NT" }, { 16, "RF" }, { 17, "VM" },
	{ 18, "AC" }, { 19, "VIF" }, { 20, "VIP" }, { 21, "ID" },
};
/* CR0 and CR4 (SDM Vol. 3, 2.5, Figure 2-7). */
static const struct bit_name cr0_bits[] = {
	{ 0, "PE" }, { 1, "MP" }, { 2, "EM" }, { 3, "TS" }, { 4, "ET" }, { 5, "NE" },
	{ 16, "WP" }, { 18, "AM" }, { 29, "NW" }, { 30, "CD" }, { 31, "PG" },
};
static const struct bit_name cr4_bits[] = {
	{ 0, "VME" }, { 1, "PVI" }, { 2, "TSD" }, { 3, "DE" }, { 4, "PSE" }, { 5, "PAE" },
	{ 6, "MCE" }, { 7, "PGE" }, { 8, "PCE" }, { 9, "OSFXSR" }, { 10, "OSXMMEXCPT" },
	{ 11, "UMIP" }, { 12, "LA57" }, { 13, "VMXE" }, { 14, "SMXE" }, { 16, "FSGSBASE" },
	{ 17, "PCIDE" }, { 18, "OSXSAVE" }, { 20, "SMEP" }, { 21, "SMAP" }, { 22, "PKE" },
	{ 23, "CET" },
};
/* IA32_EFER (SDM Vol. 3, 2.2.1, Figure 2-4). */
static const struct bit_name efer_bits[] = {
	{ 0, "SCE" }, { 8, "LME" }, { 10, "LMA" }, { 11, "NXE" },
};

/* Registers by name: the general registers first (`regs` prints them in this order). */
#define GPR_COUNT 16
static const struct {
	const char *name;
	int id;
} reg_names[] = {
	{ "rax", UC_X86_REG_RAX }, { "rbx", UC_X86_REG_RBX }, { "rcx", UC_X86_REG_RCX },
	{ "rdx", UC_X86_REG_RDX }, { "rsi", UC_X86_REG_RSI }, { "rdi", UC_X86_REG_RDI },
	{ "rbp", UC_X86_REG_RBP }, { "rsp", UC_X86_REG_RSP }, { "r8", UC_X86_REG_R8 },
	{ "r9", UC_X86_REG_R9 }, { "r10", UC_X86_REG_R10 }, { "r11", UC_X86_REG_R11 },
	{ "r12", UC_X86_REG_R12 }, { "r13", UC_X86_REG_R13 }, { "r14", UC_X86_REG_R14 },
	{ "r15", UC_X86_REG_R15 },
	{ "rip", UC_X86_REG_RIP }, { "pc", UC_X86_REG_RIP }, { "sp", UC_X86_REG_RSP },
	{ "rflags", UC_X86_REG_RFLAGS }, { "eflags", UC_X86_REG_RFLAGS },
	{ "cs", UC_X86_REG_CS }, { "ss", UC_X86_REG_SS }, { "ds", UC_X86_REG_DS },
	{ "es", UC_X86_REG_ES }, { "fs", UC_X86_REG_FS }, { "gs", UC_X86_REG_GS },
	{ "fs_base", UC_X86_REG_FS_BASE }, { "gs_base", UC_X86_REG_GS_BASE },
	{ "cr0", UC_X86_REG_CR0 }, { "cr2", UC_X86_REG_CR2 }, { "cr3", UC_X86_REG_CR3 },
	{ "cr4", UC_X86_REG_CR4 },
};

int dbg_reg_id(const char *name)
{
	for (size_t i = 0; i < sizeof reg_names / sizeof reg_names[0]; i++)
		if (!strcasecmp(reg_names[i].name, name))
			return reg_names[i].id;
	return -1;
}

void dbg_print_reg_bits(FILE *out, const char *reg, uint64_t v)
{
	if (!strcmp(reg, "cr0"))
		PRINT_BITS(out, v, cr0_bits);
	else if (!strcmp(reg, "cr4"))
		PRINT_BITS(out, v, cr4_bits);
	else if (!strcmp(reg, "efer"))
		PRINT_BITS(out, v, efer_bits);
	else if (!strcmp(reg, "rflags"))
		PRINT_BITS(out, v, rflags_bits);
}

static const struct {
	const char *name;
	int id;
} segs[] = {
	{ "cs", UC_X86_REG_CS }, { "ss", UC_X86_REG_SS }, { "ds", UC_X86_REG_DS },
	{ "es", UC_X86_REG_ES }, { "fs", UC_X86_REG_FS }, { "gs", UC_X86_REG_GS },
};

static void print_gprs(struct dbg_session *s, FILE *out)
{
	for (size_t i = 0; i < GPR_COUNT; i++)
		fprintf(out, "%-4s 0x%016" PRIx64 "%s", reg_names[i].name, dbg_reg(s->dbg, reg_names[i].id),
			i % 4 == 3 ? "\n" : "  ");
}

static void print_tables(struct cpu *cpu, FILE *out)
{
	uc_x86_mmr gdtr, idtr, ldtr, tr;

	cpu_get_mmr(cpu, UC_X86_REG_GDTR, &gdtr);
	cpu_get_mmr(cpu, UC_X86_REG_IDTR, &idtr);
	cpu_get_mmr(cpu, UC_X86_REG_LDTR, &ldtr);
	cpu_get_mmr(cpu, UC_X86_REG_TR, &tr);
	fprintf(out, "gdtr base %#" PRIx64 " limit %#x   idtr base %#" PRIx64 " limit %#x\n",
		gdtr.base, gdtr.limit, idtr.base, idtr.limit);
	fprintf(out, "ldtr 0x%04x base %#" PRIx64 "   tr 0x%04x base %#" PRIx64 " limit %#x\n",
		ldtr.selector, ldtr.base, tr.selector, tr.base, tr.limit);
}

enum dbg_cmd_result dbg_cmd_regs(struct dbg_session *s, const struct dbg_args *a, FILE *out)
{
	struct machine *m = dbg_machine(s->dbg);
	char sym[200];
	uint64_t v;

	if (dbg_cmd_max_args(out, a, 0) != DBG_CMD_OK)
		return DBG_CMD_ERROR;
	print_gprs(s, out);
	fprintf(out, "rip  %s\n", dbg_addr_sym(s, dbg_reg(s->dbg, UC_X86_REG_RIP), sym, sizeof sym));
	v = dbg_reg(s->dbg, UC_X86_REG_RFLAGS);
	fprintf(out, "rflags %#" PRIx64, v);
	PRINT_BITS(out, v, rflags_bits);
	fprintf(out, " IOPL %u\n", (unsigned)(v >> 12 & 3));
	for (size_t i = 0; i < sizeof segs / sizeof segs[0]; i++)
		fprintf(out, "%s 0x%04" PRIx64 "%s", segs[i].name, dbg_reg(s->dbg, segs[i].id),
			i + 1 < sizeof segs / sizeof segs[0] ? "  " : "\n");
	fprintf(out, "fs_base %#" PRIx64 "  gs_base %#" PRIx64 "\n",
		dbg_reg(s->dbg, UC_X86_REG_FS_BASE), dbg_reg(s->dbg, UC_X86_REG_GS_BASE));
	v = dbg_reg(s->dbg, UC_X86_REG_CR0);
	fprintf(out, "cr0 %#" PRIx64, v);
	PRINT_BITS(out, v, cr0_bits);
	fprintf(out, "\ncr2 %#" PRIx64 "  cr3 %#" PRIx64 "  cr8 %#" PRIx64 "\n",
		dbg_reg(s->dbg, UC_X86_REG_CR2), dbg_reg(s->dbg, UC_X86_REG_CR3),
		dbg_reg(s->dbg, UC_X86_REG_CR8));
	v = dbg_reg(s->dbg, UC_X86_REG_CR4);
	fprintf(out, "cr4 %#" PRIx64, v);
	PRINT_BITS(out, v, cr4_bits);
	v = cpu_rdmsr(&m->cpu, MSR_EFER);
	fprintf(out, "\nefer %#" PRIx64, v);
	PRINT_BITS(out, v, efer_bits);
	fputc('\n', out);
	print_tables(&m->cpu, out);
	return DBG_CMD_OK;
}

/* ---- where ---- */

/* The paging mode (SDM Vol. 3, 4.1.1, Table 4-1) from CR0.PG, CR4.PAE, EFER.LME and CR4.LA57. */
static const char *paging_mode(const struct mmu_regs *r)
{
	if (!(r->cr0 & CR0_PG))
		return r->cr0 & CR0_PE ? "protected mode, no paging" : "real mode";
	if (!(r->cr4 & CR4_PAE))
		return "32-bit paging";
	if (!(r->efer & EFER_LME))
		return "PAE paging";
	return r->cr4 & CR4_LA57 ? "5-level paging" : "4-level paging";
}

/* Which software runs: hv in root operation, a VMX guest in non-root, a PV guest at CPL 3. */
static void print_context(struct dbg_session *s, struct machine *m, unsigned cpl, FILE *out)
{
	char sym[200];

	if (m->cpu.nonroot) {
		fprintf(out, "guest: a VMX guest of VMCS %#" PRIx64 " (non-root operation)\n",
			m->vmx.vmcs);
		return;
	}
	if (cpl == 3)
		fputs("guest: a PV guest of hv (ring 3)\n", out);
	else
		fputs("running: the hypervisor\n", out);
	if (!m->vmx.on)
		return;
	if (m->vmx.vmcs == VMCS_NONE) {
		fputs("VMX operation, no current VMCS\n", out);
		return;
	}
	uint64_t rip = vmcs_read(&m->cpu.phys, m->vmx.vmcs, VMCS_GUEST_RIP);
	fprintf(out, "current VMCS %#" PRIx64 ": its guest is at %s\n", m->vmx.vmcs,
		dbg_addr_sym(s, rip, sym, sizeof sym));
}

enum dbg_cmd_result dbg_cmd_where(struct dbg_session *s, const struct dbg_args *a, FILE *out)
{
	struct machine *m = dbg_machine(s->dbg);
	struct mmu_regs r;
	const char *image = NULL;
	uint64_t rip = dbg_reg(s->dbg, UC_X86_REG_RIP), off;
	char sym[200];

	if (dbg_cmd_max_args(out, a, 0) != DBG_CMD_OK)
		return DBG_CMD_ERROR;
	cpu_mmu_regs(&m->cpu, &r);
	unsigned cpl = cpu_cpl(&m->cpu);
	fprintf(out, "%s, CPL %u, %s%s\n", m->cpu.nonroot ? "VMX non-root operation"
		: m->vmx.on ? "VMX root operation" : "outside VMX operation", cpl, paging_mode(&r),
		r.efer & EFER_LMA ? " (IA-32e mode)" : "");
	fprintf(out, "rip %s", dbg_addr_sym(s, rip, sym, sizeof sym));
	if (s->syms && symtab_find_in(s->syms, rip, &off, &image))
		fprintf(out, " in %s", image);
	fputc('\n', out);
	print_context(s, m, cpl, out);
	fprintf(out, "vtime %" PRIu64 " (guest time %" PRIu64 ")\n", m->cpu.vtime,
		cpu_guest_time(&m->cpu));
	return DBG_CMD_OK;
}

enum dbg_cmd_result dbg_cmd_vtime(struct dbg_session *s, const struct dbg_args *a, FILE *out)
{
	struct machine *m = dbg_machine(s->dbg);

	if (dbg_cmd_max_args(out, a, 0) != DBG_CMD_OK)
		return DBG_CMD_ERROR;
	fprintf(out, "vtime %" PRIu64 " (guest time %" PRIu64 ")\n", m->cpu.vtime,
		cpu_guest_time(&m->cpu));
	return DBG_CMD_OK;
}

enum dbg_cmd_result dbg_cmd_info_symbol(struct dbg_session *s, const struct dbg_args *a, FILE *out)
{
	const char *image = NULL, *name;
	uint64_t addr, off = 0;

	if (a->argc != 1)
		return dbg_cmd_error(out, a, "expected one address");
	if (!dbg_parse_value(s, a->argv[0], &addr))
		return dbg_cmd_error(out, a, "bad address '%s'", a->argv[0]);
	name = s->syms ? symtab_find_in(s->syms, addr, &off, &image) : NULL;
	if (!name) {
		fprintf(out, "no symbol matches %#" PRIx64 "\n", addr);
		return DBG_CMD_OK;
	}
	if (off)
		fprintf(out, "%s + %" PRIu64 " in %s\n", name, off, image);
	else
		fprintf(out, "%s in %s\n", name, image);
	return DBG_CMD_OK;
}

/* The recent-exit ring (vmx/vmx.h): the last VMX_EXIT_RING exits, oldest first. */
enum dbg_cmd_result dbg_cmd_exits(struct dbg_session *s, const struct dbg_args *a, FILE *out)
{
	const struct vmx *v = &dbg_machine(s->dbg)->vmx;
	uint64_t kept = v->exits < VMX_EXIT_RING ? v->exits : VMX_EXIT_RING, n = kept;
	char sym[200];

	if (dbg_cmd_max_args(out, a, 1) != DBG_CMD_OK)
		return DBG_CMD_ERROR;
	if (a->argc == 1 && (!dbg_parse_number(a->argv[0], &n) || n == 0))
		return dbg_cmd_error(out, a, "bad count '%s'", a->argv[0]);
	if (n > kept)
		n = kept;
	fprintf(out, "%" PRIu64 " VM exits in all; the last %" PRIu64 ", oldest first:\n", v->exits, n);
	for (uint64_t i = v->exits - n; i < v->exits; i++) {
		const struct vmx_exit_log *l = &v->ring[i % VMX_EXIT_RING];
		unsigned basic = l->reason & 0xffff;
		const char *id = dbg_exit_reason_id(basic);
		fprintf(out, "  #%" PRIu64 " vtime %" PRIu64 " exit %u %s (%s)%s qual %#" PRIx64
			" gpa %#" PRIx64 " rip %s\n", i + 1, l->vtime, basic, id ? id : "?",
			vmx_exit_reason_name(basic),
			l->reason & EXIT_REASON_ENTRY_FAILURE ? " entry failure" : "", l->qual,
			l->gpa, dbg_addr_sym(s, l->rip, sym, sizeof sym));
	}
	return DBG_CMD_OK;
}
