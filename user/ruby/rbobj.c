// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Decoders of Ruby VM objects read from a target: its memory may be anything, so every length is
 * checked against the bytes actually read. Layouts of Ruby 3.1 (include/ruby/internal/core/rstring.h,
 * rarray.h; iseq.c's succinct bit vector, VM_INSN_INFO_TABLE_IMPL 2).
 */
#include <errno.h>
#include <string.h>
#include "ruby/rbobj.h"

#define EMBED_LEN_SHIFT	14		/* RSTRING_EMBED_LEN_SHIFT: FL_USHIFT + 2 */
#define EMBED_LEN_MASK	0x1f
#define EMBED_MAX	24		/* bytes of as.embed.ary */
#define ARRAY_EMBED_LEN_SHIFT 15	/* RARRAY_EMBED_LEN_SHIFT: FL_USHIFT + 3 */
#define ARRAY_EMBED_LEN_MASK 0x3
#define IMM_POSITIONS	54		/* IMMEDIATE_TABLE_SIZE: positions ranked 7 bits each, 9 a word */
#define IMM_BYTES	(IMM_POSITIONS / 9 * 8)
#define BLOCK_BYTES	80		/* struct succ_dict_block: rank, small ranks, 512 bits */

static uint64_t u64_at(const uint8_t *b, size_t off)
{
	uint64_t v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

int rb_str_loc(const uint8_t *head, struct rb_str_loc *out)
{
	uint64_t flags = u64_at(head, 0);

	if ((flags & RB_T_MASK) != RB_T_STRING)
		return -EINVAL;
	if (!(flags & RB_FL_USER1)) {
		*out = (struct rb_str_loc){ .embedded = true, .off = 16,
					    .len = (flags >> EMBED_LEN_SHIFT) & EMBED_LEN_MASK };
		if (out->len >= EMBED_MAX)
			return -EINVAL;
		return 0;
	}
	*out = (struct rb_str_loc){ .ptr = u64_at(head, 24), .len = u64_at(head, 16) };
	return out->ptr ? 0 : -EINVAL;
}

int rb_array_first(const uint8_t *head, uint64_t *elem, uint64_t *ptr)
{
	uint64_t flags = u64_at(head, 0);

	if ((flags & RB_T_MASK) != RB_T_ARRAY)
		return -EINVAL;
	*elem = *ptr = 0;
	if (flags & RB_FL_USER1) {
		if (!((flags >> ARRAY_EMBED_LEN_SHIFT) & ARRAY_EMBED_LEN_MASK))
			return -EINVAL;
		*elem = u64_at(head, 16);
		return 0;
	}
	if (!u64_at(head, 16) || !(*ptr = u64_at(head, 32)))
		return -EINVAL;
	return 0;
}

size_t rb_succ_table_size(uint32_t size)
{
	return IMM_BYTES + (size < IMM_POSITIONS ? 0 : (size - IMM_POSITIONS + 511) / 512) * BLOCK_BYTES;
}

long rb_succ_rank(const uint8_t *table, size_t len, uint32_t pos)
{
	const uint8_t *block;
	uint32_t bit, small;
	uint64_t bits, rank;

	if (pos < IMM_POSITIONS) {
		if (len < IMM_BYTES)
			return -1;
		return (u64_at(table, pos / 9 * 8) >> (pos % 9 * 7)) & 0x7f;
	}
	pos -= IMM_POSITIONS;
	if ((size_t)IMM_BYTES + (pos / 512 + 1) * BLOCK_BYTES > len)
		return -1;
	block = table + IMM_BYTES + pos / 512 * BLOCK_BYTES;
	bit = pos % 512;
	small = bit / 64;
	memcpy(&rank, block, sizeof(rank));	/* unsigned int rank, then padding */
	rank &= 0xffffffff;
	if (small)
		rank += (u64_at(block, 8) >> ((small - 1) * 9)) & 0x1ff;
	bits = u64_at(block, 16 + small * 8) << (63 - bit % 64);
	return rank + __builtin_popcountll(bits);
}
