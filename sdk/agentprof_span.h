/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * agentprof span SDK: mark where a request, a tool call or an LLM call begins and ends, with
 * W3C trace context ids, so that agentprof attributes CPU and wait time to spans and traces.
 * Each call is one USDT probe (provider "agentprof"): a nop instruction when no profiler is
 * attached, and one probe hit when one is. Link with -lagentprof_span.
 */
#ifndef AGENTPROF_SPAN_H
#define AGENTPROF_SPAN_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Begins a span on the calling thread: it is the thread's active span until it ends (or a
 * nested span begins). parent_span_id is NULL for a root span; name is copied (up to 63 bytes).
 */
void agentprof_span_begin(const unsigned char trace_id[16], const unsigned char span_id[8],
			  const unsigned char parent_span_id[8], const char *name);
/*
 * Ends a span, on any thread. With both ids NULL: the innermost span begun on this thread with
 * agentprof_span_begin_traceparent (whose ids the caller never saw).
 */
void agentprof_span_end(const unsigned char trace_id[16], const unsigned char span_id[8]);
/*
 * Begins a child span of a W3C traceparent ("00-<32 hex>-<16 hex>-<2 hex>", lowercase; all-zero
 * ids and version ff are invalid), with a new random span id. 0, or -EINVAL (nothing begun).
 */
int agentprof_span_begin_traceparent(const char *traceparent, const char *name);

#ifdef __cplusplus
}
#endif

#endif /* AGENTPROF_SPAN_H */
