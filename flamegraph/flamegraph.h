/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Flame graphs from folded stacks: parse and merge, lay out, colour, and write an interactive SVG. */
#ifndef FLAMEGRAPH_H
#define FLAMEGRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The stacks of one graph. Stacks are kept as folded lines and merged into a frame tree when a
 * layout is made, because the merge (like flamegraph.pl's) depends on the sorted order of all lines
 * and on --reverse.
 */
struct flamegraph;

struct flamegraph *flamegraph__new(void);
void flamegraph__free(struct flamegraph *fg);

/*
 * Adds count to the stack frames[0] (root) .. frames[n-1] (leaf). As in user/report/folded.c, ';' in a
 * name becomes ':' and a line break '?', so that the stack reads as the folded line it would be
 * written as. count >= 0 and finite, else -EINVAL. 0 or -errno.
 */
int flamegraph__add(struct flamegraph *fg, const char *const *frames, size_t n, double count);
/*
 * Adds one folded line ("a;b;c 12", or "a;b;c 10 12" for a differential: before, after), without
 * its line break. -EINVAL when malformed (nothing is added), -ENOMEM.
 */
int flamegraph__add_line(struct flamegraph *fg, const char *line, size_t len);
/* Adds every line of in; *skipped (may be NULL) grows by the malformed ones. 0 or -errno. */
int flamegraph__parse_folded(struct flamegraph *fg, FILE *in, size_t *skipped);
/*
 * A differential, as difffolded.pl | flamegraph.pl: each distinct stack of either input gets its
 * before and after counts (0 where absent). Widths are the after counts. 0 or -errno.
 */
int flamegraph__parse_diff(struct flamegraph *fg, FILE *before, FILE *after, size_t *skipped);
/* Sum of the counts that give widths (the after counts of a differential). */
double flamegraph__total(const struct flamegraph *fg);

enum fg_palette {
	FG_PALETTE_AUTO,	/* reason when every second frame is a wait reason, else hot */
	FG_PALETTE_HOT,
	FG_PALETTE_MEM,
	FG_PALETTE_IO,
	FG_PALETTE_WAKEUP,
	FG_PALETTE_CHAIN,
	FG_PALETTE_JAVA,
	FG_PALETTE_JS,
	FG_PALETTE_PERL,
	FG_PALETTE_RED,
	FG_PALETTE_GREEN,
	FG_PALETTE_BLUE,
	FG_PALETTE_AQUA,
	FG_PALETTE_YELLOW,
	FG_PALETTE_PURPLE,
	FG_PALETTE_ORANGE,
	/* off-CPU: the frame under the thread ([cpu], [runq], [lock] ...) picks the subtree's hue */
	FG_PALETTE_REASON,
	NR_FG_PALETTES,
};

/* "hot" -> FG_PALETTE_HOT ... "auto" -> FG_PALETTE_AUTO. 0 or -EINVAL. */
int fg_palette_parse(const char *name, enum fg_palette *out);
const char *fg_palette_name(enum fg_palette p);

/* Zeroed options are flamegraph.pl's defaults. */
struct fg_opts {
	const char *title;	/* NULL: "Flame Graph", or "Icicle Graph" when inverted */
	const char *subtitle;	/* NULL or "": none */
	const char *countname;	/* NULL: "samples" */
	const char *nametype;	/* NULL: "Function:" (the hover line) */
	enum fg_palette palette;
	bool hash;		/* flamegraph.pl's --hash name vector instead of FNV-1a (both stable) */
	bool inverted;		/* icicle: root at the top */
	bool reverse;		/* stacks leaf first, so the graph merges from the leaves */
	bool negate;		/* differential: swap red and blue */
	bool minwidth_set;	/* else 0.1 pixels */
	bool minwidth_percent;	/* minwidth is a percentage of the total, not pixels */
	double minwidth;
	unsigned width;		/* 0: 1200 pixels */
	unsigned frame_height;	/* 0: 16 pixels */
};

struct fg_rgb {
	uint8_t r, g, b;
};

/* One frame as drawn: positions in counts (start, count) and in pixels (x, w, y). */
struct fg_frame {
	const char *name;	/* not NUL-terminated, not sanitized; "" (len 0) for the root */
	uint32_t name_len;
	uint32_t depth;		/* the root ("all") is 0 */
	double start, count;	/* count is the width in the input's unit */
	double delta;		/* differential: after - before of the stacks ending here */
	bool has_delta;
	double x, w, y;		/* left, width and top, pixels */
	struct fg_rgb color;
};

/* The laid-out graph: frames wider than minwidth, in depth-first order, children by x. */
struct fg_layout;

/* NULL and errno set on failure (ENOMEM, EINVAL for bad options). */
struct fg_layout *fg_layout__new(const struct flamegraph *fg, const struct fg_opts *opts);
void fg_layout__free(struct fg_layout *l);
const struct fg_frame *fg_layout__frames(const struct fg_layout *l, size_t *n);
/* The palette used, after FG_PALETTE_AUTO is resolved. */
enum fg_palette fg_layout__palette(const struct fg_layout *l);
unsigned fg_layout__height(const struct fg_layout *l);

/*
 * Writes the SVG. Same stacks and options, same bytes. An empty graph gives a small SVG that says
 * so (check flamegraph__total() to tell). 0 or -errno.
 */
int flamegraph__write_svg(const struct flamegraph *fg, const struct fg_opts *opts, FILE *out);

/*
 * Copies s into buf (truncating on a character boundary), each invalid UTF-8 byte replaced by '?'
 * (RFC 3629: no overlongs, surrogates, > U+10FFFF). agentprof's outputs use it too.
 */
void fg_utf8_sanitize(const char *s, char *buf, size_t len);

/* The XML escaping of every name and label that reaches the SVG; exposed for the tests. */
int fg_xml_escape(FILE *out, const char *s, size_t len);

#endif /* FLAMEGRAPH_H */
