// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of flamegraph/ parse and merge: flamegraph.pl's reading of lines, frames and counts. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "flamegraph.h"

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

TestSuite(flamegraph_merge, .init = setup, .fini = teardown);

static FILE *text_file(const char *text);

/* Parses text as a folded file; returns the number of malformed lines. */
static size_t parse(const char *text)
{
	FILE *in = text_file(text);
	size_t skipped = 0;

	cr_assert_eq(flamegraph__parse_folded(fg, in, &skipped), 0);
	fclose(in);
	return skipped;
}

static const struct fg_frame *layout(const struct fg_opts *o, size_t *n)
{
	fg_layout__free(lay);
	lay = fg_layout__new(fg, o);
	cr_assert_not_null(lay);
	return fg_layout__frames(lay, n);
}

/* "depth:name:count" of each frame, depth first, joined by spaces. */
static const char *shape(const struct fg_opts *o)
{
	static char *buf;
	const struct fg_frame *f;
	size_t n, len;
	FILE *out;

	free(buf);
	out = open_memstream(&buf, &len);
	cr_assert_not_null(out);
	f = layout(o, &n);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%u:%.*s:%g", i ? " " : "", f[i].depth, (int)f[i].name_len, f[i].name,
			f[i].count);
	cr_assert_eq(fclose(out), 0);
	return buf;
}

static FILE *text_file(const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	cr_assert_not_null(f);
	return f;
}

Test(flamegraph_merge, identical_prefixes_merge_into_one_frame)
{
	cr_assert_eq(parse("main;a;b 3\nmain;a;c 2\nmain;d 5\nmain;a 1\n"), 0);
	cr_assert_str_eq(shape(NULL), "0::11 1:main:11 2:a:6 3:b:3 3:c:2 2:d:5");
	cr_assert_eq(flamegraph__total(fg), 11);
}

Test(flamegraph_merge, identical_stacks_add_up_whatever_their_order)
{
	cr_assert_eq(parse("m;x 1\nm;y 4\nm;x 2\nm;x 3\n"), 0);
	cr_assert_str_eq(shape(NULL), "0::10 1:m:10 2:x:6 2:y:4");
}

Test(flamegraph_merge, siblings_sorted_as_flamegraph_pl_sorts_lines)
{
	/* sorted as whole lines, bytewise: uppercase before lowercase, "b 1" before "b;c 1" */
	cr_assert_eq(parse("r;b;c 1\nr;a 1\nr;B 1\nr;b 1\n"), 0);
	cr_assert_str_eq(shape(NULL), "0::4 1:r:4 2:B:1 2:a:1 2:b:2 3:c:1");
}

Test(flamegraph_merge, a_frame_splits_where_flamegraph_pl_splits_it)
{
	/* "f.cold" sorts between "f 1" and "f;x 1" (' ' < '.' < ';'): two f frames, as in flamegraph.pl */
	cr_assert_eq(parse("m;f;x 1\nm;f.cold 1\nm;f 1\n"), 0);
	cr_assert_str_eq(shape(NULL), "0::3 1:m:3 2:f:1 2:f.cold:1 2:f:1 3:x:1");
}

Test(flamegraph_merge, fractional_counts)
{
	cr_assert_eq(parse("a;b 0.5\na;c 1.25\na 3.\n"), 0);
	cr_assert_float_eq(flamegraph__total(fg), 4.75, 1e-12);
	cr_assert_str_eq(shape(NULL), "0::4.75 1:a:4.75 2:b:0.5 2:c:1.25");
}

Test(flamegraph_merge, malformed_lines_are_counted_and_skipped)
{
	size_t skipped = parse("ok;a 1\n"
			       "no count\n"
			       "nospace\n"
			       "neg -3\n"
			       "exp 1e3\n"
			       "lead .5\n"
			       "hex 0x10\n"
			       "sign +2\n"
			       "\n"
			       "ok;b 2\n"
			       "trailing 5 \n");

	cr_assert_eq(skipped, 9);
	cr_assert_str_eq(shape(NULL), "0::3 1:ok:3 2:a:1 2:b:2");
}

Test(flamegraph_merge, count_follows_the_last_whitespace_and_tabs_count)
{
	/* flamegraph.pl's (.*)\s+?(count): extra spaces stay in the last frame */
	cr_assert_eq(parse("a;b  5\nc\t2\nd;e 1\r\n"), 0);
	cr_assert_str_eq(shape(NULL), "0::8 1:a:5 2:b :5 1:c:2 1:d:1 2:e:1");
}

Test(flamegraph_merge, empty_fields_as_perl_split_makes_them)
{
	/* trailing empty fields are dropped, leading and inner ones kept */
	cr_assert_eq(parse("a;; 1\n;x 2\np;;q 4\n"), 0);
	cr_assert_str_eq(shape(NULL), "0::7 1::2 2:x:2 1:a:1 1:p:4 2::4 3:q:4");
}

Test(flamegraph_merge, two_counts_make_a_differential_line)
{
	const struct fg_frame *f;
	size_t n;

	cr_assert_eq(parse("m;a 10 20\nm;b 20 10\n"), 0);
	cr_assert_eq(flamegraph__total(fg), 30, "widths are the second (after) counts");
	f = layout(NULL, &n);
	cr_assert_eq(n, 4);
	cr_assert(f[2].has_delta && f[2].delta == 10);
	cr_assert(f[3].has_delta && f[3].delta == -10);
	cr_assert(f[1].has_delta && f[1].delta == 0, "self delta only, as flamegraph.pl colours");
}

Test(flamegraph_merge, diff_of_two_files_as_difffolded)
{
	FILE *before = text_file("m;a 10\nm;b 20\nm;a 2\nbroken\n");
	FILE *after = text_file("m;a 20\nm;c 5\n");
	struct fg_opts o = { .minwidth_set = true, .minwidth = 0 };
	size_t skipped = 0;

	cr_assert_eq(flamegraph__parse_diff(fg, before, after, &skipped), 0);
	fclose(before);
	fclose(after);
	cr_assert_eq(skipped, 1);
	cr_assert_eq(flamegraph__total(fg), 25);
	/* b vanished: it is there with width 0 when nothing is pruned */
	cr_assert_str_eq(shape(&o), "0::25 1:m:25 2:a:20 2:b:0 2:c:5");
	cr_assert_str_eq(shape(NULL), "0::25 1:m:25 2:a:20 2:c:5");
}

Test(flamegraph_merge, reverse_merges_from_the_leaves)
{
	struct fg_opts o = { .reverse = true };

	cr_assert_eq(parse("a;b;c 1\nx;b;c 2\na;b;d 4\n"), 0);
	cr_assert_str_eq(shape(&o), "0::7 1:c:3 2:b:3 3:a:1 3:x:2 1:d:4 2:b:4 3:a:4");
	cr_assert_str_eq(shape(NULL), "0::7 1:a:5 2:b:5 3:c:1 3:d:4 1:x:2 2:b:2 3:c:2");
}

Test(flamegraph_merge, reverse_keeps_differential_counts)
{
	const struct fg_frame *f;
	struct fg_opts o = { .reverse = true };
	size_t n;

	cr_assert_eq(parse("a;b 1 3\n"), 0);
	cr_assert_str_eq(shape(&o), "0::3 1:b:3 2:a:3");
	f = layout(&o, &n);
	cr_assert(f[2].has_delta && f[2].delta == 2);
}

Test(flamegraph_merge, api_adds_merge_like_lines)
{
	const char *s1[] = { "main", "a;b", "leaf\n" };
	const char *s2[] = { "main", "x 5" };

	cr_assert_eq(flamegraph__add(fg, s1, 3, 2), 0);
	cr_assert_eq(flamegraph__add(fg, s2, 2, 1), 0);
	cr_assert_eq(flamegraph__add(fg, s2, 2, 0.5), 0);
	cr_assert_eq(flamegraph__add(fg, s2, 2, -1), -EINVAL);
	cr_assert_eq(flamegraph__add(fg, s2, 2, 1.0 / 0.0), -EINVAL);
	/* ';' cannot be a separator inside a name; a name ending in digits is no differential here */
	cr_assert_str_eq(shape(NULL), "0::3.5 1:main:3.5 2:a:b:2 3:leaf?:2 2:x 5:1.5");
	cr_assert_eq(flamegraph__add_line(fg, "bad", 3), -EINVAL);
}

Test(flamegraph_merge, minwidth_prunes_narrow_frames_and_their_subtrees)
{
	struct fg_opts o = { 0 };

	/* 1 of 11800 samples on 1180 pixels is 0.1 pixel: kept (flamegraph.pl drops only narrower) */
	cr_assert_eq(parse("m;big 11798\nm;thin;deeper 1\nm;x 1\n"), 0);
	cr_assert_str_eq(shape(&o), "0::11800 1:m:11800 2:big:11798 2:thin:1 3:deeper:1 2:x:1");
	cr_assert_eq(parse("m;big 1\n"), 0);
	cr_assert_str_eq(shape(&o), "0::11801 1:m:11801 2:big:11799");
	o.minwidth_set = true;
	o.minwidth = 0.05;
	cr_assert_str_eq(shape(&o), "0::11801 1:m:11801 2:big:11799 2:thin:1 3:deeper:1 2:x:1");
	o.minwidth = 2;
	o.minwidth_percent = true;	/* of all samples */
	cr_assert_str_eq(shape(&o), "0::11801 1:m:11801 2:big:11799");
}

Test(flamegraph_merge, empty_input_has_no_frames)
{
	size_t n;

	cr_assert_eq(parse(""), 0);
	layout(NULL, &n);
	cr_assert_eq(n, 0);
	cr_assert_eq(parse("a 0\n"), 0);
	layout(NULL, &n);
	cr_assert_eq(n, 0, "zero counts draw nothing either");
}

Test(flamegraph_merge, long_lines_and_many_stacks)
{
	static char line[300000];
	size_t at = 0;

	/* a line longer than an arena chunk, among many short ones */
	for (int i = 0; i < 20000; i++)
		at += snprintf(line + at, sizeof(line) - at, "%sf%d", i ? ";" : "", i % 7);
	snprintf(line + at, sizeof(line) - at, " 1");
	cr_assert_eq(flamegraph__add_line(fg, line, strlen(line)), 0);
	for (int i = 0; i < 5000; i++) {
		char s[64];

		snprintf(s, sizeof(s), "root;n%d 1", i % 100);
		cr_assert_eq(flamegraph__add_line(fg, s, strlen(s)), 0);
	}
	cr_assert_eq(flamegraph__total(fg), 5001);
	cr_assert(strstr(shape(NULL), "1:root:5000 2:n0:50 2:n1:50 2:n10:50"));
}
