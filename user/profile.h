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
#include "classify.h"

struct syms_cache;

/* One distinct stack of one thread: on-CPU samples, or time off CPU in one kind of wait. */
struct sample {
	uint32_t tid;
	char comm[TASK_COMM_LEN];	/* thread name */
	uint64_t *user, *kern;		/* leaf first, as the kernel records them */
	uint32_t nuser, nkern;
	int32_t user_err, kern_err;	/* -errno from bpf_get_stackid, 0 when the stack is there */
	uint64_t count;			/* on-CPU: samples; off-CPU: ns */
	uint64_t intervals;		/* off-CPU: how many waits */
	enum category category;		/* CAT_CPU for on-CPU samples */
	struct wait_sig wait;		/* off-CPU: what it was blocked in */
	uint32_t waker_tid;		/* off-CPU: the target's thread that woke it, or 0 */
	char **frames;			/* after symbolize: root first, kernel frames suffixed "_[k]" */
	uint32_t nframes;
};

struct sample_set {
	struct sample *v;
	size_t n, cap;
	uint64_t total;			/* sum of counts */
};

/* Where one thread's observed wall time went. */
struct thread_info {
	uint32_t tid;
	char comm[TASK_COMM_LEN];
	uint64_t wall_ns;		/* from first seen (or recording start) to exit (or end) */
	uint64_t ns[NR_CATEGORIES];
	uint64_t samples;		/* on-CPU samples */
	bool exited;
	enum category class;
};

struct profile {
	pid_t pid;
	char comm[TASK_COMM_LEN];	/* process name */
	uint64_t start_unix_ns;
	uint64_t duration_ns;
	unsigned int freq_hz;
	bool target_exited;
	uint64_t counters[NR_COUNTERS];
	struct sample_set oncpu, offcpu;
	struct thread_info *threads;	/* sorted by tid after profile__finish */
	size_t nthreads;
	uint64_t ns[NR_CATEGORIES];	/* all threads together */
	enum category class;
};

void profile__init(struct profile *p);
void profile__free(struct profile *p);
/* Adds a copy of s with copies of the stacks (leaf first). 0 or -ENOMEM. */
int profile__add(struct sample_set *set, const struct sample *s, const uint64_t *user, size_t nuser,
		 const uint64_t *kern, size_t nkern);
/* The thread's entry, created on first use (NULL on -ENOMEM). */
struct thread_info *profile__thread(struct profile *p, uint32_t tid);
/* Sums samples and waits into per-thread and process breakdowns and classifies them. */
void profile__finish(struct profile *p);
/* Names every frame of every sample. 0 or -ENOMEM. */
int profile__symbolize(struct profile *p, struct syms_cache *syms);
/* Name of a sample's leaf frame (the function on CPU), "[unknown]" when it has none. */
const char *sample__leaf(const struct sample *s);

/*
 * Calls fn for every stack of set as a flame graph shows it: the thread name, for off-CPU the
 * category ("[lock]"), then the frames root first; the weight is samples, or microseconds off
 * CPU (stacks under half a microsecond are left out). Stops at fn's first error.
 */
typedef int (*stack_visit_fn)(const char *const *frames, size_t n, uint64_t weight, void *ctx);
int profile__visit(const struct sample_set *set, bool offcpu, stack_visit_fn fn, void *ctx);

/* Tallies, most first (ties by name): for summaries and reports. */
struct name_count {
	const char *name;	/* points into the profile */
	uint64_t count;
};

/* Samples per leaf function (self time). The array is malloc'd; -ENOMEM on failure. */
ssize_t profile__leaf_counts(const struct sample_set *set, struct name_count **out);
/* Sum of the drop counters (all but CNT_SAMPLES). */
uint64_t profile__drops(const struct profile *p);

#endif /* PROFILE_H */
