/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Two recordings compared: spans by their durations, their tails and where their time went, functions, categories and waits by shares, each family corrected for the many tested. */
#ifndef DIFF_H
#define DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "compare/recording.h"

struct diff_opts {
	double alpha;		/* after Holm's correction over the family */
	double min_effect;	/* relative change that counts (0.05: 5%) */
	double min_abs_ns;	/* and a span median that moved at least this: over a VM's timer jitter */
	double min_share;	/* shares tested: above this on one side */
	double min_share_change;/* and a share that moved at least this (absolute, 0.01: 1 point) */
	size_t min_spans;	/* spans of a name on each side to test it */
	double min_tail;	/* spans beyond a p95 (p99) on each side to test it */
	uint64_t min_samples;	/* on-CPU samples (and off-CPU observations) on each side to test shares */
	double min_expected;	/* and counts expected in and out of the share at the pooled share */
	double quantum_ns;	/* off-CPU time counted in observations of this much, as a 99 Hz sampler would */
};

#define DIFF_OPTS_DEFAULT                                                                     \
	((struct diff_opts){ .alpha = 0.01, .min_effect = 0.05, .min_abs_ns = 500e3, .min_share = 0.01, \
			     .min_share_change = 0.01, .min_spans = 8, .min_tail = 4, .min_samples = 50, \
			     .min_expected = 5,                                                        \
			     .quantum_ns = 10e6 })

enum change {
	CHANGE_NONE,	/* not significant, or not tested */
	CHANGE_GREW,
	CHANGE_SHRANK,
	CHANGE_APPEARED,	/* significant, and absent before */
	CHANGE_DISAPPEARED,
};

const char *change_name(enum change c);

enum { Q50, Q95, Q99, NR_QUANTILES };

/* A tail's verdict: a bootstrap of the p95 or p99 (stats_quantile_test), and the quantile's own move. */
struct tail_diff {
	bool tested;
	const char *untested;		/* why not, when not (and the span was tested) */
	int direction;			/* > 0: the quantile is larger after */
	double p, p_adj;
	enum change change;
};

/* A span name's mean time in one part, a category or net on one peer, tested span by span. */
struct part_diff {
	const char *name;		/* "cpu", "net" (no peer known), "llm:HOST", "net:ADDRESS:PORT" */
	double mean_ns[2];
	bool tested;
	double z, p, p_adj;
	enum change change;
};

struct span_diff {
	const char *name;		/* the recordings' storage */
	size_t count[2];		/* before, after */
	double q_ns[2][NR_QUANTILES];
	double rel[NR_QUANTILES];	/* after / before - 1; 0 when before is 0 */
	double mean_ns[2][NR_CATEGORIES];	/* where a span's time went, on average */
	struct part_diff *parts;	/* the same, net split by peer, and tested: where the time moved */
	size_t nparts;
	bool tested;
	const char *untested;		/* why not, when not */
	double z, p, p_adj;
	enum change change;		/* the durations' rank test and the median's move */
	struct tail_diff tail[NR_QUANTILES];	/* [Q95], [Q99]: each tail on its own */
};

/* A share of one side's total: a function's samples, a category's time, a wait's time. */
struct share_diff {
	char *name;			/* a function, a category, or "category;function" for a wait */
	char *thread;			/* the thread name whose samples (or time) this is a share of */
	const char *kind;		/* "self", "total", "category", "wait" */
	uint64_t x[2], n[2];		/* counts and totals (observations for time) */
	double share[2];
	bool tested;
	double z, p, p_adj;
	enum change change;
};

struct diff {
	struct span_diff *spans;
	size_t nspans;
	struct share_diff *functions;	/* on-CPU self and total shares, per thread name */
	size_t nfunctions;
	struct share_diff *categories;	/* per thread name: wall time per category, runq aside */
	size_t ncategories;
	struct share_diff *waits;	/* per thread name: off-CPU time per category and function */
	size_t nwaits;
	struct diff_opts opts;
	bool comm_differs;
};

/*
 * Warns of recordings that should not be compared (different processes), and makes alike what
 * differs by agentprof's version only (a recording without net by peer: the other's merged).
 */
void diff__check(struct recording *base, struct recording *new);
/* 0 or -ENOMEM. */
int diff__compute(const struct recording *base, const struct recording *new, const struct diff_opts *o,
		  struct diff *d);
void diff__free(struct diff *d);

/* Frames of a folded stack that are not functions: the thread, --group-by's [trace ...] and [span ...]. */
bool frame_is_group(const char *frame, size_t len);

#endif /* DIFF_H */
