/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A target's CPython interpreter: found in its mappings, and its code objects read by name and line. */
#ifndef PYINTERP_H
#define PYINTERP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>
#include "agentprof.h"

struct proc_maps;
struct py_interp;

/*
 * Finds a CPython 3.11-3.13 interpreter (a file named python* or libpython* with _PyRuntime and
 * _PyEval_EvalFrameDefault) among maps, files opened through root (/proc/PID/root). NULL and
 * errno: ENOENT when there is none, ENOTSUP for another version (said once, on stderr; its
 * PY_VERSION_HEX in *unsupported when not NULL, 0 for one older than 3.11).
 */
struct py_interp *py_interp__open(pid_t pid, const char *root, const struct proc_maps *maps, uint32_t *unsupported);
void py_interp__free(struct py_interp *p);
/* What the BPF side needs, with _PyRuntime's address. */
const struct py_config *py_interp__config(const struct py_interp *p);
/* PY_VERSION_HEX of the interpreter. */
uint32_t py_interp__version(const struct py_interp *p);
/* Whether a code address (a call site or the leaf) lies in _PyEval_EvalFrameDefault. */
bool py_interp__is_eval(const struct py_interp *p, uint64_t addr);
/*
 * Reads the code objects of the frames not seen before (once each, kept for the recording): call
 * it while the target lives, names are asked for later.
 */
void py_interp__read_codes(struct py_interp *p, const struct py_frame *frames, size_t n);
/*
 * A Python frame's name: "qualname (file.py:line)", "qualname (file.py)" without lines, or
 * "[unknown python code]" where the code object could not be read.
 */
void py_interp__frame_name(struct py_interp *p, const struct py_frame *f, bool lines, char *buf, size_t len);

#endif /* PYINTERP_H */
