/* The console panel's lines (console.h). */
#include "sim/view/console.h"

#include <string.h>

void console_reset(struct console *c)
{
	memset(c, 0, sizeof *c);
}

void console_byte(struct console *c, uint8_t b)
{
	if (b == '\n') {
		c->head = (c->head + 1) % CONSOLE_LINES;
		c->len = 0;
		c->line[c->head][0] = 0;
		if (c->count < CONSOLE_LINES - 1)
			c->count++;
		return;
	}
	if (b == '\r' || c->len >= CONSOLE_COLS)
		return;
	/* what a terminal would not print becomes '?', so the font always has a glyph */
	c->line[c->head][c->len++] = b >= 0x20 && b < 0x7f ? (char)b : b == '\t' ? ' ' : '?';
	c->line[c->head][c->len] = 0;
}

const char *console_line(const struct console *c, unsigned i)
{
	if (i > c->count)
		return NULL;
	return c->line[(c->head + CONSOLE_LINES - i) % CONSOLE_LINES];
}
