/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Drains what the kernel aggregated (samples, waits, per-thread state, counters) into the model. */
#ifndef COLLECT_H
#define COLLECT_H

#include "profile.h"

struct kernel_maps {
	int samples_fd;		/* struct sample_key -> __u64 count */
	int offcpu_fd;		/* struct offcpu_key -> struct offcpu_val */
	int threads_fd;		/* __u32 tid -> struct thread_stats */
	int stacks_fd;		/* BPF_MAP_TYPE_STACK_TRACE */
	int counters_fd;	/* per-CPU __u64[NR_COUNTERS] */
};

/*
 * Reads every map once the programs are detached. end_ns (CLOCK_MONOTONIC) closes the state each
 * thread was in when recording stopped, so that its breakdown covers its whole observed time.
 * 0 or -errno.
 */
int collect(const struct kernel_maps *maps, uint64_t end_ns, struct profile *prof);

#endif /* COLLECT_H */
