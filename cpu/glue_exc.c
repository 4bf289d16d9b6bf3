/*
 * QEMU's exception state, read and cleared through the public CPU-context API.
 *
 * When QEMU raises an exception (raise_exception_err() and friends) it first compares it with
 * the exception "in flight" (CPUX86State.old_exception) to apply the double-fault rules itself:
 * a second contributory exception becomes #DF, and any exception after #DF halts the CPU as a
 * shutdown. Only QEMU's own delivery code (x86_cpu_do_interrupt) clears that record, and hvsim
 * never lets it run: the UC_HOOK_INTR hook takes every exception and cpu/events.c delivers it.
 * Left alone, the record would turn the second #GP of a run (two RDMSRs of a missing MSR) into
 * #DF and every exception after that into a silent halt. The error code QEMU computed
 * (#GP(selector) for a bad segment load) is also only in that state.
 *
 * The public API reaches CPUX86State only as a CPU context (uc_context_save/restore copy it).
 * Unicorn 2.1's CPUX86State has, in this order:
 *     int error_code; int exception_is_int; target_ulong exception_next_eip;
 *     target_ulong dr[8]; void *cpu_breakpoint[4]; int old_exception;
 * DR0-DR7 can be written through the API, so a marker written there is found in a saved context
 * and the two other fields are at fixed distances from it. Every use checks that the record
 * holds what QEMU's check_exception() leaves there: -1 or the vector just raised.
 */
#include "cpu/glue_exc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DR_COUNT 8
#define ERROR_CODE_BEFORE_DR (2 * sizeof(int) + sizeof(uint64_t))
#define OLD_EXCEPTION_AFTER_DR (DR_COUNT * sizeof(uint64_t) + 4 * sizeof(void *))
#define NO_EXCEPTION (-1)

/* Offsets in a saved uc_context (header included); 0 until located. Same for every engine. */
static size_t err_off, old_off;

static int32_t get32(const uint8_t *blob, size_t off)
{
	int32_t v;
	memcpy(&v, blob + off, sizeof v);
	return v;
}

/* The one offset in 'blob' where dr[0..7] hold 'mark', or 0. */
static size_t find_dr(const uint8_t *blob, size_t size, const uint64_t mark[DR_COUNT])
{
	size_t found = 0;
	/* The context's header need not keep the CPU state 8-byte aligned: look at every byte. */
	for (size_t off = 0; off + sizeof(uint64_t) * DR_COUNT <= size; off++) {
		if (memcmp(blob + off, mark, sizeof(uint64_t) * DR_COUNT))
			continue;
		if (found)
			return 0;
		found = off;
	}
	return found;
}

bool glue_exc_check(uc_engine *uc, char *why, unsigned len)
{
	uint64_t saved[DR_COUNT], mark[DR_COUNT];
	uc_context *ctx;
	size_t dr = 0, size = uc_context_size(uc);
	bool ok = true;

	if (uc_context_alloc(uc, &ctx) != UC_ERR_OK) {
		snprintf(why, len, "cannot allocate a Unicorn CPU context");
		return false;
	}
	for (int i = 0; i < DR_COUNT; i++) {
		mark[i] = 0x6876736d64720000ull + (uint64_t)i; /* "hvsmdr" + i */
		ok &= uc_reg_read(uc, UC_X86_REG_DR0 + i, &saved[i]) == UC_ERR_OK;
		ok &= uc_reg_write(uc, UC_X86_REG_DR0 + i, &mark[i]) == UC_ERR_OK;
	}
	ok &= uc_context_save(uc, ctx) == UC_ERR_OK;
	for (int i = 0; i < DR_COUNT; i++)
		ok &= uc_reg_write(uc, UC_X86_REG_DR0 + i, &saved[i]) == UC_ERR_OK;
	if (ok)
		dr = find_dr((const uint8_t *)ctx, size, mark);
	if (dr >= ERROR_CODE_BEFORE_DR && dr + OLD_EXCEPTION_AFTER_DR + sizeof(int) <= size &&
	    get32((const uint8_t *)ctx, dr + OLD_EXCEPTION_AFTER_DR) == NO_EXCEPTION) {
		err_off = dr - ERROR_CODE_BEFORE_DR;
		old_off = dr + OLD_EXCEPTION_AFTER_DR;
	} else {
		snprintf(why, len, "Unicorn's CPU context does not have the layout of Unicorn 2.1 "
				   "(QEMU's exception state cannot be located)");
		ok = false;
	}
	uc_context_free(ctx);
	return ok;
}

/*
 * One context buffer, reused: every exception needs one (a VM exit for VMCALL is an exception
 * too), and allocating it each time was a measurable part of a VM exit round trip. The size is
 * the same for every x86-64 engine; the buffer is never freed (it stays reachable).
 */
static uc_context *context_for(uc_engine *uc)
{
	static __thread uc_context *ctx;
	static __thread size_t size;

	if (ctx && size == uc_context_size(uc))
		return ctx;
	if (ctx)
		uc_context_free(ctx);
	ctx = NULL;
	if (uc_context_alloc(uc, &ctx) != UC_ERR_OK)
		return NULL;
	size = uc_context_size(uc);
	return ctx;
}

uint32_t glue_exc_take(uc_engine *uc, uint8_t vector, bool *is_int)
{
	uc_context *ctx = context_for(uc);
	uint8_t *blob;
	int32_t old, err, soft;
	const int32_t none = NO_EXCEPTION;

	if (!old_off || !ctx || uc_context_save(uc, ctx) != UC_ERR_OK) {
		fprintf(stderr, "hvsim: internal error: cannot read QEMU's exception state\n");
		abort();
	}
	blob = (uint8_t *)ctx;
	old = get32(blob, old_off);
	err = get32(blob, err_off);
	soft = get32(blob, err_off + sizeof(int));
	if (soft != 0 && soft != 1) {
		fprintf(stderr, "hvsim: internal error: QEMU's exception_is_int is %d\n", soft);
		abort();
	}
	*is_int = soft;
	if (old != NO_EXCEPTION && old != vector) {
		fprintf(stderr, "hvsim: internal error: QEMU's exception in flight is %d, raising %u\n",
			old, vector);
		abort();
	}
	if (old != NO_EXCEPTION) {
		memcpy(blob + old_off, &none, sizeof none);
		uc_context_restore(uc, ctx);
	}
	return (uint32_t)err;
}
