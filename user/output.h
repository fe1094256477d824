/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Output formats of a recording: each one file in the output directory, chosen through a table. */
#ifndef OUTPUT_H
#define OUTPUT_H

#include <stdio.h>
#include <jansson.h>
#include "profile.h"

struct output_ops {
	const char *file;
	int (*write)(FILE *f, const struct profile *p);
};

extern const struct output_ops folded_cpu_output;	/* cpu.folded */
extern const struct output_ops folded_offcpu_output;	/* offcpu.folded */
extern const struct output_ops svg_cpu_output;		/* cpu.svg */
extern const struct output_ops svg_offcpu_output;	/* offcpu.svg */
extern const struct output_ops report_json_output;	/* report.json */
extern const struct output_ops spans_jsonl_output;	/* spans.jsonl */
extern const struct output_ops pprof_cpu_output;	/* cpu.pb.gz */
extern const struct output_ops pprof_offcpu_output;	/* offcpu.pb.gz */
extern const struct output_ops speedscope_cpu_output;	/* cpu.speedscope.json */
extern const struct output_ops speedscope_offcpu_output;	/* offcpu.speedscope.json */

/* The name of a drop counter as report.json and the metrics give it; NULL for those that are no loss. */
const char *drop_name(enum counter c);

/* report.json's object: `top --json` prints one per interval. NULL on -ENOMEM. */
json_t *report_json(const struct profile *p);
/* {"cpu": ns, "runq": ns, ...} */
json_t *breakdown_json(const uint64_t ns[NR_CATEGORIES]);
/* [{"peer": "10.0.0.7:443", "wait_ns": N, "llm": true}, ...] of an entity (as profile__peer_waits). */
json_t *net_peers_json(const struct profile *p, uint32_t tid, const char *span_name);
/* One line of spans.jsonl. */
json_t *span_json(const struct profile *p, const struct span_info *s);
/* report.json's "spans": per span name, count, percentiles, breakdown, class, top stacks. */
json_t *span_names_json(const struct profile *p);
/* report.json's "traces": per trace id, its spans' breakdown and class. */
json_t *traces_json(const struct profile *p);

/* The human summary on stdout: totals, drops, where the time went, the hottest functions. */
void print_summary(FILE *f, const struct profile *p, const char *outdir);

#endif /* OUTPUT_H */
