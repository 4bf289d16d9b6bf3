/*
 * Watching VM exits as they happen, for the view: the virtualization layer's operations
 * (cpu/virt.h) are installed again with vm_exit wrapped, so that after every VM exit the layer
 * performs, 'seen' is told its basic reason (SDM Vol. 3, Appendix C) with the machine stopped at
 * that exit: the guest's last instruction retired, hv's handler not yet begun. The wrapper calls
 * the layer's own vm_exit first and changes nothing it does.
 *
 * Also here: VM exits counted by reason in buckets of virtual time, for a rate chart.
 */
#ifndef HVSIM_SIM_VIEW_EXITWATCH_H
#define HVSIM_SIM_VIEW_EXITWATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "vmx/vmx.h"

struct exit_watch {
	struct virt_ops ops; /* cpu->virt while watching */
	const struct virt_ops *inner;
	struct cpu *cpu;
	void (*seen)(void *ctx, unsigned reason);
	void *ctx;
};

void exit_watch_start(struct exit_watch *w, struct cpu *cpu,
		      void (*seen)(void *ctx, unsigned reason), void *ctx);
void exit_watch_stop(struct exit_watch *w);

/*
 * Exits by reason over virtual time, in EXIT_BUCKETS buckets of 'len' instructions from 0; when
 * time runs past the last bucket, neighbours merge and 'len' doubles, so the whole run fits.
 */
#define EXIT_BUCKETS 128
#define EXIT_BUCKET_LEN0 (1ull << 17)

struct exit_series {
	uint64_t len;
	unsigned used;                 /* buckets up to the last exit's */
	uint64_t count[EXIT_BUCKETS][EXIT_REASON_LIMIT];
	uint64_t total[EXIT_REASON_LIMIT];
};

void exit_series_init(struct exit_series *s);
void exit_series_add(struct exit_series *s, uint64_t vtime, unsigned reason);

#endif
