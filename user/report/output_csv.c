// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * spans.csv: spans.jsonl for spreadsheets, one row per span under a header row, the same columns
 * (the breakdown and the gen_ai object flattened: cpu_ns ..., gen_ai.request_model ...), RFC 4180:
 * CRLF line ends, a field quoted when it holds a quote, a comma or a line break, its quotes doubled.
 * An unknown value (JSON's null) is an empty field.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "report/output.h"
#include "model/spans.h"
#include "classify/peer.h"
#include "base/text.h"

/* One field, after the separator before it when it is not the row's first. */
static void field(FILE *f, bool first, const char *s)
{
	if (!first)
		fputc(',', f);
	if (!s[strcspn(s, "\",\r\n")]) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void number(FILE *f, bool known, uint64_t v)
{
	if (known)
		fprintf(f, ",%" PRIu64, v);
	else
		fputc(',', f);
}

static void id(FILE *f, bool first, const uint8_t *v, size_t n)
{
	char hex[2 * 16 + 1];
	uint8_t any = 0;

	for (size_t i = 0; i < n; i++)
		any |= v[i];
	hex_id(v, n, hex);
	field(f, first, any ? hex : "");
}

static void header(FILE *f)
{
	fputs("trace_id,span_id,parent_span_id,trace_generated,name,kind,pid,tid,start_ns,end_ns,duration_ns,ttft_ns",
	      f);
	for (int c = 0; c < NR_CATEGORIES; c++)
		fprintf(f, ",%s_ns", category_name(c));
	fputs(",class,unfinished,peer,host,llm,gen_ai.operation_name,gen_ai.provider_name,gen_ai.request_model,"
	      "gen_ai.response_model,gen_ai.input_tokens,gen_ai.output_tokens,gen_ai.streaming\r\n", f);
}

static void row(FILE *f, const struct profile *p, const struct span_info *s)
{
	const struct span_rec *r = s->rec;
	const struct span_genai *g = &r->genai;
	char name[SPAN_NAME_LEN * 3], peer[PEER_STR_LEN];

	id(f, true, r->trace_id, sizeof(r->trace_id));
	id(f, false, r->span_id, sizeof(r->span_id));
	id(f, false, r->parent_id, sizeof(r->parent_id));
	field(f, false, r->trace_generated ? "true" : "false");
	utf8_sanitize(r->name, name, sizeof(name));
	field(f, false, name);
	field(f, false, span_kind_name(r));
	number(f, true, p->pid);
	number(f, true, r->tid);
	number(f, true, r->start_ns);
	number(f, !s->unfinished, r->end_ns);
	number(f, true, s->wall_ns);
	number(f, r->body_ns >= r->start_ns && r->flags & SPAN_HTTP_CLIENT && !s->unfinished, r->body_ns - r->start_ns);
	for (int c = 0; c < NR_CATEGORIES; c++)
		number(f, true, s->ns[c]);
	field(f, false, category_name(s->class));
	field(f, false, s->unfinished ? "true" : "false");
	peer_str(&r->peer, peer, sizeof(peer));
	field(f, false, peer);
	field(f, false, r->host);
	field(f, false, r->llm ? "true" : "false");
	field(f, false, r->llm && r->operation ? r->operation : "");
	field(f, false, r->llm && r->provider ? r->provider : "");
	field(f, false, r->llm && g->flags & GENAI_REQUEST_MODEL ? g->request_model : "");
	field(f, false, r->llm && g->flags & GENAI_RESPONSE_MODEL ? g->response_model : "");
	number(f, r->llm && g->flags & GENAI_INPUT_TOKENS, g->input_tokens);
	number(f, r->llm && g->flags & GENAI_OUTPUT_TOKENS, g->output_tokens);
	field(f, false, !r->llm ? "" : g->flags & GENAI_STREAM ? "true" : "false");
	fputs("\r\n", f);
}

static int write_csv(FILE *f, const struct profile *p)
{
	header(f);
	for (size_t i = 0; i < p->nspans; i++)
		row(f, p, &p->spans[i]);
	return ferror(f) ? -EIO : 0;
}

const struct output_ops spans_csv_output = { "spans.csv", write_csv, NULL };
