/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * CPython frames of a thread, walked where its stacks are taken (a sample, a switch-out: the
 * current thread; the task iterator of python.bpf.c: a thread blocked before recording began):
 * its PyThreadState is found from _PyRuntime's list of threads by native thread id (no glibc TLS
 * offsets), cached per thread and checked on every use; then the chain of _PyInterpreterFrames
 * from tstate's current frame, one probe read per frame. The frames are stored once per distinct
 * stack in `py_stacks`, under a hash of them; the aggregation keys carry the hash. The target's
 * memory is untrusted: every read may fail, every walk is bounded.
 */
#ifndef PYTHON_BPF_H
#define PYTHON_BPF_H

#include "maps.bpf.h"

/* Set by the loader when some process of the recording may run Python: else all this is pruned. */
const volatile bool py_frames __weak = false;

#define PY_RESCAN_NS	1000000000ull	/* a thread with no tstate is searched again after this */
#define FNV_PRIME	0x100000001b3ull
#define FNV_OFFSET	0xcbf29ce484222325ull
#define PY_SHIM_MARK	0x5ull		/* hashed where an evaluation's C-stack shim frame was */

enum py_scratch_slot { PY_SLOT_ONCPU, PY_SLOT_OFFCPU, PY_SLOT_SEED, PY_SLOT_MEM, PY_NR_SLOTS };

struct py_tstate {
	__u64 tstate;		/* 0: the thread had none when last searched */
	__u64 searched_ns;
};

/* Where each Python process of the recording keeps its threads and frames (user/python/pyinterp.c). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);			/* tgid */
	__type(value, struct py_config);
	__uint(max_entries, PY_MAX_PROCS);
} py_procs SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct py_tstate);
	__uint(max_entries, DEFAULT_THREAD_ENTRIES);
} py_tstates SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct py_stack);
	__uint(max_entries, DEFAULT_PY_STACK_ENTRIES);
} py_stacks SEC(".maps") __weak;

/* How many stacks py_stacks has taken: userspace reads the new ones (and their code) when it grows. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} py_stored SEC(".maps") __weak;

/* A stack is built here (it is larger than the BPF stack), with the frame being read. */
struct py_scratch {
	struct py_stack st;
	__u8 frame[PY_FRAME_READ];	/* read at the offsets of a map's config: bounds-checked */
	__u64 words[V8_SCAN_WORDS];	/* V8: the top of the stack, where a frame pointer is looked for */
};

/* One slot per kind of program. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct py_scratch);
	__uint(max_entries, PY_NR_SLOTS);
} py_scratch SEC(".maps") __weak;

/*
 * Reads the target's memory: the current thread's (task NULL), or another thread's from a
 * sleepable program. task is a constant NULL at every call site of the first kind, so those
 * programs keep bpf_probe_read_user only (bpf_copy_from_user_task may sleep).
 */
static __always_inline long py_read(void *dst, __u32 size, __u64 addr, struct task_struct *task)
{
	return task ? bpf_copy_from_user_task(dst, size, (void *)addr, task, 0)
		    : bpf_probe_read_user(dst, size, (void *)addr);
}

static __always_inline __u64 py_read_ptr(__u64 addr, struct task_struct *task)
{
	__u64 v;

	return py_read(&v, sizeof(v), addr, task) ? 0 : v;
}

/* native_thread_id is an unsigned long: the kernel's tid of the thread the state belongs to. */
static __always_inline bool py_tstate_is(const struct py_config *cfg, __u64 tstate, __u32 tid,
					 struct task_struct *task)
{
	return tstate && py_read_ptr(tstate + cfg->tstate_native_tid, task) == tid;
}

/* The thread's PyThreadState: the cached one if it still names the thread, else searched. */
static __always_inline __u64 py_find_tstate(const struct py_config *cfg, __u32 tid, struct task_struct *task)
{
	struct py_tstate *cached = bpf_map_lookup_elem(&py_tstates, &tid), fresh = {};
	__u64 ts, interp;
	bool found = false;

	if (cached && py_tstate_is(cfg, cached->tstate, tid, task))
		return cached->tstate;
	fresh.searched_ns = bpf_ktime_get_ns();
	/* a native thread that never ran Python is searched for at most once a second */
	if (cached && !cached->tstate && fresh.searched_ns - cached->searched_ns < PY_RESCAN_NS)
		return 0;
	/* the main interpreter only: subinterpreters' threads are not searched */
	interp = py_read_ptr(cfg->runtime + cfg->interpreters_head, task);
	ts = interp ? py_read_ptr(interp + cfg->threads_head, task) : 0;
	for (int i = 0; i < PY_MAX_THREADS && ts; i++) {
		if (py_tstate_is(cfg, ts, tid, task)) {
			found = true;
			break;
		}
		ts = py_read_ptr(ts + cfg->tstate_next, task);
	}
	fresh.tstate = found ? ts : 0;
	bpf_map_update_elem(&py_tstates, &tid, &fresh, BPF_ANY);	/* full: searched every time */
	return fresh.tstate;
}

static __always_inline bool py_same_stack(const struct py_stack *a, const struct py_stack *b)
{
	if (a->nframes != b->nframes || a->flags != b->flags || a->pid != b->pid)
		return false;
	for (__u32 i = 0; i < PY_MAX_FRAMES && i < a->nframes; i++)
		if (a->frames[i].code != b->frames[i].code || a->frames[i].instr != b->frames[i].instr ||
		    a->frames[i].flags != b->frames[i].flags)
			return false;
	return true;
}

/* Stores st under its hash: its id, or 0 (counted) when another stack holds it or the map is full. */
static __always_inline __u32 py_store(struct py_stack *st, __u64 h)
{
	__u32 id = (__u32)(h ^ (h >> 32)) ?: 1;
	struct py_stack *old = bpf_map_lookup_elem(&py_stacks, &id);
	long err;

	if (!old) {
		err = bpf_map_update_elem(&py_stacks, &id, st, BPF_NOEXIST);
		if (!err) {
			__u32 zero = 0;
			__u64 *n = bpf_map_lookup_elem(&py_stored, &zero);

			if (n)
				__sync_fetch_and_add(n, 1);
			return id;
		}
		if (err != -EEXIST) {
			count(CNT_PY_STACK_FULL);
			return 0;
		}
		old = bpf_map_lookup_elem(&py_stacks, &id);	/* another CPU stored it meanwhile */
		if (!old)
			return 0;
	}
	if (py_same_stack(old, st))
		return id;
	count(CNT_PY_STACK_COLLISION);	/* never attributed to the stack that holds the id */
	return 0;
}

struct py_walk {
	__u64 frame;		/* the next frame to read, 0: the end */
	__u64 hash;
	struct py_scratch *sc;
	const struct py_config *cfg;
	struct task_struct *task;	/* NULL: the current thread */
	__u32 n;		/* frames walked, once the walk is over (st->nframes during it) */
};

/* A pointer field of the frame just read, at a config's offset (checked: the config is data). */
static __always_inline __u64 py_frame_ptr(const struct py_scratch *sc, __u16 off)
{
	return off <= PY_FRAME_READ - 8 ? *(const __u64 *)(sc->frame + off) : 0;
}

static __always_inline __u8 py_frame_byte(const struct py_scratch *sc, __u16 off)
{
	return off < PY_FRAME_READ ? sc->frame[off] : 0;
}

/* One frame of the walk; 1 stops it. task: whether w->task is set (a constant). */
static __always_inline long py_walk_step(struct py_walk *w, bool task)
{
	const struct py_config *cfg = w->cfg;
	struct py_scratch *sc = w->sc;
	struct py_stack *st = &sc->st;
	struct py_frame *f;
	__u64 code, instr;

	if (!w->frame)
		return 1;
	/* one read per frame: every field the walk needs lies in its first PY_FRAME_READ bytes */
	if (py_read(sc->frame, sizeof(sc->frame), w->frame, task ? w->task : NULL)) {
		st->flags |= PY_STACK_BAD_READ;
		return 1;
	}
	w->frame = py_frame_ptr(sc, cfg->frame_previous);
	if (cfg->frame_is_entry == PY_NO_FIELD && py_frame_byte(sc, cfg->frame_owner) == PY_OWNED_BY_CSTACK) {
		/* 3.12+: the shim an evaluation starts with; the frame before it was its entry */
		if (st->nframes > 0)
			st->frames[(st->nframes - 1) & (PY_MAX_FRAMES - 1)].flags |= PY_FRAME_ENTRY;
		w->hash = (w->hash ^ PY_SHIM_MARK) * FNV_PRIME;
		return 0;
	}
	if (st->nframes >= PY_MAX_FRAMES) {
		st->flags |= PY_STACK_TRUNCATED;
		return 1;
	}
	code = py_frame_ptr(sc, cfg->frame_code);
	instr = py_frame_ptr(sc, cfg->frame_instr) - code - cfg->code_adaptive;
	f = &st->frames[st->nframes & (PY_MAX_FRAMES - 1)];
	f->code = code;
	f->instr = instr;	/* garbage when not a code object: userspace checks */
	f->flags = cfg->frame_is_entry != PY_NO_FIELD && py_frame_byte(sc, cfg->frame_is_entry) ? PY_FRAME_ENTRY : 0;
	w->hash = (w->hash ^ code) * FNV_PRIME;
	w->hash = (w->hash ^ ((__u64)f->instr << 8 | f->flags)) * FNV_PRIME;
	st->nframes++;
	return 0;
}

/*
 * The walk's steps as bpf_loop callbacks: verified once, not once per iteration and per path
 * (unrolled, the walk made the scheduler program too complex to verify).
 */
static long py_walk_frame(__u32 i, void *ctx)
{
	return py_walk_step(ctx, false);
}

static long py_walk_frame_task(__u32 i, void *ctx)
{
	return py_walk_step(ctx, true);
}

#define PY_WALK_STEPS	(PY_MAX_FRAMES + 16)	/* frames and the shims between them */

/*
 * Thread tid's (of process tgid) Python frames, stored: their id in py_stacks, 0 when it has none.
 * task: NULL for the current thread, else tid's task (from a sleepable program).
 */
static __always_inline __u32 py_stack_id_of(__u32 slot, __u32 tgid, __u32 tid, struct task_struct *task)
{
	struct py_walk w = { .hash = FNV_OFFSET, .task = task };
	struct py_stack *st;
	__u64 ts;
	long steps;

	if (!py_frames)
		return 0;
	w.cfg = bpf_map_lookup_elem(&py_procs, &tgid);
	if (!w.cfg)
		return 0;	/* not a Python process */
	ts = py_find_tstate(w.cfg, tid, task);
	if (!ts)
		return 0;
	w.frame = py_read_ptr(ts + w.cfg->tstate_frame, task);
	if (w.cfg->cframe_frame != PY_NO_FIELD && w.frame)
		w.frame = py_read_ptr(w.frame + w.cfg->cframe_frame, task);
	if (!w.frame)
		return 0;	/* no Python code running on this thread */
	w.sc = bpf_map_lookup_elem(&py_scratch, &slot);
	if (!w.sc)
		return 0;
	st = &w.sc->st;
	st->flags = 0;
	st->pid = tgid;
	st->pad = 0;
	/* counted in the map value, not on the stack: the verifier then checks one frame's step, not each count's */
	st->nframes = 0;
	steps = bpf_loop(PY_WALK_STEPS, task ? py_walk_frame_task : py_walk_frame, &w, 0);
	if (steps == PY_WALK_STEPS && w.frame)
		st->flags |= PY_STACK_TRUNCATED;	/* a chain of shims: hostile memory */
	w.n = st->nframes;
	if (!w.n && !st->flags)
		return 0;
	/* code addresses are the process's own: its pid is part of the stack */
	w.hash = (w.hash ^ ((__u64)st->flags << 32 | w.n)) * FNV_PRIME;
	w.hash = (w.hash ^ tgid) * FNV_PRIME;
	return py_store(st, w.hash);
}

#endif /* PYTHON_BPF_H */
