// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of flamegraph/ layout and palette: positions in pixels, and who gets which colour. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "flamegraph.h"
#include "fg_internal.h"

static struct flamegraph *fg;
static struct fg_layout *lay;

static void setup(void)
{
	fg = flamegraph__new();
	cr_assert_not_null(fg);
}

static void teardown(void)
{
	fg_layout__free(lay);
	lay = NULL;
	flamegraph__free(fg);
}

TestSuite(flamegraph_layout, .init = setup, .fini = teardown);

static void lines(const char *text)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");

	cr_assert_not_null(in);
	cr_assert_eq(flamegraph__parse_folded(fg, in, NULL), 0);
	fclose(in);
}

static const struct fg_frame *layout(const struct fg_opts *o, size_t *n)
{
	fg_layout__free(lay);
	lay = fg_layout__new(fg, o);
	cr_assert_not_null(lay, "fg_layout__new: %s", strerror(errno));
	return fg_layout__frames(lay, n);
}

static const struct fg_frame *find(const char *name)
{
	const struct fg_frame *f;
	size_t n;

	f = fg_layout__frames(lay, &n);
	for (size_t i = 0; i < n; i++)
		if (f[i].name_len == strlen(name) && !memcmp(f[i].name, name, f[i].name_len))
			return &f[i];
	cr_assert_fail("no frame %s", name);
	return NULL;
}

#define assert_rgb(c, R, G, B)                                                              \
	cr_assert((c).r == (R) && (c).g == (G) && (c).b == (B), "rgb(%u,%u,%u) is not rgb(%u,%u,%u)", \
		  (c).r, (c).g, (c).b, (R), (G), (B))

#define PLOT 1180.0	/* 1200 pixels less the two 10 pixel margins */

Test(flamegraph_layout, x_width_and_depth_follow_counts)
{
	const struct fg_frame *f;
	size_t n;

	lines("main;a;b 3\nmain;a;c 2\nmain;d 5\nmain;a 1\n");
	f = layout(NULL, &n);
	cr_assert_eq(n, 6);
	/* all, main, a, b, c, d: depth first, children left to right */
	cr_assert_float_eq(f[0].x, 10, 1e-9);
	cr_assert_float_eq(f[0].w, PLOT, 1e-9);
	cr_assert_eq(f[0].depth, 0);
	cr_assert_float_eq(f[2].x, 10, 1e-9);
	cr_assert_float_eq(f[2].w, PLOT * 6 / 11, 1e-9);
	cr_assert_eq(f[2].depth, 2);
	/* "main;a 1" sorts first, so a's own sample is left of b */
	cr_assert_float_eq(f[3].x, 10 + PLOT * 1 / 11, 1e-9);
	cr_assert_float_eq(f[3].w, PLOT * 3 / 11, 1e-9);
	cr_assert_eq(f[3].depth, 3);
	cr_assert_float_eq(f[4].x, 10 + PLOT * 4 / 11, 1e-9);
	cr_assert_float_eq(f[5].x, 10 + PLOT * 6 / 11, 1e-9);
	cr_assert_float_eq(f[5].w, PLOT * 5 / 11, 1e-9);
	cr_assert_eq(f[5].depth, 2);
	/* flamegraph.pl's height: (depthmax + 1) frames, 36 pixels above, 34 below */
	cr_assert_eq(fg_layout__height(lay), 4 * 16 + 36 + 34);
	cr_assert_float_eq(f[0].y, 134 - 34 - 16 + 1, 1e-9, "the root at the bottom");
	cr_assert_float_eq(f[3].y, 134 - 34 - 4 * 16 + 1, 1e-9);
}

Test(flamegraph_layout, inverted_puts_the_root_at_the_top)
{
	struct fg_opts o = { .inverted = true };
	const struct fg_frame *f;
	size_t n;

	lines("main;a;b 3\nmain;d 5\n");
	f = layout(&o, &n);
	cr_assert_float_eq(f[0].y, 36, 1e-9);
	cr_assert_float_eq(find("b")->y, 36 + 3 * 16, 1e-9);
	o.subtitle = "under the title";
	layout(&o, &n);
	cr_assert_float_eq(find("b")->y, 36 + 24 + 3 * 16, 1e-9, "clear of the subtitle");
	cr_assert_eq(fg_layout__height(lay), 4 * 16 + 36 + 34 + 24);
}

Test(flamegraph_layout, width_and_frame_height_options)
{
	struct fg_opts o = { .width = 600, .frame_height = 20 };
	const struct fg_frame *f;
	size_t n;

	lines("a;b 1\na;c 3\n");
	f = layout(&o, &n);
	cr_assert_float_eq(find("c")->x, 10 + 580.0 / 4, 1e-9);
	cr_assert_float_eq(find("c")->w, 580.0 * 3 / 4, 1e-9);
	cr_assert_eq(fg_layout__height(lay), 3 * 20 + 36 + 34);
	cr_assert_float_eq(f[0].y, 130 - 34 - 20 + 1, 1e-9);
}

Test(flamegraph_layout, bad_options_are_refused)
{
	struct fg_opts o = { .width = 20 };

	lines("a 1\n");
	cr_assert_null(fg_layout__new(fg, &o));
	cr_assert_eq(errno, EINVAL);
	o = (struct fg_opts){ .minwidth_set = true, .minwidth = -1 };
	cr_assert_null(fg_layout__new(fg, &o));
	o = (struct fg_opts){ .palette = NR_FG_PALETTES };
	cr_assert_null(fg_layout__new(fg, &o));
}

Test(flamegraph_layout, differential_red_grew_blue_shrank_white_same)
{
	struct fg_opts o = { 0 };
	size_t n;

	lines("m;a 10 20\nm;b 20 10\nm;c 5 5\n");
	layout(&o, &n);
	assert_rgb(find("a")->color, 255, 0, 0);
	assert_rgb(find("b")->color, 0, 0, 255);
	assert_rgb(find("c")->color, 255, 255, 255);
	assert_rgb(find("m")->color, 255, 255, 255);	/* no stack ends in m */
	o.negate = true;
	layout(&o, &n);
	assert_rgb(find("a")->color, 0, 0, 255);
	assert_rgb(find("b")->color, 255, 0, 0);
}

Test(flamegraph_layout, differential_shades_scale_with_the_largest_change)
{
	FILE *before = fmemopen("m;a 12\nm;b 20\n", 14, "r");
	FILE *after = fmemopen("m;a 20\nm;c 5\n", 13, "r");
	size_t n;

	cr_assert_eq(flamegraph__parse_diff(fg, before, after, NULL), 0);
	fclose(before);
	fclose(after);
	layout(NULL, &n);
	/* b's -20 is the largest change, though b has no width left to draw */
	assert_rgb(find("a")->color, 255, 126, 126);	/* +8: 210 * 12 / 20 */
	assert_rgb(find("c")->color, 255, 157, 157);	/* +5: 210 * 15 / 20 */
}

Test(flamegraph_layout, offcpu_reasons_pick_the_palette_of_their_subtree)
{
	const struct fg_frame *f;
	struct fg_rgb c;
	size_t n;

	lines("app;[cpu];parse_json 6\n"
	      "app;[lock];pthread_mutex_lock;futex_wait_[k] 5\n"
	      "app;[net];recv 3\n"
	      "app;[idle];epoll_wait 2\n"
	      "db;[disk];fsync 4\n");
	f = layout(NULL, &n);
	cr_assert_eq(fg_layout__palette(lay), FG_PALETTE_REASON, "auto: every second frame is a reason");
	c = find("pthread_mutex_lock")->color;
	cr_assert(c.r == c.b && c.g < c.r, "lock is purple: rgb(%u,%u,%u)", c.r, c.g, c.b);
	c = find("futex_wait_[k]")->color;
	cr_assert(c.r == c.b && c.g < c.r, "the whole subtree: rgb(%u,%u,%u)", c.r, c.g, c.b);
	c = find("recv")->color;
	cr_assert(c.g == c.b && c.r < c.g, "net is aqua: rgb(%u,%u,%u)", c.r, c.g, c.b);
	c = find("epoll_wait")->color;
	cr_assert(c.r == c.g && c.g == c.b, "idle is grey: rgb(%u,%u,%u)", c.r, c.g, c.b);
	c = find("parse_json")->color;
	cr_assert(c.g == c.b && c.r > c.g, "cpu is red: rgb(%u,%u,%u)", c.r, c.g, c.b);
	c = find("fsync")->color;
	cr_assert(c.r == c.g && c.b > c.r, "disk is blue: rgb(%u,%u,%u)", c.r, c.g, c.b);
	c = f[0].color;
	cr_assert(c.r > c.g && c.g > c.b, "root and threads in sand: rgb(%u,%u,%u)", c.r, c.g, c.b);
}

Test(flamegraph_layout, auto_palette_is_hot_unless_all_second_frames_are_reasons)
{
	struct fg_opts o = { .palette = FG_PALETTE_REASON };
	size_t n;

	lines("app;[lock];f 5\napp;main;g 1\n");
	layout(NULL, &n);
	cr_assert_eq(fg_layout__palette(lay), FG_PALETTE_HOT);
	layout(&o, &n);
	cr_assert_eq(fg_layout__palette(lay), FG_PALETTE_REASON, "asked for");
}

Test(flamegraph_layout, hash_colours_are_flamegraph_pl_hash_colours)
{
	struct fg_opts o = { .hash = true, .palette = FG_PALETTE_HOT };
	size_t n;

	/* worked by hand from flamegraph.pl's namehash and hot palette */
	lines("main;a 1\n");
	layout(&o, &n);
	assert_rgb(find("a")->color, 235, 140, 33);
	assert_rgb(find("main")->color, 247, 83, 46);
}

Test(flamegraph_layout, hash_drops_a_module_prefix)
{
	struct fg_rgb a, b;

	/* g comes from the forward hash, which reads "malloc" in both */
	fg_palette_color(FG_PALETTE_HOT, "libc.so.6`malloc", 16, true, &a);
	fg_palette_color(FG_PALETTE_HOT, "x`malloc", 8, true, &b);
	cr_assert_eq(a.g, b.g);
	fg_palette_color(FG_PALETTE_HOT, "x`free", 6, true, &b);
	cr_assert_neq(a.g, b.g);
}

Test(flamegraph_layout, annotations_choose_the_java_palette_colour)
{
	struct fg_rgb c;

	fg_palette_color(FG_PALETTE_JAVA, "do_syscall_64_[k]", 17, false, &c);
	cr_assert(c.b == 0 && c.r > c.g, "kernel is orange");
	fg_palette_color(FG_PALETTE_JAVA, "Interpreter_[j]", 15, false, &c);
	cr_assert(c.r == c.b && c.g > c.r, "jit is green");
	fg_palette_color(FG_PALETTE_JAVA, "inlined_[i]", 11, false, &c);
	cr_assert(c.g == c.b && c.r < c.g, "inline is aqua");
	fg_palette_color(FG_PALETTE_JAVA, "Ljava/lang/Thread;::run", 23, false, &c);
	cr_assert(c.r == c.b && c.g > c.r, "java/ is green");
	fg_palette_color(FG_PALETTE_JAVA, "std::vector::push_back", 22, false, &c);
	cr_assert(c.r == c.g && c.b < c.r, "C++ is yellow");
	fg_palette_color(FG_PALETTE_JAVA, "memcpy", 6, false, &c);
	cr_assert(c.g == c.b && c.r > c.g, "the rest is red");
	fg_palette_color(FG_PALETTE_CHAIN, "waker_[w]", 9, false, &c);
	cr_assert(c.g == c.b && c.r < c.g, "wakers are aqua");
	fg_palette_color(FG_PALETTE_CHAIN, "sleeper", 7, false, &c);
	cr_assert(c.r == c.g && c.b > c.r, "off-CPU is blue");
}

Test(flamegraph_layout, separators_are_grey)
{
	size_t n;

	lines("user;-;kernel 1\nwakee;--;waker 1\n");
	layout(NULL, &n);
	assert_rgb(find("-")->color, 200, 200, 200);
	assert_rgb(find("--")->color, 160, 160, 160);
}

Test(flamegraph_layout, a_name_keeps_its_colour_across_graphs)
{
	struct fg_rgb first;
	size_t n;

	lines("one;shared_fn 1\n");
	layout(NULL, &n);
	first = find("shared_fn")->color;
	lines("two;other;shared_fn 7\nzzz 3\n");
	layout(NULL, &n);
	assert_rgb(find("shared_fn")->color, first.r, first.g, first.b);
	cr_assert(memcmp(&find("one")->color, &find("two")->color, sizeof(first)),
		  "different names, different colours");
}

Test(flamegraph_layout, palette_names_round_trip)
{
	enum fg_palette p;

	for (int i = 0; i < NR_FG_PALETTES; i++) {
		cr_assert_eq(fg_palette_parse(fg_palette_name(i), &p), 0);
		cr_assert_eq(p, (enum fg_palette)i);
	}
	cr_assert_eq(fg_palette_parse("rainbow", &p), -EINVAL);
}
