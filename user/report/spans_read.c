// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* spans.jsonl read back into span records and breakdowns, as the recording's profile held them (agentprof export). */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "report/spans_read.h"
#include "classify/llm.h"
#include "base/log.h"
#include "base/vec.h"

/* n bytes from 2n lowercase hex digits; null: all zero (no parent). */
static int parse_id(json_t *v, uint8_t *id, size_t n)
{
	const char *s = json_string_value(v);

	memset(id, 0, n);
	if (json_is_null(v))
		return 0;
	if (!s || strlen(s) != 2 * n)
		return -EINVAL;
	for (size_t i = 0; i < 2 * n; i++) {
		int d = s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10 : -1;

		if (d < 0)
			return -EINVAL;
		id[i / 2] |= d << (i % 2 ? 0 : 4);
	}
	return 0;
}

/* "10.0.0.7:443" or "[2001:db8::1]:443" (peer_str's forms); null: none. */
static int parse_peer(json_t *v, struct net_peer *p)
{
	const char *s = json_string_value(v), *colon;
	char host[64];
	long port;
	char *end;

	memset(p, 0, sizeof(*p));
	if (json_is_null(v) || !v)
		return 0;
	if (!s || !(colon = strrchr(s, ':')))
		return -EINVAL;
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535 || colon - s >= (long)sizeof(host))
		return -EINVAL;
	if (s[0] == '[' && colon > s + 1 && colon[-1] == ']') {
		snprintf(host, sizeof(host), "%.*s", (int)(colon - s - 2), s + 1);
		if (inet_pton(AF_INET6, host, p->addr) != 1)
			return -EINVAL;
		p->family = AF_INET6;
	} else {
		snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
		if (inet_pton(AF_INET, host, p->addr) != 1)
			return -EINVAL;
		p->family = AF_INET;
	}
	p->port = port;
	return 0;
}

static int parse_category(const char *name, enum category *c)
{
	for (int i = 0; name && i < NR_CATEGORIES; i++)
		if (!strcmp(name, category_name(i))) {
			*c = i;
			return 0;
		}
	return -EINVAL;
}

/* A model name of gen_ai into m (GENAI_MODEL_LEN), with its flag; null or absent: none. */
static int parse_model(json_t *v, char *m, uint32_t flag, uint32_t *flags)
{
	const char *s = json_string_value(v);

	if (!v || json_is_null(v))
		return 0;
	if (!s || strlen(s) >= GENAI_MODEL_LEN || !genai_model_ok(s))
		return -EINVAL;
	strcpy(m, s);
	*flags |= flag;
	return 0;
}

static int parse_count(json_t *v, uint32_t *out, uint32_t flag, uint32_t *flags)
{
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > UINT32_MAX)
		return -EINVAL;
	*out = json_integer_value(v);
	*flags |= flag;
	return 0;
}

/*
 * An LLM call's gen_ai object (null for other spans). The operation and provider are not read:
 * they are what classify/llm.c says of the span's name and host, as when it was recorded.
 */
static int parse_genai(json_t *o, struct span_rec *r)
{
	struct span_genai *g = &r->genai;

	if (!o || json_is_null(o))
		return 0;
	if (!json_is_object(o) ||
	    parse_model(json_object_get(o, "request_model"), g->request_model, GENAI_REQUEST_MODEL, &g->flags) ||
	    parse_model(json_object_get(o, "response_model"), g->response_model, GENAI_RESPONSE_MODEL, &g->flags) ||
	    parse_count(json_object_get(o, "input_tokens"), &g->input_tokens, GENAI_INPUT_TOKENS, &g->flags) ||
	    parse_count(json_object_get(o, "output_tokens"), &g->output_tokens, GENAI_OUTPUT_TOKENS, &g->flags))
		return -EINVAL;
	if (json_is_true(json_object_get(o, "streaming")))
		g->flags |= GENAI_STREAM;
	if (r->llm) {
		r->operation = llm_operation(r->name);
		r->provider = llm_provider(r->name, r->host);
	}
	return 0;
}

static int parse_line(json_t *o, struct span_rec *r, struct span_info *s)
{
	json_t *end = json_object_get(o, "end_ns"), *bd = json_object_get(o, "breakdown_ns"), *v;
	const char *name = json_string_value(json_object_get(o, "name"));
	const char *host = json_string_value(json_object_get(o, "host"));
	const char *kind = json_string_value(json_object_get(o, "kind"));
	const char *key;

	memset(r, 0, sizeof(*r));
	memset(s, 0, sizeof(*s));
	s->rec = r;
	if (!json_is_object(o) || !name || !json_is_integer(json_object_get(o, "start_ns")) ||
	    !json_is_integer(json_object_get(o, "tid")) || !json_is_object(bd) ||
	    parse_id(json_object_get(o, "trace_id"), r->trace_id, sizeof(r->trace_id)) ||
	    parse_id(json_object_get(o, "span_id"), r->span_id, sizeof(r->span_id)) ||
	    parse_id(json_object_get(o, "parent_span_id"), r->parent_id, sizeof(r->parent_id)) ||
	    parse_peer(json_object_get(o, "peer"), &r->peer) ||
	    parse_category(json_string_value(json_object_get(o, "class")), &s->class))
		return -EINVAL;
	snprintf(r->name, sizeof(r->name), "%s", name);
	if (host)
		snprintf(r->host, sizeof(r->host), "%s", host);
	r->tid = r->end_tid = json_integer_value(json_object_get(o, "tid"));
	r->start_ns = json_integer_value(json_object_get(o, "start_ns"));
	s->unfinished = json_is_true(json_object_get(o, "unfinished")) || json_is_null(end);
	r->begun = true;
	r->ended = !s->unfinished;
	if (r->ended) {
		if (!json_is_integer(end))
			return -EINVAL;
		r->end_ns = json_integer_value(end);
	}
	s->wall_ns = json_integer_value(json_object_get(o, "duration_ns"));
	r->llm = json_is_true(json_object_get(o, "llm"));
	if (parse_genai(json_object_get(o, "gen_ai"), r))
		return -EINVAL;
	v = json_object_get(o, "ttft_ns");
	if (json_is_integer(v) && json_integer_value(v) >= 0)
		r->body_ns = r->start_ns + json_integer_value(v);
	/* files of before "kind" have only internal spans as far as they say */
	r->flags = kind ? span_kind_flags(kind) : 0;
	json_object_foreach(bd, key, v) {
		enum category c;

		if (parse_category(key, &c) || !json_is_integer(v) || json_integer_value(v) < 0)
			return -EINVAL;
		s->ns[c] = json_integer_value(v);
	}
	return 0;
}

int spans_file__parse(const char *text, struct spans_file *f)
{
	size_t cap = 0, lineno = 0;
	const char *line = text;

	memset(f, 0, sizeof(*f));
	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		json_error_t jerr;
		json_t *o;
		int err;

		lineno++;
		if (len) {
			if (f->n == cap) {
				size_t recs_cap = cap;	/* the two arrays grow together */

				if (VEC_GROW(f->recs, f->n, recs_cap) || VEC_GROW(f->infos, f->n, cap))
					goto nomem;
			}
			o = json_loadb(line, len, 0, &jerr);
			err = o ? parse_line(o, &f->recs[f->n], &f->infos[f->n]) : -EINVAL;
			json_decref(o);
			if (err) {
				pr_warn("spans.jsonl:%zu: not a span line of agentprof's\n", lineno);
				spans_file__free(f);
				return err;
			}
			f->n++;
		}
		line += len + (nl ? 1 : 0);
	}
	/* recs moved while growing: point each info at its record now */
	for (size_t i = 0; i < f->n; i++) {
		f->infos[i].rec = &f->recs[i];
		f->recs[i].seq = i + 1;
	}
	return 0;
nomem:
	spans_file__free(f);
	return -ENOMEM;
}

void spans_file__free(struct spans_file *f)
{
	free(f->recs);
	free(f->infos);
	memset(f, 0, sizeof(*f));
}
