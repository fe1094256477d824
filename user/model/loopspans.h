/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Requests served on an event loop: where server spans overlap on one thread, the kernel's span
 * stack cannot say whose time is whose, so each request's time is split here from the thread's
 * CPU and runq time stamped on every span event and from the context each event was seen in.
 */
#ifndef LOOPSPANS_H
#define LOOPSPANS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "classify/classify.h"
#include "model/spans.h"

#define LOOP_PEERS 4	/* peers a request's calls are kept for, the first ones it called */

/* Time a request's outbound calls to one peer were outstanding (the union of their intervals). */
struct loop_peer {
	struct net_peer peer;
	uint64_t ns;
	bool llm;
};

/* Where one span's time went on its event loop: sums to its duration. */
struct loop_breakdown {
	uint64_t ns[NR_CATEGORIES];
	struct loop_peer peers[LOOP_PEERS];	/* net by peer, in the order first called */
	size_t npeers;
	bool call;	/* a client span of a request on the loop: its time is its request's too */
};

struct loop_index;

/*
 * The loop threads of the table (threads where one server span began while another was open)
 * and their span events in time order. 0, or -ENOMEM (*out NULL).
 */
int loop_index__build(const struct span_table *t, struct loop_index **out);
/*
 * The breakdown of finished span r when it is a request served on a loop thread (a server span
 * begun and ended there) or one of its calls (a client span in its trace, its child): true.
 *
 * Request S, whose own code runs in the context its response was written from: between two span
 * events of its thread, the thread's CPU time is S's own `cpu` when the later event was seen in
 * S's context (the code that ran up to a write is the writer's), and `queue` otherwise (other
 * requests, the loop itself); while one of S's calls is outstanding, the time that is not S's
 * CPU is `net`, on the call's peer; outside its calls, the thread's runq time is `runq` and its
 * time off CPU is `blocked` (what the loop thread waits in most: it is no wait of S's own
 * calls). A call: its own context's CPU time as `cpu`, the rest `net`. false: r is neither, or
 * its thread's CPU time is not known (its events were not stamped).
 */
bool loop_index__breakdown(const struct loop_index *ix, const struct span_table *t, const struct span_rec *r,
			   enum category blocked, struct loop_breakdown *out);
void loop_index__free(struct loop_index *ix);

#endif /* LOOPSPANS_H */
