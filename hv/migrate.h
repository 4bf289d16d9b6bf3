/*
 * Pre-copy live migration of a VMX guest into a second VM on the same host.
 *
 * Round 0 sends all guest RAM; each later round sends the pages dirtied since the last harvest.
 * Pages go out at a bandwidth limit in virtual time, between slices of guest execution (the
 * VMX-preemption timer ends each slice). When a round leaves fewer than 'threshold' dirty pages,
 * or after 'max_rounds' rounds (Xen's defaults: 50 pages, 5 rounds), the guest stops, the last
 * dirty pages and the vCPU state move, and the guest resumes on the destination's memory.
 *
 * hv command line: migrate (turn it on), tracker=pml|wp|scan, bandwidth=BYTES_PER_SECOND
 * (default 1G), tsc_khz=N (the TSC rate bandwidth is measured against; default 1000000),
 * max_rounds=N, threshold=PAGES, pml_entries=N (how much of the PML log the pml tracker uses,
 * 1..512, default 512), slice=TICKS (default 100000), migrate_after=TICKS of guest
 * time (default 1000000), inject=skip-final-harvest (test only: drop the last harvest).
 *
 * Statistics go to the console as "@mig" lines (hv/README.md documents them; hvsim migrate
 * reads them).
 */
#ifndef HV_MIGRATE_H
#define HV_MIGRATE_H

#include "vmx/vm.h"

/* Read the options; false (after saying why) if they ask for what cannot be done. */
bool migrate_init(struct vm *vm, const char *hv_cmdline);
void migrate_before_entry(struct vm *vm);
void migrate_tick(struct vm *vm);
void migrate_finish(struct vm *vm, int result);

#endif
