// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Entries found by a nonzero address, by hash: what an interpreter's frames name, read once each. */
#include <stdlib.h>
#include <string.h>
#include "base/addrtable.h"

static uint64_t addr_at(const char *entry)
{
	uint64_t a;

	memcpy(&a, entry, sizeof(a));
	return a;
}

/* Objects are 16-byte aligned: the low bits say nothing. */
static size_t slot_of(uint64_t addr, size_t cap)
{
	return (addr >> 4) * 0x9e3779b97f4a7c15ull >> 7 & (cap - 1);
}

static int grow(struct addr_table *t)
{
	size_t cap = t->cap ? 2 * t->cap : 256, i;
	char *v = calloc(cap, t->size);

	if (!v)
		return -1;
	for (size_t k = 0; k < t->cap; k++) {
		const char *e = t->v + k * t->size;

		if (!addr_at(e))
			continue;
		for (i = slot_of(addr_at(e), cap); addr_at(v + i * t->size); i = (i + 1) & (cap - 1))
			;
		memcpy(v + i * t->size, e, t->size);
	}
	free(t->v);
	t->v = v;
	t->cap = cap;
	return 0;
}

void *addr_table__get(struct addr_table *t, uint64_t addr, bool *added)
{
	char *e;
	size_t i;

	*added = false;
	if (2 * (t->n + 1) > t->cap && grow(t))
		return NULL;
	for (i = slot_of(addr, t->cap); addr_at(e = t->v + i * t->size); i = (i + 1) & (t->cap - 1))
		if (addr_at(e) == addr)
			return e;
	memcpy(e, &addr, sizeof(addr));
	t->n++;
	*added = true;
	return e;
}

void *addr_table__slot(const struct addr_table *t, size_t i)
{
	char *e = t->v + i * t->size;

	return addr_at(e) ? e : NULL;
}

void addr_table__free(struct addr_table *t)
{
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}
