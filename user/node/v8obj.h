/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Decoders of V8 object contents read from a target (untrusted bytes): ScopeInfo slots, source lines, script names. */
#ifndef V8OBJ_H
#define V8OBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A Smi (64-bit, no pointer compression): its value in the upper 32 bits, the lower all zero. */
static inline bool v8_is_smi(uint64_t v)
{
	return !(v & 0xffffffffull);
}

static inline int32_t v8_smi(uint64_t v)
{
	return (int32_t)(v >> 32);
}

/* What a ScopeInfo's slots say of its function (before V8 12.8, whose layout is fixed-slot). */
struct v8_scope {
	int name_slot;			/* the first heap object after the context locals: the name; -1: none */
	int32_t start, end;		/* source positions of the function; 0, 0: not found */
};

/*
 * Reads n slots of a ScopeInfo (after its map): the context locals' count at slot ncl_index,
 * their names and infos from slot first_vars on; then the function's name and its start and end
 * position, a pair of Smis. is_string tells whether a heap object slot is a string. Returns 0, or
 * -EINVAL when the counts point outside the slots.
 */
int v8_scope_parse(const uint64_t *slots, size_t n, unsigned int first_vars, unsigned int ncl_index,
		   bool (*is_string)(uint64_t tagged, void *ctx), void *ctx, struct v8_scope *out);

/* The 1-based line of source position pos in src (len bytes, the script's first ones). */
uint32_t v8_line_of(const char *src, size_t len, uint32_t pos);

/* The file name of a script's name or URL ("file:///srv/agent.mjs" -> "agent.mjs"), in place. */
const char *v8_script_base(const char *name);

#endif /* V8OBJ_H */
