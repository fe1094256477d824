/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The model: what one recording measured, as drained from the kernel, then symbolized. */
#ifndef PROFILE_H
#define PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>
#include "agentprof.h"
#include "classify/classify.h"
#include "classify/peer.h"
#include "model/loopspans.h"

struct syms_cache;
struct llm_endpoints;

/* Where a symbolized frame came from, for the formats that keep addresses (pprof). */
struct frame_origin {
	uint64_t addr;		/* the leaf's address or a call site (return address - 1); 0: a marker */
	int32_t mapping;	/* index in profile.mappings; -1: none (kernel, marker, unmapped code) */
	bool kernel;
};

/* A file of the target that user frames point into. */
struct profile_mapping {
	uint64_t start, end;	/* [start, end) in the target */
	uint64_t offset;	/* file offset of start */
	char *path;
	char *build_id;		/* lowercase hex, "" when unknown */
};

/* Memory (--memory), in bytes: what was mapped and faulted in, and what of that was released. */
struct mem_bytes {
	uint64_t mapped, unmapped;	/* virtual: anonymous mappings and heap growth */
	uint64_t faulted, released;	/* resident: faults sampled by bytes, each weighed with its bytes */
};

/* A runtime a process runs whose frames could not be read (its version is not supported): native frames only. */
struct runtime_unsupported {
	char runtime[16];	/* "python", "ruby" */
	char version[32];	/* "3.2.2"; "older than 3.11", "unknown" when it could not be read */
	char supported[32];	/* the versions that are: "3.11 to 3.13", "3.1" */
	uint32_t pid;		/* the first process seen running it */
};

#define MAX_UNSUPPORTED	8	/* distinct unsupported runtimes said */

/* One distinct stack of one thread: on-CPU samples, time off CPU in one kind of wait, or memory. */
struct sample {
	uint32_t pid;			/* the thread's process (host PID) */
	uint32_t tid;
	uint32_t gen;			/* the process's generation: which image its user frames are in */
	char comm[TASK_COMM_LEN];	/* thread name */
	uint64_t *user, *kern;		/* leaf first, as the kernel records them */
	uint32_t nuser, nkern;
	int32_t user_err, kern_err;	/* -errno from the kernel's stack_id(), 0 when the stack is there */
	uint64_t count;			/* on-CPU: samples; off-CPU: ns; memory: resident bytes kept */
	uint64_t intervals;		/* off-CPU: how many waits */
	enum category category;		/* CAT_CPU for on-CPU samples */
	struct wait_sig wait;		/* off-CPU: what it was blocked in */
	uint32_t waker_tid;		/* off-CPU: the target's thread that woke it, or 0 */
	uint32_t span;			/* the span active on the thread (its seq), or 0 */
	struct py_frame *py;		/* its Python frames, leaf first (NULL, npy 0: none) */
	uint32_t npy;
	uint32_t py_flags;		/* enum py_stack_flags */
	struct net_peer peer;		/* off-CPU: the socket's other end, for a wait on one IP socket */
	struct mem_bytes mem;		/* memory: what this stack did */
	uint64_t grew_first_ns, grew_last_ns;	/* memory: its first and last growth (CLOCK_MONOTONIC) */
	char **frames;			/* after symbolize: root first, kernel frames suffixed "_[k]" */
	struct frame_origin *origins;	/* after symbolize: one per frame; NULL when built by hand */
	uint32_t nframes;
};

struct sample_set {
	struct sample *v;
	size_t n, cap;
	uint64_t total;			/* sum of counts */
};

/* Where one thread's observed wall time went. */
struct thread_info {
	uint32_t pid;			/* its process (host PID) */
	uint32_t tid;
	char comm[TASK_COMM_LEN];
	uint64_t wall_ns;		/* from first seen (or recording start) to exit (or end) */
	uint64_t ns[NR_CATEGORIES];
	uint64_t samples;		/* on-CPU samples */
	struct mem_bytes mem;
	bool exited;
	enum category class;
};

/* Where one process's time went: its threads together. */
struct process_info {
	uint32_t pid;			/* the host's PID, as BPF sees it */
	uint32_t ns_pid;		/* its PID in its own namespace (0: unknown) */
	char comm[TASK_COMM_LEN];
	uint64_t ns[NR_CATEGORIES];
	uint64_t samples;
	struct mem_bytes mem;
	uint32_t nthreads;
	bool exited;			/* every thread of it exited in the window */
	enum category class;
};

/* CPU time of one span (by seq), as the kernel counted it. */
struct span_cpu {
	uint32_t seq;
	uint64_t ns;
};

/* Where one span's time went: its own time and that of the spans nested in it on its thread. */
struct span_info {
	const struct span_rec *rec;	/* points into the span table given to profile__finish */
	uint64_t wall_ns;		/* its lifetime within the window */
	uint64_t ns[NR_CATEGORIES];	/* inclusive of nested spans on the same thread */
	uint64_t self_ns[NR_CATEGORIES];/* stamped with this span itself */
	struct mem_bytes mem, self_mem;	/* memory: inclusive of nested spans, and its own */
	enum category class;
	bool unfinished;		/* still open when the window closed */
	/*
	 * A request served on an event loop, or one of its calls: ns from loopspans.c, not from the
	 * kernel's stamps; net by peer from its calls. A call's time is its request's (self_ns 0).
	 */
	bool on_loop;
	/*
	 * Its net time by peer, the first LOOP_PEERS ones (the rest stays net without a peer): on a
	 * loop, its calls'; else its own and its nested spans' waits on a socket, or on an HTTP
	 * call's connection when the kernel could not name the socket (a poll on a set).
	 */
	struct loop_peer peers[LOOP_PEERS];
	size_t npeers;
};

/* The recording's resident memory (its processes' RSS together) at one moment. */
struct rss_point {
	uint64_t at_ns;		/* CLOCK_MONOTONIC */
	uint64_t bytes;
};

enum group_by { GROUP_THREAD, GROUP_PROCESS, GROUP_SPAN, GROUP_TRACE };

/* An open-addressing index of an array by a 32-bit id (tid, pid): its position + 1, 0: empty. */
struct id_index {
	uint32_t *slots;
	size_t cap;		/* a power of two, at least twice the array's length; 0: not built */
};

struct profile {
	pid_t pid;			/* -p: the host's PID; 0 for a container (--container) */
	pid_t ns_pid;			/* -p: its PID in its own namespace */
	char comm[TASK_COMM_LEN];	/* process name, or the container's cgroup's */
	char *cgroup;			/* --container: the cgroup's path, else NULL */
	uint64_t cgroup_id;
	struct process_info *procs;	/* after profile__finish: sorted by pid */
	size_t nprocs;
	uint64_t start_unix_ns;
	uint64_t duration_ns;
	unsigned int freq_hz;
	bool target_exited;
	uint64_t counters[NR_COUNTERS];
	struct sample_set oncpu, offcpu;
	struct sample_set mem;		/* --memory: per stack, what it mapped and faulted in (count: kept) */
	bool memory;			/* --memory was on */
	struct mem_bytes mem_total;	/* after profile__finish: every stack's together */
	uint64_t mem_unknown_released;	/* released of mappings made before the recording */
	struct rss_point *rss;		/* a point a second, in time order */
	size_t nrss;
	struct thread_info *threads;	/* sorted by tid after profile__finish */
	size_t nthreads;
	struct id_index thread_index, proc_index;	/* of threads and procs, for profile__thread/process */
	uint64_t ns[NR_CATEGORIES];	/* all threads together */
	enum category class;
	uint64_t window_start_ns, window_end_ns;	/* CLOCK_MONOTONIC; start 0: the beginning */
	struct span_cpu *span_cpu;	/* sorted by seq */
	size_t nspan_cpu;
	struct span_info *spans;	/* after profile__finish: sorted by seq */
	size_t nspans;
	enum group_by group_by;		/* the root frames of flame graphs */
	struct profile_mapping *mappings;	/* after symbolize: the files frames point into */
	size_t nmappings;
	bool clip_spans;		/* an interval (top): span walls only within the window */
	bool no_py_lines;		/* Python and Ruby frames without their line numbers */
	struct runtime_unsupported unsupported[MAX_UNSUPPORTED];	/* after symbolize: said once each */
	size_t nunsupported;
	const struct llm_endpoints *llm;	/* --llm-endpoint, or NULL */
};

void profile__init(struct profile *p);
void profile__free(struct profile *p);
/* Adds a copy of s with copies of the stacks (leaf first) and of its Python frames. 0 or -ENOMEM. */
int profile__add(struct sample_set *set, const struct sample *s, const uint64_t *user, size_t nuser,
		 const uint64_t *kern, size_t nkern);
/* The thread's entry, created on first use (NULL on -ENOMEM). */
struct thread_info *profile__thread(struct profile *p, uint32_t tid);
/* The process's entry, created on first use (NULL on -ENOMEM). */
struct process_info *profile__process(struct profile *p, uint32_t pid);
/* "comm (PID n)", or "cgroup NAME" for a container: the title of the outputs. */
void profile__title(const struct profile *p, char *buf, size_t len);
struct span_table;

/* Appends the resident memory measured at at_ns (in time order). 0 or -ENOMEM. */
int profile__add_rss(struct profile *p, uint64_t at_ns, uint64_t bytes);
/* What a stack keeps resident: faulted in, less released (never below zero). */
uint64_t mem_kept(const struct mem_bytes *m);
/* Adds m's bytes to into's. */
void mem_bytes__add(struct mem_bytes *into, const struct mem_bytes *m);
/* Adds ns of a span's CPU time (seqs in increasing order). 0 or -ENOMEM. */
int profile__add_span_cpu(struct profile *p, uint32_t seq, uint64_t ns);
/*
 * Sums samples and waits into per-thread, per-span (spans from the table alive in the window;
 * NULL: none) and process breakdowns, and classifies them. 0 or -ENOMEM.
 */
int profile__finish(struct profile *p, const struct span_table *spans);
/* The span's entry after profile__finish, or NULL. */
const struct span_info *profile__span(const struct profile *p, uint32_t seq);

#endif /* PROFILE_H */
