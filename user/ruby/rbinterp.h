/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A target's Ruby VM: found in its mappings, its version checked, and its iseqs read by name, file and line. */
#ifndef RBINTERP_H
#define RBINTERP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>
#include "agentprof.h"

struct proc_maps;
struct rb_interp;

/*
 * Finds a Ruby VM (a file named libruby* or ruby* with ruby_current_vm_ptr, ruby_version and
 * rb_vm_exec) among maps, files opened through root (/proc/PID/root). NULL and errno: ENOENT when
 * there is none, ENOTSUP for a version the offsets table does not know (its version in
 * *unsupported, when not NULL: RB_VERSION(), 0 when unreadable).
 */
struct rb_interp *rb_interp__open(pid_t pid, const char *root, const struct proc_maps *maps, uint32_t *unsupported);
void rb_interp__free(struct rb_interp *r);
/* What the BPF side needs, with ruby_current_vm_ptr's address. */
const struct rb_config *rb_interp__config(const struct rb_interp *r);
/* RB_VERSION() of the VM. */
uint32_t rb_interp__version(const struct rb_interp *r);
/*
 * Whether native frame i of a stack (leaf first; addrs: the call sites, caller: frame i + 1's, 0
 * for none) runs Ruby code: the function rb_vm_exec calls (vm_exec_core, not exported) is.
 */
bool rb_interp__is_eval(const struct rb_interp *r, uint64_t caller);
/* Reads the iseqs of the frames not seen before (once each, kept for the recording). */
void rb_interp__read_iseqs(struct rb_interp *r, const struct py_frame *frames, size_t n);
/*
 * A Ruby frame's name: "label (file.rb:line)", "label (file.rb)" without lines, or
 * "[unknown ruby code]" where the iseq could not be read.
 */
void rb_interp__frame_name(struct rb_interp *r, const struct py_frame *f, bool lines, char *buf, size_t len);

#endif /* RBINTERP_H */
