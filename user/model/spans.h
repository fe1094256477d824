/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Spans as their begin and end events arrive from the kernel, indexed by sequence number. */
#ifndef SPANS_H
#define SPANS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "agentprof.h"

struct span_rec {
	uint32_t seq;
	uint32_t tid;			/* the thread it began on */
	uint32_t outer;			/* the span active on that thread when it began, 0: none */
	uint32_t end_tid;		/* the thread that ended it */
	uint64_t start_ns, end_ns;	/* CLOCK_MONOTONIC */
	uint64_t body_ns;		/* a client span: when its response's body began, 0: unknown */
	uint64_t begin_ctx, end_ctx;	/* the context of the threads that began and ended it (thread_context()), 0: none */
	uint64_t begin_cpu, begin_runq;	/* the CPU and runq time of the thread that began it, at its start */
	uint64_t end_cpu, end_runq;	/* and of the thread that ended it, at its end (0: not tracked) */
	uint8_t trace_id[16], span_id[8], parent_id[8];
	char name[SPAN_NAME_LEN];	/* NUL-terminated */
	struct net_peer peer;		/* an HTTP span's connection: the other end */
	uint32_t flags;			/* enum span_flags */
	char host[SPAN_HOST_LEN];	/* an HTTP span's Host header, "" when none */
	bool begun, ended;		/* an event may be lost (counted in the kernel) */
	bool llm;			/* an LLM call (named "llm POST /v1/...") */
	bool trace_generated;		/* its trace id is agentprof's: no traceparent began the trace */
	bool by_context;		/* adopted by the request whose context wrote it (an event loop) */
	struct span_genai genai;	/* an LLM call's model, usage and stream flag, as the kernel read them */
	const char *operation;		/* an LLM call's gen_ai.operation.name (static), NULL: not known */
	const char *provider;		/* its gen_ai.provider.name (static), NULL: not known */
};

struct llm_endpoints;

struct span_table {
	struct span_rec *v;		/* v[seq - 1] */
	size_t cap;
	uint32_t max_seq;
	uint64_t last_end_ns;		/* the latest end of a span (CLOCK_MONOTONIC), 0: none yet */
	const struct llm_endpoints *llm;	/* more LLM endpoints than the known APIs, or NULL */
};

/*
 * Records one event (an HTTP call to an LLM API is marked and renamed so); events of unknown type
 * or seq 0 are ignored. An outbound request that had no traceparent joins the trace of the span
 * it began in (the innermost one that is no client span), as its child; or, when a thread's context
 * was known as it wrote it (an asyncio task's, a Node connection's), the server span whose response
 * that context wrote next (on an event loop the thread's spans are many requests'). 0 or -ENOMEM.
 */
int span_table__add(struct span_table *t, const struct span_event *e);
/*
 * Records what the kernel read of an HTTP client span's JSON (e: size bytes from the ring buffer):
 * model names that are not NUL-terminated runs of [A-Za-z0-9._:/-] are dropped, with their flag.
 * 0 or -ENOMEM.
 */
int span_table__add_genai(struct span_table *t, const void *e, size_t size);
/* Whether m is a model name that may be shown: 1 to GENAI_MODEL_LEN - 1 of [A-Za-z0-9._:/-], NUL-terminated. */
bool genai_model_ok(const char *m);
/* The span, or NULL when no event of it arrived. */
const struct span_rec *span_table__get(const struct span_table *t, uint32_t seq);
void span_table__free(struct span_table *t);
/* "server" (an inbound HTTP request), "client" (an outbound one) or "internal" (the SDK's). */
const char *span_kind_name(const struct span_rec *r);
/* The flags a kind name stands for (0 for "internal" or anything else). */
uint32_t span_kind_flags(const char *name);
/* Lowercase hex of n bytes into buf (2n + 1 bytes). */
void hex_id(const uint8_t *id, size_t n, char *buf);

#endif /* SPANS_H */
