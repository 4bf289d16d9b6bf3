/*
 * The x86-64 target description gdb reads with qXfer:features:read:target.xml (gdb's "Target
 * Descriptions" appendix: "Target Description Format" and "i386 Features"), and the register
 * table in the same order, both expanded from sim/debug/gdb_regs.def so that the XML's regnums
 * and the 'g' packet's layout cannot disagree.
 */
#include <string.h>

#include <unicorn/unicorn.h>

#include "sim/debug/gdb_regs.h"
#include "sim/debug/gdb_regs.def"

#define TABLE_ENTRY(name, bits, attrs, source, id) { #name, (bits) / 8, GDB_SRC_##source, id },
const struct gdb_reg gdb_regs[] = {
	GDB_REGS_CORE(TABLE_ENTRY) GDB_REGS_SSE(TABLE_ENTRY) GDB_REGS_SEGMENTS(TABLE_ENTRY)
	GDB_REGS_SYSTEM(TABLE_ENTRY)
};
#undef TABLE_ENTRY
const unsigned gdb_reg_count = sizeof gdb_regs / sizeof gdb_regs[0];

size_t gdb_regs_size(void)
{
	size_t n = 0;
	for (unsigned i = 0; i < gdb_reg_count; i++)
		n += gdb_regs[i].bytes;
	return n;
}

int gdb_reg_index(const char *name)
{
	for (unsigned i = 0; i < gdb_reg_count; i++)
		if (!strcmp(gdb_regs[i].name, name))
			return (int)i;
	return -1;
}

/* ---- the XML, built by the preprocessor ---- */

#define XML_REG(name, bits, attrs, source, id) "<reg name=\"" #name "\" bitsize=\"" #bits "\" " attrs "/>"
#define XML_FLAG(name, bit) "<field name=\"" #name "\" start=\"" #bit "\" end=\"" #bit "\"/>"

/* EFLAGS, SDM Vol. 1, 3.4.3 "EFLAGS Register" (bit 1 is reserved, always 1: shown unnamed). */
#define EFLAGS_BITS(X)                                                                  \
	X(CF, 0) X(, 1) X(PF, 2) X(AF, 4) X(ZF, 6) X(SF, 7) X(TF, 8) X(IF, 9) X(DF, 10) \
	X(OF, 11) X(NT, 14) X(RF, 16) X(VM, 17) X(AC, 18) X(VIF, 19) X(VIP, 20) X(ID, 21)
/* MXCSR, SDM Vol. 1, 10.2.3 "MXCSR Control and Status Register". */
#define MXCSR_BITS(X)                                                                   \
	X(IE, 0) X(DE, 1) X(ZE, 2) X(OE, 3) X(UE, 4) X(PE, 5) X(DAZ, 6) X(IM, 7) X(DM, 8) \
	X(ZM, 9) X(OM, 10) X(UM, 11) X(PM, 12) X(FZ, 15)
/* CR0 and CR4, SDM Vol. 3, 2.5 "Control Registers". */
#define CR0_BITS(X)                                                                     \
	X(PE, 0) X(MP, 1) X(EM, 2) X(TS, 3) X(ET, 4) X(NE, 5) X(WP, 16) X(AM, 18) X(NW, 29) \
	X(CD, 30) X(PG, 31)
#define CR4_BITS(X)                                                                     \
	X(VME, 0) X(PVI, 1) X(TSD, 2) X(DE, 3) X(PSE, 4) X(PAE, 5) X(MCE, 6) X(PGE, 7)   \
	X(PCE, 8) X(OSFXSR, 9) X(OSXMMEXCPT, 10) X(UMIP, 11) X(LA57, 12) X(VMXE, 13)      \
	X(SMXE, 14) X(FSGSBASE, 16) X(PCIDE, 17) X(OSXSAVE, 18) X(KL, 19) X(SMEP, 20)     \
	X(SMAP, 21) X(PKE, 22) X(CET, 23) X(PKS, 24)
/* IA32_EFER, SDM Vol. 3, 2.2.1 "Extended Feature Enable Register". */
#define EFER_BITS(X) X(SCE, 0) X(LME, 8) X(LMA, 10) X(NXE, 11)

#define XML_FLAGS(id, size, bits) "<flags id=\"" id "\" size=\"" #size "\">" bits(XML_FLAG) "</flags>"

/* The 128-bit view of an XMM register, as gdb's own amd64 description offers it. */
#define XML_VEC128                                                                      \
	"<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>"                          \
	"<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"                          \
	"<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>"                              \
	"<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>"                              \
	"<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>"                              \
	"<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"                              \
	"<union id=\"vec128\">"                                                          \
	"<field name=\"v4_float\" type=\"v4f\"/><field name=\"v2_double\" type=\"v2d\"/>" \
	"<field name=\"v16_int8\" type=\"v16i8\"/><field name=\"v8_int16\" type=\"v8i16\"/>" \
	"<field name=\"v4_int32\" type=\"v4i32\"/><field name=\"v2_int64\" type=\"v2i64\"/>" \
	"<field name=\"uint128\" type=\"uint128\"/></union>"

static const char target_xml[] =
	"<?xml version=\"1.0\"?>\n"
	"<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
	"<target version=\"1.0\">\n"
	"<architecture>i386:x86-64</architecture>\n"
	"<feature name=\"org.gnu.gdb.i386.core\">\n"
	XML_FLAGS("i386_eflags", 4, EFLAGS_BITS) "\n"
	GDB_REGS_CORE(XML_REG) "\n"
	"</feature>\n"
	"<feature name=\"org.gnu.gdb.i386.sse\">\n"
	XML_VEC128 "\n"
	XML_FLAGS("i386_mxcsr", 4, MXCSR_BITS) "\n"
	GDB_REGS_SSE(XML_REG) "\n"
	"</feature>\n"
	"<feature name=\"org.gnu.gdb.i386.segments\">\n"
	GDB_REGS_SEGMENTS(XML_REG) "\n"
	"</feature>\n"
	"<feature name=\"org.hvsim.x86.system\">\n"
	XML_FLAGS("hvsim_cr0", 8, CR0_BITS) "\n"
	XML_FLAGS("hvsim_cr4", 8, CR4_BITS) "\n"
	XML_FLAGS("hvsim_efer", 8, EFER_BITS) "\n"
	GDB_REGS_SYSTEM(XML_REG) "\n"
	"</feature>\n"
	"</target>\n";

const char *gdb_target_xml(size_t *len)
{
	*len = sizeof target_xml - 1;
	return target_xml;
}
