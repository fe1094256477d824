// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Requests on an event loop: each one's time split from its thread's stamped span events. */
#include <criterion/criterion.h>
#include <string.h>
#include "model/loopspans.h"

static struct span_table t;
static struct loop_index *ix;

static void teardown(void)
{
	loop_index__free(ix);
	ix = NULL;
	span_table__free(&t);
}

TestSuite(loopspans, .fini = teardown);

/* An event of span seq on thread tid at ts, the thread's counters and context then. */
static void ev(uint32_t type, uint32_t seq, uint32_t tid, uint64_t ts, uint64_t cpu, uint64_t runq, uint64_t ctx,
	       uint32_t flags, uint8_t span, uint16_t port, const char *name)
{
	struct span_event e = { .type = type, .seq = seq, .tid = tid, .ts = ts, .cpu_ns = cpu, .runq_ns = runq,
				.ctx = ctx };

	e.trace_id[15] = span;
	e.span_id[7] = span;
	e.http.flags = flags;
	e.http.peer = (struct net_peer){ .addr = { 10, 0, 0, 7 }, .port = port, .family = 2 };
	strcpy(e.name, name);
	cr_assert_eq(span_table__add(&t, &e), 0);
}

#define SERVER (SPAN_HTTP_SERVER | SPAN_GENERATED)
#define CLIENT (SPAN_HTTP_CLIENT | SPAN_GENERATED)
#define LLM "http POST /v1/chat/completions"

/*
 * Two requests on loop thread 1 (contexts 100 and 200; reads are seen in the transports' 9),
 * each with one LLM call: A's last step runs after B's, so 20 ns of it are queued behind B.
 */
static void two_requests(void)
{
	ev(SPAN_BEGIN, 1, 1, 0, 1000, 0, 9, SERVER, 0xa, 0, "http POST /task");
	ev(SPAN_BEGIN, 2, 1, 10, 1010, 0, 100, CLIENT, 0xa1, 443, LLM);
	ev(SPAN_BEGIN, 3, 1, 12, 1012, 0, 9, SERVER, 0xb, 0, "http POST /task");
	ev(SPAN_BEGIN, 4, 1, 20, 1020, 0, 200, CLIENT, 0xb1, 443, LLM);
	ev(SPAN_END, 2, 1, 50, 1020, 0, 9, 0, 0xa1, 0, "");
	ev(SPAN_END, 4, 1, 70, 1030, 5, 9, 0, 0xb1, 0, "");
	ev(SPAN_END, 3, 1, 80, 1040, 5, 200, 0, 0xb, 0, "");
	ev(SPAN_END, 1, 1, 90, 1050, 5, 100, 0, 0xa, 0, "");
	cr_assert_eq(loop_index__build(&t, &ix), 0);
}

Test(loopspans, a_request_is_its_own_code_its_calls_and_its_queue)
{
	struct loop_breakdown b;
	uint64_t sum = 0;

	two_requests();
	cr_assert(loop_index__breakdown(ix, &t, span_table__get(&t, 1), CAT_IDLE, &b));
	cr_expect_eq(b.ns[CAT_CPU], 20, "up to its call's write, and its last step: %lu", b.ns[CAT_CPU]);
	cr_expect_eq(b.ns[CAT_NET], 40, "its call, 10 to 50: %lu", b.ns[CAT_NET]);
	cr_expect_eq(b.ns[CAT_QUEUE], 20, "B's steps after A's call came back: %lu", b.ns[CAT_QUEUE]);
	cr_expect_eq(b.ns[CAT_RUNQ], 5);
	cr_expect_eq(b.ns[CAT_IDLE], 5, "the loop off CPU outside its call: what the loop waits in");
	for (int c = 0; c < NR_CATEGORIES; c++)
		sum += b.ns[c];
	cr_expect_eq(sum, 90, "the breakdown sums to the duration");
	cr_assert_eq(b.npeers, 1);
	cr_expect_eq(b.peers[0].ns, 40);
	cr_expect(b.peers[0].llm && b.peers[0].peer.port == 443);
	cr_expect(!b.call);
}

Test(loopspans, the_other_request_is_not_charged_for_the_first)
{
	struct loop_breakdown b;

	two_requests();
	cr_assert(loop_index__breakdown(ix, &t, span_table__get(&t, 3), CAT_IDLE, &b));
	cr_expect_eq(b.ns[CAT_CPU], 18, "%lu", b.ns[CAT_CPU]);
	cr_expect_eq(b.ns[CAT_NET], 50, "%lu", b.ns[CAT_NET]);
	cr_expect_eq(b.ns[CAT_QUEUE], 0);
}

Test(loopspans, a_call_is_its_requests_and_all_net)
{
	struct loop_breakdown b;

	two_requests();
	cr_assert(loop_index__breakdown(ix, &t, span_table__get(&t, 2), CAT_IDLE, &b));
	cr_expect(b.call);
	cr_expect_eq(b.ns[CAT_NET], 40);
	cr_expect_eq(b.ns[CAT_CPU], 0, "the loop's CPU in the call was the transport's");
}

Test(loopspans, a_threaded_server_keeps_the_kernels_charging)
{
	struct loop_breakdown b;

	ev(SPAN_BEGIN, 1, 1, 0, 1000, 0, 9, SERVER, 0xa, 0, "http POST /task");
	ev(SPAN_END, 1, 1, 50, 1040, 0, 100, 0, 0xa, 0, "");
	ev(SPAN_BEGIN, 2, 1, 60, 1050, 0, 9, SERVER, 0xb, 0, "http POST /task");
	ev(SPAN_END, 2, 1, 90, 1060, 0, 100, 0, 0xb, 0, "");
	cr_assert_eq(loop_index__build(&t, &ix), 0);
	cr_expect(!loop_index__breakdown(ix, &t, span_table__get(&t, 1), CAT_IDLE, &b),
		  "one request at a time on its thread: no loop");
}
