/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Drains what the kernel aggregated (sample counts, stacks, counters) into the profile model. */
#ifndef COLLECT_H
#define COLLECT_H

#include "profile.h"

struct oncpu_maps {
	int samples_fd;		/* struct sample_key -> __u64 count */
	int stacks_fd;		/* BPF_MAP_TYPE_STACK_TRACE */
	int counters_fd;	/* per-CPU __u64[NR_COUNTERS] */
};

/* 0 or -errno. Samples of other processes (none, with the in-kernel filter) are skipped. */
int collect_oncpu(const struct oncpu_maps *maps, struct profile *prof);

#endif /* COLLECT_H */
