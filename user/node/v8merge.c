// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * JavaScript frames merged into a native stack. The native unwinders (frame pointers in the
 * kernel, DWARF here) and the BPF walker follow the same frame-pointer chain through V8's
 * frames, so each JavaScript frame carries the pc it was found at, and replaces the native frame
 * at that pc (a JIT address with no symbol, or an interpreter trampoline) where it stands; the
 * leaf's pc is not stored (0: native frame 0), else every sample would be a stack of its own. Unlike
 * CPython's merge, no native function has to be known as the evaluator.
 */
#include "node/v8merge.h"

size_t v8_merge(const uint64_t *pcs, size_t n, const struct py_frame *js, size_t njs, int32_t *js_at)
{
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		js_at[i] = -1;
		if (j < njs && (i ? (uint32_t)pcs[i] == js[j].instr : !js[j].instr))
			js_at[i] = (int32_t)j++;
	}
	return j;
}
