/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Output formats of a recording: each one file in the output directory, chosen through a table. */
#ifndef OUTPUT_H
#define OUTPUT_H

#include <stdbool.h>
#include <stdio.h>
#include "model/profile.h"

struct output_ops {
	const char *file;
	int (*write)(FILE *f, const struct profile *p);
	bool (*wanted)(const struct profile *p);	/* NULL: always written */
};

extern const struct output_ops folded_cpu_output;	/* cpu.folded */
extern const struct output_ops folded_offcpu_output;	/* offcpu.folded */
extern const struct output_ops svg_cpu_output;		/* cpu.svg */
extern const struct output_ops svg_offcpu_output;	/* offcpu.svg */
extern const struct output_ops report_json_output;	/* report.json */
extern const struct output_ops spans_jsonl_output;	/* spans.jsonl */
extern const struct output_ops spans_csv_output;	/* spans.csv */
extern const struct output_ops pprof_cpu_output;	/* cpu.pb.gz */
extern const struct output_ops pprof_offcpu_output;	/* offcpu.pb.gz */
extern const struct output_ops speedscope_cpu_output;	/* cpu.speedscope.json */
extern const struct output_ops speedscope_offcpu_output;	/* offcpu.speedscope.json */
extern const struct output_ops folded_mem_output;	/* mem.folded (--memory) */
extern const struct output_ops svg_mem_output;		/* mem.svg (--memory) */
extern const struct output_ops pprof_mem_output;	/* mem.pb.gz (--memory) */

/* Whether --memory was on: the memory outputs are written. */
bool output_memory_wanted(const struct profile *p);

#endif /* OUTPUT_H */
