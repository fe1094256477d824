/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Where V8 keeps what a profiler reads, from the post-mortem metadata a node binary exports (v8dbg_*). */
#ifndef V8OFFSETS_H
#define V8OFFSETS_H

#include <stdint.h>
#include <linux/types.h>
#include "agentprof.h"

struct v8_offsets {
	struct v8_config bpf;		/* what the BPF side walks */
	uint16_t heap_map;		/* HeapObject.map; Map.instance_type (a uint16) */
	uint16_t map_type;
	uint16_t type_sfi, type_scope_info, type_script, first_nonstring;
	uint16_t sfi_name, sfi_script;	/* SharedFunctionInfo.name_or_scope_info, .script_or_debug_info */
	uint16_t script_name, script_source;
	uint16_t string_length, seq_one_chars, seq_two_chars, cons_first, cons_second, thin_actual;
	uint16_t repr_mask, encoding_mask, one_byte_tag, seq_tag, cons_tag, thin_tag;
	uint16_t scope_first_vars, scope_ncontext_locals;	/* ScopeInfo slot indices */
};

/* Looks up a v8dbg_ symbol's value (an int in the binary): 0, or -ENOENT when there is none. */
typedef int (*v8_sym_fn)(const char *name, int32_t *value, void *ctx);

/*
 * The offsets from the metadata: 0, or -ENOTSUP when a symbol is missing or a value is out of
 * the range a walker can use (a V8 whose layout this does not know).
 */
int v8_offsets__parse(v8_sym_fn lookup, void *ctx, struct v8_offsets *out);

#endif /* V8OFFSETS_H */
