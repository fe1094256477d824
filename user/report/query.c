// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Questions the outputs ask of a built profile: stacks as a flame graph roots them, peers, tallies. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "classify/llm.h"
#include "report/query.h"
#include "model/spans.h"
#include "base/vec.h"

const char *sample__leaf(const struct sample *s)
{
	return s->nframes ? s->frames[s->nframes - 1] : "[unknown]";
}

/* The name of a sample's process: its own (a container's, a followed child), else the recording's. */
static const char *process_name(const struct profile *p, uint32_t pid)
{
	for (size_t i = 0; i < p->nprocs; i++)
		if (p->procs[i].pid == pid && p->procs[i].comm[0])
			return p->procs[i].comm;
	return p->comm;
}

/* The frames --group-by puts above a stack: e.g. "comm;[trace 4bf9...];[span llm.call]". */
static size_t group_frames(const struct profile *p, const struct sample *s, const char **frames,
			   char *trace, size_t trace_len, char *span, size_t span_len)
{
	const struct span_info *info = profile__span(p, s->span);
	char hex[33];
	size_t n = 0;

	frames[n++] = p->group_by == GROUP_PROCESS ? process_name(p, s->pid) : s->comm;
	if (p->group_by == GROUP_TRACE) {
		if (info)
			hex_id(info->rec->trace_id, sizeof(info->rec->trace_id), hex);
		snprintf(trace, trace_len, info ? "[trace %s]" : "[no trace]", hex);
		frames[n++] = trace;
	}
	if (p->group_by == GROUP_SPAN || (p->group_by == GROUP_TRACE && info)) {
		snprintf(span, span_len, info ? "[span %s]" : "[no span]", info ? info->rec->name : "");
		frames[n++] = span;
	}
	return n;
}

int profile__visit(const struct profile *p, const struct sample_set *set, bool offcpu, stack_visit_fn fn,
		   void *ctx)
{
	char category[32], trace[64], span[SPAN_NAME_LEN + 16];
	const char **frames = NULL;
	size_t cap = 0;
	int err = 0;

	for (size_t i = 0; i < set->n && !err; i++) {
		const struct sample *s = &set->v[i];
		uint64_t weight = offcpu ? (s->count + 500) / 1000 : s->count;
		const char **v = vec__reserve(frames, &cap, s->nframes + 4, sizeof(*v));	/* + group, category */
		size_t n;

		if (!v) {
			err = -ENOMEM;
			break;
		}
		frames = v;
		if (!weight)
			continue;
		n = group_frames(p, s, frames, trace, sizeof(trace), span, sizeof(span));
		if (offcpu) {
			snprintf(category, sizeof(category), "[%s]", category_name(s->category));
			frames[n++] = category;
		}
		for (uint32_t j = 0; j < s->nframes; j++)
			frames[n++] = s->frames[j];
		err = fn(frames, n, weight, ctx);
	}
	free(frames);
	return err;
}

bool profile__sample_of(const struct profile *p, const struct sample *s, uint32_t tid, const char *span_name)
{
	const struct span_info *info;

	if (tid)
		return s->tid == tid;
	if (!span_name)
		return true;
	/* a span's time includes its nested spans': so do its stacks */
	for (info = profile__span(p, s->span); info; info = profile__span(p, info->rec->outer))
		if (!strcmp(info->rec->name, span_name))
			return true;
	return false;
}

static int cmp_peer_wait(const void *a, const void *b)
{
	const struct peer_wait *x = a, *y = b;

	if (x->ns != y->ns)
		return (x->ns < y->ns) - (x->ns > y->ns);
	if (x->peer.family != y->peer.family)
		return (x->peer.family > y->peer.family) - (x->peer.family < y->peer.family);
	return memcmp(x->peer.addr, y->peer.addr, sizeof(x->peer.addr)) ?:
	       (x->peer.port > y->peer.port) - (x->peer.port < y->peer.port);
}

#define LLM_CALLS 8	/* distinct LLM calls counted per peer */

bool profile__llm_peer(const struct profile *p, const struct net_peer *peer, const char **call, const char **host)
{
	struct {
		const char *name;
		size_t n;
	} calls[LLM_CALLS];
	size_t ncalls = 0, best = 0, k;

	*call = NULL;
	if (host)
		*host = NULL;
	for (size_t i = 0; i < p->nspans; i++) {
		const struct span_rec *r = p->spans[i].rec;

		if (!r->llm || !peer_eq(&r->peer, peer))
			continue;
		if (host && !*host && r->host[0])
			*host = r->host;
		for (k = 0; k < ncalls && strcmp(calls[k].name, r->name); k++)
			;
		if (k < ncalls)
			calls[k].n++;
		else if (ncalls < LLM_CALLS)
			calls[ncalls++] = (typeof(calls[0])){ r->name, 1 };
	}
	for (k = 1; k < ncalls; k++)
		if (calls[k].n > calls[best].n ||
		    (calls[k].n == calls[best].n && strcmp(calls[k].name, calls[best].name) < 0))
			best = k;
	if (ncalls)
		*call = calls[best].name + 4;	/* after "llm " */
	return *call || (p->llm && llm_endpoints__match(p->llm, peer));
}

/* Adds ns waited on peer to v[0..*n). 0 or -ENOMEM (v freed). */
static int add_peer_wait(struct peer_wait **v, size_t *n, const struct net_peer *peer, uint64_t ns)
{
	size_t k;

	for (k = 0; k < *n && !peer_eq(&(*v)[k].peer, peer); k++)
		;
	if (k == *n) {
		if (VEC_GROW_N(*v, *n)) {
			free(*v);
			return -ENOMEM;
		}
		(*v)[(*n)++] = (struct peer_wait){ .peer = *peer };
	}
	(*v)[k].ns += ns;
	return 0;
}

ssize_t profile__peer_waits(const struct profile *p, uint32_t tid, const char *span_name, struct peer_wait **out)
{
	struct peer_wait *v = NULL;
	size_t n = 0;

	/* a span name's: its spans' own (the model's, nested spans' and a loop request's calls' included) */
	for (size_t i = 0; !(span_name && !tid) && i < p->offcpu.n; i++) {
		const struct sample *s = &p->offcpu.v[i];
		const struct span_info *info = profile__span(p, s->span);

		if (s->category != CAT_NET || !peer_known(&s->peer) || !profile__sample_of(p, s, tid, span_name))
			continue;
		/* a loop's waits are stamped with the span begun last: a request's peers are its calls' */
		if (span_name && info && info->on_loop)
			continue;
		if (add_peer_wait(&v, &n, &s->peer, s->count))
			return -ENOMEM;
	}
	for (size_t i = 0; span_name && !tid && i < p->nspans; i++) {
		const struct span_info *info = &p->spans[i];

		if (strcmp(info->rec->name, span_name))
			continue;
		for (size_t k = 0; k < info->npeers; k++)
			if (peer_known(&info->peers[k].peer) &&
			    add_peer_wait(&v, &n, &info->peers[k].peer, info->peers[k].ns))
				return -ENOMEM;
	}
	for (size_t k = 0; k < n; k++)
		v[k].llm = profile__llm_peer(p, &v[k].peer, &v[k].call, &v[k].host);
	if (n)
		qsort(v, n, sizeof(*v), cmp_peer_wait);
	*out = v;
	return n;
}

static int cmp_name_count(const void *a, const void *b)
{
	const struct name_count *x = a, *y = b;

	if (x->count != y->count)
		return (x->count < y->count) - (x->count > y->count);
	return strcmp(x->name, y->name);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct name_count *)a)->name, ((const struct name_count *)b)->name);
}

ssize_t profile__leaf_counts(const struct sample_set *set, struct name_count **out)
{
	struct name_count *v = malloc((set->n ? set->n : 1) * sizeof(*v));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < set->n; i++)
		v[i] = (struct name_count){ sample__leaf(&set->v[i]), set->v[i].count };
	/* merge equal names, then order by count */
	qsort(v, set->n, sizeof(*v), cmp_name);
	for (size_t i = 0; i < set->n; i++) {
		if (n && !strcmp(v[n - 1].name, v[i].name))
			v[n - 1].count += v[i].count;
		else
			v[n++] = v[i];
	}
	qsort(v, n, sizeof(*v), cmp_name_count);
	*out = v;
	return n;
}

uint64_t profile__drops(const struct profile *p)
{
	uint64_t n = 0;

	for (int c = 0; c < NR_COUNTERS; c++)
		if (c != CNT_SAMPLES && c != CNT_SPAN_UNKNOWN_END)
			n += p->counters[c];
	return n;
}
