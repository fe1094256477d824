/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The spans of a profile grouped by name and by trace: the one definition of their aggregates. */
#ifndef SPANGROUPS_H
#define SPANGROUPS_H

#include <stddef.h>
#include <stdint.h>
#include "model/profile.h"

/* Every span of one name: what report.json, the summary, `top` and the metrics show of it. */
struct span_group {
	const char *name;		/* the spans' own (the profile's storage) */
	size_t count;			/* finished in the window */
	size_t unfinished;		/* still open when it closed */
	uint64_t p50_ns, p95_ns, p99_ns;/* nearest-rank percentiles of the finished ones' durations */
	uint64_t ns[NR_CATEGORIES];	/* inclusive of the spans nested in them */
	uint64_t wall_ns;		/* their lifetimes in the window, summed */
	struct mem_bytes mem;		/* --memory: inclusive of the spans nested in them */
	enum category class;
};

/* Every span of one trace: each span's own time counted once, nested spans not twice. */
struct trace_group {
	uint8_t trace_id[16];
	size_t span_count;
	uint64_t duration_ns;		/* its first span's start to its last one's end */
	uint64_t ns[NR_CATEGORIES];
	struct mem_bytes mem;		/* --memory: each span's own, once */
	enum category class;
};

/*
 * The LLM calls to one endpoint (span name and Host header) answered by one model (the response's,
 * else the request's, "" when neither was seen): report.json's llm_calls and the metrics.
 */
struct llm_group {
	const char *name, *host, *model;	/* the profile's storage */
	const char *operation, *provider;	/* gen_ai.*: the first call's, NULL: not known */
	size_t count;				/* finished in the window */
	size_t unfinished;
	size_t streamed;			/* of the finished ones, asked for a stream */
	uint64_t p50_ns, p95_ns;		/* of the finished ones' durations */
	size_t ttft_count;			/* finished ones with a time to the first byte */
	uint64_t ttft_p50_ns, ttft_p95_ns;
	uint64_t wall_ns;			/* the finished ones' durations, summed */
	uint64_t input_tokens, output_tokens;	/* summed over the calls that said them */
	size_t usage_count;			/* calls with a count of either */
};

/* Span names, sorted by name; *out is free()d by the caller. 0 or -ENOMEM. */
int span_groups__by_name(const struct profile *p, struct span_group **out, size_t *n);
/* Traces, sorted by trace id; *out is free()d by the caller. 0 or -ENOMEM. */
int span_groups__by_trace(const struct profile *p, struct trace_group **out, size_t *n);

/* LLM calls, sorted by name, host and model; *out is free()d by the caller. 0 or -ENOMEM. */
int span_groups__by_llm(const struct profile *p, struct llm_group **out, size_t *n);

#endif /* SPANGROUPS_H */
