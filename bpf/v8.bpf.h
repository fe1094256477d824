/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * JavaScript frames of a V8 thread (Node), walked where its stacks are taken, as CPython's are
 * (python.bpf.h, whose stack store and scratch they share): V8 keeps a frame-pointer chain through
 * its interpreted, baseline and optimized frames, so the walk follows rbp from the thread's user
 * registers; a frame whose context slot holds a heap object (not a frame-type Smi) is a
 * JavaScript frame, and its JSFunction, at a fixed offset from the frame pointer, names its
 * SharedFunctionInfo. Native frames without frame pointers above the leaf (glibc's) end the walk
 * where their rbp is not a frame. Three reads per frame, one more for the function; userspace
 * checks every SharedFunctionInfo it is given (the target's memory is untrusted).
 */
#ifndef V8_BPF_H
#define V8_BPF_H

#include "maps.bpf.h"
#include "python.bpf.h"

/* Set by the loader when some process of the recording may run Node: else all this is pruned. */
const volatile bool v8_frames __weak = false;

#define V8_WALK_STEPS		(2 * PY_MAX_FRAMES)	/* frames, native and typed ones among them */

/* Where each Node process of the recording keeps its frames (user/node/v8interp.c). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);			/* tgid */
	__type(value, struct v8_config);
	__uint(max_entries, PY_MAX_PROCS);
} v8_procs SEC(".maps") __weak;

struct v8_walk {
	__u64 fp, pc;		/* the frame to read and the return address it runs at (0: the leaf) */
	__u64 hash;
	struct py_scratch *sc;
	const struct v8_config *cfg;
	struct task_struct *task;	/* NULL: the current thread */
};

/* One frame of the walk; 1 stops it. task: whether w->task is set (a constant). */
static __always_inline long v8_walk_step(struct v8_walk *w, bool task)
{
	const struct v8_config *cfg = w->cfg;
	struct py_stack *st = &w->sc->st;
	__u64 link[2], fn, ctx, shared;
	struct py_frame *f;

	if (!w->fp || py_read(link, sizeof(link), w->fp, task ? w->task : NULL))
		return 1;	/* link[0]: the caller's fp, link[1]: the return address */
	ctx = py_read_ptr(w->fp + cfg->fp_context, task ? w->task : NULL);
	fn = ctx & V8_HEAP_TAG ? py_read_ptr(w->fp + cfg->fp_function, task ? w->task : NULL) : 0;
	shared = fn & V8_HEAP_TAG ? py_read_ptr(fn - V8_HEAP_TAG + cfg->function_shared, task ? w->task : NULL) : 0;
	if (shared & V8_HEAP_TAG) {
		if (st->nframes >= PY_MAX_FRAMES) {
			st->flags |= PY_STACK_TRUNCATED;
			return 1;
		}
		f = &st->frames[st->nframes & (PY_MAX_FRAMES - 1)];
		f->code = shared;
		f->instr = (__u32)w->pc;
		f->flags = 0;
		w->hash = (w->hash ^ shared) * FNV_PRIME;
		w->hash = (w->hash ^ f->instr) * FNV_PRIME;
		st->nframes++;
	}
	/* callers' frames are above: a chain that does not climb is no chain */
	if (link[0] <= w->fp || link[0] - w->fp > V8_MAX_FRAME)
		return 1;
	w->fp = link[0];
	w->pc = link[1];
	return 0;
}

static long v8_walk_frame(__u32 i, void *ctx)
{
	return v8_walk_step(ctx, false);
}

static long v8_walk_frame_task(__u32 i, void *ctx)
{
	return v8_walk_step(ctx, true);
}

/*
 * Thread tid's (of process tgid) JavaScript frames, stored: their id in py_stacks, 0 when it has
 * none. task: NULL for the current thread, else tid's task (from a sleepable program).
 */
static __always_inline __u32 v8_stack_id_of(__u32 slot, __u32 tgid, __u32 tid, struct task_struct *task)
{
	struct v8_walk w = { .hash = FNV_OFFSET, .task = task };
	struct pt_regs *regs;
	struct py_stack *st;
	__u32 n;

	if (!v8_frames)
		return 0;
	w.cfg = bpf_map_lookup_elem(&v8_procs, &tgid);
	if (!w.cfg)
		return 0;	/* not a Node process */
	w.sc = bpf_map_lookup_elem(&py_scratch, &slot);
	if (!w.sc)
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(task ?: bpf_get_current_task_btf());
	w.fp = regs->bp;
	st = &w.sc->st;
	st->flags = 0;
	st->pid = tgid;
	st->pad = 0;
	st->nframes = 0;
	bpf_loop(V8_WALK_STEPS, task ? v8_walk_frame_task : v8_walk_frame, &w, 0);
	n = st->nframes;
	if (!n && !st->flags)
		return 0;
	w.hash = (w.hash ^ ((__u64)st->flags << 32 | n)) * FNV_PRIME;
	w.hash = (w.hash ^ tgid) * FNV_PRIME;
	return py_store(st, w.hash);
}

#endif /* V8_BPF_H */
