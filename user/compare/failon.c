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
		/* a span's net on one peer: net:ADDRESS:PORT, llm:HOST; llm alone: any LLM API */
		bool known = !strcmp(r->name, "llm") || (!strncmp(r->name, "net:", 4) && r->name[4]) ||
			     (!strncmp(r->name, "llm:", 4) && r->name[4]);

		for (int c = 0; c < NR_CATEGORIES; c++)
			known |= c != CAT_RUNQ && !strcmp(r->name, category_name(c));
		if (!known) {
			pr_warn("--fail-on %s: '%s' is no category (cpu lock net disk sleep idle other queue, "
				"net:ADDRESS:PORT, llm, llm:HOST; runq is the machine's load, not compared)\n", s, r->name);
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
	pr_warn("--fail-on takes p50|p95|p99|category|function=[NAME:]N%%, e.g. p95=10%%, category=lock:20%% or "
		"category=llm:api.openai.com:20%%, not '%s'\n", s);
	return -EINVAL;
}

static bool grew(enum change c)
{
	return c == CHANGE_GREW || c == CHANGE_APPEARED;
}

/* A span's verdict on quantile q: the median's is the durations', a tail's its own. */
static enum change quantile_change(const struct span_diff *s, int q)
{
	return q == Q50 ? s->change : s->tail[q].change;
}

static double quantile_p(const struct span_diff *s, int q)
{
	return q == Q50 ? s->p_adj : s->tail[q].p_adj;
}

static bool check_spans(const struct fail_rule *r, const struct diff *d, char *line, size_t len)
{
	const struct span_diff *worst = NULL;
	int q = r->metric - FAIL_P50;

	for (size_t i = 0; i < d->nspans; i++) {
		const struct span_diff *s = &d->spans[i];

		if ((r->name[0] && strcmp(r->name, s->name)) || quantile_change(s, q) != CHANGE_GREW ||
		    s->rel[q] <= r->threshold)
			continue;
		if (!worst || s->rel[q] > worst->rel[q])
			worst = s;
	}
	if (worst)
		snprintf(line, len, "regression: %s of span '%s' grew %+.1f%% (%.2f ms -> %.2f ms, p=%.2g), over --fail-on %s",
			 metric_names[r->metric], worst->name, 100 * worst->rel[q], worst->q_ns[0][q] / 1e6,
			 worst->q_ns[1][q] / 1e6, quantile_p(worst, q), r->text);
	return worst;
}

/* A share's relative growth; one that appeared grew infinitely. */
static double share_growth(const struct share_diff *s)
{
	return s->share[0] > 0 ? s->share[1] / s->share[0] - 1 : INFINITY;
}

/* "appeared" or "grew +12.3%". */
static void growth_words(double g, char *buf, size_t len)
{
	if (isinf(g))
		snprintf(buf, len, "appeared");
	else
		snprintf(buf, len, "grew %+.1f%%", 100 * g);
}

/* Whether a rule's category names a part: itself, or a part under it ("llm" names each llm:HOST, "net" net:*). */
static bool names_part(const char *rule, const char *part)
{
	size_t n = strlen(rule);

	return !rule[0] || !strcmp(rule, part) || (!strncmp(rule, part, n) && part[n] == ':');
}

static double part_growth(const struct part_diff *p)
{
	return p->mean_ns[0] > 0 ? p->mean_ns[1] / p->mean_ns[0] - 1 : INFINITY;
}

/* The span part (a category, or net on one peer) that grew most past the rule, or NULL. */
static const struct part_diff *worst_part(const struct fail_rule *r, const struct diff *d, const struct span_diff **of)
{
	const struct part_diff *worst = NULL;

	for (size_t i = 0; i < d->nspans; i++)
		for (size_t k = 0; k < d->spans[i].nparts; k++) {
			const struct part_diff *p = &d->spans[i].parts[k];

			if (!names_part(r->name, p->name) || !grew(p->change) || part_growth(p) <= r->threshold)
				continue;
			if (!worst || part_growth(p) > part_growth(worst)) {
				worst = p;
				*of = &d->spans[i];
			}
		}
	return worst;
}

static bool check_shares(const struct fail_rule *r, const struct diff *d, char *line, size_t len)
{
	bool cat = r->metric == FAIL_CATEGORY;
	const struct share_diff *v = cat ? d->categories : d->functions, *worst = NULL;
	size_t n = cat ? d->ncategories : d->nfunctions;
	const struct span_diff *span = NULL;
	const struct part_diff *part = cat ? worst_part(r, d, &span) : NULL;
	char growth[32];

	for (size_t i = 0; i < n; i++) {
		const struct share_diff *s = &v[i];

		if ((!cat && strcmp(s->kind, "total")) || (r->name[0] && strcmp(r->name, s->name)) || !grew(s->change) ||
		    share_growth(s) <= r->threshold)
			continue;
		if (!worst || share_growth(s) > share_growth(worst))
			worst = s;
	}
	/* a span's time in a category, or a thread's share of it: whichever grew more */
	if (part && (!worst || part_growth(part) > share_growth(worst))) {
		growth_words(part_growth(part), growth, sizeof(growth));
		snprintf(line, len, "regression: category '%s' of span '%s' %s (%.2f ms -> %.2f ms a span, p=%.2g), "
			 "over --fail-on %s", part->name, span->name, growth, part->mean_ns[0] / 1e6,
			 part->mean_ns[1] / 1e6, part->p_adj, r->text);
		return true;
	}
	if (!worst)
		return false;
	growth_words(share_growth(worst), growth, sizeof(growth));
	snprintf(line, len, "regression: %s '%s' of thread '%s' %s (%.1f%% -> %.1f%% of %s, p=%.2g), over --fail-on %s",
		 cat ? "category" : "function", worst->name, worst->thread ?: "?", growth, 100 * worst->share[0],
		 100 * worst->share[1], cat ? "its time, runq aside" : "its samples", worst->p_adj, r->text);
	return true;
}

bool fail_rule_check(const struct fail_rule *r, const struct diff *d, char *line, size_t len)
{
	return r->metric <= FAIL_P99 ? check_spans(r, d, line, len) : check_shares(r, d, line, len);
}
