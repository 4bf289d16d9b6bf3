/*
 * QEMU's state about the exception it raised last (its error code and the "exception in flight"
 * it uses for its own double-fault logic), which hvsim must read and clear because hvsim, not
 * QEMU, delivers every exception (cpu/events.c). See cpu/glue_exc.c.
 */
#ifndef HVSIM_CPU_GLUE_EXC_H
#define HVSIM_CPU_GLUE_EXC_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/glue_env.h"

/*
 * From the UC_HOOK_INTR hook: QEMU raised 'vector' and hvsim takes it over. Returns the error
 * code QEMU computed and clears QEMU's exception in flight; '*is_int' says whether an INT n,
 * INT3 or INTO raised it (QEMU's exception_is_int: RIP is past the instruction).
 */
uint32_t glue_exc_take(const struct glue_env *g, uint8_t vector, bool *is_int);

#endif
