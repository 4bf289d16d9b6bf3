/*
 * Event delivery through the IDT of a 64-bit guest (SDM Vol. 3, 6.14 "Exception and Interrupt
 * Handling in 64-bit Mode"), with the double-fault rules of Table 6-5 and shutdown on a fault
 * while delivering #DF.
 */
#ifndef HVSIM_CPU_EVENTS_H
#define HVSIM_CPU_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/fault.h"

struct cpu;

enum event_kind {
	EVENT_EXCEPTION, /* a fault or trap raised by an instruction */
	EVENT_SOFTWARE,  /* INT n / INT3 / INTO: gate DPL checked against CPL */
	EVENT_EXTERNAL,  /* an interrupt from the platform */
};

enum event_result {
	EVENT_DELIVERED,
	EVENT_TRIPLE_FAULT,
	EVENT_UNSUPPORTED, /* cpu->error says what the model cannot do */
};

/* Deliver 'f' (vector, error code, CR2 for #PF). RIP must already be the address to return to. */
enum event_result event_deliver(struct cpu *cpu, struct fault f, enum event_kind kind);

/* Does the vector push an error code (SDM Table 6-1)? */
bool event_has_error_code(unsigned vector);

#endif
