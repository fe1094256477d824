// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The span table: events as the kernel sends them, outbound requests without a traceparent adopted. */
#include <criterion/criterion.h>
#include <string.h>
#include "model/spans.h"

static struct span_table t;

static void teardown(void)
{
	span_table__free(&t);
}

TestSuite(spans, .fini = teardown);

static void begin(uint32_t seq, uint32_t outer, uint32_t flags, uint8_t trace, uint8_t span, const char *name)
{
	struct span_event e = { .type = SPAN_BEGIN, .seq = seq, .tid = 7, .outer = outer, .ts = 100 * seq };

	e.trace_id[15] = trace;
	e.span_id[7] = span;
	e.http.flags = flags;
	strcpy(e.name, name);
	cr_assert_eq(span_table__add(&t, &e), 0);
}

Test(spans, a_call_without_traceparent_joins_the_request_it_began_in)
{
	const struct span_rec *r;

	begin(1, 0, SPAN_HTTP_SERVER | SPAN_GENERATED, 0xa1, 0x01, "http POST /task");
	begin(2, 1, SPAN_HTTP_CLIENT | SPAN_GENERATED, 0xb2, 0x02, "http POST /tool");
	/* begun while the first call is still the thread's innermost span: a call is no parent */
	begin(3, 2, SPAN_HTTP_CLIENT | SPAN_GENERATED | SPAN_TLS, 0xc3, 0x03, "http POST /v1/chat/completions");
	r = span_table__get(&t, 3);
	cr_assert(r);
	cr_expect_eq(r->trace_id[15], 0xa1, "the request's trace");
	cr_expect_eq(r->parent_id[7], 0x01, "the request's span is its parent");
	cr_expect(r->trace_generated, "the request had no traceparent either");
	cr_expect(r->llm);
	r = span_table__get(&t, 1);
	cr_expect(r->trace_generated && r->trace_id[15] == 0xa1, "a server span keeps its own generated trace id");
}

Test(spans, a_call_with_traceparent_keeps_its_ids)
{
	const struct span_rec *r;

	begin(1, 0, SPAN_HTTP_SERVER, 0xa1, 0x01, "http POST /task");
	begin(2, 1, SPAN_HTTP_CLIENT, 0xb2, 0x02, "http POST /tool");
	r = span_table__get(&t, 2);
	cr_expect_eq(r->trace_id[15], 0xb2);
	cr_expect_eq(r->parent_id[7], 0);
	cr_expect(!r->trace_generated && !span_table__get(&t, 1)->trace_generated);
}

Test(spans, a_call_begun_in_no_span_is_a_trace_of_its_own)
{
	const struct span_rec *r;

	begin(1, 0, SPAN_HTTP_CLIENT | SPAN_GENERATED, 0xb2, 0x02, "http POST /v1/messages");
	r = span_table__get(&t, 1);
	cr_expect_eq(r->trace_id[15], 0xb2);
	cr_expect(r->trace_generated);
}

Test(spans, the_end_says_when_the_body_began)
{
	struct span_event end = { .type = SPAN_END, .seq = 1, .tid = 9, .ts = 900, .body_ts = 400 };

	begin(1, 0, SPAN_HTTP_CLIENT | SPAN_GENERATED, 0xb2, 0x02, "http POST /v1/chat/completions");
	cr_assert_eq(span_table__add(&t, &end), 0);
	cr_expect_eq(span_table__get(&t, 1)->body_ns, 400);
	cr_expect_eq(span_table__get(&t, 1)->end_tid, 9);
}

static void end(uint32_t seq, uint64_t ts, uint64_t ctx)
{
	struct span_event e = { .type = SPAN_END, .seq = seq, .tid = 7, .ts = ts, .ctx = ctx };

	cr_assert_eq(span_table__add(&t, &e), 0);
}

static void begin_in(uint32_t seq, uint32_t outer, uint32_t flags, uint8_t trace, uint64_t ctx)
{
	struct span_event e = { .type = SPAN_BEGIN, .seq = seq, .tid = 7, .outer = outer, .ts = 100 * seq, .ctx = ctx };

	e.trace_id[15] = trace;
	e.span_id[7] = seq;
	e.http.flags = flags;
	strcpy(e.name, flags & SPAN_HTTP_SERVER ? "http POST /task" : "http POST /v1/chat/completions");
	cr_assert_eq(span_table__add(&t, &e), 0);
}

/* An event loop: three requests read, then their calls written from their tasks, in another order. */
Test(spans, on_an_event_loop_a_call_joins_the_request_whose_task_wrote_it)
{
	enum { READER = 0x10, TASK_A = 0xa0, TASK_B = 0xb0, TASK_C = 0xc0 };

	begin_in(1, 0, SPAN_HTTP_SERVER, 0x01, READER);
	begin_in(2, 1, SPAN_HTTP_SERVER, 0x02, READER);
	begin_in(3, 2, SPAN_HTTP_SERVER, 0x03, READER);
	/* the stack says request 3 for all of them */
	begin_in(4, 3, SPAN_HTTP_CLIENT | SPAN_GENERATED, 0x44, TASK_B);
	begin_in(5, 3, SPAN_HTTP_CLIENT | SPAN_GENERATED, 0x55, TASK_A);
	begin_in(6, 3, SPAN_HTTP_CLIENT | SPAN_GENERATED, 0x66, TASK_C);
	end(2, 1000, TASK_B);
	end(1, 1100, TASK_A);
	end(3, 1200, TASK_C);
	cr_expect_eq(span_table__get(&t, 4)->trace_id[15], 0x02);
	cr_expect_eq(span_table__get(&t, 4)->parent_id[7], 2);
	cr_expect_eq(span_table__get(&t, 5)->trace_id[15], 0x01);
	cr_expect_eq(span_table__get(&t, 5)->parent_id[7], 1);
	cr_expect_eq(span_table__get(&t, 6)->trace_id[15], 0x03);
	cr_expect(span_table__get(&t, 6)->by_context);
}

static int genai(uint32_t seq, const char *req, const char *resp, uint32_t in, uint32_t out, uint32_t flags)
{
	struct span_genai_event e = { .type = SPAN_GENAI, .seq = seq };

	memcpy(e.genai.request_model, req, strnlen(req, GENAI_MODEL_LEN));
	memcpy(e.genai.response_model, resp, strnlen(resp, GENAI_MODEL_LEN));
	e.genai.input_tokens = in;
	e.genai.output_tokens = out;
	e.genai.flags = flags;
	return span_table__add_genai(&t, &e, sizeof(e));
}

Test(spans, an_llm_call_has_its_model_usage_and_operation)
{
	const struct span_rec *r;

	begin(1, 0, SPAN_HTTP_CLIENT | SPAN_GENERATED, 0xb2, 0x02, "http POST /v1/chat/completions");
	cr_assert_eq(genai(1, "gpt-4o-mini", "gpt-4o-mini-2024-07-18", 12, 34,
			   GENAI_STREAM | GENAI_REQUEST_MODEL | GENAI_RESPONSE_MODEL | GENAI_INPUT_TOKENS |
				   GENAI_OUTPUT_TOKENS), 0);
	r = span_table__get(&t, 1);
	cr_assert_str_eq(r->genai.request_model, "gpt-4o-mini");
	cr_assert_str_eq(r->genai.response_model, "gpt-4o-mini-2024-07-18");
	cr_expect_eq(r->genai.input_tokens, 12);
	cr_expect_eq(r->genai.output_tokens, 34);
	cr_expect(r->genai.flags & GENAI_STREAM);
	cr_expect_str_eq(r->operation, "chat");
	cr_expect_str_eq(r->provider, "openai");
}

Test(spans, a_model_name_of_other_characters_is_dropped)
{
	struct span_genai_event e = { .type = SPAN_GENAI, .seq = 1, .genai.flags = GENAI_REQUEST_MODEL | GENAI_RESPONSE_MODEL };
	const struct span_rec *r;

	begin(1, 0, SPAN_HTTP_CLIENT | SPAN_GENERATED, 0xb2, 0x02, "http POST /v1/chat/completions");
	strcpy(e.genai.request_model, "gpt 4\"}");
	memset(e.genai.response_model, 'a', GENAI_MODEL_LEN);	/* no NUL */
	cr_assert_eq(span_table__add_genai(&t, &e, sizeof(e)), 0);
	r = span_table__get(&t, 1);
	cr_expect_eq(r->genai.flags & (GENAI_REQUEST_MODEL | GENAI_RESPONSE_MODEL), 0);
	cr_expect_str_eq(r->genai.request_model, "");
	cr_expect_str_eq(r->genai.response_model, "");
	cr_expect_eq(span_table__add_genai(&t, &e, sizeof(e) - 1), 0, "a short record is ignored");
}
