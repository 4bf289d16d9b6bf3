/* PNG files from SDL surfaces (png.h). */
#include "sim/view/png.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct png_job {
	FILE *f;
	png_structp png;
	png_infop info;
	png_bytep row;
};

/* libpng reports errors by longjmp to the setjmp in png_write_surface: keep the work apart. */
static void write_rows(struct png_job *j, SDL_Surface *s, const struct png_note *notes, unsigned n)
{
	png_text text[8];

	png_init_io(j->png, j->f);
	png_set_IHDR(j->png, j->info, (png_uint_32)s->w, (png_uint_32)s->h, 8, PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	n = n < 8 ? n : 8;
	for (unsigned i = 0; i < n; i++)
		text[i] = (png_text){ .compression = PNG_TEXT_COMPRESSION_NONE,
				      .key = (png_charp)notes[i].key, .text = (png_charp)notes[i].text };
	if (n)
		png_set_text(j->png, j->info, text, (int)n);
	png_write_info(j->png, j->info);
	for (int y = 0; y < s->h; y++) {
		const uint8_t *src = (const uint8_t *)s->pixels + (size_t)y * (size_t)s->pitch;
		for (int x = 0; x < s->w; x++) {
			uint32_t px;
			memcpy(&px, src + 4 * x, 4);
			SDL_GetRGB(px, s->format, &j->row[3 * x], &j->row[3 * x + 1], &j->row[3 * x + 2]);
		}
		png_write_row(j->png, j->row);
	}
	png_write_end(j->png, NULL);
}

bool png_write_surface(const char *path, SDL_Surface *s, const struct png_note *notes, unsigned n,
		       char *err, size_t errlen)
{
	struct png_job j = { 0 };
	volatile bool ok = false; /* read after a longjmp */

	if (s->format->BytesPerPixel != 4) {
		snprintf(err, errlen, "%s: unexpected pixel format", path);
		return false;
	}
	if (!(j.f = fopen(path, "wb"))) {
		snprintf(err, errlen, "%s: cannot open for writing: %s", path, strerror(errno));
		return false;
	}
	j.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	j.info = j.png ? png_create_info_struct(j.png) : NULL;
	j.row = malloc(3 * (size_t)s->w);
	if (j.info && j.row && !setjmp(png_jmpbuf(j.png))) {
		write_rows(&j, s, notes, n);
		ok = true;
	}
	png_destroy_write_struct(&j.png, &j.info);
	free(j.row);
	if (fclose(j.f) != 0)
		ok = false;
	if (!ok)
		snprintf(err, errlen, "%s: writing the PNG failed", path);
	return ok;
}
