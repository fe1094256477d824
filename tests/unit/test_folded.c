// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of folded.c: merged, sorted, format-safe "root;...;leaf count" lines. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include "report/folded.h"

static struct folded *f;
static char *text;
static size_t text_len;

static void setup(void)
{
	f = folded__new();
	cr_assert_not_null(f);
}

static void teardown(void)
{
	folded__free(f);
	free(text);
}

TestSuite(folded, .init = setup, .fini = teardown);

#define ADD(count, ...)                                                                     \
	do {                                                                                \
		const char *const fr_[] = { __VA_ARGS__ };                                  \
		cr_assert_eq(folded__add(f, fr_, sizeof(fr_) / sizeof(fr_[0]), count), 0);  \
	} while (0)

static const char *written(void)
{
	FILE *out = open_memstream(&text, &text_len);

	cr_assert_not_null(out);
	cr_assert_eq(folded__write(f, out), 0);
	cr_assert_eq(fclose(out), 0);
	return text;
}

Test(folded, writes_one_line_per_stack_root_first)
{
	ADD(3, "main", "run", "work");
	cr_assert_str_eq(written(), "main;run;work 3\n");
	cr_assert_eq(folded__total(f), 3);
}

Test(folded, merges_identical_stacks_and_sums_counts)
{
	ADD(3, "main", "run", "work");
	ADD(1, "main", "run");
	ADD(4, "main", "run", "work");
	ADD(2, "main", "run", "work");
	cr_assert_str_eq(written(), "main;run 1\n"
				    "main;run;work 9\n");
	cr_assert_eq(folded__total(f), 10);
}

Test(folded, output_is_sorted_whatever_the_insertion_order)
{
	ADD(1, "main", "zeta");
	ADD(2, "main", "alpha", "x");
	ADD(5, "init");
	ADD(7, "main", "alpha");
	cr_assert_str_eq(written(), "init 5\n"
				    "main;alpha 7\n"
				    "main;alpha;x 2\n"
				    "main;zeta 1\n");
}

Test(folded, separator_in_a_frame_name_becomes_colon)
{
	ADD(1, "main", "a;b", "c");
	cr_assert_str_eq(written(), "main;a:b;c 1\n");
}

Test(folded, control_characters_in_a_frame_name_become_question_marks)
{
	ADD(2, "main", "evil\n0 99999", "tab\there", "del\x7f", "esc\x1b[2J");
	cr_assert_str_eq(written(), "main;evil?0 99999;tab?here;del?;esc?[2J 2\n");
}

Test(folded, empty_profile_writes_nothing)
{
	cr_assert_str_eq(written(), "");
	cr_assert_eq(folded__total(f), 0);
}

Test(folded, many_adds_merge_into_few_lines)
{
	for (int i = 0; i < 3000; i++) {
		const char *leaf = i % 3 == 0 ? "c" : i % 3 == 1 ? "b" : "a";

		ADD(1, "main", leaf);
	}
	cr_assert_str_eq(written(), "main;a 1000\n"
				    "main;b 1000\n"
				    "main;c 1000\n");
	cr_assert_eq(folded__total(f), 3000);
}

Test(folded, large_counts_are_written_exactly)
{
	ADD(UINT64_MAX - 1, "main");
	ADD(1, "main");
	cr_assert_str_eq(written(), "main 18446744073709551615\n");
}
