/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Questions the outputs ask of a built profile: stacks as a flame graph roots them, peers, tallies. */
#ifndef QUERY_H
#define QUERY_H

#include <sys/types.h>
#include "model/profile.h"

/* Name of a sample's leaf frame (the function on CPU), "[unknown]" when it has none. */
const char *sample__leaf(const struct sample *s);

/*
 * Calls fn for every stack of set (one of p's) as a flame graph shows it: the frames of
 * p->group_by (the thread name; the process name; or "[trace ID]" and "[span NAME]" after the
 * thread), for off-CPU the category ("[lock]"), then the frames root first. The weight is
 * samples, or microseconds off CPU (stacks under half a microsecond are left out). Stops at
 * fn's first error.
 */
typedef int (*stack_visit_fn)(const char *const *frames, size_t n, uint64_t weight, void *ctx);
int profile__visit(const struct profile *p, const struct sample_set *set, bool offcpu, stack_visit_fn fn,
		   void *ctx);

/*
 * Whether a sample speaks for an entity: thread tid (0: any), spans named span_name (NULL: any;
 * a span's samples include those of the spans nested in it).
 */
bool profile__sample_of(const struct profile *p, const struct sample *s, uint32_t tid, const char *span_name);

/* Time waited on one network peer. */
struct peer_wait {
	struct net_peer peer;
	uint64_t ns;
	bool llm;		/* an LLM API: LLM calls went to it, or --llm-endpoint names it */
	const char *call;	/* the LLM call most made to it ("POST /v1/chat/completions"), or NULL */
	const char *host;	/* an LLM API: its calls' Host header, or NULL */
};

/*
 * Whether peer is an LLM API: LLM calls went to it, or --llm-endpoint names it. *call gets the
 * LLM call most made to it, *host (when host is not NULL) the Host header of one of them; NULL
 * when none.
 */
bool profile__llm_peer(const struct profile *p, const struct net_peer *peer, const char **call, const char **host);

/*
 * The peers an entity (as profile__sample_of) waited on in net waits, most waited on first (ties
 * by address), after profile__finish. The array is malloc'd; -ENOMEM on failure.
 */
ssize_t profile__peer_waits(const struct profile *p, uint32_t tid, const char *span_name, struct peer_wait **out);

/* Tallies, most first (ties by name): for summaries and reports. */
struct name_count {
	const char *name;	/* points into the profile */
	uint64_t count;
};

/* Samples per leaf function (self time). The array is malloc'd; -ENOMEM on failure. */
ssize_t profile__leaf_counts(const struct sample_set *set, struct name_count **out);
/* Sum of the drop counters (all but CNT_SAMPLES). */
uint64_t profile__drops(const struct profile *p);

#endif /* QUERY_H */
