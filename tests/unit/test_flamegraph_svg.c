// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of flamegraph/ svg.c: golden frame lines, titles, escaping, determinism, validity. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "flamegraph.h"
#include "helpers.h"

static struct flamegraph *fg;
static char *svg;

static void setup(void)
{
	fg = flamegraph__new();
	cr_assert_not_null(fg);
}

static void teardown(void)
{
	flamegraph__free(fg);
	free(svg);
	svg = NULL;
}

TestSuite(flamegraph_svg, .init = setup, .fini = teardown);

static void lines(const char *text)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");

	cr_assert_not_null(in);
	cr_assert_eq(flamegraph__parse_folded(fg, in, NULL), 0);
	fclose(in);
}

static char *render(const struct fg_opts *o)
{
	char *text = NULL;
	size_t len;
	FILE *out = open_memstream(&text, &len);

	cr_assert_not_null(out);
	cr_assert_eq(flamegraph__write_svg(fg, o, out), 0);
	cr_assert_eq(fclose(out), 0);
	return text;
}

static const char *write_svg(const struct fg_opts *o)
{
	free(svg);
	svg = render(o);
	return svg;
}

/* The frame lines: what the golden tests compare, without the embedded JavaScript. */
static const char *frames_of(const char *s)
{
	const char *start = strstr(s, "<g id=\"frames\">\n");

	cr_assert_not_null(start);
	return start + strlen("<g id=\"frames\">\n");
}

static const char *escaped(const char *s, size_t len)
{
	static char *text;
	size_t n;
	FILE *out;

	free(text);
	out = open_memstream(&text, &n);
	cr_assert_eq(fg_xml_escape(out, s, len), 0);
	cr_assert_eq(fclose(out), 0);
	return text;
}

/* The escaping of a string literal, embedded NULs included. */
#define ESC(lit) escaped(lit, sizeof(lit) - 1)

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = strstr(s, what); p; p = strstr(p + 1, what))
		n++;
	return n;
}

Test(flamegraph_svg, golden_frames)
{
	struct fg_opts o = { .palette = FG_PALETTE_RED, .hash = true };

	/* colours worked by hand from flamegraph.pl's namehash and red palette: --hash --colors red */
	lines("main;a;b 3\nmain;a;c 2\nmain;d 5\nmain;a 1\n");
	cr_assert_str_eq(frames_of(write_svg(&o)),
		"<g><title>all (11 samples, 100%)</title><rect x=\"10.0\" y=\"85.0\" width=\"1180.0\" height=\"15.0\" fill=\"rgb(255,130,130)\" rx=\"2\" ry=\"2\" fg:x=\"0\" fg:w=\"11\"/><text x=\"13.00\" y=\"95.5\">all</text></g>\n"
		"<g><title>main (11 samples, 100.00%)</title><rect x=\"10.0\" y=\"69.0\" width=\"1180.0\" height=\"15.0\" fill=\"rgb(219,79,79)\" rx=\"2\" ry=\"2\" fg:x=\"0\" fg:w=\"11\"/><text x=\"13.00\" y=\"79.5\">main</text></g>\n"
		"<g><title>a (6 samples, 54.55%)</title><rect x=\"10.0\" y=\"53.0\" width=\"643.6\" height=\"15.0\" fill=\"rgb(233,98,98)\" rx=\"2\" ry=\"2\" fg:x=\"0\" fg:w=\"6\"/><text x=\"13.00\" y=\"63.5\">a</text></g>\n"
		"<g><title>b (3 samples, 27.27%)</title><rect x=\"117.3\" y=\"37.0\" width=\"321.8\" height=\"15.0\" fill=\"rgb(230,94,94)\" rx=\"2\" ry=\"2\" fg:x=\"1\" fg:w=\"3\"/><text x=\"120.27\" y=\"47.5\">b</text></g>\n"
		"<g><title>c (2 samples, 18.18%)</title><rect x=\"439.1\" y=\"37.0\" width=\"214.5\" height=\"15.0\" fill=\"rgb(227,90,90)\" rx=\"2\" ry=\"2\" fg:x=\"4\" fg:w=\"2\"/><text x=\"442.09\" y=\"47.5\">c</text></g>\n"
		"<g><title>d (5 samples, 45.45%)</title><rect x=\"653.6\" y=\"53.0\" width=\"536.4\" height=\"15.0\" fill=\"rgb(255,130,130)\" rx=\"2\" ry=\"2\" fg:x=\"6\" fg:w=\"5\"/><text x=\"656.64\" y=\"63.5\">d</text></g>\n"
		"</g>\n"
		"</svg>\n");
}

Test(flamegraph_svg, golden_icicle)
{
	struct fg_opts o = { .palette = FG_PALETTE_BLUE, .inverted = true, .hash = true };

	lines("m;x 1\n");
	write_svg(&o);
	cr_assert_str_eq(frames_of(svg),
		"<g><title>all (1 samples, 100%)</title><rect x=\"10.0\" y=\"36.0\" width=\"1180.0\" height=\"15.0\" fill=\"rgb(140,140,255)\" rx=\"2\" ry=\"2\" fg:x=\"0\" fg:w=\"1\"/><text x=\"13.00\" y=\"46.5\">all</text></g>\n"
		"<g><title>m (1 samples, 100.00%)</title><rect x=\"10.0\" y=\"52.0\" width=\"1180.0\" height=\"15.0\" fill=\"rgb(110,110,230)\" rx=\"2\" ry=\"2\" fg:x=\"0\" fg:w=\"1\"/><text x=\"13.00\" y=\"62.5\">m</text></g>\n"
		"<g><title>x (1 samples, 100.00%)</title><rect x=\"10.0\" y=\"68.0\" width=\"1180.0\" height=\"15.0\" fill=\"rgb(140,140,255)\" rx=\"2\" ry=\"2\" fg:x=\"0\" fg:w=\"1\"/><text x=\"13.00\" y=\"78.5\">x</text></g>\n"
		"</g>\n"
		"</svg>\n");
	cr_assert(strstr(svg, ">Icicle Graph</text>"));
	cr_assert(strstr(svg, "fg:inverted=\"1\""));
}

Test(flamegraph_svg, titles_read_like_flamegraph_pl)
{
	struct fg_opts o = { .countname = "bytes" };

	lines("m;f 1234\nm;g 20529\nbig 1234567\n");
	write_svg(NULL);
	cr_assert(strstr(svg, "<title>all (1,256,330 samples, 100%)</title>"));
	cr_assert(strstr(svg, "<title>f (1,234 samples, 0.10%)</title>"));
	cr_assert(strstr(svg, "<title>big (1,234,567 samples, 98.27%)</title>"));
	write_svg(&o);
	cr_assert(strstr(svg, "<title>g (20,529 bytes, 1.63%)</title>"));
}

Test(flamegraph_svg, fractional_counts_round_as_flamegraph_pl)
{
	lines("a 0.5\nb 1.5\nc 2.25\n");
	write_svg(NULL);
	/* %.0f rounds half to even, and the percentage is of the rounded count */
	cr_assert(strstr(svg, "<title>a (0 samples, 0.00%)</title>"));
	cr_assert(strstr(svg, "<title>b (2 samples, 47.06%)</title>"));
	cr_assert(strstr(svg, "<title>c (2 samples, 47.06%)</title>"));
	cr_assert(strstr(svg, "fg:w=\"2.25\""));
}

Test(flamegraph_svg, differential_titles_carry_the_change)
{
	struct fg_opts o = { .negate = true };

	lines("m;a 10 20\nm;b 20 10\n");
	write_svg(NULL);
	cr_assert(strstr(svg, "<title>a (20 samples, 66.67%; +33.33%)</title>"));
	cr_assert(strstr(svg, "<title>b (10 samples, 33.33%; -33.33%)</title>"));
	cr_assert(strstr(svg, "<title>m (30 samples, 100.00%; 0.00%)</title>"));
	cr_assert(strstr(svg, "fill=\"rgb(255,0,0)\""));
	write_svg(&o);
	cr_assert(strstr(svg, "<title>a (20 samples, 66.67%; -33.33%)</title>"));
}

Test(flamegraph_svg, annotations_are_not_shown)
{
	lines("main;do_sys_poll_[k] 1\nmain;jitted_[j] 1\nmain;odd_[x] 1\n");
	write_svg(NULL);
	cr_assert(strstr(svg, "<title>do_sys_poll (1 samples, 33.33%)</title>"));
	cr_assert(strstr(svg, ">do_sys_poll</text>"));
	cr_assert(strstr(svg, "<title>jitted (1 samples"));
	cr_assert(strstr(svg, "<title>odd_[x] (1 samples"), "only k, j, i and w are annotations");
}

Test(flamegraph_svg, escape_function)
{
	cr_assert_str_eq(ESC("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
	cr_assert_str_eq(ESC("</svg>"), "&lt;/svg&gt;");
	cr_assert_str_eq(ESC("]]>"), "]]&gt;");
	cr_assert_str_eq(ESC("t\tn\nr\r\x01\x1f\x7f"), "t?n?r????");
	cr_assert_str_eq(ESC("nul\0in"), "nul?in");
	cr_assert_str_eq(ESC("bad\xff\xfe utf8\xc3"), "bad?? utf8?");
	cr_assert_str_eq(ESC("overlong\xc0\xaf"), "overlong??");
	cr_assert_str_eq(ESC("nonchar\xef\xbf\xbe\xef\xbf\xbfok"), "nonchar??ok");
	cr_assert_str_eq(ESC("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5"),
			 "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5", "valid UTF-8 passes");
	cr_assert_str_eq(ESC(""), "");
}

Test(flamegraph_svg, hostile_names_cannot_break_out)
{
	struct fg_opts o = { .title = "</text><script>alert(1)</script>", .subtitle = "a&b",
			     .countname = "\"><x", .nametype = "\"onload=\"x" };
	const char *line = "evil;</svg><script>alert(1)</script>;\"q'&amp;;ctl\x01\x1b[2J;\xff\xfe\xef\xbf\xbf 3";

	cr_assert_eq(flamegraph__add_line(fg, line, strlen(line)), 0);
	write_svg(&o);
	cr_assert_eq(count(svg, "<script"), 1, "only the graph's own script");
	cr_assert_eq(count(svg, "</svg>"), 1);
	cr_assert_eq(count(svg, "]]>"), 1, "the JavaScript's CDATA section ends once");
	cr_assert(strstr(svg, "&lt;/svg&gt;&lt;script&gt;alert(1)&lt;/script&gt; (3 &quot;&gt;&lt;x,"));
	cr_assert(strstr(svg, "&quot;q&#39;&amp;amp (3"));
	cr_assert(strstr(svg, "ctl??[2J"));
	cr_assert(strstr(svg, "<title>??? (3"));
	cr_assert(strstr(svg, "&lt;/text&gt;&lt;script&gt;alert(1)&lt;/script&gt;</text>"));
	cr_assert(strstr(svg, "fg:nametype=\"&quot;onload=&quot;x\""));
	cr_assert_null(memchr(svg, '\x01', strlen(svg)));
	cr_assert_null(strstr(svg, "\xff"));
}

Test(flamegraph_svg, labels_are_cut_on_characters)
{
	struct fg_opts o = { .width = 120 };	/* 100 pixels: 14 characters of 7.08 pixels */

	lines("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	      "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9 1\n");
	write_svg(&o);
	cr_assert(strstr(svg, ">\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			      "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9..</text>"), "12 characters and ..");
}

Test(flamegraph_svg, narrow_frames_have_no_label)
{
	lines("wide 1000\nnarrow 6\n");
	write_svg(NULL);
	/* 6/1006 of 1180 pixels is 7 pixels: no room for 3 characters */
	cr_assert(strstr(svg, "<title>narrow (6 samples, 0.60%)</title>"));
	cr_assert(strstr(svg, "y=\"47.5\"></text>"));
}

Test(flamegraph_svg, same_input_same_bytes)
{
	static const char *const names[] = { "alpha", "beta", "gamma", "delta", "epsilon" };
	struct flamegraph *other = flamegraph__new();
	struct fg_opts o = { .title = "t" };
	char *a, *b;

	cr_assert_not_null(other);
	for (int i = 0; i < 200; i++) {
		const char *f1[] = { "main", names[i % 5], names[(i * 7) % 5] };
		const char *f2[] = { "main", names[(199 - i) % 5], names[((199 - i) * 7) % 5] };

		cr_assert_eq(flamegraph__add(fg, f1, 3, i % 3 + 1), 0);
		cr_assert_eq(flamegraph__add(other, f2, 3, (199 - i) % 3 + 1), 0);
	}
	a = render(&o);
	b = render(&o);
	cr_assert_str_eq(a, b, "two renders");
	free(b);
	flamegraph__free(fg);
	fg = other;
	b = render(&o);
	cr_assert_str_eq(a, b, "the same stacks added in the opposite order");
	free(a);
	free(b);
}

Test(flamegraph_svg, empty_input_says_so)
{
	write_svg(NULL);
	cr_assert(strstr(svg, "ERROR: No valid input provided"));
	cr_assert(strstr(svg, "</svg>\n"));
	cr_assert_eq(flamegraph__total(fg), 0);
}

Test(flamegraph_svg, interactivity_is_embedded)
{
	lines("a 1\n");
	write_svg(NULL);
	cr_assert(strstr(svg, "function zoom("));
	cr_assert(strstr(svg, "function search("));
	cr_assert(strstr(svg, "onload=\"init(evt)\""));
	cr_assert(strstr(svg, "<text id=\"unzoom\" class=\"hide\""));
	cr_assert(strstr(svg, "<text id=\"matched\""));
	cr_assert_eq(count(svg, "]]>"), 1, "flamegraph.js must not end the CDATA section");
}

/* Well-formed XML for anything the input holds; xmllint (libxml2-utils) when installed. */
Test(flamegraph_svg, xmllint_accepts_hostile_input)
{
	char path[] = "/tmp/fg-unit-XXXXXX.svg", cmd[128];
	const char *line = "x;<a>&\"';\x01\x02\x1f;\xff\xc0\xaf;]]>;<!--;--> 2";
	FILE *f;
	int fd;

	require_tool("xmllint", "libxml2-utils");
	cr_assert_eq(flamegraph__add_line(fg, line, strlen(line)), 0);
	lines("plain;stack 5\n");
	write_svg(&(struct fg_opts){ .title = "<&>", .subtitle = "\x01" });
	fd = mkstemps(path, 4);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	fputs(svg, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "xmllint --noout %s 2>&1", path);
	cr_assert_eq(system(cmd), 0, "xmllint rejected %s", path);
	unlink(path);
}
