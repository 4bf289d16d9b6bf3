/* Running the machine on gdb's behalf and sending the stop reply (sim/debug/gdb_resume.c). */
#ifndef HVSIM_SIM_DEBUG_GDB_RESUME_H
#define HVSIM_SIM_DEBUG_GDB_RESUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gdb_client;

enum gdb_resume {
	GDB_RESUME_CONTINUE,
	GDB_RESUME_STEP,
	GDB_RESUME_REVERSE_CONTINUE,
	GDB_RESUME_REVERSE_STEP,
};

/* Run as asked and answer with the stop reply (or W/X, changing the client's state). */
void gdb_resume(struct gdb_client *c, enum gdb_resume how);
/* The same from 'addr' (c ADDR, s ADDR: RIP is set first). */
void gdb_resume_at(struct gdb_client *c, enum gdb_resume how, bool has_addr, uint64_t addr);
/* Text for gdb's console as O packets (only while gdb waits for a stop or a qRcmd reply). */
bool gdb_console(struct gdb_client *c, const char *text, size_t len);

#endif
