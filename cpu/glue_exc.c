/*
 * QEMU's exception state, read and cleared in place (cpu/glue_env.c locates it).
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
 * Every use checks that the record holds what QEMU's check_exception() leaves there: -1 or the
 * vector just raised. Reading the three fields in place replaces a save of the whole CPU context
 * (5.5 KB, and a restore when the record was set) on every exception, VMX instructions included.
 */
#include "cpu/glue_exc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NO_EXCEPTION (-1)

uint32_t glue_exc_take(const struct glue_env *g, uint8_t vector, bool *is_int)
{
	int32_t old = (int32_t)glue_env_load(g, g->exc_old);
	int32_t soft = (int32_t)glue_env_load(g, g->exc_is_int);
	const int32_t none = NO_EXCEPTION;

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
	if (old != NO_EXCEPTION)
		memcpy(g->base + g->exc_old.at - 1, &none, sizeof none);
	return (uint32_t)glue_env_load(g, g->exc_error);
}
