/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* diff --fail-on: the rules a CI run fails on (a span's quantile, a category, a function grew), and the one line that says which. */
#ifndef FAILON_H
#define FAILON_H

#include <stdbool.h>
#include <stddef.h>
#include "compare/diff.h"

enum fail_metric { FAIL_P50, FAIL_P95, FAIL_P99, FAIL_CATEGORY, FAIL_FUNCTION };

struct fail_rule {
	enum fail_metric metric;
	char name[256];		/* the span, category or function; "" for any */
	double threshold;	/* relative growth: 0.10 for 10% */
	const char *text;	/* as given */
};

/*
 * METRIC=[NAME:]N%: p50, p95 or p99 of a span name (any span without NAME: the median by the
 * durations' verdict, a tail by its own), category (its share of a thread's time, runq aside, or
 * a span name's mean time in it; net on one peer as net:ADDRESS:PORT or llm:HOST, llm for any LLM
 * API), function (its total on-CPU share). "p95=10%", "p95=llm:10%", "category=lock:20%",
 * "category=llm:api.openai.com:20%", "function=parse_input:30%". 0, or -EINVAL said in one line.
 */
int fail_rule_parse(const char *s, struct fail_rule *r);
/*
 * Whether d breaks r: a significant growth over the threshold (one that appeared counts as
 * infinite). When it does, line gets the worst offender, one line without a line break.
 */
bool fail_rule_check(const struct fail_rule *r, const struct diff *d, char *line, size_t len);

#endif /* FAILON_H */
