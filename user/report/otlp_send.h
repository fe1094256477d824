/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * OTLP/HTTP export: a bounded queue of request bodies, sent gzipped by one thread (libcurl), retried
 * with exponential backoff on 429/502/503/504 only, never blocking whoever queues them.
 */
#ifndef OTLP_SEND_H
#define OTLP_SEND_H

#include <stddef.h>
#include <stdint.h>
#include "report/otlp.h"

struct otlp_send_opts {
	const char *url;		/* the endpoint: requests go to URL/v1/traces */
	const char *const *headers;	/* "Key: Value" lines (secrets: never logged), nheaders of them */
	size_t nheaders;
	enum otlp_format format;
	size_t queue_spans;		/* spans queued at most; past it a batch is dropped, and counted */
	long request_timeout_ms;	/* one request, connecting included */
	int max_retries;		/* of one batch */
};

/* What became of the spans queued (each of them is sent or dropped once). */
struct otlp_stats {
	uint64_t spans_sent;
	uint64_t spans_retried;		/* sent or not, in a batch that needed more than one request */
	uint64_t spans_dropped;		/* the sum of the four below */
	uint64_t dropped_queue_full;	/* the queue held queue_spans already */
	uint64_t dropped_rejected;	/* an answer that is no success and not to be retried (400, 500...) */
	uint64_t dropped_failed;	/* no answer (refused, reset, timed out) or retries used up */
	uint64_t dropped_at_exit;	/* still queued or in flight at the deadline */
	uint64_t requests, retries, batches_sent;
	uint64_t bytes_sent;		/* request bodies as sent (gzipped) */
	char last_error[160];		/* why the last batch was dropped, "" when none was */
};

struct otlp_sender;

/* Starts the sending thread. NULL and errno set (after one line saying why) on failure. */
struct otlp_sender *otlp_sender__new(const struct otlp_send_opts *o);
/*
 * Queues one request body of nspans spans, taking body (malloc()ed): never blocks. When the queue
 * is full it is dropped (counted) and freed.
 */
void otlp_sender__submit(struct otlp_sender *s, uint8_t *body, size_t len, size_t nspans);
/* A copy of the counts so far. */
void otlp_sender__stats(struct otlp_sender *s, struct otlp_stats *st);
/*
 * Sends what is queued until the queue is empty or deadline_ns (CLOCK_MONOTONIC) passes; then stops
 * the request in flight and counts what is left as dropped at exit. Joins the thread and frees s
 * (NULL is a no-op); *st gets the final counts.
 */
void otlp_sender__finish(struct otlp_sender *s, uint64_t deadline_ns, struct otlp_stats *st);

#endif /* OTLP_SEND_H */
