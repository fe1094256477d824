// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* diff --fail-on: the rules a CI run fails on (a span's quantile, a category, a function grew), and the one line that says which. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/log.h"
#include "compare/failon.h"

static const char *const metric_names[] = {
	[FAIL_P50] = "p50", [FAIL_P95] = "p95", [FAIL_P99] = "p99",
	[FAIL_CATEGORY] = "category", [FAIL_FUNCTION] = "function",
};

int fail_rule_parse(const char *s, struct fail_rule *r)
{
	const char *eq = strchr(s, '='), *val, *colon, *num;
	size_t klen;
	char *end;
	int m = -1;

	memset(r, 0, sizeof(*r));
	r->text = s;
	klen = eq ? (size_t)(eq - s) : 0;
	for (int i = 0; eq && i <= FAIL_FUNCTION; i++)
		if (strlen(metric_names[i]) == klen && !strncmp(s, metric_names[i], klen))
			m = i;
	if (m < 0)
		goto bad;
	r->metric = m;
	val = eq + 1;
	/* names may hold ':' (C++ scopes): the threshold follows the last one */
	colon = strrchr(val, ':');
	num = colon ? colon + 1 : val;
	if (colon) {
		if (colon == val || (size_t)(colon - val) >= sizeof(r->name))
			goto bad;
		memcpy(r->name, val, colon - val);
	}
	if (m == FAIL_CATEGORY && r->name[0]) {
		bool known = false;

		for (int c = 0; c < NR_CATEGORIES; c++)
			known |= c != CAT_RUNQ && !strcmp(r->name, category_name(c));
		if (!known) {
			pr_warn("--fail-on %s: '%s' is no category (cpu lock net disk sleep idle other; runq is the "
				"machine's load, not compared)\n", s, r->name);
			return -EINVAL;
		}
	}
	if (*num < '0' || *num > '9')
		goto bad;
	errno = 0;
	r->threshold = strtod(num, &end) / 100;
	if (errno || strcmp(end, "%") || !(r->threshold > 0) || r->threshold > 1000)
		goto bad;
	return 0;
bad:
	pr_warn("--fail-on takes p50|p95|p99|category|function=[NAME:]N%%, e.g. p95=10%% or category=lock:20%%, "
		"not '%s'\n", s);
	return -EINVAL;
}

static bool grew(enum change c)
{
	return c == CHANGE_GREW || c == CHANGE_APPEARED;
}

static bool check_spans(const struct fail_rule *r, const struct diff *d, char *line, size_t len)
{
	const struct span_diff *worst = NULL;
	int q = r->metric - FAIL_P50;

	for (size_t i = 0; i < d->nspans; i++) {
		const struct span_diff *s = &d->spans[i];

		if ((r->name[0] && strcmp(r->name, s->name)) || s->change != CHANGE_GREW || s->rel[q] <= r->threshold)
			continue;
		if (!worst || s->rel[q] > worst->rel[q])
			worst = s;
	}
	if (worst)
		snprintf(line, len, "regression: %s of span '%s' grew %+.1f%% (%.2f ms -> %.2f ms, p=%.2g), over --fail-on %s",
			 metric_names[r->metric], worst->name, 100 * worst->rel[q], worst->q_ns[0][q] / 1e6,
			 worst->q_ns[1][q] / 1e6, worst->p_adj, r->text);
	return worst;
}

/* A share's relative growth; one that appeared grew infinitely. */
static double share_growth(const struct share_diff *s)
{
	return s->share[0] > 0 ? s->share[1] / s->share[0] - 1 : INFINITY;
}

static bool check_shares(const struct fail_rule *r, const struct diff *d, char *line, size_t len)
{
	bool cat = r->metric == FAIL_CATEGORY;
	const struct share_diff *v = cat ? d->categories : d->functions, *worst = NULL;
	size_t n = cat ? d->ncategories : d->nfunctions;
	char growth[32];

	for (size_t i = 0; i < n; i++) {
		const struct share_diff *s = &v[i];

		if ((!cat && strcmp(s->kind, "total")) || (r->name[0] && strcmp(r->name, s->name)) || !grew(s->change) ||
		    share_growth(s) <= r->threshold)
			continue;
		if (!worst || share_growth(s) > share_growth(worst))
			worst = s;
	}
	if (!worst)
		return false;
	if (isinf(share_growth(worst)))
		snprintf(growth, sizeof(growth), "appeared");
	else
		snprintf(growth, sizeof(growth), "grew %+.1f%%", 100 * share_growth(worst));
	snprintf(line, len, "regression: %s '%s' of thread '%s' %s (%.1f%% -> %.1f%% of %s, p=%.2g), over --fail-on %s",
		 cat ? "category" : "function", worst->name, worst->thread ?: "?", growth, 100 * worst->share[0],
		 100 * worst->share[1], cat ? "its time, runq aside" : "its samples", worst->p_adj, r->text);
	return true;
}

bool fail_rule_check(const struct fail_rule *r, const struct diff *d, char *line, size_t len)
{
	return r->metric <= FAIL_P99 ? check_spans(r, d, line, len) : check_shares(r, d, line, len);
}
