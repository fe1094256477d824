// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Growing arrays, one way everywhere: doubling, so that n appends cost O(n) copies in all. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "base/vec.h"

#define VEC_MIN 8

size_t vec__implied_cap(size_t n)
{
	size_t cap = VEC_MIN;

	while (cap < n)
		cap *= 2;
	return cap;
}

void *vec__reserve(void *arr, size_t *cap, size_t need, size_t elem)
{
	size_t want = *cap ? *cap : VEC_MIN;
	void *v;

	if (need <= *cap)
		return arr;
	if (!elem || need > SIZE_MAX / 2 / elem)	/* doubling past it would overflow */
		return NULL;
	while (want < need)
		want *= 2;
	v = realloc(arr, want * elem);
	if (v)
		*cap = want;
	return v;
}

void *vec__reserve_zeroed(void *arr, size_t *cap, size_t need, size_t elem)
{
	size_t old = *cap;
	char *v = vec__reserve(arr, cap, need, elem);

	if (v && *cap > old)
		memset(v + old * elem, 0, (*cap - old) * elem);
	return v;
}
