// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Growing arrays: with a capacity field or without, every element kept, copies bounded. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include "base/vec.h"

Test(vec, grows_by_doubling_and_keeps_every_element)
{
	uint32_t *v = NULL;
	size_t n = 0, cap = 0, grown = 0, last_cap = 0;

	for (uint32_t i = 0; i < 100000; i++) {
		cr_assert_eq(VEC_GROW(v, n, cap), 0);
		cr_assert_gt(cap, n);
		grown += cap != last_cap;
		last_cap = cap;
		v[n++] = i;
	}
	for (uint32_t i = 0; i < n; i++)
		cr_assert_eq(v[i], i);
	cr_assert_leq(grown, 15, "%zu reallocations for 100000 appends", grown);
	free(v);
}

Test(vec, without_a_capacity_field)
{
	uint64_t *v = NULL;
	size_t n = 0;

	for (uint64_t i = 0; i < 5000; i++) {
		cr_assert_eq(VEC_GROW_N(v, n), 0);
		v[n++] = i * 3;
		cr_assert_geq(vec__implied_cap(n), n);
	}
	/* emptied and filled again: the implied capacity never exceeds what was allocated */
	n = 3;
	for (uint64_t i = 3; i < 5000; i++) {
		cr_assert_eq(VEC_GROW_N(v, n), 0);
		v[n++] = i * 3;
	}
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(v[i], i * 3);
	free(v);
}

Test(vec, refuses_a_size_that_overflows)
{
	char *v = malloc(8);
	size_t cap = 8;

	cr_assert_null(vec__reserve(v, &cap, SIZE_MAX / 2, 4));
	cr_assert_null(vec__reserve(v, &cap, SIZE_MAX, 1), "no endless doubling");
	cr_assert_eq(cap, 8, "capacity untouched when the array could not grow");
	free(v);
}

Test(vec, implied_capacities)
{
	cr_assert_eq(vec__implied_cap(0), 8);
	cr_assert_eq(vec__implied_cap(8), 8);
	cr_assert_eq(vec__implied_cap(9), 16);
	cr_assert_eq(vec__implied_cap(1000), 1024);
}

Test(vec, a_table_grown_to_an_index_reads_zero_where_nothing_was_set)
{
	uint32_t *v = NULL;
	size_t cap = 0;

	v = vec__reserve_zeroed(v, &cap, 3, sizeof(*v));
	cr_assert_not_null(v);
	v[2] = 7;
	v = vec__reserve_zeroed(v, &cap, 1000, sizeof(*v));
	cr_assert_not_null(v);
	cr_assert_geq(cap, 1000);
	cr_assert_eq(v[2], 7);
	for (size_t i = 0; i < cap; i++)
		if (i != 2)
			cr_assert_eq(v[i], 0, "v[%zu] = %u", i, v[i]);
	cr_assert_eq(vec__reserve_zeroed(v, &cap, 10, sizeof(*v)), v, "no growth when it fits");
	free(v);
}
