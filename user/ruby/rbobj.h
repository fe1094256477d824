/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Decoders of Ruby VM object contents read from a target (untrusted bytes): strings, line tables. */
#ifndef RBOBJ_H
#define RBOBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RB_T_MASK	0x1f
#define RB_T_STRING	0x05
#define RB_T_ARRAY	0x07
#define RB_FL_USER1	(1u << 13)	/* RString: not embedded (NOEMBED); RArray: embedded */
#define RB_RSTRING_HEAD	40		/* flags, klass, and the heap's len, ptr (or 24 embedded bytes) */
#define RB_RARRAY_HEAD	40		/* flags, klass, and the heap's len, aux, ptr (or 3 embedded VALUEs) */

/* Where a String's bytes are: in head (embedded) or at ptr in the target. */
struct rb_str_loc {
	bool embedded;
	size_t off;		/* embedded: the bytes' offset in head */
	uint64_t ptr;		/* heap: their address */
	size_t len;
};

/* A String's bytes from its first RB_RSTRING_HEAD bytes (Ruby 3.1, no variable-width objects): 0 or -EINVAL. */
int rb_str_loc(const uint8_t *head, struct rb_str_loc *out);
/*
 * The first element of an Array (an iseq's pathobj [path, realpath]) from its first
 * RB_RARRAY_HEAD bytes: 0 and *elem (heap: the address of its elements in *ptr, elem 0), -EINVAL.
 */
int rb_array_first(const uint8_t *head, uint64_t *elem, uint64_t *ptr);
/*
 * The index (1-based) of the instruction-info entry of instruction position pos in an iseq's
 * succinct index table (iseq.c's succ_index_table: table, len bytes of it): the number of
 * entries that start at or before pos. -1 when pos lies beyond the bytes given.
 */
long rb_succ_rank(const uint8_t *table, size_t len, uint32_t pos);
/* Bytes of a succinct index table for an iseq of size VALUEs. */
size_t rb_succ_table_size(uint32_t size);

#endif /* RBOBJ_H */
