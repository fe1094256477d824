/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The JSON objects of a recording: report.json's, and the pieces `top --json` and spans.jsonl share. */
#ifndef JSON_H
#define JSON_H

#include <jansson.h>
#include "model/profile.h"

/* json_common.c */
/* The name of a drop counter as report.json and the metrics give it; NULL for those that are no loss. */
const char *drop_name(enum counter c);
/* {"cpu": ns, "runq": ns, ...} */
json_t *breakdown_json(const uint64_t ns[NR_CATEGORIES]);
/* [{"peer": "10.0.0.7:443", "wait_ns": N, "llm": true}, ...] of an entity (as profile__peer_waits). */
json_t *net_peers_json(const struct profile *p, uint32_t tid, const char *span_name);

/* output_spans.c */
/* report.json's "spans": per span name, count, percentiles, breakdown, class, top stacks. */
/* report.json's "llm_calls": per LLM endpoint and model, the calls, their durations, ttft and usage. */
json_t *llm_calls_json(const struct profile *p);
json_t *span_names_json(const struct profile *p);
/* report.json's "traces": per trace id, its spans' breakdown and class. */
json_t *traces_json(const struct profile *p);

/* output_memory.c */
/* {"mapped": N, "unmapped": N, "faulted": N, "released": N, "kept": N} */
json_t *mem_bytes_json(const struct mem_bytes *m);
/* report.json's "memory": null without --memory. */
json_t *memory_json(const struct profile *p);

/* output_json.c */
/* report.json's object: `top --json` prints one per interval. NULL on -ENOMEM. */
json_t *report_json(const struct profile *p);

#endif /* JSON_H */
