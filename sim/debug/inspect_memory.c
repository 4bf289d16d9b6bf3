/*
 * Memory as a debugger shows it: `x` (gdb's examine) and `disas` (Capstone, in the code size the
 * CPU executes in now). Reads go through dbg_read_*: no permission check, no A/D update.
 */
#include <capstone/capstone.h>
#include <ctype.h>
#include <inttypes.h>
#include <string.h>

#include "cpu/profile.h"
#include "sim/debug/inspect.h"

#define INSN_MAX 15 /* the longest x86 instruction (SDM Vol. 2, 2.3.11) */

/* ---- disassembly ---- */

/* Code-segment descriptor bits (SDM Vol. 3, 3.4.5): L (64-bit code), D (32-bit default size). */
#define DESC_L (1ull << 53)
#define DESC_D (1ull << 54)
#define SEL_TI 4u

/*
 * The code size the CPU executes in (SDM Vol. 3, 5.2.1 "Code-Segment Descriptor in 64-bit
 * Mode"): 64-bit with IA-32e mode active and CS.L = 1, else CS.D picks 32 or 16 bits. The
 * descriptor is read from the GDT/LDT, as cpu/icount.c does; if that fails, LMA alone decides.
 */
static cs_mode code_mode(struct cpu *cpu)
{
	bool lma = cpu_rdmsr(cpu, MSR_EFER) & EFER_LMA;
	uint16_t sel = (uint16_t)cpu_get(cpu, UC_X86_REG_CS);
	uc_x86_mmr table;
	uint64_t desc;

	if (!(cpu_get(cpu, UC_X86_REG_CR0) & CR0_PE))
		return CS_MODE_16;
	cpu_get_mmr(cpu, (sel & SEL_TI) ? UC_X86_REG_LDTR : UC_X86_REG_GDTR, &table);
	if ((sel & ~7u) + 7u > table.limit || !cpu_peek(cpu, table.base + (sel & ~7u), &desc, 8))
		return lma ? CS_MODE_64 : CS_MODE_32;
	if (lma && (desc & DESC_L))
		return CS_MODE_64;
	return (desc & DESC_D) ? CS_MODE_32 : CS_MODE_16;
}

/* Up to INSN_MAX bytes at addr, fewer where the next page cannot be read; 0 if none. */
static size_t read_code(struct dbg_session *s, uint64_t addr, bool phys, uint8_t *buf)
{
	size_t len = INSN_MAX, page_left = 4096 - (addr & 4095);
	bool (*rd)(struct dbg *, uint64_t, void *, size_t) = phys ? dbg_read_phys : dbg_read_virt;

	if (rd(s->dbg, addr, buf, len))
		return len;
	if (page_left < len && rd(s->dbg, addr, buf, page_left))
		return page_left;
	return 0;
}

static bool open_capstone(struct dbg_session *s, csh *cs)
{
	if (cs_open(CS_ARCH_X86, code_mode(&dbg_machine(s->dbg)->cpu), cs) != CS_ERR_OK)
		return false;
	cs_option(*cs, CS_OPT_DETAIL, CS_OPT_ON);
	return true;
}

bool dbg_insn_at(struct dbg_session *s, uint64_t addr, unsigned *len, bool *is_call)
{
	uint8_t code[INSN_MAX];
	size_t n = read_code(s, addr, false, code);
	csh cs;
	cs_insn *insn;
	bool ok = false;

	if (!n || !open_capstone(s, &cs))
		return false;
	if (cs_disasm(cs, code, n, addr, 1, &insn) == 1) {
		*len = insn->size;
		*is_call = cs_insn_group(cs, insn, CS_GRP_CALL);
		ok = true;
		cs_free(insn, 1);
	}
	cs_close(&cs);
	return ok;
}

/* " <sym+off>" for a direct branch or call target. */
static void branch_target(struct dbg_session *s, csh cs, const cs_insn *insn, FILE *out)
{
	char sym[160];

	if (!s->syms || !insn->detail ||
	    !(cs_insn_group(cs, insn, CS_GRP_JUMP) || cs_insn_group(cs, insn, CS_GRP_CALL)))
		return;
	const cs_x86 *x = &insn->detail->x86;
	if (x->op_count == 1 && x->operands[0].type == X86_OP_IMM &&
	    symtab_find(s->syms, (uint64_t)x->operands[0].imm, NULL))
		fprintf(out, " <%s>", symtab_format(s->syms, (uint64_t)x->operands[0].imm, sym, sizeof sym));
}

static void print_insn(struct dbg_session *s, csh cs, const cs_insn *insn, bool current, FILE *out)
{
	char where[200], bytes[3 * INSN_MAX + 1] = "";

	for (unsigned i = 0; i < insn->size; i++)
		snprintf(bytes + 3 * i, sizeof bytes - 3 * i, "%02x ", insn->bytes[i]);
	fprintf(out, "%s %s:\t%-24s%s%s%s", current ? "=>" : "  ",
		dbg_addr_sym(s, insn->address, where, sizeof where), bytes, insn->mnemonic,
		insn->op_str[0] ? " " : "", insn->op_str);
	branch_target(s, cs, insn, out);
	fputc('\n', out);
}

/* Disassemble n instructions from addr; false (after what was printed) at unreadable bytes. */
static bool disassemble(struct dbg_session *s, uint64_t addr, uint64_t n, FILE *out,
			const struct dbg_args *a)
{
	uint64_t rip = dbg_reg(s->dbg, UC_X86_REG_RIP);
	csh cs;

	if (!open_capstone(s, &cs)) {
		dbg_cmd_error(out, a, "cannot start the disassembler");
		return false;
	}
	for (uint64_t i = 0; i < n; i++) {
		uint8_t code[INSN_MAX];
		size_t len = read_code(s, addr, s->phys, code);
		cs_insn *insn;
		if (!len) {
			dbg_cmd_error(out, a, "cannot read memory at %#" PRIx64, addr);
			cs_close(&cs);
			return false;
		}
		if (cs_disasm(cs, code, len, addr, 1, &insn) != 1) {
			fprintf(out, "   %#" PRIx64 ":\t%02x\t(bad)\n", addr, code[0]);
			addr++;
			continue;
		}
		print_insn(s, cs, insn, !s->phys && insn->address == rip, out);
		addr += insn->size;
		cs_free(insn, 1);
	}
	cs_close(&cs);
	return true;
}

enum dbg_cmd_result dbg_cmd_disas(struct dbg_session *s, const struct dbg_args *a, FILE *out)
{
	uint64_t addr = dbg_reg(s->dbg, UC_X86_REG_RIP), n = 10;

	if (dbg_cmd_max_args(out, a, 2) != DBG_CMD_OK)
		return DBG_CMD_ERROR;
	if (a->argc >= 1 && !dbg_parse_value(s, a->argv[0], &addr))
		return dbg_cmd_error(out, a, "bad address '%s'", a->argv[0]);
	if (a->argc == 2 && (!dbg_parse_number(a->argv[1], &n) || n == 0 || n > 10000))
		return dbg_cmd_error(out, a, "bad count '%s' (1..10000)", a->argv[1]);
	return disassemble(s, addr, n, out, a) ? DBG_CMD_OK : DBG_CMD_ERROR;
}

/* ---- x ---- */

struct xfmt {
	uint64_t count;
	char format; /* x d u o t c s i a */
	unsigned size; /* 1 2 4 8 */
};

/* gdb's /NFU: a count, then format and unit letters in any order. */
static bool parse_xfmt(const char *text, struct xfmt *f)
{
	*f = (struct xfmt){ .count = 1, .format = 'x', .size = 4 };
	if (!text)
		return true;
	if (isdigit((unsigned char)*text)) {
		char *end;
		f->count = strtoull(text, &end, 10);
		if (f->count == 0 || f->count > 65536)
			return false;
		text = end;
	}
	bool sized = false;
	for (; *text; text++) {
		const char *unit = strchr("bhwg", *text);
		if (unit) {
			f->size = 1u << (unit - "bhwg");
			sized = true;
		} else if (strchr("xduotcsia", *text)) {
			f->format = *text;
		} else {
			return false;
		}
	}
	if (f->format == 'c' && !sized)
		f->size = 1;
	if (f->format == 'a')
		f->size = 8;
	return true;
}

/* A character as C writes it in quotes: escapes for the quote, backslash and non-printables. */
static void print_char(FILE *out, uint8_t c, char quote)
{
	if (quote == '\'')
		fputc(quote, out);
	if (c == quote || c == '\\')
		fprintf(out, "\\%c", c);
	else if (c == '\n')
		fputs("\\n", out);
	else if (isprint(c))
		fputc(c, out);
	else
		fprintf(out, "\\%03o", c);
	if (quote == '\'')
		fputc(quote, out);
}

static void print_unit(struct dbg_session *s, const struct xfmt *f, uint64_t v, FILE *out)
{
	unsigned bits = 8 * f->size;
	int64_t sv = bits == 64 ? (int64_t)v : (int64_t)(v << (64 - bits)) >> (64 - bits);
	char buf[200];

	switch (f->format) {
	case 'd':
		fprintf(out, "\t%" PRId64, sv);
		break;
	case 'u':
		fprintf(out, "\t%" PRIu64, v);
		break;
	case 'o':
		fprintf(out, "\t0%" PRIo64, v);
		break;
	case 't':
		fputc('\t', out);
		for (int b = (int)bits - 1; b >= 0; b--)
			fputc('0' + (int)(v >> b & 1), out);
		break;
	case 'c':
		fprintf(out, "\t%" PRId64 " ", sv);
		print_char(out, (uint8_t)v, '\'');
		break;
	case 'a':
		fprintf(out, "\t%s", dbg_addr_sym(s, v, buf, sizeof buf));
		break;
	default:
		fprintf(out, "\t0x%0*" PRIx64, 2 * (int)f->size, v);
		break;
	}
}

static enum dbg_cmd_result examine_units(struct dbg_session *s, const struct dbg_args *a,
					 const struct xfmt *f, uint64_t addr, FILE *out)
{
	unsigned per_line = f->size == 8 ? 2 : f->size == 4 ? 4 : 8;
	char where[200];

	for (uint64_t i = 0; i < f->count; i++, addr += f->size) {
		uint64_t v = 0;
		if (!dbg_read_mem(s, addr, &v, f->size)) {
			if (i % per_line)
				fputc('\n', out);
			return dbg_cmd_error(out, a, "cannot read %u bytes at %#" PRIx64
					     " (unmapped or not RAM)", f->size, addr);
		}
		if (i % per_line == 0)
			fprintf(out, "%s:", dbg_addr_sym(s, addr, where, sizeof where));
		print_unit(s, f, v, out);
		if (i % per_line == per_line - 1 || i + 1 == f->count)
			fputc('\n', out);
	}
	return DBG_CMD_OK;
}

#define STRING_MAX 512

/* One NUL-terminated string at addr, escaped; returns the address after it, or 0 if unreadable. */
static uint64_t examine_string(struct dbg_session *s, uint64_t addr, FILE *out)
{
	char where[200];
	uint8_t c;
	unsigned n = 0;

	if (!dbg_read_mem(s, addr, &c, 1))
		return 0;
	fprintf(out, "%s:\t\"", dbg_addr_sym(s, addr, where, sizeof where));
	for (; n < STRING_MAX && dbg_read_mem(s, addr + n, &c, 1) && c; n++)
		print_char(out, c, '"');
	fprintf(out, "\"%s\n", n == STRING_MAX ? "..." : "");
	return addr + n + 1;
}

enum dbg_cmd_result dbg_cmd_x(struct dbg_session *s, const struct dbg_args *a, FILE *out)
{
	struct xfmt f;
	uint64_t addr;

	if (!parse_xfmt(a->suffix, &f))
		return dbg_cmd_error(out, a, "bad format '/%s' (N, then x d u o t c a s i and b h w g)",
				     a->suffix);
	if (a->argc != 1)
		return dbg_cmd_error(out, a, "expected one address");
	if (!dbg_parse_value(s, a->argv[0], &addr))
		return dbg_cmd_error(out, a, "bad address '%s'", a->argv[0]);
	if (f.format == 'i')
		return disassemble(s, addr, f.count, out, a) ? DBG_CMD_OK : DBG_CMD_ERROR;
	if (f.format != 's')
		return examine_units(s, a, &f, addr, out);
	for (uint64_t i = 0; i < f.count; i++) {
		uint64_t next = examine_string(s, addr, out);
		if (!next)
			return dbg_cmd_error(out, a, "cannot read memory at %#" PRIx64, addr);
		addr = next;
	}
	return DBG_CMD_OK;
}
