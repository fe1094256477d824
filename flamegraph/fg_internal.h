/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What the flame graph library's files share and the public header does not show. */
#ifndef FG_INTERNAL_H
#define FG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "flamegraph.h"

/* Bump allocator for line texts: one free for hundreds of thousands of lines. */
struct fg_arena {
	struct fg_chunk *head;
};

char *fg_arena_alloc(struct fg_arena *a, size_t n);
void fg_arena_free(struct fg_arena *a);

/* One input stack, kept as the folded line that flamegraph.pl would sort. */
struct fg_stack {
	const char *line;	/* the sort key */
	uint32_t line_len;
	uint32_t stack_len;	/* the frames are line[0, stack_len) */
	double width;		/* the count (the after count of a differential) */
	double delta;		/* after - before, when diff */
	bool diff;
	bool from_text;		/* parsed: --reverse re-reads the rebuilt line, as flamegraph.pl does */
};

struct flamegraph {
	struct fg_arena arena;
	struct fg_stack *v;
	size_t n, cap;
	double total;
};

/*
 * flamegraph.pl's reading of a folded line: the count is the text after the last whitespace
 * (digits, optionally '.' and digits); when what is left ends the same way, that is a
 * differential line "stack before after".
 */
struct fg_parsed {
	size_t stack_len;
	const char *c1, *c2;	/* count texts; c2 only for a differential */
	size_t c1_len, c2_len;
	double width, delta;
	bool diff;
};

int fg_parse_line(const char *line, size_t len, struct fg_parsed *out);
/* Strict decimal: all of s[0, len) is digits, optionally '.' and digits. 0 or -EINVAL. */
int fg_parse_decimal(const char *s, size_t len, double *out);
/* Appends one stack to fg (line copied into fg's arena). 0 or -ENOMEM. */
int fg_push(struct flamegraph *fg, const char *line, size_t len, const struct fg_parsed *p,
	    bool from_text);

/*
 * Colours. v1..v3 in [0, 1) come from the name (FNV-1a, or flamegraph.pl's namehash with
 * --hash), never from rand().
 */
struct fg_palette_ops {
	const char *name;
	const char *bg1, *bg2;	/* background gradient */
	void (*color)(const char *name, size_t len, const double v[3], struct fg_rgb *out);
};

extern const struct fg_palette_ops *const fg_palettes[NR_FG_PALETTES];

enum fg_reason {
	FG_REASON_CPU,
	FG_REASON_RUNQ,
	FG_REASON_LOCK,
	FG_REASON_NET,
	FG_REASON_DISK,
	FG_REASON_SLEEP,
	FG_REASON_IDLE,
	FG_REASON_OTHER,
	NR_FG_REASONS,
	FG_REASON_NONE = NR_FG_REASONS,
};

/* "[lock]" -> FG_REASON_LOCK; FG_REASON_NONE when the name is no wait reason. */
enum fg_reason fg_reason_of(const char *name, size_t len);
void fg_name_vector(const char *name, size_t len, bool hash, double v[3]);
void fg_palette_color(enum fg_palette p, const char *name, size_t len, bool hash, struct fg_rgb *out);
/* Under reason r (FG_REASON_NONE: the thread and root frames above the reasons). */
void fg_reason_color(enum fg_reason r, const char *name, size_t len, bool hash, struct fg_rgb *out);
/* flamegraph.pl's differential scale: red where it grew, blue where it shrank, white if equal. */
void fg_diff_color(double delta, double maxdelta, bool negate, struct fg_rgb *out);

/* The length of name without a trailing annotation: _[k] kernel, _[j] jit, _[i] inline, _[w] waker. */
size_t fg_strip_annotation(const char *name, size_t len);

/* Geometry shared by layout and SVG writer, as flamegraph.pl draws. */
#define FG_FONT_SIZE	12
#define FG_FONT_WIDTH	0.59
#define FG_XPAD		10
#define FG_YPAD1	(FG_FONT_SIZE * 3)	/* top, with the title */
#define FG_YPAD2	(FG_FONT_SIZE * 2 + 10)	/* bottom, with the details line */
#define FG_YPAD3	(FG_FONT_SIZE * 2)	/* the subtitle, when there is one */
#define FG_FRAME_PAD	1

struct fg_layout {
	struct fg_frame *v;
	size_t n, cap;
	struct fg_arena arena;		/* reversed lines */
	enum fg_palette palette;
	unsigned width, height, frame_height;
	double total, maxdelta;
	bool reasons;			/* every second frame is a wait reason: FG_PALETTE_AUTO picks reason */
};

/*
 * Sorts fg's stacks (leaf first when reverse) and merges them into l->v in depth-first order,
 * dropping frames narrower than minwidth (pixels of plot_width, or percent of the total). Sets
 * l->total, l->maxdelta and l->reasons. 0 or -ENOMEM.
 */
int fg_merge(const struct flamegraph *fg, bool reverse, double minwidth, bool percent,
	     double plot_width, struct fg_layout *l);

#endif /* FG_INTERNAL_H */
