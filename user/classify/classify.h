/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one classifier: what a wait was (from its signature, read in the kernel) and what holds an
 * entity back (from its wall-time breakdown). Pure; `record` and `top` both use it.
 */
#ifndef CLASSIFY_H
#define CLASSIFY_H

#include <stdint.h>
#include <linux/types.h>
#include "agentprof.h"

enum category {
	CAT_CPU,	/* running */
	CAT_RUNQ,	/* runnable, waiting for a CPU */
	CAT_LOCK,	/* mutexes, timed condition waits (the Python GIL), Ruby's GVL, kernel locks */
	CAT_NET,	/* sockets, and polling sets holding a connected socket */
	CAT_DISK,	/* block I/O: in_iowait, fsync family, reads and writes of files */
	CAT_SLEEP,	/* nanosleep, clock_nanosleep */
	CAT_IDLE,	/* waiting for work: untimed condition waits, accept, empty event loops */
	CAT_OTHER,	/* pipes, signals, children, faults */
	/*
	 * A span only: ready to run, but its event loop was busy running other requests (the loop
	 * thread's CPU time, in the span, spent in other contexts). Never a thread's or a wait's.
	 */
	CAT_QUEUE,
	NR_CATEGORIES,
};

const char *category_name(enum category c);
/* The category of one off-CPU interval. */
enum category classify_wait(const struct wait_sig *w);
/*
 * The class of an entity observed for wall_ns with this breakdown: the largest non-idle
 * category; idle when the non-idle time is under IDLE_BELOW_PERCENT of wall_ns.
 */
#define IDLE_BELOW_PERCENT 5
enum category classify_breakdown(const uint64_t ns[NR_CATEGORIES], uint64_t wall_ns);

#endif /* CLASSIFY_H */
