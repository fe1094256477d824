/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Python frames merged into a native stack where the interpreter's eval loop runs (py-spy's native mode). */
#ifndef PYMERGE_H
#define PYMERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "agentprof.h"

/* One frame of a merged stack: native[index] or python[index]. */
struct merged_frame {
	uint32_t index;
	bool python;
};

/*
 * Merges a native stack (n frames, leaf first; is_eval[i]: frame i runs _PyEval_EvalFrameDefault)
 * with a thread's Python frames (npy, leaf first). The Python frames split into runs, each ending
 * at an entry frame: one per evaluation, innermost first. Each eval frame of the native stack,
 * from the leaf, is replaced by the next run; the runs left over (the native stack ended early)
 * go at the root side, so the Python chain stays whole and in order. Writes root first into out
 * (room for n + npy) and returns how many.
 */
size_t py_merge(const bool *is_eval, size_t n, const struct py_frame *py, size_t npy, struct merged_frame *out);

#endif /* PYMERGE_H */
