/*
 * EPT translation against an oracle written here from the SDM's rules (Vol. 3: 29.3.2 "EPT
 * Translation Mechanism" and Tables 29-1..29-6, 29.3.3.1 "EPT Misconfigurations", 29.3.3.2 "EPT
 * Violations", Table 28-7 "Exit Qualification for EPT Violations", 29.3.5 "Accessed and Dirty
 * Flags for EPT", 29.3.6 "Page-Modification Logging", 27.2.1.1 checks on the EPTP). The oracle
 * shares no code with vmx/ept.c or cpu/pagewalk.c; the PML and EPTP cases spell out their
 * expected values, each naming the rule it comes from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/harness.h"
#include "vmx/ept.h"

/* ---- the EPT entry and EPTP bits, as the SDM's tables give them ---- */

enum { R = 1, W = 2, X = 4, IPAT = 0x40, PS = 0x80, A = 0x100, D = 0x200 };
#define MEMTYPE(t) ((uint64_t)(t) << 3)
#define WB 6
#define EPTP_WB_4LEVEL (6 | 3 << 3) /* memory type WB, page-walk length 4 (minus 1) */
#define EPTP_AD_BIT (1ull << 6)

#define BITS(hi, lo) ((~0ull >> (63 - (hi))) & ~((1ull << (lo)) - 1)) /* bits hi:lo */

/* ---- guest-physical layout: one path per page size, in a small RAM ---- */

#define RAM_SIZE 0x10000
#define PML_PAGE 0x8000
/* GPA: PML4 index 1, PDPT index 2, PD index 3, PT index 4, offset 0x123. */
#define GPA 0x0000008080604123ull
static const uint64_t table_at[5] = { 0, 0x4000, 0x3000, 0x2000, 0x1000 }; /* by level */
static const unsigned idx_at[5] = { 0, 4, 3, 2, 1 };
static const uint64_t frame_at[4] = { 0, 0x12345000, 0x12200000, 0x40000000 }; /* by leaf */
static const unsigned page_shift[4] = { 0, 12, 21, 30 };

static uint64_t ram_words[RAM_SIZE / 8];
static struct phys phys;

static uint64_t get(uint64_t pa)
{
	return ram_words[pa / 8];
}

static void put(uint64_t pa, uint64_t v)
{
	ram_words[pa / 8] = v;
}

static uint64_t slot(int level)
{
	return table_at[level] + 8 * idx_at[level];
}

/* What the CPU supports and how the VMCS sets EPT up. */
struct env {
	bool ad;             /* EPTP bit 6 */
	bool execute_only;   /* IA32_VMX_EPT_VPID_CAP bit 0 */
	bool no_2m, no_1g;   /* bits 16, 17 clear */
	unsigned maxphyaddr; /* 0: 46, Broadwell-EP */
};

static unsigned maxphy(const struct env *x)
{
	return x->maxphyaddr ? x->maxphyaddr : 46;
}

static struct ept_caps caps_of(const struct env *x)
{
	return (struct ept_caps){ .execute_only = x->execute_only, .wb = true, .uc = true,
				  .ad = true, .pages_2m = !x->no_2m, .pages_1g = !x->no_1g,
				  .maxphyaddr = maxphy(x) };
}

/* One walk: the leaf size, bits 2:0 of each entry on the path and any other bits added. */
struct walk_case {
	int leaf;          /* 1: 4K PTE, 2: 2M PDE, 3: 1G PDPTE */
	unsigned xwr[5];   /* by level; 0 = not present */
	uint64_t extra[5]; /* by level, ORed in */
	unsigned memtype;  /* of the leaf */
};

static uint64_t entry_of(const struct walk_case *c, int level)
{
	uint64_t e = c->xwr[level] | c->extra[level];
	if (level == c->leaf)
		return e | frame_at[level] | MEMTYPE(c->memtype) | (level > 1 ? PS : 0);
	return e | table_at[level - 1];
}

static void build(const struct walk_case *c, uint64_t e[5])
{
	for (int level = 4; level >= c->leaf; level--) {
		e[level] = entry_of(c, level);
		put(slot(level), e[level]);
	}
}

struct access {
	enum mmu_access access;
	bool paging_structure;
	const char *name;
};

static const struct access accesses[] = {
	{ MMU_READ, false, "read" },
	{ MMU_WRITE, false, "write" },
	{ MMU_FETCH, false, "fetch" },
	{ MMU_READ, true, "guest paging-structure read" },
	{ MMU_WRITE, true, "guest paging-structure A/D write" },
};

/* ---- the oracle: the SDM's rules, stated as they read ---- */

/* Reserved bits by entry kind (Tables 29-1..29-6), N = MAXPHYADDR. */
enum kind { PML4E, PDPTE_TABLE, PDPTE_1G, PDE_TABLE, PDE_2M, PTE };
static uint64_t sdm_reserved(const struct env *x, enum kind k)
{
	uint64_t above_n = BITS(51, maxphy(x)); /* "51:N Reserved (must be 0)" in every table */
	switch (k) {
	case PML4E:
		return BITS(7, 3) | above_n;  /* Table 29-1: 7:3 reserved */
	case PDPTE_TABLE:
	case PDE_TABLE:
		return BITS(6, 3) | above_n;  /* Tables 29-3, 29-5: 6:3 reserved; bit 7 is 0 */
	case PDPTE_1G:
		return BITS(29, 12) | above_n; /* Table 29-2: 29:12 reserved */
	case PDE_2M:
		return BITS(20, 12) | above_n; /* Table 29-4: 20:12 reserved */
	case PTE:
		return above_n;                /* Table 29-6: bit 7 ignored */
	}
	abort();
}

/*
 * Which kind an entry is (29.3.2). Bit 7 selects a page in a PDPTE or PDE; where the CPU
 * cannot map that size (IA32_VMX_EPT_VPID_CAP bits 16/17), bit 7 stays a bit that must be 0.
 */
static enum kind kind_of(const struct env *x, int level, uint64_t e, bool *bad_bit7)
{
	bool ps = e & PS;
	*bad_bit7 = false;
	switch (level) {
	case 4:
		return PML4E;
	case 3:
		*bad_bit7 = ps && x->no_1g;
		return ps && !x->no_1g ? PDPTE_1G : PDPTE_TABLE;
	case 2:
		*bad_bit7 = ps && x->no_2m;
		return ps && !x->no_2m ? PDE_2M : PDE_TABLE;
	default:
		return PTE;
	}
}

/* 29.3.3.1: why a present entry is misconfigured, or NULL. */
static const char *sdm_misconfig(const struct env *x, uint64_t e, enum kind k, bool bad_bit7)
{
	unsigned xwr = e & 7, memtype = (e >> 3) & 7;
	bool leaf = k == PTE || k == PDE_2M || k == PDPTE_1G;

	if (xwr == W)
		return "bits 2:0 = 010b (write-only)";
	if (xwr == (W | X))
		return "bits 2:0 = 110b (write/execute)";
	if (xwr == X && !x->execute_only)
		return "bits 2:0 = 100b (execute-only) not supported";
	if ((e & sdm_reserved(x, k)) || bad_bit7)
		return "reserved bit set";
	if (leaf && (memtype == 2 || memtype == 3 || memtype == 7))
		return "leaf memory type 2, 3 or 7";
	return NULL;
}

struct expect {
	enum ept_status status;
	int level;
	uint64_t qual;
	uint64_t hpa, page_mask;
	unsigned prot;
	uint64_t after[5]; /* the path's entries after the access */
	const char *why;
};

static unsigned prot_of_xwr(unsigned xwr)
{
	return (xwr & R ? MMU_PROT_R : 0) | (xwr & W ? MMU_PROT_W : 0) | (xwr & X ? MMU_PROT_X : 0);
}

/* With EPTP.AD = 1 the CPU's guest paging-structure accesses are writes for EPT (29.3.3.2). */
static bool as_write(const struct env *x, const struct access *a)
{
	return a->access == MMU_WRITE || (a->paging_structure && x->ad);
}

/* Table 28-7 for an access whose entries allowed 'xwr' (the AND over the entries used). */
static uint64_t sdm_qual(const struct env *x, const struct access *a, unsigned xwr, bool gla_valid)
{
	uint64_t q = 0;
	if (a->access == MMU_READ || (a->paging_structure && x->ad))
		q |= 1 << 0; /* data read; both 0 and 1 for a paging-structure access with AD */
	if (as_write(x, a))
		q |= 1 << 1;
	if (a->access == MMU_FETCH)
		q |= 1 << 2;
	q |= (uint64_t)xwr << 3; /* bits 5:3: the AND of bits 2:0 */
	if (gla_valid)
		q |= 1 << 7 | (a->paging_structure ? 0 : 1 << 8); /* bit 8 only if bit 7 */
	return q;
}

static struct expect oracle(const struct env *x, const struct walk_case *c, const uint64_t e[5],
			    const struct access *a, bool gla_valid)
{
	struct expect ex = { .status = EPT_OK };
	unsigned xwr = 7;
	int leaf = 0;

	memcpy(ex.after, e, sizeof ex.after);
	/* The walk, top down: it stops at the first entry not present or misconfigured. */
	for (int level = 4; level >= 1 && !leaf; level--) {
		bool bad_bit7;
		enum kind k = kind_of(x, level, e[level], &bad_bit7);
		xwr &= e[level] & 7;
		if (!(e[level] & 7)) {
			ex = (struct expect){ EPT_VIOLATION, level, sdm_qual(x, a, 0, gla_valid) };
			ex.why = "29.3.3.2: entry not present";
			memcpy(ex.after, e, sizeof ex.after);
			return ex;
		}
		if ((ex.why = sdm_misconfig(x, e[level], k, bad_bit7))) {
			ex.status = EPT_MISCONFIG;
			ex.level = level;
			return ex;
		}
		if (k == PTE || k == PDE_2M || k == PDPTE_1G)
			leaf = level;
	}
	ck_assert_int_eq(leaf, c->leaf); /* the test's layout, not a rule */

	unsigned need = as_write(x, a) ? W : a->access == MMU_FETCH ? X : R;
	if (!(xwr & need)) {
		int level = 4;
		while (level > leaf && (e[level] & need))
			level--;
		ex.status = EPT_VIOLATION;
		ex.level = level;
		ex.qual = sdm_qual(x, a, xwr, gla_valid);
		ex.why = "29.3.3.2: access not allowed by the AND of bits 2:0";
		return ex;
	}
	/* 29.3.5: A on every entry used, D on the leaf for a write. */
	if (x->ad)
		for (int level = 4; level >= leaf; level--)
			ex.after[level] |= A | (level == leaf && as_write(x, a) ? D : 0);
	ex.level = leaf;
	ex.page_mask = (1ull << page_shift[leaf]) - 1;
	ex.hpa = (e[leaf] & BITS(51, page_shift[leaf])) | (GPA & ex.page_mask);
	/* A TLB entry may cache W only once D is set, so that a first write sets it. */
	ex.prot = prot_of_xwr(xwr);
	if (x->ad && !(ex.after[leaf] & D))
		ex.prot &= ~MMU_PROT_W;
	ex.why = "29.3.2: translated";
	return ex;
}

/* ---- running one case ---- */

static void describe(char *buf, size_t n, const char *rule, const struct env *x,
		     const struct walk_case *c, const struct access *a)
{
	int len = snprintf(buf, n, "%s%sad=%d xo=%d no2m=%d no1g=%d N=%u %s leaf=L%d memtype=%u:",
			   rule ? rule : "", rule ? ": " : "", x->ad, x->execute_only, x->no_2m,
			   x->no_1g, maxphy(x), a->name, c->leaf, c->memtype);
	for (int level = 4; level >= c->leaf && len > 0 && (size_t)len < n; level--) {
		len += snprintf(buf + len, n - len, " L%d=%c%c%c", level, c->xwr[level] & R ? 'R' : '-',
				c->xwr[level] & W ? 'W' : '-', c->xwr[level] & X ? 'X' : '-');
		if (c->extra[level] && len > 0 && (size_t)len < n)
			len += snprintf(buf + len, n - len, "+%#llx", (unsigned long long)c->extra[level]);
	}
}

static const char *status_name(enum ept_status s)
{
	static const char *const names[] = { "ok", "violation", "misconfig", "pml-full" };
	return names[s];
}

/* Translate once; check everything the oracle says. Returns the status. 'rule' may be NULL. */
static enum ept_status run_case(const char *rule, const struct env *x, const struct walk_case *c,
				const struct access *a, bool gla_valid)
{
	struct ept_caps caps = caps_of(x);
	struct ept_ctx ctx = { .phys = &phys, .caps = &caps,
			       .eptp = table_at[4] | EPTP_WB_4LEVEL | (x->ad ? EPTP_AD_BIT : 0) };
	struct ept_access acc = { .gpa = GPA, .access = a->access,
				  .paging_structure = a->paging_structure, .gla_valid = gla_valid,
				  .gla = 0x7000123 };
	struct ept_result r;
	uint64_t e[5] = { 0 };
	char what[512];

	build(c, e);
	struct expect ex = oracle(x, c, e, a, gla_valid);
	ept_translate(&ctx, &acc, &r);
	describe(what, sizeof what, rule, x, c, a);

	ck_assert_msg(r.status == ex.status, "%s, expected %s (%s) at L%d: %s", status_name(r.status),
		      status_name(ex.status), ex.why, ex.level, what);
	ck_assert_msg(r.level == ex.level, "level %d, expected %d (%s): %s", r.level, ex.level, ex.why,
		      what);
	if (ex.status == EPT_VIOLATION)
		ck_assert_msg(r.qual.raw == ex.qual, "qualification %#llx, expected %#llx (Table 28-7): %s",
			      (unsigned long long)r.qual.raw, (unsigned long long)ex.qual, what);
	if (ex.status == EPT_OK) {
		ck_assert_msg(r.hpa == ex.hpa && r.page_mask == ex.page_mask,
			      "hpa %#llx mask %#llx, expected %#llx %#llx: %s",
			      (unsigned long long)r.hpa, (unsigned long long)r.page_mask,
			      (unsigned long long)ex.hpa, (unsigned long long)ex.page_mask, what);
		ck_assert_msg(r.prot == ex.prot, "prot %#x, expected %#x: %s", r.prot, ex.prot, what);
		ck_assert_msg(!r.logged, "logged without PML: %s", what);
	}
	for (int level = 4; level >= c->leaf; level--)
		ck_assert_msg(get(slot(level)) == ex.after[level],
			      "L%d entry %#llx, expected %#llx (29.3.5%s): %s", level,
			      (unsigned long long)get(slot(level)), (unsigned long long)ex.after[level],
			      ex.status == EPT_OK ? "" : ": no flag set on an exit", what);
	return r.status;
}

static void setup(void)
{
	memset(ram_words, 0, sizeof ram_words);
	phys = phys_layout((uint8_t *)ram_words, sizeof ram_words);
}

/* ---- the matrix: R/W/X at every level × page size × access × EPTP.AD × execute-only ---- */

struct tally {
	unsigned cases, by_status[4];
};

static void for_all_accesses(const struct env *x, const struct walk_case *c, struct tally *t)
{
	for (unsigned i = 0; i < sizeof accesses / sizeof accesses[0]; i++) {
		t->by_status[run_case(NULL, x, c, &accesses[i], true)]++;
		t->cases++;
	}
}

START_TEST(permission_matrix)
{
	static const uint64_t preset[] = { 0, A, A | D }; /* flags already set on every entry */
	struct tally t = { 0 };

	for (int leaf = 1; leaf <= 3; leaf++) {
		unsigned levels = 5 - leaf, combos = 1u << (3 * levels);
		for (unsigned combo = 0; combo < combos; combo++)
			for (unsigned flags = 0; flags < 3; flags++)
				for (unsigned bits_env = 0; bits_env < 4; bits_env++) {
					struct env x = { .ad = bits_env & 1, .execute_only = bits_env & 2 };
					struct walk_case c = { .leaf = leaf, .memtype = WB };
					for (unsigned l = 0; l < levels; l++) {
						c.xwr[4 - l] = (combo >> (3 * l)) & 7;
						c.extra[4 - l] = preset[flags] & ((int)(4 - l) == leaf ? ~0ull : ~(uint64_t)D);
					}
					for_all_accesses(&x, &c, &t);
				}
	}
	/* Every outcome well represented, or the matrix tests little. */
	ck_assert_uint_gt(t.cases, 250000);
	ck_assert_uint_gt(t.by_status[EPT_OK], 5000);
	ck_assert_uint_gt(t.by_status[EPT_VIOLATION], t.cases / 5);
	ck_assert_uint_gt(t.by_status[EPT_MISCONFIG], t.cases / 5);
	ck_assert_uint_eq(t.by_status[EPT_PML_FULL], 0);
}
END_TEST

/* Every bit 63:3 of every entry on every path (29.3.3.1 and Tables 29-1..29-6). */
START_TEST(reserved_bit_sweep)
{
	struct tally t = { 0 };
	static const struct env envs[] = {
		{ .ad = false }, { .ad = true }, { .ad = true, .maxphyaddr = 39 },
	};

	for (unsigned i = 0; i < sizeof envs / sizeof envs[0]; i++)
		for (int leaf = 1; leaf <= 3; leaf++)
			for (int level = 4; level >= leaf; level--)
				for (unsigned b = 3; b < 64; b++) {
					bool table_address = level != leaf && b >= 12 && b < maxphy(&envs[i]);
					/* Bit 7 of a PDPTE/PDE decides the kind: named cases below. */
					if (table_address || (b == 7 && (level == 2 || level == 3)))
						continue;
					struct walk_case c = { .leaf = leaf, .memtype = 0 };
					for (int l = 4; l >= leaf; l--)
						c.xwr[l] = R | W | X;
					c.extra[level] = 1ull << b;
					for (unsigned k = 0; k < 2; k++) { /* read and write */
						t.by_status[run_case(NULL, &envs[i], &c, &accesses[k], true)]++;
						t.cases++;
					}
				}
	ck_assert_uint_gt(t.cases, 1500);
	ck_assert_uint_gt(t.by_status[EPT_MISCONFIG], 500);
	ck_assert_uint_gt(t.by_status[EPT_OK], 500);
}
END_TEST

/*
 * Named walks with their expected outcome worked out by hand from the SDM: they pin down each
 * kind of misconfiguration at each level, not-present at each level and the order in which the
 * walk meets them. The oracle must agree with each, and so must vmx/ept.c.
 */
static const struct named {
	const char *rule;
	struct env x;
	struct walk_case c;
	unsigned access; /* index in accesses[] */
	enum ept_status status;
	int level;
} named[] = {
#define RWX4 { 0, 7, 7, 7, 7 }
	{ "29.3.3.2 PML4E not present", {}, { 1, { 0, 7, 7, 7, 0 }, {}, WB }, 0, EPT_VIOLATION, 4 },
	{ "29.3.3.2 PDPTE not present", {}, { 1, { 0, 7, 7, 0, 7 }, {}, WB }, 0, EPT_VIOLATION, 3 },
	{ "29.3.3.2 PDE not present", {}, { 1, { 0, 7, 0, 7, 7 }, {}, WB }, 0, EPT_VIOLATION, 2 },
	{ "29.3.3.2 PTE not present", {}, { 1, { 0, 0, 7, 7, 7 }, {}, WB }, 0, EPT_VIOLATION, 1 },
	{ "29.3.2 bits 2:0 = 0: bits 63:3 ignored (not a misconfiguration)", {},
	  { 1, { 0, 7, 0, 7, 7 }, { 0, 0, BITS(63, 3) & ~BITS(47, 12), 0, 0 }, WB }, 1, EPT_VIOLATION, 2 },
	{ "29.3.3.1 write-only PML4E", {}, { 1, { 0, 7, 7, 7, W }, {}, WB }, 0, EPT_MISCONFIG, 4 },
	{ "29.3.3.1 write/execute PDPTE", {}, { 1, { 0, 7, 7, W | X, 7 }, {}, WB }, 0, EPT_MISCONFIG, 3 },
	{ "29.3.3.1 write-only 2M PDE", {}, { 2, { 0, 0, W, 7, 7 }, {}, WB }, 0, EPT_MISCONFIG, 2 },
	{ "29.3.3.1 write/execute 1G PDPTE", {}, { 3, { 0, 0, 0, W | X, 7 }, {}, WB }, 2, EPT_MISCONFIG, 3 },
	{ "29.3.3.1 execute-only PTE, not supported", {}, { 1, { 0, X, 7, 7, 7 }, {}, WB }, 2, EPT_MISCONFIG, 1 },
	{ "29.3.3.1 execute-only PTE, supported: fetch allowed", { .execute_only = true },
	  { 1, { 0, X, 7, 7, 7 }, {}, WB }, 2, EPT_OK, 1 },
	{ "29.3.3.2 execute-only PTE, supported: read denied", { .execute_only = true },
	  { 1, { 0, X, 7, 7, 7 }, {}, WB }, 0, EPT_VIOLATION, 1 },
	{ "29.3.3.1 execute-only PML4E, not supported", {}, { 1, { 0, 7, 7, 7, X }, {}, WB }, 2, EPT_MISCONFIG, 4 },
	{ "29.3.3.1 memory type 2 in a PTE", {}, { 1, RWX4, {}, 2 }, 0, EPT_MISCONFIG, 1 },
	{ "29.3.3.1 memory type 3 in a 2M PDE", {}, { 2, RWX4, {}, 3 }, 0, EPT_MISCONFIG, 2 },
	{ "29.3.3.1 memory type 7 in a 1G PDPTE", {}, { 3, RWX4, {}, 7 }, 0, EPT_MISCONFIG, 3 },
	{ "29.3.3.1 memory types 0, 1, 4, 5, 6 are valid (UC)", {}, { 1, RWX4, {}, 0 }, 0, EPT_OK, 1 },
	{ "29.3.3.1 memory type WC", {}, { 2, RWX4, {}, 1 }, 0, EPT_OK, 2 },
	{ "29.3.3.1 memory type WT", {}, { 3, RWX4, {}, 4 }, 0, EPT_OK, 3 },
	{ "29.3.3.1 memory type WP, IPAT set", {}, { 1, RWX4, { 0, IPAT }, 5 }, 0, EPT_OK, 1 },
	{ "Table 29-1 PML4E bit 7 reserved", {}, { 1, RWX4, { 0, 0, 0, 0, PS }, WB }, 0, EPT_MISCONFIG, 4 },
	{ "Table 29-1 PML4E bit 3 reserved", {}, { 1, RWX4, { 0, 0, 0, 0, 1 << 3 }, WB }, 0, EPT_MISCONFIG, 4 },
	{ "Table 29-3 PDPTE (table) bit 6 reserved", {}, { 1, RWX4, { 0, 0, 0, 1 << 6 }, WB }, 0, EPT_MISCONFIG, 3 },
	{ "Table 29-5 PDE (table) bit 4 reserved", {}, { 1, RWX4, { 0, 0, 1 << 4 }, WB }, 0, EPT_MISCONFIG, 2 },
	{ "Table 29-6 PTE bit 7 ignored", {}, { 1, RWX4, { 0, PS }, WB }, 1, EPT_OK, 1 },
	{ "Table 29-2 1G PDPTE bit 12 reserved", {}, { 3, RWX4, { 0, 0, 0, 1 << 12 }, WB }, 0, EPT_MISCONFIG, 3 },
	{ "Table 29-2 1G PDPTE bit 29 reserved", {}, { 3, RWX4, { 0, 0, 0, 1 << 29 }, WB }, 0, EPT_MISCONFIG, 3 },
	{ "Table 29-4 2M PDE bit 20 reserved", {}, { 2, RWX4, { 0, 0, 1 << 20 }, WB }, 0, EPT_MISCONFIG, 2 },
	{ "Tables 29-x bit 46 (MAXPHYADDR) reserved in a PTE", {}, { 1, RWX4, { 0, 1ull << 46 }, WB }, 0, EPT_MISCONFIG, 1 },
	{ "Tables 29-x bit 51 reserved in a PML4E", {}, { 1, RWX4, { 0, 0, 0, 0, 1ull << 51 }, WB }, 0, EPT_MISCONFIG, 4 },
	{ "Tables 29-x bits 63:52 ignored", {}, { 1, RWX4, { 0, BITS(63, 52), BITS(63, 52), BITS(63, 52), BITS(63, 52) }, WB }, 0, EPT_OK, 1 },
	{ "29.3.2 footnote: 1G page not supported, bit 7 of the PDPTE reserved", { .no_1g = true },
	  { 3, RWX4, {}, WB }, 0, EPT_MISCONFIG, 3 },
	{ "A.10 bit 16: 2M page not supported, bit 7 of the PDE reserved", { .no_2m = true },
	  { 2, RWX4, {}, WB }, 0, EPT_MISCONFIG, 2 },
	{ "29.3.3.1 before 29.3.3.2: misconfigured PDE below a read-only PML4E, write",
	  {}, { 1, { 0, 7, W, 7, R }, {}, WB }, 1, EPT_MISCONFIG, 2 },
	{ "29.3.3.1 before 29.3.3.2: memory type 7 in a PTE below an unreadable path",
	  { .execute_only = true }, { 1, { 0, 7, 7, X, 7 }, {}, 7 }, 0, EPT_MISCONFIG, 1 },
	{ "walk order: not-present PDPTE hides a misconfigured PDE", {},
	  { 1, { 0, 7, W, 0, 7 }, {}, WB }, 0, EPT_VIOLATION, 3 },
	{ "walk order: misconfigured PML4E above a not-present PDE", {},
	  { 1, { 0, 7, 0, 7, 7 }, { 0, 0, 0, 0, 1 << 5 }, WB }, 0, EPT_MISCONFIG, 4 },
	{ "29.3.3.2 write to a read-only 4K page", {}, { 1, { 0, R, 7, 7, 7 }, {}, WB }, 1, EPT_VIOLATION, 1 },
	{ "29.3.3.2 write denied by the PDPTE above a RW 2M page", {},
	  { 2, { 0, 0, 7, R | X, 7 }, {}, WB }, 1, EPT_VIOLATION, 3 },
	{ "29.3.3.2 fetch from a non-executable 1G page", {}, { 3, { 0, 0, 0, R | W, 7 }, {}, WB }, 2, EPT_VIOLATION, 3 },
	{ "29.3.3.2 with AD: guest paging-structure read of a read-only page is a write",
	  { .ad = true }, { 1, { 0, R, 7, 7, 7 }, {}, WB }, 3, EPT_VIOLATION, 1 },
	{ "29.3.3.2 without AD: guest paging-structure read of a read-only page is a read",
	  {}, { 1, { 0, R, 7, 7, 7 }, {}, WB }, 3, EPT_OK, 1 },
#undef RWX4
};

START_TEST(named_walks)
{
	for (unsigned i = 0; i < sizeof named / sizeof named[0]; i++) {
		const struct named *n = &named[i];
		uint64_t e[5] = { 0 };

		build(&n->c, e);
		struct expect ex = oracle(&n->x, &n->c, e, &accesses[n->access], true);
		ck_assert_msg(ex.status == n->status && ex.level == n->level,
			      "oracle says %s at L%d for: %s", status_name(ex.status), ex.level, n->rule);
		ck_assert_msg(run_case(n->rule, &n->x, &n->c, &accesses[n->access], true) == n->status,
			      "%s", n->rule);
	}
}
END_TEST

/* ---- exit qualification (Table 28-7), values written out ---- */

START_TEST(qualification_bits)
{
	static const struct {
		const char *rule;
		struct env x;
		struct walk_case c;
		unsigned access;
		bool gla_valid;
		uint64_t qual;
	} q[] = {
		{ "bits 3-5 are 0 when an entry is not present; bit 0 read; bits 7, 8 GLA",
		  {}, { 1, { 0, 7, 7, 0, 7 } }, 0, true, 0x1 | 0x80 | 0x100 },
		{ "bits 3-5: the AND over the entries (R of RWX, R, RW, RX), write",
		  {}, { 1, { 0, R | X, R | W, R, 7 }, {}, WB }, 1, true, 0x2 | 0x8 | 0x180 },
		{ "fetch from RW: bit 2, readable and writable", {},
		  { 2, { 0, 0, R | W, 7, 7 }, {}, WB }, 2, true, 0x4 | 0x8 | 0x10 | 0x180 },
		{ "with AD, a paging-structure access sets bits 0 and 1; bit 8 clear (not the final access)",
		  { .ad = true }, { 1, { 0, R | X, 7, 7, 7 }, {}, WB }, 3, true, 0x3 | 0x8 | 0x20 | 0x80 },
		{ "without AD, a paging-structure read is a read", { .execute_only = true },
		  { 1, { 0, X, 7, 7, 7 }, {}, WB }, 3, true, 0x1 | 0x20 | 0x80 },
		{ "without AD, the guest's own A/D write to its paging structure is a write", {},
		  { 1, { 0, R, 7, 7, 7 }, {}, WB }, 4, true, 0x2 | 0x8 | 0x80 },
		{ "bit 7 clear: bit 8 is cleared too", {}, { 1, { 0, R, 7, 7, 7 }, {}, WB }, 1, false, 0x2 | 0x8 },
		{ "bit 7 clear, paging-structure access", { .ad = true },
		  { 3, { 0, 0, 0, R, 7 }, {}, WB }, 3, false, 0x3 | 0x8 },
	};
	struct ept_caps caps;
	struct ept_result r;

	for (unsigned i = 0; i < sizeof q / sizeof q[0]; i++) {
		uint64_t e[5] = { 0 };
		caps = caps_of(&q[i].x);
		struct ept_ctx ctx = { .phys = &phys, .caps = &caps,
				       .eptp = table_at[4] | EPTP_WB_4LEVEL | (q[i].x.ad ? EPTP_AD_BIT : 0) };
		const struct access *a = &accesses[q[i].access];
		struct ept_access acc = { .gpa = GPA, .access = a->access,
					  .paging_structure = a->paging_structure,
					  .gla_valid = q[i].gla_valid };
		build(&q[i].c, e);
		struct expect ex = oracle(&q[i].x, &q[i].c, e, a, q[i].gla_valid);
		ck_assert_msg(ex.status == EPT_VIOLATION && ex.qual == q[i].qual,
			      "oracle's qualification %#llx: %s", (unsigned long long)ex.qual, q[i].rule);
		ept_translate(&ctx, &acc, &r);
		ck_assert_msg(r.status == EPT_VIOLATION && r.qual.raw == q[i].qual,
			      "%s, qualification %#llx, expected %#llx: %s", status_name(r.status),
			      (unsigned long long)r.qual.raw, (unsigned long long)q[i].qual, q[i].rule);
	}
}
END_TEST

/* ---- A/D flags and PML: scenarios with the expected memory written out ---- */

/*
 * One EPT hierarchy with RWX entries (memory type WB, A and D clear): 4K pages page4k(i) for PT
 * indices 4..7, a 2M page at PD index 4 and a 1G page at PDPT index 3.
 */
#define PML4E_AT (table_at[4] + 8 * 1)
#define PDPTE_AT (table_at[3] + 8 * 2)
#define PDPTE_1G_AT (table_at[3] + 8 * 3)
#define PDE_AT (table_at[2] + 8 * 3)
#define PDE_2M_AT (table_at[2] + 8 * 4)
#define PTE_AT(i) (table_at[1] + 8 * (i))
#define LEAF (R | W | X | MEMTYPE(WB))
#define GPA_BASE ((1ull << 39) | (2ull << 30))
#define GPA_4K(i) (GPA_BASE | (3ull << 21) | ((uint64_t)(i) << 12))
#define GPA_2M (GPA_BASE | (4ull << 21))
#define GPA_1G ((1ull << 39) | (3ull << 30))

static void build_hierarchy(void)
{
	memset(ram_words, 0, sizeof ram_words);
	put(PML4E_AT, table_at[3] | R | W | X);
	put(PDPTE_AT, table_at[2] | R | W | X);
	put(PDPTE_1G_AT, 0x80000000ull | PS | LEAF);
	put(PDE_AT, table_at[1] | R | W | X);
	put(PDE_2M_AT, 0x00600000ull | PS | LEAF);
	for (unsigned i = 4; i <= 7; i++)
		put(PTE_AT(i), (0x100000ull + 0x1000 * i) | LEAF);
	put(PTE_AT(5), get(PTE_AT(5)) & ~(uint64_t)W); /* page 5 is read-only */
}

struct pml_vm {
	struct ept_caps caps;
	struct ept_ctx ctx;
};

static void pml_vm_init(struct pml_vm *vm, bool ad, bool pml, uint16_t index)
{
	vm->caps = caps_of(&(struct env){ .ad = ad });
	vm->ctx = (struct ept_ctx){ .phys = &phys, .caps = &vm->caps,
				    .eptp = table_at[4] | EPTP_WB_4LEVEL | (ad ? EPTP_AD_BIT : 0),
				    .pml = pml, .pml_address = PML_PAGE, .pml_index = index };
}

static struct ept_result guest_access(struct pml_vm *vm, uint64_t gpa, enum mmu_access acc)
{
	struct ept_access a = { .gpa = gpa, .access = acc, .gla_valid = true };
	struct ept_result r;
	ept_translate(&vm->ctx, &a, &r);
	return r;
}

static uint64_t pml_log(unsigned index)
{
	return get(PML_PAGE + 8 * index);
}

START_TEST(ad_flags_set_on_use)
{
	struct pml_vm vm;
	struct ept_result r;

	build_hierarchy();
	pml_vm_init(&vm, true, false, 0);
	/* 29.3.5: a read sets A on every entry used, not D; W is not granted until D is set. */
	r = guest_access(&vm, GPA_4K(4) + 8, MMU_READ);
	ck_assert_int_eq(r.status, EPT_OK);
	ck_assert_uint_eq(get(PML4E_AT), table_at[3] | R | W | X | A);
	ck_assert_uint_eq(get(PDPTE_AT), table_at[2] | R | W | X | A);
	ck_assert_uint_eq(get(PDE_AT), table_at[1] | R | W | X | A);
	ck_assert_uint_eq(get(PTE_AT(4)), 0x104000 | LEAF | A);
	ck_assert_uint_eq(r.prot, MMU_PROT_R | MMU_PROT_X);
	ck_assert_uint_eq(r.hpa, 0x104008);
	/* A write sets D on the leaf only (bit 9 of a non-leaf entry is ignored). */
	r = guest_access(&vm, GPA_4K(4), MMU_WRITE);
	ck_assert_uint_eq(get(PTE_AT(4)), 0x104000 | LEAF | A | D);
	ck_assert_uint_eq(get(PDE_AT), table_at[1] | R | W | X | A);
	ck_assert_uint_eq(r.prot, MMU_PROT_R | MMU_PROT_W | MMU_PROT_X);
	/* A 2M leaf gets its D; the PDPTE and PML4E only A. */
	r = guest_access(&vm, GPA_2M + 0x1ab123, MMU_WRITE);
	ck_assert_uint_eq(r.hpa, 0x7ab123);
	ck_assert_uint_eq(get(PDE_2M_AT), 0x600000 | PS | LEAF | A | D);
	/* Guest paging-structure reads are writes with AD: D set on the leaf (29.3.5). */
	r = guest_access(&vm, GPA_1G + 0x18, MMU_READ);
	ck_assert_uint_eq(get(PDPTE_1G_AT), 0x80000000ull | PS | LEAF | A);
	struct ept_access ps = { .gpa = GPA_4K(6) + 0x18, .access = MMU_READ,
				 .paging_structure = true, .gla_valid = true };
	ept_translate(&vm.ctx, &ps, &r);
	ck_assert_int_eq(r.status, EPT_OK);
	ck_assert_uint_eq(get(PTE_AT(6)), 0x106000 | LEAF | A | D);
	/* Without AD nothing is set and a paging-structure access is a read: page 5 is read-only. */
	build_hierarchy();
	pml_vm_init(&vm, false, false, 0);
	uint64_t before[RAM_SIZE / 8];
	memcpy(before, ram_words, sizeof before);
	ps.gpa = GPA_4K(5);
	ept_translate(&vm.ctx, &ps, &r);
	ck_assert_int_eq(r.status, EPT_OK);
	ck_assert_uint_eq(r.prot, MMU_PROT_R | MMU_PROT_X);
	r = guest_access(&vm, GPA_4K(4), MMU_WRITE);
	ck_assert_int_eq(r.status, EPT_OK);
	ck_assert_uint_eq(r.prot, MMU_PROT_R | MMU_PROT_W | MMU_PROT_X); /* no D to wait for */
	ck_assert(memcmp(before, ram_words, sizeof before) == 0);
}
END_TEST

START_TEST(pml_logs_in_order)
{
	struct pml_vm vm;
	struct ept_result r;

	build_hierarchy();
	pml_vm_init(&vm, true, true, 511);
	/* 29.3.6: each D going 0 -> 1 writes the 4K-aligned GPA at index 511, 510, ... */
	r = guest_access(&vm, GPA_4K(4) + 0x10, MMU_WRITE);
	ck_assert(r.status == EPT_OK && r.logged);
	r = guest_access(&vm, GPA_4K(6) + 0xfff, MMU_WRITE);
	ck_assert(r.status == EPT_OK && r.logged);
	r = guest_access(&vm, GPA_4K(7), MMU_WRITE);
	ck_assert(r.status == EPT_OK && r.logged);
	ck_assert_uint_eq(pml_log(511), GPA_4K(4));
	ck_assert_uint_eq(pml_log(510), GPA_4K(6));
	ck_assert_uint_eq(pml_log(509), GPA_4K(7));
	ck_assert_uint_eq(pml_log(508), 0);
	ck_assert_uint_eq(vm.ctx.pml_index, 508);
	/* A write to a page already dirty sets no flag: nothing logged. */
	r = guest_access(&vm, GPA_4K(4) + 0x800, MMU_WRITE);
	ck_assert(r.status == EPT_OK && !r.logged);
	ck_assert_uint_eq(vm.ctx.pml_index, 508);
	/* Setting only A logs nothing. */
	r = guest_access(&vm, GPA_2M, MMU_READ);
	ck_assert(r.status == EPT_OK && !r.logged);
	ck_assert_uint_eq(get(PDE_2M_AT), 0x600000 | PS | LEAF | A);
	ck_assert_uint_eq(vm.ctx.pml_index, 508);
	/* A violation logs nothing and sets nothing (page 5 is read-only). */
	r = guest_access(&vm, GPA_4K(5), MMU_WRITE);
	ck_assert_int_eq(r.status, EPT_VIOLATION);
	ck_assert_uint_eq(get(PTE_AT(5)), (0x105000 | LEAF) & ~(uint64_t)W);
	ck_assert_uint_eq(vm.ctx.pml_index, 508);
	/* A guest paging-structure access with AD dirties its page: its GPA is logged. */
	struct ept_access ps = { .gpa = GPA_1G + 0x2345678, .access = MMU_READ,
				 .paging_structure = true, .gla_valid = true };
	ept_translate(&vm.ctx, &ps, &r);
	ck_assert(r.status == EPT_OK && r.logged);
	ck_assert_uint_eq(pml_log(508), GPA_1G + 0x2345000);
	ck_assert_uint_eq(vm.ctx.pml_index, 507);
}
END_TEST

START_TEST(pml_logs_4k_aligned_gpa_in_large_pages)
{
	struct pml_vm vm;
	struct ept_result r;

	build_hierarchy();
	pml_vm_init(&vm, true, true, 100);
	/* 29.3.6: "Bits 11:0 of the value written are always 0", whatever the page size. */
	r = guest_access(&vm, GPA_2M + 0x1ab123, MMU_WRITE);
	ck_assert(r.status == EPT_OK && r.logged);
	ck_assert_uint_eq(r.hpa, 0x7ab123);
	ck_assert_uint_eq(pml_log(100), GPA_2M + 0x1ab000);
	r = guest_access(&vm, GPA_1G + 0x3456789a, MMU_WRITE);
	ck_assert(r.status == EPT_OK && r.logged);
	ck_assert_uint_eq(r.hpa, 0x80000000ull + 0x3456789a);
	ck_assert_uint_eq(pml_log(99), GPA_1G + 0x34567000);
	ck_assert_uint_eq(vm.ctx.pml_index, 98);
}
END_TEST

START_TEST(pml_index_wraps_then_log_full)
{
	static uint64_t before[RAM_SIZE / 8];
	struct pml_vm vm;
	struct ept_result r;

	build_hierarchy();
	pml_vm_init(&vm, true, true, 1);
	r = guest_access(&vm, GPA_4K(4), MMU_WRITE);
	ck_assert(r.status == EPT_OK && r.logged && vm.ctx.pml_index == 0);
	/* 29.3.6: the index decrements from 0 to FFFFH. */
	r = guest_access(&vm, GPA_4K(6), MMU_WRITE);
	ck_assert(r.status == EPT_OK && r.logged);
	ck_assert_uint_eq(vm.ctx.pml_index, 0xffff);
	ck_assert_uint_eq(pml_log(1), GPA_4K(4));
	ck_assert_uint_eq(pml_log(0), GPA_4K(6));
	/*
	 * The next dirtying access is a log-full event: no flag set, the access not performed, the
	 * log and index unchanged. The 2M path needs A on its PDE and D: nothing at all changes.
	 */
	memcpy(before, ram_words, sizeof before);
	r = guest_access(&vm, GPA_4K(7), MMU_WRITE);
	ck_assert_int_eq(r.status, EPT_PML_FULL);
	r = guest_access(&vm, GPA_2M + 0x5000, MMU_WRITE);
	ck_assert_int_eq(r.status, EPT_PML_FULL);
	ck_assert_uint_eq(get(PTE_AT(7)), 0x107000 | LEAF);
	ck_assert_uint_eq(get(PDE_2M_AT), 0x600000 | PS | LEAF);
	ck_assert(memcmp(before, ram_words, sizeof before) == 0);
	ck_assert_uint_eq(vm.ctx.pml_index, 0xffff);
}
END_TEST

START_TEST(pml_full_only_when_a_flag_must_be_set)
{
	static const uint16_t out_of_range[] = { 0xffff, 512, 0x8000 };
	static uint64_t before[RAM_SIZE / 8];

	for (unsigned i = 0; i < sizeof out_of_range / sizeof out_of_range[0]; i++) {
		struct pml_vm vm;
		struct ept_result r;
		uint16_t full = out_of_range[i];

		build_hierarchy();
		/* A read that must set only an A flag also checks the index (29.3.6). */
		pml_vm_init(&vm, true, true, full);
		memcpy(before, ram_words, sizeof before);
		r = guest_access(&vm, GPA_4K(4), MMU_READ);
		ck_assert_int_eq(r.status, EPT_PML_FULL);
		ck_assert(memcmp(before, ram_words, sizeof before) == 0);
		ck_assert_uint_eq(vm.ctx.pml_index, full);

		/* With room in the log, the read sets the A flags; nothing logged. */
		vm.ctx.pml_index = 7;
		r = guest_access(&vm, GPA_4K(4), MMU_READ);
		ck_assert(r.status == EPT_OK && !r.logged && vm.ctx.pml_index == 7);

		/* Every A already set: reads and fetches need no flag and never look at the index. */
		vm.ctx.pml_index = full;
		r = guest_access(&vm, GPA_4K(4) + 0x40, MMU_READ);
		ck_assert_int_eq(r.status, EPT_OK);
		r = guest_access(&vm, GPA_4K(4), MMU_FETCH);
		ck_assert_int_eq(r.status, EPT_OK);
		ck_assert_uint_eq(r.prot, MMU_PROT_R | MMU_PROT_X);
		/* But a write must set D: log full. */
		r = guest_access(&vm, GPA_4K(4), MMU_WRITE);
		ck_assert_int_eq(r.status, EPT_PML_FULL);
		ck_assert_uint_eq(get(PTE_AT(4)), 0x104000 | LEAF | A);

		/* A page already dirty: a write needs no flag, succeeds with the log full, logs nothing. */
		put(PTE_AT(4), get(PTE_AT(4)) | D);
		memcpy(before, ram_words, sizeof before);
		r = guest_access(&vm, GPA_4K(4), MMU_WRITE);
		ck_assert(r.status == EPT_OK && !r.logged);
		ck_assert_uint_eq(r.prot, MMU_PROT_R | MMU_PROT_W | MMU_PROT_X);
		ck_assert(memcmp(before, ram_words, sizeof before) == 0);
		ck_assert_uint_eq(vm.ctx.pml_index, full);
	}
}
END_TEST

START_TEST(no_logging_without_pml_or_ad)
{
	struct pml_vm vm;
	struct ept_result r;

	/* "enable PML" = 0: flags are set, nothing is logged, the index is never examined. */
	build_hierarchy();
	pml_vm_init(&vm, true, false, 0xffff);
	r = guest_access(&vm, GPA_4K(4), MMU_WRITE);
	ck_assert(r.status == EPT_OK && !r.logged);
	ck_assert_uint_eq(get(PTE_AT(4)), 0x104000 | LEAF | A | D);
	ck_assert_uint_eq(vm.ctx.pml_index, 0xffff);
	vm.ctx.pml_index = 511;
	r = guest_access(&vm, GPA_4K(6), MMU_WRITE);
	ck_assert_uint_eq(vm.ctx.pml_index, 511);
	for (unsigned i = 0; i < 512; i++)
		ck_assert_uint_eq(pml_log(i), 0);

	/* EPTP.AD = 0: no flag is ever set, so PML never logs (29.3.6) nor exits. */
	build_hierarchy();
	pml_vm_init(&vm, false, true, 0xffff);
	r = guest_access(&vm, GPA_4K(4), MMU_WRITE);
	ck_assert(r.status == EPT_OK && !r.logged);
	ck_assert_uint_eq(get(PTE_AT(4)), 0x104000 | LEAF);
	ck_assert_uint_eq(vm.ctx.pml_index, 0xffff);
}
END_TEST

START_TEST(probe_has_no_side_effects)
{
	static uint64_t before[RAM_SIZE / 8];
	struct pml_vm vm;
	struct ept_result r;
	struct ept_access a = { .gpa = GPA_4K(7) + 0x321, .access = MMU_WRITE, .probe = true };

	build_hierarchy();
	pml_vm_init(&vm, true, true, 0xffff);
	memcpy(before, ram_words, sizeof before);
	/* A write that would need A and D with the log full: a probe translates, never PML_FULL. */
	ept_translate(&vm.ctx, &a, &r);
	ck_assert(r.status == EPT_OK && !r.logged);
	ck_assert_uint_eq(r.hpa, 0x107321);
	ck_assert_uint_eq(r.page_mask, 0xfff);
	ck_assert_uint_eq(r.prot, MMU_PROT_R | MMU_PROT_X); /* D still clear */
	vm.ctx.pml_index = 511;
	ept_translate(&vm.ctx, &a, &r);
	ck_assert(r.status == EPT_OK && !r.logged);
	ck_assert(memcmp(before, ram_words, sizeof before) == 0);
	ck_assert_uint_eq(vm.ctx.pml_index, 511);
	/* It still reports violations and misconfigurations, without side effects. */
	a.gpa = GPA_4K(5);
	ept_translate(&vm.ctx, &a, &r);
	ck_assert_int_eq(r.status, EPT_VIOLATION);
	put(PTE_AT(6), get(PTE_AT(6)) | MEMTYPE(7));
	memcpy(before, ram_words, sizeof before);
	a.gpa = GPA_4K(6);
	ept_translate(&vm.ctx, &a, &r);
	ck_assert_int_eq(r.status, EPT_MISCONFIG);
	ck_assert(memcmp(before, ram_words, sizeof before) == 0);
	ck_assert_uint_eq(vm.ctx.pml_index, 511);
}
END_TEST

/* ---- EPTP checks on VM entry (27.2.1.1; 26.2.1.1 in newer SDMs) ---- */

/* The rules, as the SDM lists them, for the given capabilities. */
static enum eptp_check sdm_eptp(const struct ept_caps *caps, uint64_t eptp)
{
	unsigned memtype = eptp & 7, walk = (eptp >> 3) & 7;
	if (!((memtype == 0 && caps->uc) || (memtype == 6 && caps->wb)))
		return EPTP_MEMTYPE; /* "a value supported ... as indicated in IA32_VMX_EPT_VPID_CAP" */
	if (walk != 3)
		return EPTP_WALK_LENGTH; /* 4-level paging only (no 5-level on Broadwell) */
	if ((eptp & EPTP_AD_BIT) && !caps->ad)
		return EPTP_AD; /* bit 6 must be 0 if bit 21 of the capability MSR is 0 */
	if (eptp & (BITS(11, 7) | BITS(63, caps->maxphyaddr)))
		return EPTP_RESERVED; /* bits 11:7 (no supervisor shadow stacks) and 63:N */
	return EPTP_OK;
}

START_TEST(eptp_checks)
{
	static const struct {
		const char *rule;
		struct ept_caps caps;
		uint64_t eptp;
		enum eptp_check want;
	} t[] = {
#define BDW { .execute_only = true, .wb = true, .uc = true, .ad = true, .pages_2m = true, .pages_1g = true, .maxphyaddr = 46 }
		{ "WB, 4 levels, AD", BDW, 0x1000 | EPTP_WB_4LEVEL | EPTP_AD_BIT, EPTP_OK },
		{ "UC, 4 levels", BDW, 0x1000 | 0 | 3 << 3, EPTP_OK },
		{ "UC not supported", { .wb = true, .ad = true, .maxphyaddr = 46 }, 3 << 3, EPTP_MEMTYPE },
		{ "WB not supported", { .uc = true, .maxphyaddr = 46 }, EPTP_WB_4LEVEL, EPTP_MEMTYPE },
		{ "memory type 1 (WC) is not an EPTP type", BDW, 1 | 3 << 3, EPTP_MEMTYPE },
		{ "memory type 4 (WT)", BDW, 4 | 3 << 3, EPTP_MEMTYPE },
		{ "memory type 7", BDW, 7 | 3 << 3, EPTP_MEMTYPE },
		{ "page-walk length 5 (bits 5:3 = 4) not supported", BDW, 6 | 4 << 3, EPTP_WALK_LENGTH },
		{ "page-walk length 1", BDW, 6, EPTP_WALK_LENGTH },
		{ "AD without capability bit 21", { .wb = true, .maxphyaddr = 46 },
		  EPTP_WB_4LEVEL | EPTP_AD_BIT, EPTP_AD },
		{ "bit 7 (supervisor shadow stacks) reserved", BDW, EPTP_WB_4LEVEL | 1 << 7, EPTP_RESERVED },
		{ "bit 11 reserved", BDW, EPTP_WB_4LEVEL | 1 << 11, EPTP_RESERVED },
		{ "bit 45 is an address bit with N = 46", BDW, EPTP_WB_4LEVEL | 1ull << 45, EPTP_OK },
		{ "bit 46 = N reserved", BDW, EPTP_WB_4LEVEL | 1ull << 46, EPTP_RESERVED },
		{ "bit 63 reserved", BDW, EPTP_WB_4LEVEL | 1ull << 63, EPTP_RESERVED },
		{ "memory type checked first", BDW, 2 | 1 << 9, EPTP_MEMTYPE },
#undef BDW
	};
	for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
		ck_assert_msg(sdm_eptp(&t[i].caps, t[i].eptp) == t[i].want, "oracle: %s", t[i].rule);
		enum eptp_check got = ept_check_eptp(&t[i].caps, t[i].eptp);
		ck_assert_msg(got == t[i].want, "%s, expected %s: %s", eptp_check_name(got),
			      eptp_check_name(t[i].want), t[i].rule);
	}
	/* Every field value and every single bit, for two capability sets and widths. */
	static const struct ept_caps sweep[] = {
		{ .wb = true, .uc = true, .ad = true, .maxphyaddr = 46 },
		{ .wb = true, .maxphyaddr = 39 },
	};
	for (unsigned s = 0; s < 2; s++) {
		for (uint64_t low = 0; low < 128; low++)
			ck_assert_msg(ept_check_eptp(&sweep[s], 0x5000 | low) == sdm_eptp(&sweep[s], 0x5000 | low),
				      "EPTP %#llx", (unsigned long long)(0x5000 | low));
		for (unsigned b = 7; b < 64; b++) {
			uint64_t eptp = EPTP_WB_4LEVEL | 1ull << b;
			ck_assert_msg(ept_check_eptp(&sweep[s], eptp) == sdm_eptp(&sweep[s], eptp),
				      "EPTP %#llx", (unsigned long long)eptp);
		}
	}
	ck_assert_str_ne(eptp_check_name(EPTP_OK), eptp_check_name(EPTP_RESERVED));
}
END_TEST

Suite *suite_ept(void)
{
	Suite *s = suite_create("vmx/ept");
	TCase *walk = tcase_create("walk");
	TCase *pml = tcase_create("A/D and PML");
	TCase *eptp = tcase_create("EPTP");

	tcase_add_checked_fixture(walk, setup, NULL);
	tcase_add_checked_fixture(pml, setup, NULL);
	tcase_set_timeout(walk, 120);
	tcase_add_test(walk, permission_matrix);
	tcase_add_test(walk, reserved_bit_sweep);
	tcase_add_test(walk, named_walks);
	tcase_add_test(walk, qualification_bits);
	tcase_add_test(pml, ad_flags_set_on_use);
	tcase_add_test(pml, pml_logs_in_order);
	tcase_add_test(pml, pml_logs_4k_aligned_gpa_in_large_pages);
	tcase_add_test(pml, pml_index_wraps_then_log_full);
	tcase_add_test(pml, pml_full_only_when_a_flag_must_be_set);
	tcase_add_test(pml, no_logging_without_pml_or_ad);
	tcase_add_test(pml, probe_has_no_side_effects);
	tcase_add_test(eptp, eptp_checks);
	suite_add_tcase(s, walk);
	suite_add_tcase(s, pml);
	suite_add_tcase(s, eptp);
	return s;
}
