// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The spans of a profile grouped by name and by trace: the one definition of their aggregates. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "model/spangroups.h"
#include "model/spans.h"

static int cmp_by_name(const void *a, const void *b)
{
	const struct span_info *x = *(const struct span_info *const *)a, *y = *(const struct span_info *const *)b;
	int c = strcmp(x->rec->name, y->rec->name);

	return c ? c : (x->rec->seq > y->rec->seq) - (x->rec->seq < y->rec->seq);
}

static int cmp_by_trace(const void *a, const void *b)
{
	const struct span_info *x = *(const struct span_info *const *)a, *y = *(const struct span_info *const *)b;
	int c = memcmp(x->rec->trace_id, y->rec->trace_id, sizeof(x->rec->trace_id));

	return c ? c : (x->rec->seq > y->rec->seq) - (x->rec->seq < y->rec->seq);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted values. */
static uint64_t percentile(const uint64_t *v, size_t n, unsigned int pct)
{
	size_t rank = (n * pct + 99) / 100;

	return n ? v[rank ? rank - 1 : 0] : 0;
}

/* The profile's spans in cmp's order (NULL on -ENOMEM; a profile without spans gives an empty array). */
static const struct span_info **sorted(const struct profile *p, int (*cmp)(const void *, const void *))
{
	const struct span_info **order = calloc(p->nspans ? p->nspans : 1, sizeof(*order));

	if (!order)
		return NULL;
	for (size_t i = 0; i < p->nspans; i++)
		order[i] = &p->spans[i];
	qsort(order, p->nspans, sizeof(*order), cmp);
	return order;
}

static int name_group(const struct span_info *const *group, size_t n, struct span_group *g)
{
	uint64_t *durations = calloc(n, sizeof(*durations));

	if (!durations)
		return -ENOMEM;
	memset(g, 0, sizeof(*g));
	g->name = group[0]->rec->name;
	for (size_t i = 0; i < n; i++) {
		for (int c = 0; c < NR_CATEGORIES; c++)
			g->ns[c] += group[i]->ns[c];
		mem_bytes__add(&g->mem, &group[i]->mem);
		g->wall_ns += group[i]->wall_ns;
		if (!group[i]->unfinished)
			durations[g->count++] = group[i]->wall_ns;
	}
	g->unfinished = n - g->count;
	qsort(durations, g->count, sizeof(*durations), cmp_u64);
	g->p50_ns = percentile(durations, g->count, 50);
	g->p95_ns = percentile(durations, g->count, 95);
	g->p99_ns = percentile(durations, g->count, 99);
	g->class = classify_breakdown(g->ns, g->wall_ns);
	free(durations);
	return 0;
}

static void trace_group(const struct profile *p, const struct span_info *const *group, size_t n,
			struct trace_group *g)
{
	uint64_t first = UINT64_MAX, last = 0;

	memset(g, 0, sizeof(*g));
	memcpy(g->trace_id, group[0]->rec->trace_id, sizeof(g->trace_id));
	g->span_count = n;
	for (size_t i = 0; i < n; i++) {
		const struct span_info *s = group[i];
		uint64_t end = s->unfinished ? p->window_end_ns : s->rec->end_ns;

		for (int c = 0; c < NR_CATEGORIES; c++)
			g->ns[c] += s->self_ns[c];
		mem_bytes__add(&g->mem, &s->self_mem);
		if (s->rec->start_ns < first)
			first = s->rec->start_ns;
		if (end > last)
			last = end;
	}
	g->duration_ns = last > first ? last - first : 0;
	g->class = classify_breakdown(g->ns, g->duration_ns);
}

int span_groups__by_name(const struct profile *p, struct span_group **out, size_t *n)
{
	const struct span_info **order = sorted(p, cmp_by_name);
	struct span_group *v = calloc(p->nspans ? p->nspans : 1, sizeof(*v));
	int err = order && v ? 0 : -ENOMEM;
	size_t i, j;

	*n = 0;
	for (i = 0; !err && i < p->nspans; i = j) {
		for (j = i; j < p->nspans && !strcmp(order[i]->rec->name, order[j]->rec->name); j++)
			;
		err = name_group(order + i, j - i, &v[(*n)++]);
	}
	free(order);
	if (err) {
		free(v);
		v = NULL;
		*n = 0;
	}
	*out = v;
	return err;
}

int span_groups__by_trace(const struct profile *p, struct trace_group **out, size_t *n)
{
	const struct span_info **order = sorted(p, cmp_by_trace);
	struct trace_group *v = calloc(p->nspans ? p->nspans : 1, sizeof(*v));
	size_t i, j;

	*n = 0;
	*out = NULL;
	if (!order || !v) {
		free(order);
		free(v);
		return -ENOMEM;
	}
	for (i = 0; i < p->nspans; i = j) {
		for (j = i; j < p->nspans && !memcmp(order[i]->rec->trace_id, order[j]->rec->trace_id,
						     sizeof(order[i]->rec->trace_id)); j++)
			;
		trace_group(p, order + i, j - i, &v[(*n)++]);
	}
	free(order);
	*out = v;
	return 0;
}

/* The model an LLM call is grouped under: the response's (a dated version), else the request's. */
static const char *llm_model(const struct span_rec *r)
{
	if (r->genai.flags & GENAI_RESPONSE_MODEL)
		return r->genai.response_model;
	return r->genai.flags & GENAI_REQUEST_MODEL ? r->genai.request_model : "";
}

static int cmp_llm(const void *a, const void *b)
{
	const struct span_rec *x = (*(const struct span_info *const *)a)->rec;
	const struct span_rec *y = (*(const struct span_info *const *)b)->rec;
	int c = strcmp(x->name, y->name);

	if (!c)
		c = strcmp(x->host, y->host);
	if (!c)
		c = strcmp(llm_model(x), llm_model(y));
	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static bool same_llm(const struct span_rec *x, const struct span_rec *y)
{
	return !strcmp(x->name, y->name) && !strcmp(x->host, y->host) && !strcmp(llm_model(x), llm_model(y));
}

static int llm_group(const struct span_info *const *group, size_t n, struct llm_group *g)
{
	uint64_t *durations = calloc(n, sizeof(*durations)), *ttfts = calloc(n, sizeof(*ttfts));
	const struct span_rec *r0 = group[0]->rec;

	if (!durations || !ttfts) {
		free(durations);
		free(ttfts);
		return -ENOMEM;
	}
	memset(g, 0, sizeof(*g));
	g->name = r0->name;
	g->host = r0->host;
	g->model = llm_model(r0);
	g->operation = r0->operation;
	g->provider = r0->provider;
	for (size_t i = 0; i < n; i++) {
		const struct span_rec *r = group[i]->rec;

		if (r->genai.flags & (GENAI_INPUT_TOKENS | GENAI_OUTPUT_TOKENS))
			g->usage_count++;
		g->input_tokens += r->genai.flags & GENAI_INPUT_TOKENS ? r->genai.input_tokens : 0;
		g->output_tokens += r->genai.flags & GENAI_OUTPUT_TOKENS ? r->genai.output_tokens : 0;
		if (group[i]->unfinished)
			continue;
		g->wall_ns += group[i]->wall_ns;
		g->streamed += !!(r->genai.flags & GENAI_STREAM);
		durations[g->count++] = group[i]->wall_ns;
		if (r->body_ns >= r->start_ns && r->body_ns)
			ttfts[g->ttft_count++] = r->body_ns - r->start_ns;
	}
	g->unfinished = n - g->count;
	qsort(durations, g->count, sizeof(*durations), cmp_u64);
	qsort(ttfts, g->ttft_count, sizeof(*ttfts), cmp_u64);
	g->p50_ns = percentile(durations, g->count, 50);
	g->p95_ns = percentile(durations, g->count, 95);
	g->ttft_p50_ns = percentile(ttfts, g->ttft_count, 50);
	g->ttft_p95_ns = percentile(ttfts, g->ttft_count, 95);
	free(durations);
	free(ttfts);
	return 0;
}

int span_groups__by_llm(const struct profile *p, struct llm_group **out, size_t *n)
{
	const struct span_info **order = calloc(p->nspans ? p->nspans : 1, sizeof(*order));
	struct llm_group *v = calloc(p->nspans ? p->nspans : 1, sizeof(*v));
	size_t i, j, m = 0;
	int err = order && v ? 0 : -ENOMEM;

	*n = 0;
	for (i = 0; !err && i < p->nspans; i++)
		if (p->spans[i].rec->llm)
			order[m++] = &p->spans[i];
	if (!err)
		qsort(order, m, sizeof(*order), cmp_llm);
	for (i = 0; !err && i < m; i = j) {
		for (j = i; j < m && same_llm(order[i]->rec, order[j]->rec); j++)
			;
		err = llm_group(order + i, j - i, &v[(*n)++]);
	}
	free(order);
	if (err) {
		free(v);
		v = NULL;
		*n = 0;
	}
	*out = v;
	return err;
}
