/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A recording read back for comparison: a record directory, its report.json alone, or a diff baseline. */
#ifndef RECORDING_H
#define RECORDING_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "classify/classify.h"

/* The version of baseline.json this agentprof writes and reads. */
#define BASELINE_VERSION 1

enum rec_kind {
	REC_DIR,	/* report.json, spans.jsonl, cpu.folded, offcpu.folded */
	REC_REPORT,	/* a report.json alone: span quantiles and categories, no durations, no stacks */
	REC_BASELINE,	/* diff's baseline.json: everything diff reads of a directory */
};

/*
 * A span name's time in one part: a category ("cpu", "net": net no peer is known for), or its
 * net on one peer ("llm:HOST", "net:ADDRESS:PORT").
 */
struct rec_part {
	char *name;
	double *ns;	/* one per span (0 for a span without it), in no order; NULL: the sum alone is known */
	size_t len, cap;
	double sum_ns;
};

/* The order parts are shown in: the categories' order, net's peers after net by name. */
int rec_part_cmp(const char *a, const char *b);

/* Every finished span of one name. */
struct rec_span {
	char *name;
	/*
	 * Durations less the span's runq time, sorted: waiting for a CPU is the machine's load, not
	 * the program's (from spans.jsonl, or a baseline). NULL when only quantiles are known (a
	 * report.json: of whole durations, runq included).
	 */
	double *dur_ns;
	double *wall_ns;	/* the whole durations (spans.jsonl only), sorted */
	size_t count;
	double p50_ns, p95_ns, p99_ns;	/* of dur_ns, or report.json's */
	double wall_q_ns[3];		/* p50, p95, p99 of the whole durations: report.json's quantiles */
	uint64_t ns[NR_CATEGORIES];	/* summed over its spans */
	struct rec_part *parts;		/* categories, net split by peer; sorted by category, then name */
	size_t nparts;
};

/* Folded stacks, one entry per distinct stack text. */
struct rec_stack {
	char *stack;
	uint64_t count;
};

struct rec_stacks {
	struct rec_stack *v;
	size_t n;
	uint64_t total;
	bool present;
};

/* Every thread of one name (report.json's threads by comm): a pool's workers add up. */
struct rec_thread {
	char *name;
	uint64_t ns[NR_CATEGORIES];
};

struct recording {
	char *path;
	enum rec_kind kind;
	char *comm;
	long long pid;
	uint64_t duration_ns;
	long freq_hz;
	uint64_t samples;
	uint64_t cat_ns[NR_CATEGORIES];	/* the process's breakdown_ns */
	struct rec_thread *threads;
	size_t nthreads;
	struct rec_span *spans;		/* sorted by name */
	size_t nspans;
	struct rec_stacks cpu, offcpu;	/* samples; microseconds */
	/*
	 * Its spans' net is split by peer: every span of spans.jsonl has net_peers (an older
	 * agentprof wrote them for requests on an event loop only, without hosts).
	 */
	bool net_by_peer;
};

/*
 * Reads path: a directory record wrote, a report.json, or a baseline.json. Unreadable, truncated
 * or foreign input is refused in one line that names the file (-EINVAL, -ENOENT...); what can be
 * read but looks incomplete is said as a warning. 0 or -errno.
 */
int recording__load(struct recording *r, const char *path);
void recording__free(struct recording *r);

/* Its spans' net by peer merged back into net, as an older recording has it: to compare with one. */
void recording__net_whole(struct recording *r);

/* One folded line "stack count" (count: decimal digits), len without the line break. 0 or -EINVAL. */
int folded_line_parse(const char *line, size_t len, size_t *stack_len, uint64_t *count);

/* r as a baseline (baseline.json): what a team keeps in its repository to diff against. */
json_t *recording__baseline_json(const struct recording *r);

#endif /* RECORDING_H */
