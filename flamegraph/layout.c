// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Layout: where each merged frame is drawn (flamegraph.pl's geometry: 10 pixel side margins, the
 * root at the bottom or, inverted, at the top) and in which colour.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "fg_internal.h"

static bool named(const struct fg_frame *f, const char *s)
{
	return f->name_len == strlen(s) && !memcmp(f->name, s, f->name_len);
}

static void color_frames(struct fg_layout *l, const struct fg_opts *o)
{
	enum fg_reason under = FG_REASON_NONE;

	for (size_t i = 0; i < l->n; i++) {
		struct fg_frame *f = &l->v[i];

		/* depth-first: the last second frame seen is this frame's */
		if (f->depth == 2)
			under = fg_reason_of(f->name, f->name_len);
		else if (f->depth < 2)
			under = FG_REASON_NONE;
		/* flamegraph.pl's separators between user/kernel or waker/wakee stacks */
		if (named(f, "--"))
			f->color = (struct fg_rgb){ 160, 160, 160 };
		else if (named(f, "-"))
			f->color = (struct fg_rgb){ 200, 200, 200 };
		else if (f->has_delta)
			fg_diff_color(f->delta, l->maxdelta, o->negate, &f->color);
		else if (l->palette == FG_PALETTE_REASON)
			fg_reason_color(under, f->name, f->name_len, o->hash, &f->color);
		else
			fg_palette_color(l->palette, f->name, f->name_len, o->hash, &f->color);
	}
}

struct fg_layout *fg_layout__new(const struct flamegraph *fg, const struct fg_opts *opts)
{
	static const struct fg_opts defaults;
	const struct fg_opts *o = opts ? opts : &defaults;
	double minwidth = o->minwidth_set ? o->minwidth : 0.1, wpt;
	bool subtitle = o->subtitle && *o->subtitle;
	struct fg_layout *l;
	unsigned depthmax = 0, top;
	int err;

	if ((unsigned)o->palette >= NR_FG_PALETTES || !isfinite(minwidth) || minwidth < 0 ||
	    (o->width && o->width <= 2 * FG_XPAD) || o->width > 1000000 || o->frame_height > 10000) {
		errno = EINVAL;
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->width = o->width ? o->width : 1200;
	l->frame_height = o->frame_height ? o->frame_height : 16;
	err = fg_merge(fg, o->reverse, minwidth, o->minwidth_percent, l->width - 2 * FG_XPAD, l);
	if (err) {
		fg_layout__free(l);
		errno = -err;
		return NULL;
	}
	l->palette = o->palette;
	if (l->palette == FG_PALETTE_AUTO)
		l->palette = l->reasons ? FG_PALETTE_REASON : FG_PALETTE_HOT;
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].depth > depthmax)
			depthmax = l->v[i].depth;
	l->height = (depthmax + 1) * l->frame_height + FG_YPAD1 + FG_YPAD2 + (subtitle ? FG_YPAD3 : 0);
	/* flamegraph.pl's icicles start under the title; here under the subtitle too, when there is one */
	top = FG_YPAD1 + (subtitle ? FG_YPAD3 : 0);
	wpt = (l->width - 2 * FG_XPAD) / l->total;
	for (size_t i = 0; i < l->n; i++) {
		struct fg_frame *f = &l->v[i];

		f->x = FG_XPAD + f->start * wpt;
		f->w = FG_XPAD + (f->start + f->count) * wpt - f->x;
		if (o->inverted)
			f->y = top + f->depth * l->frame_height;
		else
			f->y = l->height - FG_YPAD2 - (f->depth + 1.0) * l->frame_height + FG_FRAME_PAD;
	}
	color_frames(l, o);
	return l;
}

void fg_layout__free(struct fg_layout *l)
{
	if (!l)
		return;
	fg_arena_free(&l->arena);
	free(l->v);
	free(l);
}

const struct fg_frame *fg_layout__frames(const struct fg_layout *l, size_t *n)
{
	*n = l->n;
	return l->v;
}

enum fg_palette fg_layout__palette(const struct fg_layout *l)
{
	return l->palette;
}

unsigned fg_layout__height(const struct fg_layout *l)
{
	return l->height;
}
