// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Stacks merged into frames the way flamegraph.pl merges them, so that the same input gives the
 * same frames and counts: the lines are sorted as byte strings, then each line keeps the open
 * frames it shares with the previous line (same name at the same depth, from the root) and opens
 * new ones for the rest; a frame's count is the time between its opening and closing (flow() in
 * flamegraph.pl). Consequence kept on purpose: "f" can appear twice under one parent when a
 * sibling such as "f.cold" or "f2" sorts between "f;..." lines (' ' < '.' < '2' < ';').
 * Not kept: flamegraph.pl stores frames under "name;depth;end", so a zero-width frame ending with
 * the same name, depth and time as an earlier one replaces it; here frames are never lost.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fg_internal.h"

struct flow {
	struct fg_layout *l;
	size_t *path;		/* index in l->v of the open frame at each depth */
	size_t depth, cap;	/* open frames: path[0, depth) */
	double time, minw;
	bool any_second, all_reasons;
};

/* perl's split(";", $stack) drops trailing empty fields: "a;;" is the one frame "a". */
static size_t trimmed_len(const char *s, size_t len)
{
	while (len && s[len - 1] == ';')
		len--;
	return len;
}

static int reverse_one(const struct fg_stack *st, struct fg_arena *a, struct fg_stack *out)
{
	size_t slen = trimmed_len(st->line, st->stack_len), at = 0, end = slen, tail_len;
	const char *tail = NULL;
	struct fg_parsed p;
	char *buf;
	int err;

	if (st->from_text) {
		/* flamegraph.pl rebuilds "reversed counts" with single spaces and reads it again */
		err = fg_parse_line(st->line, st->line_len, &p);
		if (err)
			return err;
		tail_len = 1 + p.c1_len + (p.diff ? 1 + p.c2_len : 0);
	} else {
		tail = st->line + st->stack_len;
		tail_len = st->line_len - st->stack_len;
	}
	buf = fg_arena_alloc(a, slen + tail_len ? slen + tail_len : 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		size_t i = end;

		while (i > 0 && st->line[i - 1] != ';')
			i--;
		memcpy(buf + at, st->line + i, end - i);
		at += end - i;
		if (i == 0)
			break;
		buf[at++] = ';';
		end = i - 1;
	}
	if (st->from_text) {
		buf[at++] = ' ';
		memcpy(buf + at, p.c1, p.c1_len);
		at += p.c1_len;
		if (p.diff) {
			buf[at++] = ' ';
			memcpy(buf + at, p.c2, p.c2_len);
			at += p.c2_len;
		}
		err = fg_parse_line(buf, at, &p);
		if (err)
			return err;
		*out = (struct fg_stack){ buf, at, p.stack_len, p.width, p.delta, p.diff, true };
	} else {
		memcpy(buf + at, tail, tail_len);
		*out = *st;
		out->line = buf;
		out->stack_len = at;
		out->line_len = at + tail_len;
	}
	return 0;
}

static int cmp_line(const void *a, const void *b)
{
	const struct fg_stack *x = *(const struct fg_stack *const *)a;
	const struct fg_stack *y = *(const struct fg_stack *const *)b;
	size_t n = x->line_len < y->line_len ? x->line_len : y->line_len;
	int c = memcmp(x->line, y->line, n);

	if (c)
		return c;
	if (x->line_len != y->line_len)
		return (x->line_len > y->line_len) - (x->line_len < y->line_len);
	/* identical lines: insertion order, so that equal keys cannot make qsort's order differ */
	return (x > y) - (x < y);
}

static int open_frame(struct flow *f, const char *name, size_t len, const struct fg_stack *st)
{
	struct fg_layout *l = f->l;

	if (f->depth == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		size_t *path = realloc(f->path, cap * sizeof(*path));

		if (!path)
			return -ENOMEM;
		f->path = path;
		f->cap = cap;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 1024;
		struct fg_frame *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	if (f->depth == 2) {
		f->any_second = true;
		if (fg_reason_of(name, len) == FG_REASON_NONE)
			f->all_reasons = false;
	}
	l->v[l->n] = (struct fg_frame){
		.name = name,
		.name_len = len,
		.depth = f->depth,
		.start = f->time,
		.has_delta = st->diff,
	};
	f->path[f->depth++] = l->n++;
	return 0;
}

/* Closes the open frames deeper than depth; one narrower than minw goes, with its subtree. */
static void close_to(struct flow *f, size_t depth)
{
	struct fg_layout *l = f->l;

	while (f->depth > depth) {
		size_t i = f->path[--f->depth];
		struct fg_frame *fr = &l->v[i];

		fr->count = f->time - fr->start;
		if (fr->has_delta && fr->delta > l->maxdelta)
			l->maxdelta = fr->delta;
		if (fr->has_delta && -fr->delta > l->maxdelta)
			l->maxdelta = -fr->delta;
		/* its subtree closed before it and follows it in l->v: depth-first order */
		if (fr->count < f->minw)
			l->n = i;
	}
}

static int flow_line(struct flow *f, const struct fg_stack *st)
{
	const char *s = st->line;
	size_t len = trimmed_len(s, st->stack_len), pos = 0, d = 1;
	bool more = len > 0;
	struct fg_frame *leaf;
	int err;

	if (!f->depth) {
		err = open_frame(f, "", 0, st);	/* the root, "all" */
		if (err)
			return err;
	}
	while (more) {
		const char *semi = memchr(s + pos, ';', len - pos);
		size_t flen = semi ? (size_t)(semi - (s + pos)) : len - pos;
		const struct fg_frame *open;

		if (d >= f->depth)
			break;
		open = &f->l->v[f->path[d]];
		if (open->name_len != flen || memcmp(open->name, s + pos, flen))
			break;
		d++;
		pos += flen + 1;
		more = semi != NULL;
	}
	close_to(f, d);
	while (more) {
		const char *semi = memchr(s + pos, ';', len - pos);
		size_t flen = semi ? (size_t)(semi - (s + pos)) : len - pos;

		err = open_frame(f, s + pos, flen, st);
		if (err)
			return err;
		pos += flen + 1;
		more = semi != NULL;
	}
	/*
	 * A differential colours the frame where its stacks end (flamegraph.pl adds the delta to the
	 * leaf only). Repeated identical stacks add up here; flamegraph.pl kept the first one's.
	 */
	leaf = &f->l->v[f->path[f->depth - 1]];
	if (st->diff && leaf->has_delta)
		leaf->delta += st->delta;
	f->time += st->width;
	return 0;
}

int fg_merge(const struct flamegraph *fg, bool reverse, double minwidth, bool percent,
	     double plot_width, struct fg_layout *l)
{
	struct flow f = { .l = l, .all_reasons = true };
	struct fg_stack *rev = NULL, **order;
	int err = 0;

	l->maxdelta = 1;	/* as flamegraph.pl: deltas under 1 are not stretched to full colour */
	order = malloc((fg->n ? fg->n : 1) * sizeof(*order));
	if (!order)
		return -ENOMEM;
	if (reverse) {
		rev = malloc((fg->n ? fg->n : 1) * sizeof(*rev));
		if (!rev) {
			err = -ENOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < fg->n; i++) {
		if (reverse) {
			err = reverse_one(&fg->v[i], &l->arena, &rev[i]);
			if (err)
				goto out;
			order[i] = &rev[i];
		} else {
			order[i] = &fg->v[i];
		}
	}
	qsort(order, fg->n, sizeof(*order), cmp_line);
	/* summed in the order flamegraph.pl sums, so that fractional totals agree to the last bit */
	l->total = 0;
	for (size_t i = 0; i < fg->n; i++)
		l->total += order[i]->width;
	if (!(l->total > 0))
		goto out;	/* nothing to draw: flamegraph.pl's "No stack counts found" */
	/* the same expression as flamegraph.pl, so a frame exactly at the limit falls the same side */
	f.minw = percent ? l->total * minwidth / 100 : minwidth / (plot_width / l->total);
	for (size_t i = 0; i < fg->n; i++) {
		err = flow_line(&f, order[i]);
		if (err)
			goto out;
	}
	close_to(&f, 0);
	l->reasons = f.any_second && f.all_reasons;
out:
	free(f.path);
	free(order);
	free(rev);
	return err;
}
