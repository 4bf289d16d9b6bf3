/*
 * replay: the guest `hvsim replay` boots in place of a traced one. hv loads and starts it like
 * any VMX guest, and from its first instruction hvsim's trace stand-in (sim/trace/replay.h)
 * makes its progress instead: the trace's writes, then SUCCESS on the debug-exit port. So none
 * of this code runs under replay; run on its own it only says what it is for.
 */
#include "workload.h"

static void replay_main(void)
{
	printk("replay: a stand-in guest; 'hvsim replay TRACE' makes its progress from a trace\n");
}

WORKLOAD("replay", replay_main);
