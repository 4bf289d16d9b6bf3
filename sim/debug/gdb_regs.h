/*
 * gdb's view of the CPU: the register list of sim/debug/gdb_regs.def, as the target description
 * (qXfer:features:read) and as the byte layout of the 'g', 'G', 'p' and 'P' packets.
 */
#ifndef HVSIM_SIM_DEBUG_GDB_REGS_H
#define HVSIM_SIM_DEBUG_GDB_REGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/debug/engine.h"

enum gdb_reg_source { GDB_SRC_REG, GDB_SRC_WIDE, GDB_SRC_ST, GDB_SRC_MSR };

struct gdb_reg {
	const char *name;
	unsigned bytes;
	enum gdb_reg_source source;
	int id; /* Unicorn register id, ST(i) slot, or MSR index */
};

#define GDB_REG_MAX_BYTES 16 /* the widest register (XMM) */

extern const struct gdb_reg gdb_regs[];
extern const unsigned gdb_reg_count;
/* Bytes of a whole 'g' packet's register block. */
size_t gdb_regs_size(void);
/* The index of a register by name, or -1. */
int gdb_reg_index(const char *name);

/* The target description, one XML document named "target.xml". */
const char *gdb_target_xml(size_t *len);

/* Register n in gdb's byte order (little-endian), gdb_regs[n].bytes long. */
void gdb_reg_read(struct dbg *d, unsigned n, uint8_t *buf);
/*
 * Set register n. A register that cannot be written (x87 and SSE state) accepts only its current
 * value: false otherwise. Unchanged values are never written (writing a selector reloads it).
 */
bool gdb_reg_write(struct dbg *d, unsigned n, const uint8_t *buf);

#endif
