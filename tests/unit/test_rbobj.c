// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of rbobj.c: strings and arrays laid out as Ruby 3.1 lays them out (embedded and on the
 * heap), hostile ones refused; the succinct line index built as iseq.c's succ_index_table_create
 * builds it, and its ranks checked against counting.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ruby/rbobj.h"

static void put64(uint8_t *b, size_t off, uint64_t v)
{
	memcpy(b + off, &v, sizeof(v));
}

Test(rbobj, embedded_and_heap_strings)
{
	uint8_t head[RB_RSTRING_HEAD] = { 0 };
	struct rb_str_loc loc;

	put64(head, 0, RB_T_STRING | (5ull << 14));
	memcpy(head + 16, "probe", 5);
	cr_assert_eq(rb_str_loc(head, &loc), 0);
	cr_expect(loc.embedded);
	cr_expect_eq(loc.off, 16);
	cr_expect_eq(loc.len, 5);
	put64(head, 0, RB_T_STRING | RB_FL_USER1);
	put64(head, 16, 300);
	put64(head, 24, 0x7f0000001000);
	cr_assert_eq(rb_str_loc(head, &loc), 0);
	cr_expect_not(loc.embedded);
	cr_expect_eq(loc.len, 300);
	cr_expect_eq(loc.ptr, 0x7f0000001000);
}

Test(rbobj, what_is_no_string_is_refused)
{
	uint8_t head[RB_RSTRING_HEAD] = { 0 };
	struct rb_str_loc loc;

	put64(head, 0, RB_T_ARRAY);
	cr_expect_eq(rb_str_loc(head, &loc), -EINVAL);
	put64(head, 0, RB_T_STRING | (31ull << 14));	/* more than the 23 bytes an embedded string holds */
	cr_expect_eq(rb_str_loc(head, &loc), -EINVAL);
	put64(head, 0, RB_T_STRING | RB_FL_USER1);	/* on the heap at NULL */
	cr_expect_eq(rb_str_loc(head, &loc), -EINVAL);
}

Test(rbobj, an_arrays_first_element)
{
	uint8_t head[RB_RARRAY_HEAD] = { 0 };
	uint64_t elem, ptr;

	put64(head, 0, RB_T_ARRAY | RB_FL_USER1 | (2ull << 15));	/* embedded [path, realpath] */
	put64(head, 16, 0x1000);
	cr_assert_eq(rb_array_first(head, &elem, &ptr), 0);
	cr_expect_eq(elem, 0x1000);
	cr_expect_eq(ptr, 0);
	put64(head, 0, RB_T_ARRAY);	/* on the heap */
	put64(head, 16, 2);
	put64(head, 32, 0x2000);
	cr_assert_eq(rb_array_first(head, &elem, &ptr), 0);
	cr_expect_eq(ptr, 0x2000);
	put64(head, 16, 0);	/* empty */
	cr_expect_eq(rb_array_first(head, &elem, &ptr), -EINVAL);
	put64(head, 0, RB_T_ARRAY | RB_FL_USER1);	/* embedded, empty */
	cr_expect_eq(rb_array_first(head, &elem, &ptr), -EINVAL);
	put64(head, 0, RB_T_STRING);
	cr_expect_eq(rb_array_first(head, &elem, &ptr), -EINVAL);
}

/* iseq.c's succ_index_table_create, for positions data[0..n) (increasing) of an iseq of max_pos. */
static uint8_t *succ_table(const int *data, int n, int max_pos, size_t *len)
{
	int imm_size = (max_pos < 54 ? max_pos + 8 : 54) / 9, succ_size = (max_pos < 54 ? 0 : max_pos - 54 + 511) / 512;
	uint8_t *t;
	int r = 0;

	*len = rb_succ_table_size(max_pos);
	cr_assert_eq(*len, 48 + 80 * (size_t)succ_size);
	t = calloc(1, *len);
	for (int j = 0; j < imm_size; j++) {
		uint64_t v = 0;

		for (int i = 0; i < 9; i++) {
			if (r < n && data[r] == j * 9 + i)
				r++;
			v |= (uint64_t)r << (7 * i);
		}
		put64(t, j * 8, v);
	}
	for (int k = 0; k < succ_size; k++) {
		uint8_t *b = t + 48 + k * 80;
		uint64_t small = 0;
		int small_rank = 0;

		memcpy(b, &r, sizeof(r));
		for (int j = 0; j < 8; j++) {
			uint64_t bits = 0;

			if (j)
				small |= (uint64_t)small_rank << (9 * (j - 1));
			for (int i = 0; i < 64; i++)
				if (r < n && data[r] == k * 512 + j * 64 + i + 54) {
					bits |= 1ull << i;
					r++;
				}
			put64(b, 16 + j * 8, bits);
			small_rank += __builtin_popcountll(bits);
		}
		put64(b, 8, small);
	}
	return t;
}

Test(rbobj, succinct_ranks_count_the_entries_up_to_a_position)
{
	enum { MAX = 1400 };
	int data[MAX], n = 0;
	size_t len;
	uint8_t *t;

	/* entries at irregular positions, past the immediate part and across blocks */
	for (int p = 0; p < MAX; p += 1 + (p * 7919 % 13))
		data[n++] = p;
	t = succ_table(data, n, MAX, &len);
	for (int pos = 0, rank = 0; pos < MAX; pos++) {
		while (rank < n && data[rank] <= pos)
			rank++;
		cr_assert_eq(rb_succ_rank(t, len, pos), rank, "position %d", pos);
	}
	cr_expect_eq(rb_succ_rank(t, len, MAX + 600), -1);	/* beyond the table read */
	cr_expect_eq(rb_succ_rank(t, 40, 3), -1);
	free(t);
}

Test(rbobj, a_small_iseq_has_only_the_immediate_part)
{
	int data[] = { 0, 2, 5, 11 };
	size_t len;
	uint8_t *t = succ_table(data, 4, 14, &len);

	cr_expect_eq(rb_succ_rank(t, len, 0), 1);
	cr_expect_eq(rb_succ_rank(t, len, 4), 2);
	cr_expect_eq(rb_succ_rank(t, len, 5), 3);
	cr_expect_eq(rb_succ_rank(t, len, 13), 4);
	free(t);
}
