/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What an LLM call's JSON says of it, found byte by byte in windows of its plaintext (http.bpf.h
 * walks them): the request's "model" and "stream", the response's "model" and its usage counts
 * ("prompt_tokens"/"input_tokens", "completion_tokens"/"output_tokens": OpenAI's body or final
 * include_usage chunk, the Responses API's response.completed, Anthropic's message_start and
 * message_delta). A key is a quoted run of [a-z_] followed by ':'; in valid JSON a string's own
 * quotes are escaped, so a prompt or a completion that holds the text "model": is no key here. A
 * model's first value is kept (the top-level one comes before the content in every API's
 * answer); a count's last (Anthropic's output count is cumulative). Only [A-Za-z0-9._:/-] of a
 * model, up to GENAI_MODEL_LEN - 1 of them, and integers are kept: a value with another
 * character is dropped whole.
 */
#ifndef GENAI_BPF_H
#define GENAI_BPF_H

#include "agentprof.h"

enum genai_state { GS_OUT, GS_KEY, GS_COLON, GS_VALUE, GS_MODEL, GS_NUMBER };
enum genai_key { GK_NONE, GK_MODEL, GK_STREAM, GK_INPUT, GK_OUTPUT };

#define GENAI_KEY_MAX	20	/* "completion_tokens" is 17 */
#define GENAI_DIGITS	9	/* a count kept below 10^9 */

/* The scan of one direction of a call, carried from one read to the next of its connection. */
struct genai_scan {
	__u32 hash;	/* of the key so far: h * 31 + c */
	__u32 num;
	__u8 state;	/* enum genai_state */
	__u8 len;	/* of the key, the model or the number so far */
	__u8 key;	/* enum genai_key */
	__u8 response;	/* scanning the response (else the request) */
};

/* The key a quoted name stands for, by its hash and length (see GENAI_KEY_MAX). */
static __always_inline __u8 genai_key_of(__u32 hash, __u8 len)
{
	if (len == 5 && hash == 0x0633fb29)	/* model */
		return GK_MODEL;
	if (len == 6 && hash == 0xcad54f80)	/* stream */
		return GK_STREAM;
	if ((len == 13 && hash == 0xb68690d5) || (len == 12 && hash == 0x4542b3af))	/* prompt_, input_tokens */
		return GK_INPUT;
	if ((len == 17 && hash == 0xbf9fcf5d) || (len == 13 && hash == 0x89c27698))	/* completion_, output_tokens */
		return GK_OUTPUT;
	return GK_NONE;
}

static __always_inline bool genai_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static __always_inline bool genai_model_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
	       c == ':' || c == '/' || c == '-';
}

/* A gap in what is scanned (a window skipped): what was being read there is lost. */
static __always_inline void genai_gap(struct genai_scan *g)
{
	g->state = GS_OUT;
}

/* One more byte c of the JSON into g; what it completes goes into out. */
static __always_inline void genai_byte(struct genai_scan *g, struct span_genai *out, char c)
{
	__u32 have = g->response ? GENAI_RESPONSE_MODEL : GENAI_REQUEST_MODEL;
	char *model = g->response ? out->response_model : out->request_model;

	switch (g->state) {
	case GS_OUT:
		if (c == '"') {
			g->state = GS_KEY;
			g->hash = 0;
			g->len = 0;
		}
		break;
	case GS_KEY:
		if (c == '"') {
			g->key = genai_key_of(g->hash, g->len);
			g->state = g->key ? GS_COLON : GS_OUT;
		} else if (((c >= 'a' && c <= 'z') || c == '_') && g->len < GENAI_KEY_MAX) {
			g->hash = g->hash * 31 + c;
			g->len++;
		} else {
			g->state = GS_OUT;
		}
		break;
	case GS_COLON:
		if (c == ':')
			g->state = GS_VALUE;
		else if (!genai_space(c))
			g->state = GS_OUT;
		break;
	case GS_VALUE:
		if (genai_space(c))
			break;
		g->state = GS_OUT;
		g->len = 0;
		if (g->key == GK_MODEL && c == '"' && !(out->flags & have)) {
			g->state = GS_MODEL;
		} else if ((g->key == GK_INPUT || g->key == GK_OUTPUT) && g->response && c >= '0' && c <= '9') {
			g->state = GS_NUMBER;
			g->num = c - '0';
			g->len = 1;
		} else if (g->key == GK_STREAM && !g->response && c == 't') {
			out->flags |= GENAI_STREAM;
		}
		break;
	case GS_MODEL:
		if (c == '"') {
			model[g->len & (GENAI_MODEL_LEN - 1)] = '\0';
			out->flags |= g->len ? have : 0;
			g->state = GS_OUT;
		} else if (!genai_model_char(c)) {
			model[0] = '\0';	/* not a model name we keep */
			g->state = GS_OUT;
		} else if (g->len < GENAI_MODEL_LEN - 1) {
			model[g->len++ & (GENAI_MODEL_LEN - 1)] = c;
		}
		break;
	case GS_NUMBER:
		if (c >= '0' && c <= '9') {
			if (g->len++ < GENAI_DIGITS)
				g->num = g->num * 10 + (c - '0');
			break;
		}
		g->state = GS_OUT;
		if (g->len > GENAI_DIGITS)
			break;	/* no count that large */
		if (g->key == GK_INPUT) {
			out->input_tokens = g->num;
			out->flags |= GENAI_INPUT_TOKENS;
		} else {
			out->output_tokens = g->num;
			out->flags |= GENAI_OUTPUT_TOKENS;
		}
		break;
	}
}

#endif /* GENAI_BPF_H */
