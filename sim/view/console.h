/* The last lines of COM1, as the view's console panel shows them. */
#ifndef HVSIM_SIM_VIEW_CONSOLE_H
#define HVSIM_SIM_VIEW_CONSOLE_H

#include <stdint.h>

#define CONSOLE_LINES 64
#define CONSOLE_COLS 160 /* longer lines are cut */

struct console {
	char line[CONSOLE_LINES][CONSOLE_COLS + 1];
	unsigned head;  /* the line being written */
	unsigned count; /* complete lines held, at most CONSOLE_LINES - 1 */
	unsigned len;   /* bytes in line[head] */
};

void console_reset(struct console *c);
void console_byte(struct console *c, uint8_t b);
/* The i-th newest line, 0 being the one under way (possibly empty); NULL past the oldest. */
const char *console_line(const struct console *c, unsigned i);

#endif
