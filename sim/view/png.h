/*
 * Writing a canvas to a PNG file with libpng: 8-bit RGB, no timestamp (the same run gives the
 * same bytes), and tEXt chunks that say where the picture's parts are, so that a program can
 * find a page's cell or a chart's bars without knowing the layout (README "Seeing it").
 */
#ifndef HVSIM_SIM_VIEW_PNG_H
#define HVSIM_SIM_VIEW_PNG_H

#include <stdbool.h>
#include <stddef.h>

#include <SDL.h>

struct png_note {
	const char *key, *text;
};

/* false with a one-line reason in err. */
bool png_write_surface(const char *path, SDL_Surface *s, const struct png_note *notes, unsigned n,
		       char *err, size_t errlen);

#endif
