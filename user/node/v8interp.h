/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A target's V8 (Node): found in its mappings by its post-mortem metadata, and its functions read by name, script and line. */
#ifndef V8INTERP_H
#define V8INTERP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>
#include "agentprof.h"

struct proc_maps;
struct v8_interp;

#define V8_VERSION(major, minor) ((uint32_t)(major) << 16 | (uint32_t)(minor))

/*
 * Finds V8 (a file named node* or libnode* exporting v8dbg_off_fp_function) among maps, files
 * opened through root (/proc/PID/root). NULL and errno: ENOENT when there is none, ENOTSUP for a
 * V8 whose metadata or version this does not read (its version in *unsupported, when not NULL:
 * V8_VERSION(), 0 when unreadable).
 */
struct v8_interp *v8_interp__open(pid_t pid, const char *root, const struct proc_maps *maps, uint32_t *unsupported);
void v8_interp__free(struct v8_interp *v);
/* What the BPF side needs. */
const struct v8_config *v8_interp__config(const struct v8_interp *v);
/* V8_VERSION() of the V8. */
uint32_t v8_interp__version(const struct v8_interp *v);
/* Reads the functions of the frames not seen before (once each, kept for the recording). */
void v8_interp__read_functions(struct v8_interp *v, const struct py_frame *frames, size_t n);
/* Whether a frame's code is a function (the BPF side takes a native frame for one now and then). */
bool v8_interp__is_function(struct v8_interp *v, const struct py_frame *f);
/* Whether a frame's function has a script: not one of V8's builtins (Promise closures, Array.prototype.map). */
bool v8_interp__has_script(struct v8_interp *v, const struct py_frame *f);
/*
 * A JavaScript frame's name: "JS:name (file.mjs:line)" (the line the function starts at),
 * "JS:name (file.mjs)" without lines, "[unknown js code]" where its function could not be read.
 */
void v8_interp__frame_name(struct v8_interp *v, const struct py_frame *f, bool lines, char *buf, size_t len);

#endif /* V8INTERP_H */
