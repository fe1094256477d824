// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The intern table: numbers in the order first seen, through growth, for any bytes. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "base/intern.h"

Test(intern, numbers_in_order_first_seen)
{
	struct intern t = {};

	cr_assert_eq(intern__id(&t, "", 0), 0);
	cr_assert_eq(intern__id(&t, "main", 4), 1);
	cr_assert_eq(intern__id(&t, "mai", 3), 2);
	cr_assert_eq(intern__id(&t, "main", 4), 1);
	cr_assert_eq(intern__id(&t, "", 0), 0);
	cr_assert_eq(t.n, 3);
	cr_assert_eq(memcmp(t.keys[2], "mai", 3), 0);
	intern__free(&t);
	cr_assert_eq(t.n, 0);
}

Test(intern, keeps_numbers_through_growth_and_binary_keys)
{
	struct intern t = {};
	uint64_t key[2];

	for (uint64_t i = 0; i < 5000; i++) {
		key[0] = i;
		key[1] = 0;	/* zero bytes inside a key are part of it */
		cr_assert_eq(intern__id(&t, key, sizeof(key)), (int64_t)i);
	}
	for (uint64_t i = 5000; i-- > 0;) {
		key[0] = i;
		key[1] = 0;
		cr_assert_eq(intern__id(&t, key, sizeof(key)), (int64_t)i);
	}
	cr_assert_eq(t.n, 5000);
	intern__free(&t);
}

Test(intern, find_adds_nothing)
{
	struct intern t = {};
	uint32_t key = 7;

	cr_assert_eq(intern__find(&t, &key, sizeof(key)), -ENOENT, "an empty table has nothing");
	for (key = 0; key < 3000; key += 2)
		cr_assert_eq(intern__id(&t, &key, sizeof(key)), key / 2);
	for (key = 0; key < 3000; key++)
		cr_assert_eq(intern__find(&t, &key, sizeof(key)), key % 2 ? -ENOENT : (int64_t)key / 2, "key %u", key);
	cr_assert_eq(t.n, 1500);
	intern__free(&t);
}
