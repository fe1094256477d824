/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * --memory seen from userspace: the kernel's memory events drained into the ledger, the
 * recording's RSS read once a second, and both turned into the profile's memory samples.
 */
#ifndef CAPTURE_MEMORY_H
#define CAPTURE_MEMORY_H

#include <stdint.h>
#include <sys/types.h>
#include "model/profile.h"

struct mem_capture;
struct stack_cache;
struct py_stacks;

/* Reads the `mem_events` ring buffer (ring_fd). NULL and errno, after saying what failed. */
struct mem_capture *mem_capture__new(int ring_fd);
/* Replays the events that arrived into the ledger. */
void mem_capture__drain(struct mem_capture *m);
/* Reads the resident memory of pids[0..n) together, at at_ns (CLOCK_MONOTONIC): one point of the series. */
void mem_capture__sample_rss(struct mem_capture *m, const pid_t *pids, size_t n, uint64_t at_ns);
/* The ledger's accounts as prof's memory samples, with their stacks; the RSS series. 0 or -ENOMEM. */
int mem_capture__profile(struct mem_capture *m, struct stack_cache *stacks, struct py_stacks *py,
			 struct profile *prof);
void mem_capture__free(struct mem_capture *m);

#endif /* CAPTURE_MEMORY_H */
