/*
 * Where the view draws: an SDL_Surface in host memory with SDL2's software renderer on it, and
 * text in DejaVu Sans Mono through SDL2_ttf. The same pixels go to a window (--view) or to a PNG
 * file (--png), so both show exactly the same picture.
 */
#ifndef HVSIM_SIM_VIEW_CANVAS_H
#define HVSIM_SIM_VIEW_CANVAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <SDL.h>
#include <SDL_ttf.h>

/* Debian's fonts-dejavu-core. */
#define VIEW_FONT "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"

struct rgb {
	uint8_t r, g, b;
};

struct canvas {
	SDL_Surface *surface; /* 32-bit XRGB */
	SDL_Renderer *r;
	TTF_Font *font, *big;
	int line, big_line; /* text line heights */
	int char_w;         /* advance of one character of 'font' (monospaced) */
	bool ttf;           /* this canvas holds one TTF_Init */
};

/* false with a one-line reason in err. */
bool canvas_init(struct canvas *c, int w, int h, char *err, size_t n);
void canvas_free(struct canvas *c);

void canvas_clear(struct canvas *c, struct rgb col);
void canvas_fill(struct canvas *c, int x, int y, int w, int h, struct rgb col);
void canvas_frame(struct canvas *c, int x, int y, int w, int h, struct rgb col);
void canvas_hline(struct canvas *c, int x, int y, int w, struct rgb col);
/* Text with its top left at (x, y); returns its width in pixels. */
int canvas_text(struct canvas *c, int x, int y, struct rgb col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
int canvas_title(struct canvas *c, int x, int y, struct rgb col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Finish drawing: the surface's pixels are then complete. */
void canvas_flush(struct canvas *c);

/* a + (b - a) * num / den, per channel */
struct rgb rgb_mix(struct rgb a, struct rgb b, unsigned num, unsigned den);

#endif
