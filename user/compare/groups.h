/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A span's time by part (net by peer), and the groups of spans compared beside the span names: traces by their root, LLM calls by their endpoint. */
#ifndef GROUPS_H
#define GROUPS_H

#include <stddef.h>
#include <stdint.h>
#include "base/intern.h"
#include "classify/classify.h"

#define SPAN_PEERS 4		/* peers a span's net time is split among (the model keeps as many) */
#define PART_NAME_LEN 160	/* "llm:" and a host, "net:" and an address */

/*
 * Where one span's time went: ns per category (net whole), and net by peer, each part named
 * "llm:HOST" (an LLM API, by its calls' Host header, else its address) or "net:ADDRESS:PORT".
 */
struct span_time {
	uint64_t ns[NR_CATEGORIES];
	struct span_peer_ns {
		char name[PART_NAME_LEN];
		uint64_t ns;
	} peers[SPAN_PEERS];
	size_t npeers;
};

/* Adds ns to the part name of t (past SPAN_PEERS parts it stays in net without a peer). */
void span_time__add_peer(struct span_time *t, const char *name, uint64_t ns);
/* b added into a. */
void span_time__add(struct span_time *a, const struct span_time *b);

/*
 * "[trace] NAME": the traces of two spans or more whose root in the recording (the first started
 * of those whose parent is none of the recording's spans) is named NAME, each by the sum of its
 * roots' durations: a request of that kind, end to end. "[llm] HOST": every LLM
 * call to one endpoint (its host, else its peer), where that is not just one span name again.
 */
struct span_groups {
	struct group_span *v;
	size_t n;
	struct intern ids;	/* "trace/span" */
	struct intern traces;	/* trace ids */
	struct intern hosts;	/* LLM endpoints */
	struct intern names;	/* span names */
};

/* What groups take of a finished span of spans.jsonl: ids as written there, NULL when absent. */
struct group_input {
	const char *name, *trace_id, *span_id, *parent_id;
	const char *llm_host;	/* an LLM call's host, else its peer; NULL: not an LLM call */
	uint64_t start_ns;	/* 0: not known */
	double d, wall;		/* its duration less runq, its whole duration */
	const struct span_time *t;
};

/* One finished span. 0 or -ENOMEM. */
int span_groups__add(struct span_groups *g, const struct group_input *in);

typedef int (*group_fn)(void *ctx, const char *group, double d, double wall, const struct span_time *t);

/* Calls fn for each member of each group, then frees g. 0 or fn's error, -ENOMEM. */
int span_groups__finish(struct span_groups *g, group_fn fn, void *ctx);

#endif /* GROUPS_H */
