/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A snapshot of what the kernel aggregated, with every thread's open state closed at the moment
 * it was taken, so that the difference of two snapshots is exactly what happened in between:
 * `record` turns one snapshot into its profile, `top` the difference of two per interval.
 */
#ifndef SNAPSHOT_H
#define SNAPSHOT_H

#include <stdint.h>
#include <sys/types.h>
#include "capture/loader.h"
#include "model/profile.h"

struct snap_sample {
	struct sample_key key;
	uint64_t count;
};

struct snap_wait {
	struct offcpu_key key;
	struct offcpu_val val;
};

struct snap_thread {
	uint32_t pid;
	uint32_t tid;
	char comm[TASK_COMM_LEN];
	uint64_t wall_ns;	/* first seen -> exit, or -> the snapshot */
	uint64_t cpu_ns;
	uint64_t first_ns;	/* when the kernel side first saw it (with tid: its entry's identity) */
	uint64_t exit_ns;	/* exited: when (bpf_ktime_get_ns, CLOCK_MONOTONIC) */
	bool exited;
};

struct snapshot {
	uint64_t at_ns;		/* CLOCK_MONOTONIC */
	struct snap_sample *samples;	/* each array sorted by key */
	struct snap_wait *waits;
	struct snap_thread *threads;
	struct span_cpu *span_cpu;
	uint32_t *held;		/* spans a live thread still runs or waits in (sorted; may repeat) */
	size_t nsamples, nwaits, nthreads, nspan_cpu, nheld;
	uint64_t counters[NR_COUNTERS];
};

/* Reads the maps of pid's recording (0: every process's) at time now_ns (CLOCK_MONOTONIC). 0 or -errno. */
int snapshot__read(const struct kernel_maps *maps, pid_t pid, uint64_t now_ns, struct snapshot *s);
/*
 * Adds to prof what happened between prev (NULL: since the start) and cur: samples, waits,
 * per-thread and per-span CPU time, with their stacks from the caches (py: NULL when the target
 * runs no Python). profile__finish then sums and classifies.
 */
struct stack_cache;
struct py_stacks;
int snapshot__diff(const struct snapshot *cur, const struct snapshot *prev, struct stack_cache *stacks,
		   struct py_stacks *py, struct profile *prof);
/*
 * Retiring exited threads. The kernel's maps hold an entry per thread and per distinct stack of
 * each; a recording that outlives many threads or children would fill them. Once a snapshot has
 * read the final totals of a thread that exited, they move to userspace and out of the maps.
 *
 * Moves out of s, into out (each array sorted), the threads that exited before before_ns and the
 * samples and waits they own. 0 or -ENOMEM (s as it was, as far as memory allows).
 */
int snapshot__take_exited(struct snapshot *s, uint64_t before_ns, struct snapshot *out);
/*
 * The same for spans: moves out of s, into out, the samples, waits and CPU time of the spans
 * that ended before before_ns and that no live thread still holds (an open state in the kernel
 * keyed by one would add its whole length again when it closes). They will not change any more;
 * a late sample of one comes back as a new entry, and adds up with what was taken where both are
 * merged.
 */
struct span_table;
int snapshot__take_spans(struct snapshot *s, const struct span_table *spans, uint64_t before_ns, struct snapshot *out);
/* Whether the kernel's thread map holds a thread that exited before before_ns: 1, 0 or -errno. */
int snapshot__any_exited(const struct kernel_maps *maps, uint64_t before_ns);
/* Moves out of s, into out, the threads of owners (by pid and tid) and their samples and waits. */
int snapshot__take_owned(struct snapshot *s, const struct snapshot *owners, struct snapshot *out);
/* Adds add's entries to into: counts of equal keys summed, threads side by side. 0 or -ENOMEM. */
int snapshot__merge(struct snapshot *into, const struct snapshot *add);
/*
 * Deletes gone's entries from the kernel's maps; a thread's entry only while it is the one gone
 * holds (dead, same first_ns): one whose tid a new thread took since is left alone.
 */
void snapshot__delete(const struct snapshot *gone, const struct kernel_maps *maps);
void snapshot__free(struct snapshot *s);
/* The processes the kernel side follows a live thread of (malloc'd, NULL when none): how many, or -errno. */
ssize_t snapshot__pids(const struct kernel_maps *maps, pid_t **pids);

#endif /* SNAPSHOT_H */
