// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Python frames merged into a native stack where the interpreter's eval loop runs (py-spy's native mode). */
#include "python/pymerge.h"

/* The end (exclusive) of the run of Python frames that starts at from. */
static size_t run_end(const struct py_frame *py, size_t npy, size_t from)
{
	while (from < npy && !(py[from++].flags & PY_FRAME_ENTRY))
		;
	return from;
}

size_t py_merge(const bool *is_eval, size_t n, const struct py_frame *py, size_t npy, struct merged_frame *out)
{
	size_t w = 0, next = 0;	/* out is filled leaf first, then reversed */

	for (size_t i = 0; i < n; i++) {
		if (!is_eval[i] || next >= npy) {
			out[w++] = (struct merged_frame){ i, false };
			continue;
		}
		for (size_t end = run_end(py, npy, next); next < end; next++)
			out[w++] = (struct merged_frame){ next, true };
	}
	while (next < npy)	/* the native stack ended before the Python one did */
		out[w++] = (struct merged_frame){ next++, true };
	for (size_t i = 0; i < w / 2; i++) {
		struct merged_frame t = out[i];

		out[i] = out[w - 1 - i];
		out[w - 1 - i] = t;
	}
	return w;
}
