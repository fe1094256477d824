/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Opening and closing spans, shared by the SDK's USDT probes (uprobes.bpf.c) and the traceparent
 * capture from HTTP (http.bpf.c): a stack of open spans per thread, so that samples and waits are
 * stamped with the active span, CPU time counted per span, begin/end events in a ring buffer.
 */
#ifndef SPANS_BPF_H
#define SPANS_BPF_H

#include "maps.bpf.h"
#include "python.bpf.h"

struct span_ref {
	__u8 trace_id[16];
	__u8 span_id[8];
};

struct span_owner {
	__u32 seq;
	__u32 tid;	/* the thread whose stack holds it */
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SPAN_RINGBUF_BYTES);
} span_events SEC(".maps") __weak;

/* Open spans by id, so that an end (from any thread) finds the span and its thread. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct span_ref);
	__type(value, struct span_owner);
	__uint(max_entries, DEFAULT_SPAN_ENTRIES);
} open_spans SEC(".maps") __weak;

__u32 next_span_seq __weak = 0;

/*
 * The running thread's CPU time up to now belongs to the span active until now. A uprobe's program
 * can be preempted: when sched_switch ran in between (last_ns is past now), the span's edge is when
 * the thread ran again. Returns the time to stamp the edge with.
 */
static __always_inline __u64 close_running(struct thread_stats *s, __u64 now)
{
	if (now < s->last_ns)
		return s->last_ns;
	if (s->state != TS_RUNNING)
		return now;
	s->cpu_ns += now - s->last_ns;
	add_span_cpu(current_span(s), now - s->last_ns);
	s->last_ns = now;
	return now;
}

/* The current process's CPython, when agentprof reads its threads' contexts; NULL otherwise. */
static __always_inline const struct py_config *py_context_config(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	const struct py_config *cfg = py_frames ? bpf_map_lookup_elem(&py_procs, &tgid) : NULL;

	return cfg && cfg->tstate_context != PY_NO_FIELD ? cfg : NULL;
}

/*
 * The context of the current thread: which request the code running on it works for, as an opaque
 * 64-bit id, 0: unknown. One signal per runtime. Python's is PyThreadState.context: on an event
 * loop it names the asyncio task running; each task runs its steps in a context of its own, one
 * stable pointer across its awaits (python3.11: 3 gathered tasks kept 3 distinct ones), so that a
 * request's response and its calls out are seen written from one context. Any other runtime's
 * (Node: one loop thread, no context the kernel can read) is the connection's it last touched:
 * a loop runs a request's code on the callback of its connection's I/O.
 */
static __always_inline __u64 thread_context(__u32 tid)
{
	const struct py_config *cfg = py_context_config();
	__u64 ts;

	if (!cfg)
		return conn_context();
	ts = py_find_tstate(cfg, tid, NULL);
	return ts ? py_read_ptr(ts + cfg->tstate_context, NULL) : 0;
}

/*
 * parent (8 bytes), name (SPAN_NAME_LEN, NUL-terminated) and http are in BPF memory; parent, name
 * and http may be NULL.
 */
static __always_inline void emit(__u32 type, __u32 seq, __u32 tid, __u32 outer, __u64 now, __u64 body_ts,
				 const struct span_ref *ref, const __u8 *parent, const char *name,
				 const struct span_http *http, __u64 cpu_ns, __u64 runq_ns)
{
	struct span_event *e = bpf_ringbuf_reserve(&span_events, sizeof(*e), 0);

	if (!e) {
		count(CNT_SPAN_EVENT_LOST);
		return;
	}
	e->type = type;
	e->seq = seq;
	e->tid = tid;
	e->outer = outer;
	e->ts = now;
	e->body_ts = body_ts;
	e->ctx = thread_context(tid);
	e->cpu_ns = cpu_ns;
	e->runq_ns = runq_ns;
	__builtin_memcpy(e->trace_id, ref->trace_id, sizeof(e->trace_id));
	__builtin_memcpy(e->span_id, ref->span_id, sizeof(e->span_id));
	__builtin_memset(e->parent_id, 0, sizeof(e->parent_id));
	e->name[0] = '\0';
	if (parent)
		__builtin_memcpy(e->parent_id, parent, sizeof(e->parent_id));
	if (name)
		bpf_probe_read_kernel_str(e->name, sizeof(e->name), name);
	if (http)
		__builtin_memcpy(&e->http, http, sizeof(e->http));
	else
		__builtin_memset(&e->http, 0, sizeof(e->http));
	/* userspace drains the buffer every second: wake it only when the buffer fills up */
	bpf_ringbuf_submit(e, bpf_ringbuf_query(&span_events, BPF_RB_AVAIL_DATA) > SPAN_RINGBUF_BYTES / 2 ?
				 BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

/* Whether an HTTP server span is open on the thread's stack. */
static __always_inline bool serving(const struct thread_stats *s)
{
	bool found = false;

	for (__u32 i = 0; i < MAX_SPAN_DEPTH; i++)
		found |= i < s->span_depth && (s->spans[i] & SPAN_SERVER_BIT);
	return found;
}

/*
 * Puts a new span on the thread's stack: its active span from now on. A server span begun while
 * another is open makes the thread an event loop, whose HTTP spans overlap in any order: they stay
 * off its stack (current_span() finds a loop's request from its sockets). Not in CPython: asyncio
 * runs a request's task after other connections' I/O, so its sockets would name another request
 * (a 5x heavier request was stamped with 0.1-0.2x its share of samples, against 0.3 from the stack).
 */
static __always_inline void stack_span(struct thread_stats *s, __u32 seq, const struct span_http *http)
{
	bool server = http && (http->flags & SPAN_HTTP_SERVER);

	if (server && !s->loop && serving(s) && !py_context_config())
		s->loop = 1;
	if (s->loop && http && (http->flags & (SPAN_HTTP_SERVER | SPAN_HTTP_CLIENT)))
		return;
	if (s->span_depth < MAX_SPAN_DEPTH)
		s->spans[s->span_depth++ & (MAX_SPAN_DEPTH - 1)] = seq | (server ? SPAN_SERVER_BIT : 0);
	else
		count(CNT_SPAN_TOO_DEEP);
}

/*
 * Begins a span on thread tid (the current one): it becomes the thread's active span. Its seq, or
 * 0 when a span with these ids is already open (an SDK span whose id an outbound request carries).
 * http (may be NULL) describes an HTTP span's call.
 */
static __always_inline __u32 span_open(__u32 tid, const struct span_ref *ref, const __u8 *parent,
				      const char *name, const struct span_http *http)
{
	struct span_owner owner = { .tid = tid };
	struct thread_stats *s;
	__u64 now, cpu_ns = 0, runq_ns = 0;
	__u32 outer = 0;
	long err;

	owner.seq = __sync_fetch_and_add(&next_span_seq, 1) + 1;
	err = bpf_map_update_elem(&open_spans, ref, &owner, BPF_NOEXIST);
	if (err) {
		if (err != -EEXIST)
			count(CNT_SPAN_MAP_FULL);
		return 0;
	}
	now = bpf_ktime_get_ns();
	s = bpf_map_lookup_elem(&threads, &tid);
	if (s) {
		now = close_running(s, now);
		cpu_ns = s->cpu_ns;
		runq_ns = s->runq_ns;
		apply_ended_elsewhere(s);
		outer = current_span(s);
		stack_span(s, owner.seq, http);
	}
	emit(SPAN_BEGIN, owner.seq, tid, outer, now, 0, ref, parent, name, http, cpu_ns, runq_ns);
	return owner.seq;
}

/* Ends a span, from any thread (tid: the current one); body_ts: see struct span_event. */
static __always_inline void span_close(__u32 tid, const struct span_ref *ref, __u64 body_ts)
{
	struct span_owner *o = bpf_map_lookup_elem(&open_spans, ref), owner;
	struct thread_stats *s;
	__u64 now, cpu_ns = 0, runq_ns = 0;

	if (!o) {
		count(CNT_SPAN_UNKNOWN_END);
		return;
	}
	owner = *o;
	if (bpf_map_delete_elem(&open_spans, ref))
		return;	/* another thread ended it at the same moment */
	now = bpf_ktime_get_ns();
	s = bpf_map_lookup_elem(&threads, &owner.tid);
	if (s && owner.tid == tid) {
		now = close_running(s, now);
		cpu_ns = s->cpu_ns;
		runq_ns = s->runq_ns;
		apply_ended_elsewhere(s);
		unstack(s, owner.seq);
	} else {
		if (s && __sync_val_compare_and_swap(&s->ended_elsewhere, 0, owner.seq))
			unstack(s, owner.seq);	/* one already waits for the owner: rare enough to edit from here */
		/*
		 * Ended by another thread (a multi-thread runtime: tokio answers a request on whichever
		 * worker polls it): stamped with that thread's own counters, one more point of its timeline.
		 */
		s = bpf_map_lookup_elem(&threads, &tid);
		if (s) {
			now = close_running(s, now);
			cpu_ns = s->cpu_ns;
			runq_ns = s->runq_ns;
		}
	}
	emit(SPAN_END, owner.seq, tid, 0, now, body_ts, ref, NULL, NULL, NULL, cpu_ns, runq_ns);
}

#endif /* SPANS_BPF_H */
