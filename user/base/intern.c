// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Distinct byte strings numbered from 0 in the order first seen: the tables of pprof and speedscope. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "base/intern.h"
#include "base/vec.h"

/* FNV-1a, eight bytes at a step (numeric keys are words), the high bits folded into the low */
static uint64_t hash(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 0xcbf29ce484222325ull ^ len, w;

	for (; len >= sizeof(w); p += sizeof(w), len -= sizeof(w)) {
		memcpy(&w, p, sizeof(w));
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 32;
	}
	for (; len; p++, len--)
		h = (h ^ *p) * 0x100000001b3ull;
	return h ^ (h >> 29);
}

void intern__free(struct intern *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->keys[i]);
	free(t->keys);
	free(t->lens);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

static uint32_t *slot_of(const struct intern *t, const void *key, size_t len)
{
	size_t i = hash(key, len) & (t->nslots - 1);

	for (;; i = (i + 1) & (t->nslots - 1)) {
		uint32_t id = t->slots[i];

		if (!id || (t->lens[id - 1] == len && !memcmp(t->keys[id - 1], key, len)))
			return &t->slots[i];
	}
}

static int grow(struct intern *t)
{
	size_t nslots = t->nslots ? t->nslots * 2 : 1024;
	uint32_t *old = t->slots;
	size_t nold = t->nslots;

	t->slots = calloc(nslots, sizeof(*t->slots));
	if (!t->slots) {
		t->slots = old;
		return -ENOMEM;
	}
	t->nslots = nslots;
	for (size_t i = 0; i < nold; i++)
		if (old[i])
			*slot_of(t, t->keys[old[i] - 1], t->lens[old[i] - 1]) = old[i];
	free(old);
	return 0;
}

int64_t intern__find(const struct intern *t, const void *key, size_t len)
{
	uint32_t id = t->nslots ? *slot_of(t, key, len) : 0;

	return id ? (int64_t)id - 1 : -ENOENT;
}

int64_t intern__id(struct intern *t, const void *key, size_t len)
{
	uint32_t *slot;

	if (2 * (t->n + 1) > t->nslots && grow(t))
		return -ENOMEM;
	slot = slot_of(t, key, len);
	if (*slot)
		return *slot - 1;
	if (t->n == t->cap) {
		size_t cap = t->cap;	/* the two arrays grow together */

		if (VEC_GROW(t->keys, t->n, cap) || VEC_GROW(t->lens, t->n, t->cap))
			return -ENOMEM;
	}
	t->keys[t->n] = malloc(len ? len : 1);
	if (!t->keys[t->n])
		return -ENOMEM;
	memcpy(t->keys[t->n], key, len);
	t->lens[t->n] = len;
	*slot = ++t->n;
	return t->n - 1;
}
