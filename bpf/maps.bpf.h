/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What every program shares, linked into one object by `bpftool gen object`: the target filter
 * and the drop counters (the stacks: stacks.bpf.h). __weak: each file includes it, the linker keeps one.
 */
#ifndef MAPS_BPF_H
#define MAPS_BPF_H

#include <bpf/bpf_core_read.h>
#include "agentprof.h"

#define EFAULT	14
#define ENOMEM	12
#define EEXIST	17
#define ENOENT	2
#define E2BIG	7

/* Set by the loader before load; the verifier then prunes the untaken branch. */
const volatile __u32 targ_tgid __weak = 0;
/* --container: every process of the cgroup v2 with this id (its kernfs inode) or below it, at this depth */
const volatile __u64 targ_cgroup __weak = 0;
const volatile __u32 targ_cgroup_level __weak = 0;
/*
 * Start following a target's thread the first time the scheduler shows it: where the task
 * iterator cannot see it (agentprof in a PID namespace of its own, with --proc-root).
 */
const volatile bool seed_on_sight __weak = false;
const volatile bool follow_children __weak = false;

/* The target (put there by the loader) and, with follow_children, the processes it forks. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct proc_info);
	__uint(max_entries, DEFAULT_PROC_ENTRIES);
} procs SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, NR_COUNTERS);
} counters SEC(".maps") __weak;

/* Per-thread state (offcpu.bpf.c drives it; spans and samples read the active span). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct thread_stats);
	__uint(max_entries, DEFAULT_THREAD_ENTRIES);
} threads SEC(".maps") __weak;

/* CPU time of each span (by seq): its off-CPU time is in the off-CPU keys. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, DEFAULT_SPAN_ENTRIES);
} span_cpu SEC(".maps") __weak;

/* t's cgroup v2 ancestor at targ_cgroup_level (ancestors[] holds the cgroup itself last): its id, or 0. */
static __always_inline __u64 cgroup_at_target_level(struct task_struct *t)
{
	struct cgroup *cg = BPF_CORE_READ(t, cgroups, dfl_cgrp), *at;

	if (!cg || BPF_CORE_READ(cg, level) < (int)targ_cgroup_level ||
	    bpf_core_read(&at, sizeof(at), &cg->ancestors[targ_cgroup_level & 0xff]))
		return 0;
	return BPF_CORE_READ(at, kn, id);
}

/*
 * Whether tgid's process is profiled. task: the task itself (NULL: current), for --container,
 * where the task's cgroup decides: at sched_switch, prev's or next's, not current's.
 */
static __always_inline bool is_target(__u32 tgid, struct task_struct *task)
{
	struct proc_info *p;

	if (targ_cgroup)
		return cgroup_at_target_level(task ?: (struct task_struct *)bpf_get_current_task()) == targ_cgroup;
	if (tgid == targ_tgid)
		return true;
	if (!follow_children)	/* pruned by the verifier: the common path stays one compare */
		return false;
	p = bpf_map_lookup_elem(&procs, &tgid);	/* a followed child, until it exits */
	return p && !p->exited;
}

static __always_inline void count(enum counter c)
{
	__u32 key = c;
	__u64 *val = bpf_map_lookup_elem(&counters, &key);

	if (val)
		(*val)++;	/* per-CPU slot: no atomics needed */
}

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct offcpu_key);
	__type(value, struct offcpu_val);
	__uint(max_entries, DEFAULT_OFFCPU_ENTRIES);
} offcpu SEC(".maps") __weak;

/* Adds ns of off-CPU time (one more interval) to key. */
static __always_inline void add_offcpu(const struct offcpu_key *key, __u64 ns)
{
	struct offcpu_val *v = bpf_map_lookup_elem(&offcpu, key), zero = {};

	if (!v) {
		long err = bpf_map_update_elem(&offcpu, key, &zero, BPF_NOEXIST);

		if (err && err != -EEXIST) {
			count(CNT_OFFCPU_MAP_FULL);
			return;
		}
		v = bpf_map_lookup_elem(&offcpu, key);
		if (!v)
			return;
	}
	__sync_fetch_and_add(&v->ns, ns);
	__sync_fetch_and_add(&v->count, 1);
}

/*
 * A thread's context from its sockets (http.bpf.h sets it): the request of the connection it last
 * read from or wrote to (CTX_SERVER | its server span's seq), or the context a client connection's
 * request was written in. Task-local: freed with the thread.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} conn_contexts SEC(".maps") __weak;

#define CTX_SERVER (1ull << 63)

/* The current thread's context from its sockets, 0: none yet. */
static __always_inline __u64 conn_context(void)
{
	__u64 *ctx = bpf_task_storage_get(&conn_contexts, bpf_get_current_task_btf(), 0, 0);

	return ctx ? *ctx : 0;
}

/* Takes seq out of the thread's stack wherever it is: spans may end out of order. */
static __always_inline void unstack(struct thread_stats *s, __u32 seq)
{
	bool found = false;

	for (__u32 i = 0; i < MAX_SPAN_DEPTH; i++) {
		if (i >= s->span_depth)
			break;
		if ((s->spans[i] & ~SPAN_SERVER_BIT) == seq)
			found = true;
		if (found && i + 1 < MAX_SPAN_DEPTH)
			s->spans[i] = s->spans[i + 1];
	}
	if (found && s->span_depth > 0)
		s->span_depth--;
}

/*
 * Only the owner thread edits its span stack (from its own probes and switches), so two CPUs never
 * shift it at once: a span another thread ended waits in ended_elsewhere until the owner runs this.
 */
static __always_inline void apply_ended_elsewhere(struct thread_stats *s)
{
	__u32 seq;

	if (!s->ended_elsewhere)
		return;
	seq = __sync_lock_test_and_set(&s->ended_elsewhere, 0);
	if (seq)
		unstack(s, seq);
}

/* The active span of a thread: the innermost one open. */
static __always_inline __u32 active_span(const struct thread_stats *s)
{
	__u32 d = s->span_depth;

	return d > 0 && d <= MAX_SPAN_DEPTH ? s->spans[d - 1] & ~SPAN_SERVER_BIT : 0;
}

/*
 * The span the current thread (s: its stats) works for. On an event loop (s->loop) its stack says
 * nothing of that: it works for the request of the connection it last touched, where that is a
 * request of its own; else, as on any other thread, for its innermost span.
 */
static __always_inline __u32 current_span(const struct thread_stats *s)
{
	__u64 ctx = s->loop ? conn_context() : 0;

	return ctx & CTX_SERVER ? (__u32)ctx : active_span(s);
}

/* Adds ns of CPU time to a span (0: none). */
static __always_inline void add_span_cpu(__u32 span, __u64 ns)
{
	__u64 *v, zero = 0;

	if (!span || !ns)
		return;
	v = bpf_map_lookup_elem(&span_cpu, &span);
	if (!v) {
		bpf_map_update_elem(&span_cpu, &span, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&span_cpu, &span);
		if (!v) {
			count(CNT_SPAN_CPU_FULL);
			return;
		}
	}
	__sync_fetch_and_add(v, ns);
}

#endif /* MAPS_BPF_H */
