/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* JavaScript frames merged into a native stack: each replaces the native frame whose pc it was walked at. */
#ifndef V8MERGE_H
#define V8MERGE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "agentprof.h"

/*
 * Matches a thread's JavaScript frames (js, njs, leaf first; instr: the low 32 bits of the pc
 * each ran at, 0 for the leaf frame's) to the native stack (pcs, n, leaf first) in order: js_at[i] is the JavaScript
 * frame that replaces native frame i, -1 for none. Returns how many matched: js[0..m) did, the
 * ones after (the native stack ended early) go at the root side, in their order.
 */
size_t v8_merge(const uint64_t *pcs, size_t n, const struct py_frame *js, size_t njs, int32_t *js_at);

#endif /* V8MERGE_H */
