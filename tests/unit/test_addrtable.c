// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The address table: each address found again, with its entry, through growth. */
#include <criterion/criterion.h>
#include "base/addrtable.h"

struct entry {
	uint64_t addr;
	int value;
};

/* Many addresses, 16 apart as objects are: each found again with its value, across growth. */
Test(addrtable, finds_each_address_again_across_growth)
{
	struct addr_table t = ADDR_TABLE_OF(struct entry);
	size_t seen = 0;
	bool added;

	for (int i = 0; i < 5000; i++) {
		struct entry *e = addr_table__get(&t, 0x7f0000001000ull + 16 * i, &added);

		cr_assert(e && added && e->value == 0);
		e->value = i + 1;
	}
	for (int i = 0; i < 5000; i++) {
		struct entry *e = addr_table__get(&t, 0x7f0000001000ull + 16 * i, &added);

		cr_assert(e && !added && e->value == i + 1, "address %d", i);
	}
	cr_assert_eq(t.n, 5000);
	cr_assert_geq(t.cap, 2 * t.n, "at most half full");
	for (size_t i = 0; i < t.cap; i++)
		seen += addr_table__slot(&t, i) != NULL;
	cr_assert_eq(seen, 5000);
	addr_table__free(&t);
	cr_assert_eq(t.n, 0);
}
