// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer harness of what reads an LLM call's GenAI fields: span_table__add_genai (spans.c) on
 * the bytes of a SPAN_GENAI event from the ring buffer, and spans_file__parse (spans_read.c) on
 * the same bytes as spans.jsonl text (export reads it back: a file anyone may have edited). Whatever
 * the bytes, a model kept is a checked name, NUL-padded to its end, and its flag says so.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "report/spans_read.h"
#include "model/spans.h"

static void check_model(const char *m, uint32_t flags, uint32_t flag)
{
	size_t n = strnlen(m, GENAI_MODEL_LEN);

	if (n == GENAI_MODEL_LEN || (flags & flag ? !genai_model_ok(m) : n != 0))
		abort();
	for (size_t i = n; i < GENAI_MODEL_LEN; i++)
		if (m[i])
			abort();	/* no byte past a model's end leaves the record */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct span_table t = { 0 };
	struct spans_file f;
	uint8_t ev[sizeof(struct span_genai_event)] = { 0 };
	char *text;

	/* the event: a valid type and a small seq, the rest the input's */
	memcpy(ev, data, size < sizeof(ev) ? size : sizeof(ev));
	((struct span_genai_event *)ev)->type = SPAN_GENAI;
	((struct span_genai_event *)ev)->seq %= 64;
	if (!span_table__add_genai(&t, ev, sizeof(ev))) {
		const struct span_rec *r = span_table__get(&t, ((struct span_genai_event *)ev)->seq);

		if (r) {
			check_model(r->genai.request_model, r->genai.flags, GENAI_REQUEST_MODEL);
			check_model(r->genai.response_model, r->genai.flags, GENAI_RESPONSE_MODEL);
		}
	}
	span_table__free(&t);

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&f, 0, sizeof(f));
	if (!spans_file__parse(text, &f)) {
		for (size_t i = 0; i < f.n; i++) {
			check_model(f.recs[i].genai.request_model, f.recs[i].genai.flags, GENAI_REQUEST_MODEL);
			check_model(f.recs[i].genai.response_model, f.recs[i].genai.flags, GENAI_RESPONSE_MODEL);
		}
		spans_file__free(&f);
	}
	free(text);
	return 0;
}
