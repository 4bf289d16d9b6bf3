/* The progress bar (progress.h). */
#include "sim/progress.h"

#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define REDRAW_NS 100000000ull /* 10 redraws a second look smooth and cost nothing */
#define DEFAULT_COLUMNS 80
#define LINE_MAX_BYTES 512

static int format_count(char *buf, size_t len, const char *label, uint64_t done)
{
	return snprintf(buf, len, "%s  %llu events", label, (unsigned long long)done);
}

int progress_format(char *buf, size_t len, const char *label, uint64_t done, uint64_t total,
		    unsigned columns)
{
	char tail[64], bar[PROGRESS_CELLS_MAX + 1];
	uint64_t shown = done < total ? done : total;
	unsigned percent, cells, filled;
	int used;

	if (!total)
		return format_count(buf, len, label, done);
	percent = (unsigned)((unsigned __int128)shown * 100 / total);
	used = snprintf(tail, sizeof tail, "%4u%%  %llu/%llu events", percent, (unsigned long long)done,
			(unsigned long long)total);
	/* label, " [", the cells, "]", the tail, and the last column left free (no wrap) */
	int room = (int)columns - (int)strlen(label) - 3 - used - 1;
	if (room < PROGRESS_CELLS_MIN)
		return snprintf(buf, len, "%s %s", label, tail);
	cells = room > PROGRESS_CELLS_MAX ? PROGRESS_CELLS_MAX : (unsigned)room;
	filled = (unsigned)((unsigned __int128)shown * cells / total);
	memset(bar, '=', filled);
	memset(bar + filled, ' ', cells - filled);
	if (filled < cells)
		bar[filled] = '>';
	bar[cells] = 0;
	return snprintf(buf, len, "%s [%s]%s", label, bar, tail);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static unsigned terminal_columns(FILE *f)
{
	struct winsize ws;

	if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return DEFAULT_COLUMNS;
}

static void draw(struct progress *p, uint64_t done)
{
	char line[LINE_MAX_BYTES];

	progress_format(line, sizeof line, p->label, done, p->total, p->columns);
	fprintf(p->f, "\r%s\033[K", line); /* CSI K: erase what a longer line left */
	fflush(p->f);
	p->drawn = true;
}

void progress_start(struct progress *p, FILE *f, const char *label, uint64_t total)
{
	*p = (struct progress){ .label = label, .total = total };
	if (!f || !isatty(fileno(f)))
		return;
	p->f = f;
	p->columns = terminal_columns(f);
	p->next_draw = now_ns() + REDRAW_NS;
	draw(p, 0);
}

void progress_update(struct progress *p, uint64_t done)
{
	uint64_t now;

	if (!p->f || (now = now_ns()) < p->next_draw)
		return;
	p->next_draw = now + REDRAW_NS;
	draw(p, done);
}

void progress_end(struct progress *p)
{
	if (p->f && p->drawn) {
		fputs("\r\033[K", p->f);
		fflush(p->f);
	}
	p->f = NULL;
	p->drawn = false;
}
