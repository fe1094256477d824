/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The recording's spans as OpenTelemetry traces: one ExportTraceServiceRequest (OTLP's protobuf,
 * or OTLP/JSON) per batch, with the breakdown of each span as attributes. Pure: no I/O.
 */
#ifndef OTLP_H
#define OTLP_H

#include <stddef.h>
#include <stdint.h>
#include "model/profile.h"

enum otlp_format { OTLP_PROTOBUF, OTLP_JSON };

/* What the resource says of where the spans come from; NULL or 0: unknown, left out. */
struct otlp_resource {
	const char *service_name;	/* --service, or the process's comm */
	uint32_t pid;			/* process.pid: 0 for a container */
	const char *host_name;
	const char *container_id;
	const char *version;		/* the instrumentation scope's (agentprof's) version */
};

/* One attribute of a span or of the resource, as both encodings write it. */
enum otlp_type { OTLP_STRING, OTLP_INT, OTLP_BOOL };

#define OTLP_STR_LEN 512	/* a verdict fits */

struct otlp_attr {
	const char *key;
	enum otlp_type type;
	int64_t i;		/* OTLP_INT, OTLP_BOOL */
	char s[OTLP_STR_LEN];	/* OTLP_STRING, NUL-terminated valid UTF-8 */
};

#define OTLP_MAX_ATTRS 32

/*
 * The attributes of one span of p (as the profile's spans[] hold it), at most OTLP_MAX_ATTRS:
 * agentprof.<category>_ns for every category, agentprof.class, agentprof.verdict, thread.id,
 * server.address/server.port of a client span, network.peer.* of an HTTP span, agentprof.llm,
 * agentprof.unfinished, an LLM call's gen_ai.* (and agentprof.ttft_ns, agentprof.streaming). Returns how many.
 */
size_t otlp_span_attrs(const struct profile *p, const struct span_info *s, struct otlp_attr *a);

/* The span's OTLP kind: SERVER (2) for an inbound HTTP request, CLIENT (3) for an outbound one, else INTERNAL (1). */
int otlp_span_kind(const struct span_rec *r);

/*
 * A time of the recording's clock (CLOCK_MONOTONIC, spans.jsonl's) in Unix nanoseconds, through
 * the offset taken when the recording started (report.json's start_unix_ns - window_start_ns).
 */
uint64_t otlp_unix_ns(const struct profile *p, uint64_t mono_ns);

/*
 * n spans as one request body, *body malloc()ed: a range of p->spans (p after profile__finish and
 * symbolization), or spans of p's window with breakdowns summed over several (top). p gives the
 * clock offset, the window's end and the verdicts. A span still open when the recording stopped
 * ends at the window's end, marked agentprof.unfinished. 0 or -ENOMEM.
 */
int otlp_encode(const struct profile *p, const struct otlp_resource *res, const struct span_info *spans, size_t n,
		enum otlp_format fmt, uint8_t **body, size_t *len);

#endif /* OTLP_H */
