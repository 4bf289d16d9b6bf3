/*
 * The permission matrix: every combination of CPL, EFLAGS.AC, CR4.SMAP, CR4.SMEP, CR0.WP,
 * EFER.NXE, access type, explicit/implicit, U/S, R/W and XD at each paging level, page size,
 * present and reserved bits, checked against an oracle written here from the SDM's rules
 * (Vol. 3, 4.6 "Access Rights", 4.7 "Page-Fault Exceptions", 4.8 "Accessed and Dirty Flags").
 * The oracle shares no code with cpu/mmu.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/mmu.h"
#include "tests/lib/harness.h"

#define RAM_SIZE (4u << 20)
#define VA 0x0000008080604123ull /* PML4 idx 1, PDPT idx 2, PD idx 3, PT idx 4, offset 0x123 */
static const uint64_t table_at[5] = { 0, 0x4000, 0x3000, 0x2000, 0x1000 }; /* by level */
static const unsigned idx_at[5] = { 0, 4, 3, 2, 1 };

enum { P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80 };
#define XD (1ull << 63)

struct ctx {
	unsigned cpl, ac, smap, smep, wp, nxe;
};

struct pt_case {
	int leaf;           /* 1: 4K, 2: 2M, 3: 1G */
	int user_off;       /* level whose U/S = 0 (0: none) */
	int write_off;      /* level whose R/W = 0 */
	int xd_on;          /* level whose XD = 1 */
	int not_present;    /* level whose P = 0 */
	int rsvd;           /* level with a reserved bit set */
	uint64_t rsvd_bit;
};

static uint8_t *ram;

static uint64_t rd(uint64_t pa)
{
	uint64_t v;
	memcpy(&v, ram + pa, 8);
	return v;
}

static void build(const struct pt_case *c)
{
	memset(ram, 0, 0x10000);
	for (int level = 4; level >= c->leaf; level--) {
		uint64_t e = P | RW | US;
		if (level == c->leaf)
			e |= level == 1 ? 0x200000 : level == 2 ? 0x200000 | PS : 0x40000000 | PS;
		else
			e |= table_at[level - 1];
		if (c->user_off == level)
			e &= ~(uint64_t)US;
		if (c->write_off == level)
			e &= ~(uint64_t)RW;
		if (c->xd_on == level)
			e |= XD;
		if (c->not_present == level)
			e &= ~(uint64_t)P;
		if (c->rsvd == level)
			e |= c->rsvd_bit;
		memcpy(ram + table_at[level] + 8 * idx_at[level], &e, 8);
	}
}

/* ---- the oracle: SDM rules, stated as they read ---- */

enum rule { R_OK, R_NOT_PRESENT, R_RESERVED, R_USER, R_WRITE, R_NX, R_SMEP, R_SMAP, R_SMAP_IMPLICIT };

struct expect {
	unsigned violated; /* bitmask of 1 << rule */
	uint32_t error_code;
};

static struct expect oracle(const struct ctx *x, const struct pt_case *c, enum mmu_access acc,
			    bool implicit)
{
	struct expect e = { 0, 0 };
	/* An access is user-mode if CPL = 3 and it is not an implicit supervisor access (4.6). */
	bool user_mode = x->cpl == 3 && !implicit;
	/* A user-mode address: U/S = 1 in every paging-structure entry used (4.6). */
	bool user_address = c->user_off == 0;
	/* Writes are allowed by the entries only if R/W = 1 in every entry (4.6). */
	bool entries_writable = c->write_off == 0;
	/* Execute-disable applies if XD = 1 in any entry and IA32_EFER.NXE = 1. */
	bool execute_disabled = c->xd_on != 0 && x->nxe;
	/* XD is a reserved bit when NXE = 0 (4.5, Tables 4-14..4-20). */
	bool reserved = c->rsvd != 0 || (c->xd_on != 0 && !x->nxe);

	if (c->not_present) {
		e.violated = 1u << R_NOT_PRESENT;
	} else if (reserved) {
		e.violated = 1u << R_RESERVED;
	} else if (user_mode) {
		if (!user_address)
			e.violated |= 1u << R_USER;
		if (acc == MMU_WRITE && !entries_writable)
			e.violated |= 1u << R_WRITE;
		if (acc == MMU_FETCH && execute_disabled)
			e.violated |= 1u << R_NX;
	} else if (acc == MMU_FETCH) {
		if (user_address && x->smep)
			e.violated |= 1u << R_SMEP;
		if (execute_disabled)
			e.violated |= 1u << R_NX;
	} else {
		/* SMAP: supervisor data access to a user-mode address, if implicit or AC = 0. */
		if (user_address && x->smap && (implicit || !x->ac))
			e.violated |= 1u << (implicit ? R_SMAP_IMPLICIT : R_SMAP);
		/* Supervisor writes honour R/W only when CR0.WP = 1. */
		if (acc == MMU_WRITE && !entries_writable && x->wp)
			e.violated |= 1u << R_WRITE;
	}
	if (e.violated) {
		/* Error code (4.7): P=0 only for not-present; W/R; U/S; RSVD; I/D when SMEP or NXE. */
		e.error_code = (c->not_present ? 0 : 1) | (acc == MMU_WRITE ? 2 : 0) |
			       (user_mode ? 4 : 0) | (reserved && !c->not_present ? 8 : 0) |
			       (acc == MMU_FETCH && (x->smep || x->nxe) ? 16 : 0);
	}
	return e;
}

static const enum fault_reason reason_of_rule[] = {
	[R_NOT_PRESENT] = FAULT_NOT_PRESENT, [R_RESERVED] = FAULT_RESERVED, [R_USER] = FAULT_USER,
	[R_WRITE] = FAULT_WRITE_PROTECT, [R_NX] = FAULT_NX, [R_SMEP] = FAULT_SMEP,
	[R_SMAP] = FAULT_SMAP, [R_SMAP_IMPLICIT] = FAULT_SMAP_IMPLICIT,
};

static const char *acc_name[] = { "read", "write", "fetch" };

static void describe(char *buf, size_t n, const struct ctx *x, const struct pt_case *c,
		     enum mmu_access acc, bool implicit)
{
	snprintf(buf, n,
		 "cpl=%u ac=%u smap=%u smep=%u wp=%u nxe=%u %s%s leaf=L%d U/S=0@L%d R/W=0@L%d "
		 "XD@L%d NP@L%d RSVD@L%d(%#llx)",
		 x->cpl, x->ac, x->smap, x->smep, x->wp, x->nxe, implicit ? "implicit " : "",
		 acc_name[acc], c->leaf, c->user_off, c->write_off, c->xd_on, c->not_present, c->rsvd,
		 (unsigned long long)c->rsvd_bit);
}

static unsigned run_case(const struct ctx *x, const struct pt_case *c, enum mmu_access acc,
			 bool implicit)
{
	struct phys phys = phys_layout(ram, RAM_SIZE);
	struct pt_mem mem = { .phys = &phys };
	struct mmu_regs regs = {
		.cr0 = CR0_PE | CR0_PG | (x->wp ? CR0_WP : 0),
		.cr3 = table_at[4],
		.cr4 = CR4_PAE | (x->smap ? CR4_SMAP : 0) | (x->smep ? CR4_SMEP : 0),
		.efer = EFER_LME | EFER_LMA | (x->nxe ? EFER_NXE : 0),
		.maxphyaddr = 46,
	};
	struct mmu_req req = { .va = VA, .access = acc, .user = x->cpl == 3 && !implicit,
			       .implicit = implicit, .ac = x->ac };
	struct mmu_result r;
	struct fault f;
	char what[256];

	build(c);
	uint64_t before[5];
	for (int level = 4; level >= c->leaf; level--)
		before[level] = rd(table_at[level] + 8 * idx_at[level]);

	struct expect e = oracle(x, c, acc, implicit);
	bool ok = mmu_translate(&regs, &mem, &req, &r, &f);
	describe(what, sizeof what, x, c, acc, implicit);

	if (e.violated) {
		ck_assert_msg(!ok, "expected #PF, got success: %s", what);
		ck_assert_msg(f.vector == 14 && f.error_code == e.error_code && f.cr2 == VA,
			      "vector %u error %#x cr2 %#llx, expected #PF error %#x: %s", f.vector,
			      f.error_code, (unsigned long long)f.cr2, e.error_code, what);
		if (__builtin_popcount(e.violated) == 1)
			ck_assert_msg(f.reason == reason_of_rule[__builtin_ctz(e.violated)],
				      "reason %s: %s", fault_reason_name(f.reason), what);
		/* 4.8: no A/D update on a faulting access (hvsim sets them only on success). */
		for (int level = 4; level >= c->leaf; level--)
			ck_assert_msg(rd(table_at[level] + 8 * idx_at[level]) == before[level],
				      "entry at L%d changed on a fault: %s", level, what);
		return 1;
	}
	ck_assert_msg(ok, "expected success, got %s (error %#x): %s", fault_reason_name(f.reason),
		      f.error_code, what);
	uint64_t page = c->leaf == 1 ? 0x200000 : c->leaf == 2 ? 0x200000 : 0x40000000;
	uint64_t off_mask = c->leaf == 1 ? 0xfff : c->leaf == 2 ? 0x1fffff : 0x3fffffff;
	ck_assert_msg(r.pa == (page | (VA & off_mask)), "pa %#llx: %s", (unsigned long long)r.pa, what);
	/* 4.8: A set in every entry used; D set in the leaf for a write, untouched otherwise. */
	for (int level = 4; level >= c->leaf; level--) {
		uint64_t now = rd(table_at[level] + 8 * idx_at[level]);
		uint64_t want = before[level] | A | (level == c->leaf && acc == MMU_WRITE ? D : 0);
		ck_assert_msg(now == want, "L%d entry %#llx, expected %#llx: %s", level,
			      (unsigned long long)now, (unsigned long long)want, what);
	}
	/* The grant: every access type the oracle allows now; W only once D is set. */
	for (enum mmu_access other = MMU_READ; other <= MMU_FETCH; other++) {
		bool allowed = !oracle(x, c, other, implicit).violated;
		bool dirty_ok = other != MMU_WRITE || acc == MMU_WRITE;
		unsigned bit = other == MMU_READ ? MMU_PROT_R : other == MMU_WRITE ? MMU_PROT_W : MMU_PROT_X;
		if (other == MMU_FETCH && implicit)
			continue;
		ck_assert_msg(!!(r.prot & bit) == (allowed && dirty_ok), "grant %#x for %s: %s", r.prot,
			      acc_name[other], what);
	}
	return 0;
}

static unsigned for_all_accesses(const struct pt_case *c, unsigned *cases)
{
	unsigned faults = 0;
	for (unsigned bits = 0; bits < 64; bits++) {
		struct ctx x = { bits & 1 ? 3 : 0, !!(bits & 2), !!(bits & 4), !!(bits & 8),
				 !!(bits & 16), !!(bits & 32) };
		for (enum mmu_access acc = MMU_READ; acc <= MMU_FETCH; acc++)
			for (int implicit = 0; implicit <= (acc != MMU_FETCH); implicit++) {
				faults += run_case(&x, c, acc, implicit);
				(*cases)++;
			}
	}
	return faults;
}

START_TEST(permissions)
{
	unsigned cases = 0, faults = 0;
	ram = calloc(1, RAM_SIZE);
	for (int leaf = 1; leaf <= 3; leaf++)
		for (int u = 0; u <= 4; u++)
			for (int w = 0; w <= 4; w++)
				for (int xd = 0; xd <= 4; xd++) {
					if ((u && u < leaf) || (w && w < leaf) || (xd && xd < leaf))
						continue;
					struct pt_case c = { .leaf = leaf, .user_off = u, .write_off = w, .xd_on = xd };
					faults += for_all_accesses(&c, &cases);
				}
	/* Both outcomes must be well represented, or the matrix tests little. */
	ck_assert_uint_gt(cases, 60000);
	ck_assert_uint_gt(faults, cases / 4);
	ck_assert_uint_lt(faults, cases * 3 / 4);
	free(ram);
}
END_TEST

START_TEST(not_present_and_reserved)
{
	/* Reserved bits per SDM Tables 4-14..4-20 with MAXPHYADDR = 46. */
	static const struct {
		int leaf, level;
		uint64_t bit;
		const char *why;
	} rsvd[] = {
		{ 1, 4, 1ull << 51, "PML4E address bit above MAXPHYADDR" },
		{ 1, 4, PS, "PML4E PS (bit 7) is reserved" },
		{ 1, 3, 1ull << 46, "PDPTE address bit above MAXPHYADDR" },
		{ 1, 2, 1ull << 50, "PDE address bit above MAXPHYADDR" },
		{ 1, 1, 1ull << 47, "PTE address bit above MAXPHYADDR" },
		{ 2, 2, 1ull << 13, "2M PDE bits 20:13 are reserved" },
		{ 2, 2, 1ull << 20, "2M PDE bits 20:13 are reserved" },
		{ 3, 3, 1ull << 13, "1G PDPTE bits 29:13 are reserved" },
		{ 3, 3, 1ull << 29, "1G PDPTE bits 29:13 are reserved" },
	};
	unsigned cases = 0;
	ram = calloc(1, RAM_SIZE);
	for (int leaf = 1; leaf <= 3; leaf++)
		for (int np = leaf; np <= 4; np++) {
			struct pt_case c = { .leaf = leaf, .not_present = np };
			for_all_accesses(&c, &cases);
		}
	for (unsigned i = 0; i < sizeof rsvd / sizeof rsvd[0]; i++) {
		struct pt_case c = { .leaf = rsvd[i].leaf, .rsvd = rsvd[i].level, .rsvd_bit = rsvd[i].bit };
		for_all_accesses(&c, &cases);
	}
	/* Not-present above a reserved bit: the walk stops at the first, P = 0 wins. */
	struct pt_case both = { .leaf = 1, .not_present = 3, .rsvd = 2, .rsvd_bit = 1ull << 50 };
	for_all_accesses(&both, &cases);
	ck_assert_uint_gt(cases, 3000);
	free(ram);
}
END_TEST

START_TEST(non_canonical_is_gp)
{
	uint8_t buf[0x10];
	struct phys phys = phys_layout(buf, sizeof buf);
	struct pt_mem mem = { .phys = &phys };
	struct mmu_regs regs = { .cr0 = CR0_PE | CR0_PG, .cr4 = CR4_PAE, .efer = EFER_LMA | EFER_LME };
	struct mmu_req req = { .va = 0x0000800000000000ull, .access = MMU_READ };
	struct mmu_result r;
	struct fault f;
	/* SDM 3.3.7.1: a non-canonical linear address raises #GP (or #SS), never #PF. */
	ck_assert(!mmu_translate(&regs, &mem, &req, &r, &f));
	ck_assert_uint_eq(f.vector, 13);
	ck_assert_int_eq(f.reason, FAULT_NON_CANONICAL);
}
END_TEST

Suite *suite_mmu_matrix(void)
{
	Suite *s = suite_create("cpu/mmu permission matrix");
	TCase *tc = tcase_create("matrix");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, permissions);
	tcase_add_test(tc, not_present_and_reserved);
	tcase_add_test(tc, non_canonical_is_gp);
	suite_add_tcase(s, tc);
	return s;
}
