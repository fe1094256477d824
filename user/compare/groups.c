// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A span's time by part (net by peer), and the groups of spans compared beside the span names: traces by their root, LLM calls by their endpoint. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/vec.h"
#include "compare/groups.h"

#define NONE (-1)

struct group_span {
	char *name;
	int64_t trace, host, name_id;	/* ids in span_groups, NONE: no trace, not an LLM call */
	char parent[50];		/* "trace/parent span", "" for none */
	uint64_t start_ns;		/* 0: not known (an older file) */
	double d, wall;
	struct span_time t;
};

void span_time__add_peer(struct span_time *t, const char *name, uint64_t ns)
{
	size_t k;

	for (k = 0; k < t->npeers && strcmp(t->peers[k].name, name); k++)
		;
	if (k == t->npeers) {
		if (k == SPAN_PEERS)
			return;
		snprintf(t->peers[k].name, sizeof(t->peers[k].name), "%s", name);
		t->peers[k].ns = 0;
		t->npeers++;
	}
	t->peers[k].ns += ns;
}

void span_time__add(struct span_time *a, const struct span_time *b)
{
	for (int c = 0; c < NR_CATEGORIES; c++)
		a->ns[c] += b->ns[c];
	for (size_t k = 0; k < b->npeers; k++)
		span_time__add_peer(a, b->peers[k].name, b->peers[k].ns);
}

static void span_key(char *buf, size_t len, const char *trace, const char *span)
{
	if (trace && span)
		snprintf(buf, len, "%s/%s", trace, span);
	else
		buf[0] = '\0';
}

int span_groups__add(struct span_groups *g, const struct group_input *in)
{
	struct group_span *e;
	char key[50];

	if (VEC_GROW_N(g->v, g->n))
		return -ENOMEM;
	e = &g->v[g->n];
	memset(e, 0, sizeof(*e));
	e->trace = e->host = NONE;
	span_key(key, sizeof(key), in->trace_id, in->span_id);
	if (key[0] && (intern__id(&g->ids, key, strlen(key)) < 0 ||
		       (e->trace = intern__id(&g->traces, in->trace_id, strlen(in->trace_id))) < 0))
		return -ENOMEM;
	span_key(e->parent, sizeof(e->parent), in->trace_id, in->parent_id);
	if (in->llm_host && (e->host = intern__id(&g->hosts, in->llm_host, strlen(in->llm_host))) < 0)
		return -ENOMEM;
	if ((e->name_id = intern__id(&g->names, in->name, strlen(in->name))) < 0 || !(e->name = strdup(in->name)))
		return -ENOMEM;
	e->start_ns = in->start_ns;
	e->d = in->d;
	e->wall = in->wall;
	e->t = *in->t;
	g->n++;
	return 0;
}

/* Per trace: its first root, the sums over its roots, how many spans. */
struct trace_acc {
	size_t root, n, nroots;	/* root: an index in v, SIZE_MAX for none */
	double d, wall;
	struct span_time t;
};

/* A span whose parent is none of the recording's: a caller elsewhere, or none. */
static bool is_root(const struct span_groups *g, const struct group_span *e)
{
	return !e->parent[0] || intern__find(&g->ids, e->parent, strlen(e->parent)) < 0;
}

/*
 * A group of traces whose roots are each a trace's only root and every span of their name is
 * the same figures as that name: left out (one more test would weaken the correction for all).
 */
static int emit_traces(struct span_groups *g, const size_t *per_name, group_fn fn, void *ctx)
{
	struct trace_acc *t = calloc(g->traces.n ?: 1, sizeof(*t));
	size_t *as_root = calloc(g->names.n ?: 1, sizeof(*as_root));	/* per name: traces it roots alone */
	char group[300];
	int err = 0;

	if (!t || !as_root) {
		free(t);
		free(as_root);
		return -ENOMEM;
	}
	for (size_t i = 0; i < g->traces.n; i++)
		t[i].root = SIZE_MAX;
	for (size_t i = 0; i < g->n; i++) {
		const struct group_span *e = &g->v[i];
		struct trace_acc *a;

		if (e->trace == NONE)
			continue;
		a = &t[e->trace];
		a->n++;
		if (!is_root(g, e))
			continue;
		/*
		 * The roots' own durations, each less its runq as a span's is: not the gaps between
		 * them, where the machine's load would count and no runq says how much.
		 */
		a->nroots++;
		a->d += e->d;
		a->wall += e->wall;
		span_time__add(&a->t, &e->t);
		if (a->root == SIZE_MAX || e->start_ns < g->v[a->root].start_ns)
			a->root = i;
	}
	for (size_t i = 0; i < g->traces.n; i++)
		if (t[i].root != SIZE_MAX && t[i].n >= 2 && t[i].nroots == 1)
			as_root[g->v[t[i].root].name_id]++;
	for (size_t i = 0; !err && i < g->traces.n; i++) {
		const struct group_span *root = t[i].root == SIZE_MAX ? NULL : &g->v[t[i].root];

		if (!root || t[i].n < 2)
			continue;	/* one span: its name says it already */
		if (as_root[root->name_id] == per_name[root->name_id])
			continue;	/* every span of the name roots a trace alone: the same figures */
		snprintf(group, sizeof(group), "[trace] %s", root->name);
		err = fn(ctx, group, t[i].d, t[i].wall, &t[i].t);
	}
	free(t);
	free(as_root);
	return err;
}

/* Per endpoint: its calls, and whether they all bear one name (the group would repeat it). */
struct host_acc {
	int64_t name_id;
	size_t n;
	bool mixed;
};

static int emit_llm(struct span_groups *g, const size_t *per_name, group_fn fn, void *ctx)
{
	struct host_acc *h = calloc(g->hosts.n ?: 1, sizeof(*h));
	char group[300];
	int err = 0;

	if (!h)
		return -ENOMEM;
	for (size_t i = 0; i < g->n; i++) {
		const struct group_span *e = &g->v[i];

		if (e->host == NONE)
			continue;
		if (h[e->host].n++ == 0)
			h[e->host].name_id = e->name_id;
		else if (h[e->host].name_id != e->name_id)
			h[e->host].mixed = true;
	}
	for (size_t i = 0; !err && i < g->n; i++) {
		const struct group_span *e = &g->v[i];
		const struct host_acc *a = e->host == NONE ? NULL : &h[e->host];

		if (!a || (!a->mixed && a->n == per_name[a->name_id]))
			continue;
		snprintf(group, sizeof(group), "[llm] %.*s", (int)g->hosts.lens[e->host], g->hosts.keys[e->host]);
		err = fn(ctx, group, e->d, e->wall, &e->t);
	}
	free(h);
	return err;
}

int span_groups__finish(struct span_groups *g, group_fn fn, void *ctx)
{
	size_t *per_name = calloc(g->names.n ?: 1, sizeof(*per_name));
	int err = per_name ? 0 : -ENOMEM;

	for (size_t i = 0; per_name && i < g->n; i++)
		per_name[g->v[i].name_id]++;
	err = err ?: emit_traces(g, per_name, fn, ctx) ?: emit_llm(g, per_name, fn, ctx);
	free(per_name);

	for (size_t i = 0; i < g->n; i++)
		free(g->v[i].name);
	free(g->v);
	intern__free(&g->ids);
	intern__free(&g->traces);
	intern__free(&g->hosts);
	intern__free(&g->names);
	memset(g, 0, sizeof(*g));
	return err;
}
