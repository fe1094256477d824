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
 *
 * A thread that blocks (or is sampled) in code that uses rbp as a general register (glibc's
 * futex and condition waits, its string functions) has no frame pointer in rbp: the walk then
 * starts from the first word at the top of its stack that is one, the rbp such code saved
 * (pushed) before it took the register over: a word above where it is stored, pointing at a
 * higher word. That is how a synchronous wait inside JavaScript (Atomics.wait, a *Sync call)
 * keeps its JavaScript frames.
 */
#ifndef V8_BPF_H
#define V8_BPF_H

#include "maps.bpf.h"
#include "python.bpf.h"

/* Set by the loader when some process of the recording may run Node: else all this is pruned. */
const volatile bool v8_frames __weak = false;

#define V8_WALK_STEPS		(2 * PY_MAX_FRAMES)	/* frames, native and typed ones among them */
#define V8_PC_UNKNOWN		1	/* not a return address: the pc of the frame a scan found */

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
	/* a frame found by the scan has no pc to merge at: the native frames name it */
	if (shared & V8_HEAP_TAG && w->pc != V8_PC_UNKNOWN) {
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

struct v8_scan {
	__u64 sp, fp;		/* the stack's top; the frame pointer found there, 0: none yet */
	struct py_scratch *sc;
	struct task_struct *task;
};

/* Word i of the top of the stack: 1 stops the scan at the first frame pointer. task: a constant. */
static __always_inline long v8_scan_step(__u32 i, struct v8_scan *s, bool task)
{
	__u64 at = s->sp + 8ull * i, v = s->sc->words[i & (V8_SCAN_WORDS - 1)], next;

	if (v <= at || v - at > V8_MAX_FRAME || v & 7)
		return 0;
	/* a frame pointer's frame links to a higher one, or ends the chain (0) */
	next = py_read_ptr(v, task ? s->task : NULL);
	if (next && (next <= v || next - v > V8_MAX_FRAME))
		return 0;
	s->fp = v;
	return 1;
}

static long v8_scan_word(__u32 i, void *ctx)
{
	return v8_scan_step(i, ctx, false);
}

static long v8_scan_word_task(__u32 i, void *ctx)
{
	return v8_scan_step(i, ctx, true);
}

/* The frame pointer to walk from: rbp when it points into the stack above sp, else one saved there. */
static __always_inline __u64 v8_first_fp(struct v8_walk *w, __u64 bp, __u64 sp, struct task_struct *task)
{
	struct v8_scan s = { .sp = sp, .sc = w->sc, .task = task };

	if (bp > sp && bp - sp <= V8_MAX_FRAME)
		return bp;
	w->pc = V8_PC_UNKNOWN;
	if (py_read(w->sc->words, sizeof(w->sc->words), sp, task))
		return 0;
	bpf_loop(V8_SCAN_WORDS, task ? v8_scan_word_task : v8_scan_word, &s, 0);
	return s.fp;
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
	__u64 bp, sp;
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
	/* read once, here: a load shared by two paths would mix a pt_regs pointer with the stack's */
	bp = regs->bp;
	sp = regs->sp;
	barrier_var(bp);
	barrier_var(sp);
	w.fp = v8_first_fp(&w, bp, sp, task);
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
