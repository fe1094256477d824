/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What diff writes: diff.json, 3-column folded files (difffolded.pl's), differential flame graphs, diff.html, the summary. */
#ifndef DIFF_OUTPUT_H
#define DIFF_OUTPUT_H

#include <stdio.h>
#include "compare/diff.h"

struct diff_job {
	const struct diff *d;
	const struct recording *base, *new;
	bool offcpu;
};

/* Each an outdir_write_fn taking a struct diff_job: 0 or -errno. */
int diff_write_json(FILE *f, void *job);
int diff_write_folded(FILE *f, void *job);	/* "stack before after", sorted by stack */
int diff_write_svg(FILE *f, void *job);		/* widths NEW's, red grew, blue shrank */
int diff_write_baseline(FILE *f, void *job);	/* NEW as a baseline.json */
int diff_write_html(FILE *f, void *job);	/* the tables and both flame graphs, on one page */

/* The human summary: spans, then what significantly moved; "nothing significant" when nothing did. */
void diff_print_summary(FILE *f, const struct diff *d, const struct recording *base, const struct recording *new);
/* Entries that changed significantly. */
size_t diff_significant(const struct diff *d);

#endif /* DIFF_OUTPUT_H */
