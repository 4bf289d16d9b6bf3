/* A software-rendered surface with text (canvas.h). */
#include "sim/view/canvas.h"

#include <stdarg.h>
#include <stdio.h>

#define FONT_PT 13
#define TITLE_PT 16

bool canvas_init(struct canvas *c, int w, int h, char *err, size_t n)
{
	*c = (struct canvas){ 0 };
	if (TTF_Init() != 0) { /* counted: each canvas has its own TTF_Quit */
		snprintf(err, n, "cannot start SDL2_ttf: %s", TTF_GetError());
		return false;
	}
	c->ttf = true;
	c->font = TTF_OpenFont(VIEW_FONT, FONT_PT);
	c->big = c->font ? TTF_OpenFont(VIEW_FONT, TITLE_PT) : NULL;
	if (!c->font || !c->big) {
		snprintf(err, n, "cannot load the font %s (Debian package fonts-dejavu-core): %s",
			 VIEW_FONT, TTF_GetError());
		canvas_free(c);
		return false;
	}
	c->line = TTF_FontLineSkip(c->font);
	c->big_line = TTF_FontLineSkip(c->big);
	if (TTF_GlyphMetrics(c->font, 'M', NULL, NULL, NULL, NULL, &c->char_w) != 0)
		c->char_w = FONT_PT * 6 / 10;
	c->surface = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_RGB888);
	c->r = c->surface ? SDL_CreateSoftwareRenderer(c->surface) : NULL;
	if (!c->r) {
		snprintf(err, n, "cannot create a %dx%d drawing surface: %s", w, h, SDL_GetError());
		canvas_free(c);
		return false;
	}
	return true;
}

void canvas_free(struct canvas *c)
{
	if (c->r)
		SDL_DestroyRenderer(c->r);
	if (c->surface)
		SDL_FreeSurface(c->surface);
	if (c->big)
		TTF_CloseFont(c->big);
	if (c->font)
		TTF_CloseFont(c->font);
	if (c->ttf)
		TTF_Quit();
	*c = (struct canvas){ 0 };
}

static void colour(struct canvas *c, struct rgb col)
{
	SDL_SetRenderDrawColor(c->r, col.r, col.g, col.b, 255);
}

void canvas_clear(struct canvas *c, struct rgb col)
{
	colour(c, col);
	SDL_RenderClear(c->r);
}

void canvas_fill(struct canvas *c, int x, int y, int w, int h, struct rgb col)
{
	SDL_Rect rect = { x, y, w, h };

	if (w <= 0 || h <= 0)
		return;
	colour(c, col);
	SDL_RenderFillRect(c->r, &rect);
}

void canvas_frame(struct canvas *c, int x, int y, int w, int h, struct rgb col)
{
	SDL_Rect rect = { x, y, w, h };

	colour(c, col);
	SDL_RenderDrawRect(c->r, &rect);
}

void canvas_hline(struct canvas *c, int x, int y, int w, struct rgb col)
{
	canvas_fill(c, x, y, w, 1, col);
}

static int draw_text(struct canvas *c, TTF_Font *font, int x, int y, struct rgb col,
		     const char *text)
{
	SDL_Color fg = { col.r, col.g, col.b, 255 };
	SDL_Surface *s;
	SDL_Texture *t;
	int w = 0;

	if (!*text || !(s = TTF_RenderUTF8_Blended(font, text, fg)))
		return 0;
	if ((t = SDL_CreateTextureFromSurface(c->r, s))) {
		SDL_Rect dst = { x, y, s->w, s->h };
		SDL_RenderCopy(c->r, t, NULL, &dst);
		SDL_DestroyTexture(t);
		w = s->w;
	}
	SDL_FreeSurface(s);
	return w;
}

int canvas_text(struct canvas *c, int x, int y, struct rgb col, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return draw_text(c, c->font, x, y, col, buf);
}

int canvas_title(struct canvas *c, int x, int y, struct rgb col, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return draw_text(c, c->big, x, y, col, buf);
}

void canvas_flush(struct canvas *c)
{
	SDL_RenderPresent(c->r); /* the software renderer's present: all drawing reaches the surface */
}

struct rgb rgb_mix(struct rgb a, struct rgb b, unsigned num, unsigned den)
{
	return (struct rgb){
		(uint8_t)(a.r + ((int)b.r - a.r) * (int)num / (int)den),
		(uint8_t)(a.g + ((int)b.g - a.g) * (int)num / (int)den),
		(uint8_t)(a.b + ((int)b.b - a.b) * (int)num / (int)den),
	};
}
