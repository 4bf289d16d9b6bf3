/*
 * Event delivery through the IDT of a 64-bit guest (SDM Vol. 3, 6.14 "Exception and Interrupt
 * Handling in 64-bit Mode"), with the double-fault rules of Table 6-5 and shutdown on a fault
 * while delivering #DF.
 */
#ifndef HVSIM_CPU_EVENTS_H
#define HVSIM_CPU_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
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
	EVENT_VM_EXIT,     /* non-root: the event (or one during its delivery) caused a VM exit */
	EVENT_TRIPLE_FAULT,
	EVENT_UNSUPPORTED, /* cpu->error says what the model cannot do */
};

/*
 * Deliver 'f' (vector, error code, CR2 for #PF). RIP must already be the address to return to.
 * In VMX non-root operation each exception is first offered to the virtualization layer, which
 * may turn it into a VM exit (SDM Vol. 3, 26.2 "Other Causes of VM Exits: Exceptions").
 */
enum event_result event_deliver(struct cpu *cpu, struct fault f, enum event_kind kind);
/* The same for an event injected by VM entry: it is not itself subject to VM exits (27.6.1). */
enum event_result event_deliver_injected(struct cpu *cpu, struct fault f, enum event_kind kind);

/*
 * The exceptions of the last delivery, in the order they were raised, as one line: "#GP(0);
 * delivering #GP raised #NP(0x6b) (a double fault); delivering #DF raised #NP(0x43)". Each was
 * raised while delivering the one before; a double fault replaces the two before it by #DF.
 */
void event_describe_chain(const struct cpu *cpu, char *buf, size_t len);

/* Does the vector push an error code (SDM Table 6-1)? */
bool event_has_error_code(unsigned vector);

#endif
