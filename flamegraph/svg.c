// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The SVG writer: flamegraph.pl's picture (title, frames with "name (1,234 samples, 5.67%)"
 * titles, details line, Reset Zoom, Search, Matched) with the interactivity of flamegraph.js,
 * which is embedded at build time. Every name and label goes through fg_xml_escape().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fg_internal.h"

/* flamegraph.js, linked in by js.S */
extern const char fg_js_start[], fg_js_end[];

int fg_xml_escape(FILE *out, const char *s, size_t len)
{
	char small[2 * 256], *buf = small, *raw, *clean;
	int err = 0;

	if (len + 1 > sizeof(small) / 2) {
		buf = malloc(2 * (len + 1));
		if (!buf)
			return -ENOMEM;
	}
	raw = buf;
	clean = buf + len + 1;
	/* fg_utf8_sanitize reads a C string: an embedded NUL becomes a control character, then '?' */
	for (size_t i = 0; i < len; i++)
		raw[i] = s[i] ? s[i] : 0x01;
	raw[len] = '\0';
	fg_utf8_sanitize(raw, clean, len + 1);	/* invalid bytes -> '?': never longer */
	for (const unsigned char *p = (const unsigned char *)clean; *p; p++) {
		switch (*p) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default:
			/* XML 1.0 has no C0 controls (not even as &#1;), nor U+FFFE and U+FFFF */
			if (*p < 0x20 || *p == 0x7f) {
				putc_unlocked('?', out);
			} else if (p[0] == 0xef && p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf)) {
				putc_unlocked('?', out);
				p += 2;
			} else {
				putc_unlocked(*p, out);
			}
		}
	}
	if (buf != small)
		free(buf);
	return err;
}

static void escape(FILE *out, const char *s)
{
	fg_xml_escape(out, s, strlen(s));
}

/*
 * flamegraph.pl's count text: rounded to an integer (half to even, as %.0f does), thousands
 * separated by commas. Returns the rounded value, which flamegraph.pl's percentages use.
 */
static double count_text(double v, char *buf, size_t size)
{
	char digits[64];
	size_t n, at = 0, lead;

	n = snprintf(digits, sizeof(digits), "%.0f", v);
	v = strtod(digits, NULL);
	if (n >= sizeof(digits) || n + n / 3 + 1 > size) {
		snprintf(buf, size, "%s", digits);
		return v;
	}
	lead = n % 3 ? n % 3 : 3;
	for (size_t i = 0; i < n; i++) {
		if (i >= lead && (i - lead) % 3 == 0)
			buf[at++] = ',';
		buf[at++] = digits[i];
	}
	buf[at] = '\0';
	return v;
}

/* The first chars characters of s (code points; a stray byte counts as one). */
static size_t prefix_chars(const char *s, size_t len, size_t chars, size_t *total)
{
	size_t n = 0, cut = len;

	for (size_t i = 0; i < len; i++) {
		if (((unsigned char)s[i] & 0xc0) == 0x80)
			continue;
		if (n == chars)
			cut = i;
		n++;
	}
	*total = n;
	return n > chars ? cut : len;
}

struct svg {
	FILE *out;
	const struct fg_opts *o;
	const struct fg_layout *l;
	const char *countname;
};

static void write_frame(const struct svg *s, const struct fg_frame *f)
{
	FILE *out = s->out;
	const char *name = f->depth ? f->name : "all";
	size_t len = f->depth ? fg_strip_annotation(f->name, f->name_len) : 3, nchars, cut;
	double rounded, x1, x2, h = s->l->frame_height - FG_FRAME_PAD;
	char num[96], x1s[32], x2s[32];
	int chars;

	rounded = count_text(f->count, num, sizeof(num));
	fputs("<g><title>", out);
	fg_xml_escape(out, name, len);
	fprintf(out, " (%s ", num);
	escape(out, s->countname);
	if (!f->depth) {
		fputs(", 100%)", out);
	} else {
		/* as flamegraph.pl: the percentage of the rounded count */
		fprintf(out, ", %.2f%%", 100 * rounded / s->l->total);
		if (f->has_delta) {
			double d = s->o->negate ? -f->delta : f->delta;

			fprintf(out, "; %s%.2f%%", d > 0 ? "+" : "", 100 * d / s->l->total);
		}
		fputc(')', out);
	}
	/* flamegraph.pl rounds both edges to 0.1 pixel, then takes the width between them */
	snprintf(x1s, sizeof(x1s), "%.1f", f->x);
	snprintf(x2s, sizeof(x2s), "%.1f", f->x + f->w);
	x1 = strtod(x1s, NULL);
	x2 = strtod(x2s, NULL);
	fprintf(out, "</title><rect x=\"%s\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
		     "fill=\"rgb(%u,%u,%u)\" rx=\"2\" ry=\"2\" fg:x=\"%.15g\" fg:w=\"%.15g\"/>",
		x1s, f->y, x2 - x1, h, f->color.r, f->color.g, f->color.b, f->start, f->count);
	fprintf(out, "<text x=\"%.2f\" y=\"%.1f\">", f->x + 3, 3 + f->y + h / 2);
	/* room for one character and "..", at flamegraph.pl's average glyph width */
	chars = (int)(f->w / (FG_FONT_SIZE * FG_FONT_WIDTH));
	if (chars >= 3) {
		cut = prefix_chars(name, len, chars, &nchars);
		if (nchars > (size_t)chars) {
			cut = prefix_chars(name, len, chars - 2, &nchars);
			fg_xml_escape(out, name, cut);
			fputs("..", out);
		} else {
			fg_xml_escape(out, name, len);
		}
	}
	fputs("</text></g>\n", out);
}

static void write_header(FILE *out, unsigned width, unsigned height)
{
	fprintf(out, "<?xml version=\"1.0\" standalone=\"no\"?>\n"
		     "<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" "
		     "\"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">\n"
		     "<svg version=\"1.1\" width=\"%u\" height=\"%u\" viewBox=\"0 0 %u %u\" "
		     "xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
		     "xmlns:fg=\"urn:x-agentprof:flamegraph\"",
		width, height, width, height);
}

/* flamegraph.pl answers an empty input with a picture that says so; tools embedding it rely on that. */
static int write_empty(FILE *out, unsigned width)
{
	unsigned height = FG_FONT_SIZE * 5;

	write_header(out, width, height);
	fprintf(out, ">\n<text x=\"%u\" y=\"%u\" text-anchor=\"middle\" font-family=\"Verdana, sans-serif\" "
		     "font-size=\"%u\">ERROR: No valid input provided to flamegraph.</text>\n</svg>\n",
		width / 2, FG_FONT_SIZE * 2, FG_FONT_SIZE + 2);
	return ferror(out) ? -EIO : 0;
}

int flamegraph__write_svg(const struct flamegraph *fg, const struct fg_opts *opts, FILE *out)
{
	static const struct fg_opts defaults;
	const struct fg_opts *o = opts ? opts : &defaults;
	const struct fg_palette_ops *pal;
	struct fg_layout *l;
	struct svg s;
	const char *title = o->title ? o->title : o->inverted ? "Icicle Graph" : "Flame Graph";
	const char *nametype = o->nametype ? o->nametype : "Function:";
	unsigned w, h;

	l = fg_layout__new(fg, o);
	if (!l)
		return -errno;
	if (!l->n) {
		int err = write_empty(out, l->width);

		fg_layout__free(l);
		return err;
	}
	s = (struct svg){ out, o, l, o->countname ? o->countname : "samples" };
	pal = fg_palettes[l->palette];
	w = l->width;
	h = l->height;
	write_header(out, w, h);
	/* settings for flamegraph.js, as attributes: no second escaping function for JavaScript */
	fprintf(out, " onload=\"init(evt)\" fg:xpad=\"%u\" fg:fontsize=\"%u\" fg:fontwidth=\"%g\" "
		     "fg:inverted=\"%d\" fg:total=\"%.15g\" fg:nametype=\"",
		FG_XPAD, FG_FONT_SIZE, FG_FONT_WIDTH, o->inverted, l->total);
	escape(out, nametype);
	fprintf(out, "\">\n<!-- Flame graph by agentprof; interactivity after FlameGraph's flamegraph.pl: "
		     "click to zoom, Ctrl-F to search (regex). -->\n"
		     "<defs>\n<linearGradient id=\"background\" y1=\"0\" y2=\"1\" x1=\"0\" x2=\"0\">"
		     "<stop stop-color=\"%s\" offset=\"5%%\"/><stop stop-color=\"%s\" offset=\"95%%\"/>"
		     "</linearGradient>\n</defs>\n"
		     "<style type=\"text/css\">\n"
		     "text { font-family:Verdana, sans-serif; font-size:%upx; fill:rgb(0,0,0); }\n"
		     "#title { text-anchor:middle; font-size:%upx; }\n"
		     "#subtitle { text-anchor:middle; fill:rgb(160,160,160); }\n"
		     "#search, #ignorecase { opacity:0.1; cursor:pointer; }\n"
		     "#search:hover, #search.show, #ignorecase:hover, #ignorecase.show { opacity:1; }\n"
		     "#unzoom { cursor:pointer; }\n"
		     "#frames > g:hover { stroke:black; stroke-width:0.5; cursor:pointer; }\n"
		     ".hide { display:none; }\n"
		     ".parent { opacity:0.5; }\n"
		     "</style>\n<script type=\"text/ecmascript\"><![CDATA[\n",
		pal->bg1, pal->bg2, FG_FONT_SIZE, FG_FONT_SIZE + 5);
	fwrite(fg_js_start, 1, fg_js_end - fg_js_start, out);
	fprintf(out, "]]></script>\n<rect x=\"0\" y=\"0\" width=\"%u\" height=\"%u\" fill=\"url(#background)\"/>\n"
		     "<text id=\"title\" x=\"%u\" y=\"%u\">", w, h, w / 2, FG_FONT_SIZE * 2);
	escape(out, title);
	fputs("</text>\n", out);
	if (o->subtitle && *o->subtitle) {
		fprintf(out, "<text id=\"subtitle\" x=\"%u\" y=\"%u\">", w / 2, FG_FONT_SIZE * 4);
		escape(out, o->subtitle);
		fputs("</text>\n", out);
	}
	fprintf(out, "<text id=\"details\" x=\"%u\" y=\"%u\"> </text>\n"
		     "<text id=\"unzoom\" class=\"hide\" x=\"%u\" y=\"%u\">Reset Zoom</text>\n"
		     "<text id=\"search\" x=\"%u\" y=\"%u\">Search</text>\n"
		     "<text id=\"ignorecase\" x=\"%u\" y=\"%u\">ic</text>\n"
		     "<text id=\"matched\" x=\"%u\" y=\"%u\"> </text>\n"
		     "<g id=\"frames\">\n",
		FG_XPAD, h - FG_YPAD2 / 2, FG_XPAD, FG_FONT_SIZE * 2, w - FG_XPAD - 100,
		FG_FONT_SIZE * 2, w - FG_XPAD - 16, FG_FONT_SIZE * 2, w - FG_XPAD - 100,
		h - FG_YPAD2 / 2);
	for (size_t i = 0; i < l->n; i++)
		write_frame(&s, &l->v[i]);
	fputs("</g>\n</svg>\n", out);
	fg_layout__free(l);
	return ferror(out) ? -EIO : 0;
}
