/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What memory did over a recording (--memory), from the model: whether RSS grew steadily, the
 * stacks that keep most, the leak candidates, and the frame each is owned by. Pure: no I/O.
 */
#ifndef MEMGROWTH_H
#define MEMGROWTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "model/profile.h"

#define MEM_STEADY_MIN_BYTES	(4ull << 20)	/* less growth than this is no verdict */
#define MEM_STEADY_MIN_R2	0.8		/* how straight a line RSS must follow to grow steadily */
#define MEM_LEAK_MIN_BYTES	(1ull << 20)	/* a stack keeping less is no leak candidate */

/* RSS over the recording, as a least-squares line through its points. */
struct rss_trend {
	size_t points;
	uint64_t first_bytes, last_bytes, max_bytes;
	uint64_t span_ns;		/* first point to last */
	double bytes_per_s;		/* the line's slope */
	double r2;			/* 1: every point on the line; 0: none explained by it */
	bool steady;			/* grew by MEM_STEADY_MIN_BYTES or more, along a straight line */
};

void mem_rss_trend(const struct rss_point *v, size_t n, struct rss_trend *t);

/*
 * One stack's memory over the recording: its samples (each of one thread and span) together,
 * by their frames. s: one of them, for its frames, thread and span.
 */
struct mem_stack {
	const struct sample *s;
	struct mem_bytes mem;
	uint64_t kept;
	uint64_t first_ns, last_ns;	/* its first and its last growth */
	uint32_t nsamples;
};

/* The stacks that keep bytes resident, most first (ties by frames): malloc'd array, n or -ENOMEM. After symbolize. */
ssize_t mem_top_stacks(const struct profile *p, struct mem_stack **out);

/*
 * A stack that grew and never gave back: it keeps MEM_LEAK_MIN_BYTES or more, and 90% or more
 * of what it faulted in. Its age: from its first growth to the end of the recording.
 */
struct leak_candidate {
	struct mem_stack st;
	uint64_t age_ns;
	double bytes_per_s;		/* kept over its first to last growth; 0 when it grew once */
};

/* Leak candidates, most kept first: malloc'd array, n or -ENOMEM. */
ssize_t mem_leak_candidates(const struct profile *p, struct leak_candidate **out);

/*
 * The frame a memory stack is owned by, after symbolize: the innermost one that is the program's
 * (a Python function, or native code outside the C library, the interpreter and the kernel),
 * else the leaf; NULL when the stack has no frames.
 */
const char *mem_owner_frame(const struct profile *p, const struct sample *s);
/* Bytes kept by the stacks that hold frame name (each stack counted once). */
uint64_t mem_kept_under(const struct profile *p, const char *frame);

#endif /* MEMGROWTH_H */
