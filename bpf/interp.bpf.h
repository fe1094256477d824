/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A thread's interpreter frames, whichever runtime its process runs (CPython: python.bpf.h, Ruby:
 * ruby.bpf.h, V8: v8.bpf.h): all store theirs in `py_stacks`, and a process is found in one config map at most.
 */
#ifndef INTERP_BPF_H
#define INTERP_BPF_H

#include "python.bpf.h"
#include "ruby.bpf.h"
#include "v8.bpf.h"

/* Thread tid's (of process tgid) interpreter frames: their id in py_stacks, 0 when it has none. */
static __always_inline __u32 interp_stack_id_of(__u32 slot, __u32 tgid, __u32 tid, struct task_struct *task)
{
	return py_stack_id_of(slot, tgid, tid, task) ?: rb_stack_id_of(slot, tgid, tid, task) ?:
	       v8_stack_id_of(slot, tgid, tid, task);
}

/* The current thread's interpreter frames. */
static __always_inline __u32 interp_stack_id(__u32 slot)
{
	__u64 id = bpf_get_current_pid_tgid();

	return interp_stack_id_of(slot, id >> 32, (__u32)id, NULL);
}

#endif /* INTERP_BPF_H */
