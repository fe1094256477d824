// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * spans.jsonl (one line per span seen in the recording, with where its time went) and the span
 * and trace summaries of report.json.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report/json.h"
#include "report/output.h"
#include "report/query.h"
#include "model/spangroups.h"
#include "model/spans.h"
#include "report/verdict.h"
#include "base/text.h"

static json_t *id_json(const uint8_t *id, size_t n)
{
	char hex[2 * 16 + 1];
	uint8_t any = 0;

	for (size_t i = 0; i < n; i++)
		any |= id[i];
	if (!any)
		return json_null();
	hex_id(id, n, hex);
	return json_string(hex);
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/*
 * An LLM call's GenAI fields (OpenTelemetry's gen_ai.* without the prefix), null for other spans;
 * each one null when it was not seen. The models are checked runs of [A-Za-z0-9._:/-].
 */
static json_t *genai_json(const struct span_rec *r)
{
	const struct span_genai *g = &r->genai;

	if (!r->llm)
		return json_null();
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:b}",
			 "operation_name", str_or_null(r->operation),
			 "provider_name", str_or_null(r->provider),
			 "request_model", str_or_null(g->flags & GENAI_REQUEST_MODEL ? g->request_model : NULL),
			 "response_model", str_or_null(g->flags & GENAI_RESPONSE_MODEL ? g->response_model : NULL),
			 "input_tokens", g->flags & GENAI_INPUT_TOKENS ? json_integer(g->input_tokens) : json_null(),
			 "output_tokens", g->flags & GENAI_OUTPUT_TOKENS ? json_integer(g->output_tokens) : json_null(),
			 "streaming", !!(g->flags & GENAI_STREAM));
}

/* One line of spans.jsonl. */
static json_t *span_json(const struct profile *p, const struct span_info *s)
{
	const struct span_rec *r = s->rec;
	char name[SPAN_NAME_LEN * 3], peer[PEER_STR_LEN];

	utf8_sanitize(r->name, name, sizeof(name));
	peer_str(&r->peer, peer, sizeof(peer));
	json_t *ttft = r->body_ns >= r->start_ns && r->flags & SPAN_HTTP_CLIENT && !s->unfinished ?
			       json_integer(r->body_ns - r->start_ns) : json_null();

	return json_pack("{s:o, s:o, s:o, s:b, s:s, s:s, s:I, s:I, s:I, s:o, s:I, s:o, s:o, s:s, s:b, s:o, s:o, s:b, s:o}",
			 "trace_id", id_json(r->trace_id, sizeof(r->trace_id)),
			 "span_id", id_json(r->span_id, sizeof(r->span_id)),
			 "parent_span_id", id_json(r->parent_id, sizeof(r->parent_id)),
			 "trace_generated", r->trace_generated,
			 "name", name,
			 "kind", span_kind_name(r),
			 "pid", (json_int_t)p->pid,
			 "tid", (json_int_t)r->tid,
			 "start_ns", (json_int_t)r->start_ns,
			 "end_ns", s->unfinished ? json_null() : json_integer(r->end_ns),
			 "duration_ns", (json_int_t)s->wall_ns,
			 "ttft_ns", ttft,
			 "breakdown_ns", breakdown_json(s->ns),
			 "class", category_name(s->class),
			 "unfinished", s->unfinished,
			 "peer", peer[0] ? json_string(peer) : json_null(),
			 "host", r->host[0] ? json_string(r->host) : json_null(),
			 "llm", r->llm,
			 "gen_ai", genai_json(r));
}

/*
 * A span's net time by peer: the waits of its own and its nested spans' on a socket (a call's on
 * its connection), or on an event loop the time its calls were outstanding. An LLM API's entry
 * has its host (the calls' Host header, null: none). Net time no peer is known for is not in it.
 */
static json_t *span_peers_json(const struct profile *p, const struct span_info *s)
{
	json_t *a = json_array();
	char peer[PEER_STR_LEN], host[SPAN_HOST_LEN * 3];

	for (size_t k = 0; a && k < s->npeers; k++) {
		const char *call, *h = NULL;
		bool llm = profile__llm_peer(p, &s->peers[k].peer, &call, &h) || s->peers[k].llm;

		peer_str(&s->peers[k].peer, peer, sizeof(peer));
		if (h)
			utf8_sanitize(h, host, sizeof(host));
		json_array_append_new(a, json_pack("{s:s, s:I, s:b, s:o}", "peer", peer, "wait_ns",
						   (json_int_t)s->peers[k].ns, "llm", llm,
						   "host", llm && h ? json_string(host) : json_null()));
	}
	return a;
}

static int write_spans(FILE *f, const struct profile *p)
{
	for (size_t i = 0; i < p->nspans; i++) {
		json_t *o = span_json(p, &p->spans[i]);
		int err = 0;

		if (!o)
			return -ENOMEM;
		if (p->spans[i].on_loop)
			json_object_set_new(o, "on_loop", json_true());
		json_object_set_new(o, "net_peers", span_peers_json(p, &p->spans[i]));
		if (json_dumpf(o, f, JSON_COMPACT) || fputc('\n', f) == EOF)
			err = -EIO;
		json_decref(o);
		if (err)
			return err;
	}
	return 0;
}

const struct output_ops spans_jsonl_output = { "spans.jsonl", write_spans, NULL };

#define TOP_STACKS 3	/* per category and span name */

struct stack_weight {
	const struct sample *s;
	uint64_t weight;
};

static int cmp_weight(const void *a, const void *b)
{
	const struct stack_weight *x = a, *y = b;

	return (x->weight < y->weight) - (x->weight > y->weight);
}

static json_t *stack_json(const struct sample *s, uint64_t weight)
{
	char frame[1024], *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	json_t *o;

	if (!f)
		return NULL;
	for (uint32_t i = 0; i < s->nframes; i++) {
		utf8_sanitize(s->frames[i], frame, sizeof(frame));
		fprintf(f, "%s%s", i ? ";" : "", frame);
	}
	fclose(f);
	o = json_pack("{s:s, s:I}", "stack", text ? text : "", "weight", (json_int_t)weight);
	free(text);
	return o;
}

/* The heaviest stacks of each category among the samples stamped with a span named name. */
static json_t *top_stacks_json(const struct profile *p, const char *name)
{
	json_t *o = json_object();

	for (int c = 0; c < NR_CATEGORIES; c++) {
		const struct sample_set *set = c == CAT_CPU ? &p->oncpu : &p->offcpu;
		struct stack_weight *v = calloc(set->n ? set->n : 1, sizeof(*v));
		size_t n = 0;
		json_t *a;

		if (!v)
			return o;
		for (size_t i = 0; i < set->n; i++) {
			const struct sample *s = &set->v[i];
			const struct span_info *info = profile__span(p, s->span);

			if (info && s->category == (enum category)c && !strcmp(info->rec->name, name))
				v[n++] = (struct stack_weight){ s, s->count };
		}
		if (n) {
			qsort(v, n, sizeof(*v), cmp_weight);
			a = json_array();
			for (size_t i = 0; i < n && i < TOP_STACKS; i++)
				json_array_append_new(a, stack_json(v[i].s, v[i].weight));
			json_object_set_new(o, category_name(c), a);
		}
		free(v);
	}
	return o;
}

/* One entry of report.json's "spans": every span of one name. */
static json_t *span_name_json(const struct profile *p, const struct span_group *g)
{
	char name[SPAN_NAME_LEN * 3], line[1024], verdict[1024 * 3];

	utf8_sanitize(g->name, name, sizeof(name));
	verdict_spans(p, g->name, g->ns, g->class, line, sizeof(line));
	utf8_sanitize(line, verdict, sizeof(verdict));
	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:o, s:s, s:s, s:o, s:o}",
			 "name", name,
			 "count", (json_int_t)g->count,
			 "unfinished", (json_int_t)g->unfinished,
			 "p50_ns", (json_int_t)g->p50_ns,
			 "p95_ns", (json_int_t)g->p95_ns,
			 "p99_ns", (json_int_t)g->p99_ns,
			 "breakdown_ns", breakdown_json(g->ns),
			 "class", category_name(g->class),
			 "verdict", verdict,
			 "net_peers", net_peers_json(p, 0, g->name),
			 "top_stacks", top_stacks_json(p, g->name));
}

json_t *span_names_json(const struct profile *p)
{
	struct span_group *groups;
	json_t *a = json_array();
	size_t n;

	if (!a || span_groups__by_name(p, &groups, &n))
		return a;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, span_name_json(p, &groups[i]));
	free(groups);
	return a;
}

static json_t *llm_group_json(const struct llm_group *g)
{
	char name[SPAN_NAME_LEN * 3];

	utf8_sanitize(g->name, name, sizeof(name));
	return json_pack("{s:s, s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o}",
			 "name", name,
			 "host", g->host[0] ? json_string(g->host) : json_null(),
			 "model", g->model[0] ? json_string(g->model) : json_null(),
			 "operation_name", str_or_null(g->operation),
			 "provider_name", str_or_null(g->provider),
			 "calls", (json_int_t)g->count,
			 "unfinished", (json_int_t)g->unfinished,
			 "streamed", (json_int_t)g->streamed,
			 "p50_ns", (json_int_t)g->p50_ns,
			 "p95_ns", (json_int_t)g->p95_ns,
			 "ttft_p50_ns", g->ttft_count ? json_integer(g->ttft_p50_ns) : json_null(),
			 "ttft_p95_ns", g->ttft_count ? json_integer(g->ttft_p95_ns) : json_null(),
			 "input_tokens", g->usage_count ? json_integer(g->input_tokens) : json_null(),
			 "output_tokens", g->usage_count ? json_integer(g->output_tokens) : json_null());
}

json_t *llm_calls_json(const struct profile *p)
{
	struct llm_group *groups;
	json_t *a = json_array();
	size_t n;

	if (!a || span_groups__by_llm(p, &groups, &n))
		return a;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, llm_group_json(&groups[i]));
	free(groups);
	return a;
}

/* One entry of report.json's "traces". */
static json_t *trace_json(const struct trace_group *g)
{
	char hex[33];

	hex_id(g->trace_id, sizeof(g->trace_id), hex);
	return json_pack("{s:s, s:I, s:I, s:o, s:s}", "trace_id", hex, "span_count", (json_int_t)g->span_count,
			 "duration_ns", (json_int_t)g->duration_ns, "breakdown_ns", breakdown_json(g->ns),
			 "class", category_name(g->class));
}

json_t *traces_json(const struct profile *p)
{
	struct trace_group *groups;
	json_t *a = json_array();
	size_t n;

	if (!a || span_groups__by_trace(p, &groups, &n))
		return a;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, trace_json(&groups[i]));
	free(groups);
	return a;
}
