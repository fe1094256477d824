/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Ruby frames of a thread, walked where its stacks are taken, as CPython's are (python.bpf.h,
 * whose stack store, thread cache and scratch they share): its rb_thread_t is found in the main
 * ractor's list of threads by native thread id, cached per thread and checked on every use; then
 * its execution context's control frames, from ec->cfp up to the base of its VM stack, one probe
 * read per frame and one of its environment's flags. Frames of C functions (no iseq, no pc) are
 * left out: the native frames name them. The target's memory is untrusted: every read may fail,
 * every walk is bounded.
 */
#ifndef RUBY_BPF_H
#define RUBY_BPF_H

#include "maps.bpf.h"
#include "python.bpf.h"

/* Set by the loader when some process of the recording may run Ruby: else all this is pruned. */
const volatile bool rb_frames __weak = false;

#define RB_FRAME_MAGIC_MASK	0x7fff0001ull
#define RB_FRAME_MAGIC_CFUNC	0x55550001ull
#define RB_FRAME_FLAG_FINISH	0x0020ull	/* the frame a vm_exec started with: it returns to C */
#define RB_WALK_STEPS		(2 * PY_MAX_FRAMES)	/* frames, C functions' among them */
#define RB_MAX_VM_STACK		(64ull << 20)	/* bytes of a VM stack believed (Ruby's are 1 MiB) */

/* Where each Ruby process of the recording keeps its threads and frames (user/ruby/rbinterp.c). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);			/* tgid */
	__type(value, struct rb_config);
	__uint(max_entries, PY_MAX_PROCS);
} rb_procs SEC(".maps") __weak;

static __always_inline bool rb_thread_is(const struct rb_config *cfg, __u64 th, __u32 tid, struct task_struct *task)
{
	__s32 v;

	return th && !py_read(&v, sizeof(v), th + cfg->thread_tid, task) && v == (__s32)tid;
}

/* The thread's rb_thread_t as cached, if it still names the thread; else 0. */
static __always_inline __u64 rb_cached_thread(const struct rb_config *cfg, __u32 tid, struct task_struct *task)
{
	struct py_tstate *cached = bpf_map_lookup_elem(&py_tstates, &tid);

	return cached && rb_thread_is(cfg, cached->tstate, tid, task) ? cached->tstate : 0;
}

struct rb_search {
	const struct rb_config *cfg;
	struct task_struct *task;
	__u64 head, node;	/* the list's head; the node to look at next (0 or head: the end) */
	__u32 tid;
	bool found;
};

/*
 * One thread of the search; 1 stops it. A bpf_loop callback: verified once, where a bounded loop
 * of PY_MAX_THREADS reads is verified once per iteration.
 */
static __always_inline long rb_search_step(struct rb_search *s, bool task)
{
	if (!s->node || s->node == s->head)
		return 1;
	if (rb_thread_is(s->cfg, s->node - s->cfg->thread_node, s->tid, task ? s->task : NULL)) {
		s->found = true;
		return 1;
	}
	s->node = py_read_ptr(s->node, task ? s->task : NULL);	/* list_node.next */
	return 0;
}

static long rb_search_thread(__u32 i, void *ctx)
{
	return rb_search_step(ctx, false);
}

static long rb_search_thread_task(__u32 i, void *ctx)
{
	return rb_search_step(ctx, true);
}

/* The thread's rb_thread_t: the cached one if it still names the thread, else searched. */
static __always_inline __u64 rb_find_thread(const struct rb_config *cfg, __u32 tid, struct task_struct *task)
{
	struct rb_search sr = { .cfg = cfg, .task = task, .tid = tid };
	struct py_tstate *cached, fresh = {};
	__u64 vm, th = rb_cached_thread(cfg, tid, task);

	if (th)
		return th;
	cached = bpf_map_lookup_elem(&py_tstates, &tid);
	fresh.searched_ns = bpf_ktime_get_ns();
	/* a native thread that never ran Ruby is searched for at most once a second */
	if (cached && !cached->tstate && fresh.searched_ns - cached->searched_ns < PY_RESCAN_NS)
		return 0;
	/* the main ractor only: the threads of other ractors are not searched */
	vm = py_read_ptr(cfg->vm_ptr, task);
	sr.head = vm ? py_read_ptr(vm + cfg->vm_main_ractor, task) : 0;
	sr.head = sr.head ? sr.head + cfg->ractor_threads : 0;
	sr.node = sr.head ? py_read_ptr(sr.head, task) : 0;
	bpf_loop(PY_MAX_THREADS, task ? rb_search_thread_task : rb_search_thread, &sr, 0);
	fresh.tstate = sr.found ? sr.node - cfg->thread_node : 0;
	bpf_map_update_elem(&py_tstates, &tid, &fresh, BPF_ANY);	/* full: searched every time */
	return fresh.tstate;
}

struct rb_walk {
	__u64 cfp;		/* the next control frame to read */
	__u64 end;		/* the base of the VM stack: no frame at or above it */
	__u64 hash;
	struct py_scratch *sc;
	const struct rb_config *cfg;
	struct task_struct *task;	/* NULL: the current thread */
	__u32 n;		/* frames walked, once the walk is over (st->nframes during it) */
};

static __always_inline __u64 rb_field(const __u8 *buf, __u16 off, __u32 len)
{
	return off <= len - 8 ? *(const __u64 *)(buf + off) : 0;
}

/* One control frame of the walk; 1 stops it. task: whether w->task is set (a constant). */
static __always_inline long rb_walk_step(struct rb_walk *w, bool task)
{
	const struct rb_config *cfg = w->cfg;
	struct py_scratch *sc = w->sc;
	struct py_stack *st = &sc->st;
	struct py_frame *f;
	__u64 pc, iseq, ep, flags;

	if (w->cfp >= w->end)
		return 1;
	if (py_read(sc->frame, RB_CFP_READ, w->cfp, task ? w->task : NULL)) {
		st->flags |= PY_STACK_BAD_READ;
		return 1;
	}
	w->cfp += cfg->cfp_size;
	pc = rb_field(sc->frame, cfg->cfp_pc, RB_CFP_READ);
	iseq = rb_field(sc->frame, cfg->cfp_iseq, RB_CFP_READ);
	if (!pc || !iseq)
		return 0;	/* a C function's frame (or the dummy at the base): named natively */
	ep = rb_field(sc->frame, cfg->cfp_ep, RB_CFP_READ);
	flags = ep ? py_read_ptr(ep, task ? w->task : NULL) : 0;	/* ep[VM_ENV_DATA_INDEX_FLAGS] */
	if ((flags & RB_FRAME_MAGIC_MASK) == RB_FRAME_MAGIC_CFUNC)
		return 0;
	if (st->nframes >= PY_MAX_FRAMES) {
		st->flags |= PY_STACK_TRUNCATED;
		return 1;
	}
	f = &st->frames[st->nframes & (PY_MAX_FRAMES - 1)];
	f->code = iseq;
	f->instr = (__u32)pc;	/* userspace subtracts the iseq's first instruction, modulo 2^32 */
	f->flags = flags & RB_FRAME_FLAG_FINISH ? PY_FRAME_ENTRY : 0;
	w->hash = (w->hash ^ iseq) * FNV_PRIME;
	w->hash = (w->hash ^ ((__u64)f->instr << 8 | f->flags)) * FNV_PRIME;
	st->nframes++;
	return 0;
}

static long rb_walk_frame(__u32 i, void *ctx)
{
	return rb_walk_step(ctx, false);
}

static long rb_walk_frame_task(__u32 i, void *ctx)
{
	return rb_walk_step(ctx, true);
}

/*
 * Thread tid's (of process tgid) Ruby frames, stored: their id in py_stacks, 0 when it has none.
 * task: NULL for the current thread, else tid's task (from a sleepable program).
 */
static __always_inline __u32 rb_stack_id_of(__u32 slot, __u32 tgid, __u32 tid, struct task_struct *task)
{
	struct rb_walk w = { .hash = FNV_OFFSET, .task = task };
	struct py_stack *st;
	__u64 th, ec, size;
	long steps;

	if (!rb_frames)
		return 0;
	w.cfg = bpf_map_lookup_elem(&rb_procs, &tgid);
	if (!w.cfg)
		return 0;	/* not a Ruby process */
	th = rb_find_thread(w.cfg, tid, task);
	ec = th ? py_read_ptr(th + w.cfg->thread_ec, task) : 0;
	w.sc = bpf_map_lookup_elem(&py_scratch, &slot);
	if (!ec || !w.sc || py_read(w.sc->frame, RB_EC_READ, ec, task))
		return 0;
	w.cfp = rb_field(w.sc->frame, w.cfg->ec_cfp, RB_EC_READ);
	size = rb_field(w.sc->frame, w.cfg->ec_vm_stack_size, RB_EC_READ) * 8;
	w.end = rb_field(w.sc->frame, w.cfg->ec_vm_stack, RB_EC_READ);
	if (!w.cfp || size > RB_MAX_VM_STACK || w.cfp < w.end)
		return 0;
	w.end += size - w.cfg->cfp_size;	/* the base frame: Init_VM's toplevel, no one's code */
	st = &w.sc->st;
	st->flags = 0;
	st->pid = tgid;
	st->pad = 0;
	/* counted in the map value, not on the stack: the verifier then checks one frame's step, not each count's */
	st->nframes = 0;
	steps = bpf_loop(RB_WALK_STEPS, task ? rb_walk_frame_task : rb_walk_frame, &w, 0);
	if (steps == RB_WALK_STEPS && w.cfp < w.end)
		st->flags |= PY_STACK_TRUNCATED;
	w.n = st->nframes;
	if (!w.n && !st->flags)
		return 0;
	w.hash = (w.hash ^ ((__u64)st->flags << 32 | w.n)) * FNV_PRIME;
	w.hash = (w.hash ^ tgid) * FNV_PRIME;
	return py_store(st, w.hash);
}

/*
 * Whether the current thread, blocking in a futex wait on uaddr, waits for the GVL: Ruby 3.1's
 * waiter sleeps on its own condition variable while its status says it wants to run (a sleeper,
 * a Queue#pop, sleeps on the same variable, as stopped). This runs at every futex switch-out of
 * a Ruby thread, after its stacks were taken: its rb_thread_t is the one cached by a walk, one
 * read checks it, none is searched for here.
 */
static __always_inline bool rb_waits_for_gvl(__u32 tgid, __u32 tid, __u64 uaddr)
{
	const struct rb_config *cfg;
	__u8 status;
	__u64 th;

	if (!rb_frames || !(cfg = bpf_map_lookup_elem(&rb_procs, &tgid)))
		return false;
	th = rb_cached_thread(cfg, tid, NULL);
	if (!th || uaddr - (th + cfg->thread_gvl_cond) >= RB_COND_SIZE)
		return false;
	return !py_read(&status, sizeof(status), th + cfg->thread_status, NULL) &&
	       (status & 3) == RB_THREAD_RUNNABLE;
}

#endif /* RUBY_BPF_H */
