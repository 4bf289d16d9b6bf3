/* The view's colours besides the page states (render.h has those). */
#ifndef HVSIM_SIM_VIEW_THEME_H
#define HVSIM_SIM_VIEW_THEME_H

#include "sim/migstat.h"
#include "sim/view/canvas.h"

static const struct rgb THEME_BG = { 16, 18, 22 };
static const struct rgb THEME_PANEL = { 26, 28, 34 };
static const struct rgb THEME_RULE = { 70, 74, 84 };     /* axes, frames, chart brackets */
static const struct rgb THEME_TEXT = { 225, 228, 232 };
static const struct rgb THEME_DIM = { 140, 145, 155 };
static const struct rgb THEME_ACCENT = { 255, 200, 80 };

/* One colour per tracker in charts: its pages sent; a paler one for its pages dirtied. */
static inline struct rgb theme_tracker(unsigned t)
{
	static const struct rgb c[MIG_TRACKER_COUNT] = {
		[MIG_TRACKER_PML] = { 70, 140, 255 },
		[MIG_TRACKER_WP] = { 255, 150, 40 },
		[MIG_TRACKER_SCAN] = { 60, 200, 120 },
	};
	return t < MIG_TRACKER_COUNT ? c[t] : THEME_TEXT;
}

static inline struct rgb theme_tracker_pale(unsigned t)
{
	return rgb_mix(theme_tracker(t), THEME_TEXT, 55, 100);
}

#endif
