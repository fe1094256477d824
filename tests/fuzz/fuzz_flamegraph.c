// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer harness of the flame graph library: folded text in (parse.c), merged and laid out,
 * written as SVG, which must be characters an XML parser accepts. Input: 4 bytes of options (palette, flags, width, minwidth), then folded lines;
 * with the diff flag, the text before the first NUL is BEFORE and the rest AFTER. The same text
 * split on NUL is also one stack of frame names for flamegraph__add, as record passes symbols.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "flamegraph.h"

enum {
	F_INVERTED = 1 << 0,
	F_REVERSE = 1 << 1,
	F_HASH = 1 << 2,
	F_NEGATE = 1 << 3,
	F_MINWIDTH = 1 << 4,
	F_PERCENT = 1 << 5,
	F_DIFF = 1 << 6,
	F_LABELS = 1 << 7,
};

#define MAX_FRAMES 64

/* What an XML parser accepts: valid UTF-8, no C0 control but tab and line breaks, no U+FFFE/F. */
static bool xml_chars(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned char c = s[i];
		size_t n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 :
			   c >= 0xf0 && c <= 0xf4 ? 4 : 0;
		uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;

		if (!n || n > len - i || (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
			return false;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
			return false;
		i += n;
	}
	return true;
}

static void add_frames(struct flamegraph *fg, const uint8_t *data, size_t size, double count)
{
	const char *frames[MAX_FRAMES];
	char *text = malloc(size + 1);
	size_t n = 0;

	if (!text)
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	for (size_t at = 0; at <= size && n < MAX_FRAMES; at += strlen(text + at) + 1)
		frames[n++] = text + at;
	if (flamegraph__add(fg, frames, n, count) == -EINVAL)
		abort();	/* the count is finite and >= 0 */
	free(text);
}

/* fmemopen refuses a zero-size buffer */
static FILE *open_text(const uint8_t *data, size_t size)
{
	return fmemopen(size ? (void *)data : (void *)"", size, "r");
}

static int parse(struct flamegraph *fg, const uint8_t *data, size_t size, bool diff)
{
	const uint8_t *nul = diff ? memchr(data, '\0', size) : NULL;
	size_t skipped = 0;
	FILE *a, *b;
	int err;

	if (!nul) {
		a = open_text(data, size);
		if (!a)
			return -1;
		err = flamegraph__parse_folded(fg, a, &skipped);
		fclose(a);
		return err;
	}
	a = open_text(data, nul - data);
	b = open_text(nul + 1, size - (nul + 1 - data));
	err = a && b ? flamegraph__parse_diff(fg, a, b, &skipped) : -1;
	if (a)
		fclose(a);
	if (b)
		fclose(b);
	return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fg_opts o = { 0 };
	const struct fg_frame *frames;
	struct fg_layout *l;
	struct flamegraph *fg;
	size_t n, len;
	char *text;
	FILE *svg;
	int err;

	if (size < 4)
		return 0;
	o.palette = data[0] % NR_FG_PALETTES;
	o.inverted = data[1] & F_INVERTED;
	o.reverse = data[1] & F_REVERSE;
	o.hash = data[1] & F_HASH;
	o.negate = data[1] & F_NEGATE;
	o.minwidth_set = data[1] & F_MINWIDTH;
	o.minwidth_percent = data[1] & F_PERCENT;
	o.minwidth = data[3] / 8.0;
	/* the CLI's bounds: 21 .. 1000000 pixels */
	o.width = data[2] ? 21 + data[2] * 16u : 0;
	o.frame_height = data[2] & 1 ? data[2] / 8 + 1 : 0;
	if (data[1] & F_LABELS) {
		o.title = "<&\"'>";
		o.subtitle = "sub]]>";
		o.countname = "\xff\xfe";
		o.nametype = "\x1b[31m";
	}

	fg = flamegraph__new();
	if (!fg)
		return 0;
	add_frames(fg, data + 4, size - 4, data[3] / 4.0);
	if (parse(fg, data + 4, size - 4, data[1] & F_DIFF) || !isfinite(flamegraph__total(fg))) {
		flamegraph__free(fg);
		return 0;
	}
	/* the options are valid: only memory may run out */
	l = fg_layout__new(fg, &o);
	if (!l && errno != ENOMEM)
		abort();
	if (l) {
		frames = fg_layout__frames(l, &n);
		for (size_t i = 0; i < n; i++) {
			const struct fg_frame *f = &frames[i];

			if (!isfinite(f->x) || !isfinite(f->w) || f->w < 0 || f->count < 0 ||
			    (i && !f->depth) || (f->name_len && !f->name))
				abort();
		}
		fg_layout__free(l);
	}
	svg = open_memstream(&text, &len);
	if (!svg)
		abort();
	err = flamegraph__write_svg(fg, &o, svg);
	if (fclose(svg) || (err && err != -ENOMEM) || (!err && !xml_chars((unsigned char *)text, len)))
		abort();
	free(text);
	flamegraph__free(fg);
	return 0;
}
