/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Growing arrays, one way everywhere: doubling, so that n appends cost O(n) copies in all. */
#ifndef VEC_H
#define VEC_H

#include <errno.h>
#include <stddef.h>

/* arr with room for need elements of elem bytes (*cap updated), or NULL with arr untouched. */
void *vec__reserve(void *arr, size_t *cap, size_t need, size_t elem);
/* The same, the new room zeroed: for tables indexed by a number that grows (need: index + 1). */
void *vec__reserve_zeroed(void *arr, size_t *cap, size_t need, size_t elem);
/* The capacity an array grown only by VEC_GROW_N has at n elements: at least n, a power of two. */
size_t vec__implied_cap(size_t n);

/* Room for arr[n] (one more element), arr growing by doubling. 0 or -ENOMEM, arr kept. */
#define VEC_GROW(arr, n, cap)                                                                \
	({                                                                                   \
		void *__v = (n) < (cap) ? (void *)(arr)                                      \
					: vec__reserve((arr), &(cap), (n) + 1, sizeof(*(arr))); \
		if (__v)                                                                     \
			(arr) = __v;                                                         \
		__v ? 0 : -ENOMEM;                                                           \
	})

/* The same for an array with no capacity field, grown only through here. 0 or -ENOMEM. */
#define VEC_GROW_N(arr, n)                                                                   \
	({                                                                                   \
		size_t __cap = (arr) ? vec__implied_cap(n) : 0;                              \
		VEC_GROW(arr, n, __cap);                                                     \
	})

#endif /* VEC_H */
