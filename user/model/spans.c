// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Spans as their begin and end events arrive from the kernel, indexed by sequence number. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "classify/llm.h"
#include "model/spans.h"
#include "base/vec.h"

#define MAX_SEQ (1u << 28)	/* a bound on memory should the kernel side ever misbehave */

static struct span_rec *slot(struct span_table *t, uint32_t seq)
{
	if (seq == 0 || seq > MAX_SEQ)
		return NULL;
	if (seq > t->cap) {
		struct span_rec *v = vec__reserve_zeroed(t->v, &t->cap, seq, sizeof(*v));

		if (!v)
			return NULL;
		t->v = v;
	}
	if (seq > t->max_seq)
		t->max_seq = seq;
	return &t->v[seq - 1];
}

static void take_into(struct span_rec *r, const struct span_rec *parent)
{
	memcpy(r->trace_id, parent->trace_id, sizeof(r->trace_id));
	memcpy(r->parent_id, parent->span_id, sizeof(r->parent_id));
	r->trace_generated = parent->trace_generated;
}

/*
 * A client span without a traceparent (SPAN_GENERATED): the child of the span it began in, in that
 * span's trace. Client spans are no parents (an HTTP call does not make another one), so the one it
 * began in is the innermost other. Its own random trace id stays when it began in none.
 */
static void adopt(struct span_table *t, struct span_rec *r)
{
	const struct span_rec *o = span_table__get(t, r->outer);

	for (int hops = 0; o && o->flags & SPAN_HTTP_CLIENT && hops < MAX_SPAN_DEPTH; hops++)
		o = o->outer < o->seq ? span_table__get(t, o->outer) : NULL;
	if (!o || !o->begun || o->flags & SPAN_HTTP_CLIENT)
		return;
	take_into(r, o);
}

/*
 * Server span s has ended, its response written in context s->end_ctx (thread_context()): the calls without
 * a traceparent that context wrote while s was open are its own. They began after s.
 */
static void adopt_by_context(struct span_table *t, const struct span_rec *s)
{
	for (uint32_t seq = s->seq + 1; seq <= t->max_seq; seq++) {
		struct span_rec *r = &t->v[seq - 1];

		if (!r->begun || r->by_context || r->begin_ctx != s->end_ctx || r->start_ns < s->start_ns ||
		    r->start_ns > s->end_ns ||
		    (r->flags & (SPAN_GENERATED | SPAN_HTTP_CLIENT)) != (SPAN_GENERATED | SPAN_HTTP_CLIENT))
			continue;
		take_into(r, s);
		r->by_context = true;
	}
}

int span_table__add(struct span_table *t, const struct span_event *e)
{
	struct span_rec *r;

	if (e->type != SPAN_BEGIN && e->type != SPAN_END)
		return 0;
	r = slot(t, e->seq);
	if (!r)
		return e->seq == 0 || e->seq > MAX_SEQ ? 0 : -ENOMEM;
	r->seq = e->seq;
	if (e->type == SPAN_BEGIN) {
		r->begun = true;
		r->tid = e->tid;
		r->outer = e->outer < e->seq ? e->outer : 0;	/* an outer span began before */
		r->start_ns = e->ts;
		r->begin_ctx = e->ctx;
		r->begin_cpu = e->cpu_ns;
		r->begin_runq = e->runq_ns;
		memcpy(r->trace_id, e->trace_id, sizeof(r->trace_id));
		memcpy(r->span_id, e->span_id, sizeof(r->span_id));
		memcpy(r->parent_id, e->parent_id, sizeof(r->parent_id));
		memcpy(r->name, e->name, sizeof(r->name));
		r->name[sizeof(r->name) - 1] = '\0';
		r->peer = e->http.peer;
		r->flags = e->http.flags;
		memcpy(r->host, e->http.host, sizeof(r->host));
		r->host[sizeof(r->host) - 1] = '\0';
		r->llm = llm_mark_span(r->name, r->flags, &r->peer, r->host, t->llm);
		r->operation = r->llm ? llm_operation(r->name) : NULL;
		r->provider = r->llm ? llm_provider(r->name, r->host) : NULL;
		r->trace_generated = r->flags & SPAN_GENERATED;
		if ((r->flags & (SPAN_GENERATED | SPAN_HTTP_CLIENT)) == (SPAN_GENERATED | SPAN_HTTP_CLIENT))
			adopt(t, r);
	} else {
		r->ended = true;
		r->end_tid = e->tid;
		r->end_ns = e->ts;
		if (e->ts > t->last_end_ns)
			t->last_end_ns = e->ts;
		r->body_ns = e->body_ts;
		r->end_ctx = e->ctx;
		r->end_cpu = e->cpu_ns;
		r->end_runq = e->runq_ns;
		if (r->begun && r->end_ctx && r->flags & SPAN_HTTP_SERVER)
			adopt_by_context(t, r);
	}
	return 0;
}

bool genai_model_ok(const char *m)
{
	size_t n = strnlen(m, GENAI_MODEL_LEN);

	if (!n || n == GENAI_MODEL_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)m[i]) && !strchr("._:/-", m[i]))
			return false;
	return true;
}

int span_table__add_genai(struct span_table *t, const void *data, size_t size)
{
	struct span_genai_event e;
	struct span_rec *r;

	if (size < sizeof(e))
		return 0;
	memcpy(&e, data, sizeof(e));
	if (e.type != SPAN_GENAI)
		return 0;
	r = slot(t, e.seq);
	if (!r)
		return e.seq == 0 || e.seq > MAX_SEQ ? 0 : -ENOMEM;
	r->seq = e.seq;
	r->genai = e.genai;
	if (!(r->genai.flags & GENAI_REQUEST_MODEL) || !genai_model_ok(r->genai.request_model))
		r->genai.flags &= ~GENAI_REQUEST_MODEL;
	if (!(r->genai.flags & GENAI_RESPONSE_MODEL) || !genai_model_ok(r->genai.response_model))
		r->genai.flags &= ~GENAI_RESPONSE_MODEL;
	/* nothing but the model names leaves this record: the rest of the arrays is cleared */
	if (!(r->genai.flags & GENAI_REQUEST_MODEL))
		r->genai.request_model[0] = '\0';
	if (!(r->genai.flags & GENAI_RESPONSE_MODEL))
		r->genai.response_model[0] = '\0';
	for (size_t i = strlen(r->genai.request_model); i < GENAI_MODEL_LEN; i++)
		r->genai.request_model[i] = '\0';
	for (size_t i = strlen(r->genai.response_model); i < GENAI_MODEL_LEN; i++)
		r->genai.response_model[i] = '\0';
	return 0;
}

const struct span_rec *span_table__get(const struct span_table *t, uint32_t seq)
{
	if (seq == 0 || seq > t->max_seq || !t->v[seq - 1].seq)
		return NULL;
	return &t->v[seq - 1];
}

void span_table__free(struct span_table *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

const char *span_kind_name(const struct span_rec *r)
{
	return r->flags & SPAN_HTTP_SERVER ? "server" : r->flags & SPAN_HTTP_CLIENT ? "client" : "internal";
}

uint32_t span_kind_flags(const char *name)
{
	return !strcmp(name, "server") ? SPAN_HTTP_SERVER : !strcmp(name, "client") ? SPAN_HTTP_CLIENT : 0;
}

void hex_id(const uint8_t *id, size_t n, char *buf)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		buf[2 * i] = digits[id[i] >> 4];
		buf[2 * i + 1] = digits[id[i] & 15];
	}
	buf[2 * n] = '\0';
}
