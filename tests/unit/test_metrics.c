// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* top's Prometheus metrics: sums over intervals, label escaping, the class, and the listen address. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "helpers.h"
#include "report/metrics.h"
#include "report/metrics_server.h"
#include "model/spans.h"

static struct metrics *m;
static struct span_table spans;

static void setup(void)
{
	/* span 1 "llm.call" (on thread 13), span 2 "parse" nested in it */
	struct span_event llm = { .type = SPAN_BEGIN, .seq = 1, .tid = 13, .ts = 1, .name = "llm.call" };
	struct span_event parse = { .type = SPAN_BEGIN, .seq = 2, .tid = 13, .outer = 1, .ts = 2, .name = "parse" };

	m = metrics__new(4242, "agent");
	cr_assert(m);
	cr_assert_eq(span_table__add(&spans, &llm), 0);
	cr_assert_eq(span_table__add(&spans, &parse), 0);
}

static void teardown(void)
{
	metrics__free(m);
	span_table__free(&spans);
}

TestSuite(metrics, .init = setup, .fini = teardown);

static void thread(struct profile *p, uint32_t tid, const char *comm, enum category c, uint64_t ns)
{
	struct thread_info *t = profile__thread(p, tid);

	cr_assert(t);
	strcpy(t->comm, comm);
	t->ns[c] += ns;
	t->wall_ns += ns;
}

/* One interval: two workers of one name, a thread with a hostile name, samples and drops. */
static void add_interval(enum category worker_cat, uint64_t samples, uint64_t collisions)
{
	struct profile p;

	profile__init(&p);
	p.freq_hz = 99;
	p.duration_ns = 1000000000;
	thread(&p, 10, "worker", worker_cat, 600000000);
	thread(&p, 11, "worker", CAT_CPU, 250000000);
	thread(&p, 12, "a\"b\\c\nd", CAT_LOCK, 1);
	/* in the spans: 0.1 s waiting for the network in llm.call, 0.02 s of CPU in parse */
	cr_assert_eq(profile__add(&p.offcpu, &(struct sample){ .tid = 13, .category = CAT_NET, .count = 100000000,
							       .span = 1 }, NULL, 0, NULL, 0), 0);
	cr_assert_eq(profile__add_span_cpu(&p, 2, 20000000), 0);
	p.window_end_ns = 1000000000;
	p.oncpu.total = samples;
	p.counters[CNT_STACK_COLLISION] = collisions;
	cr_assert_eq(profile__finish(&p, &spans), 0);
	cr_assert_eq(metrics__add(m, &p), 0);
	profile__free(&p);
}

static char *text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert(f);
	cr_assert_eq(metrics__write(m, f), 0);
	cr_assert_eq(fclose(f), 0);
	return buf;
}

static void assert_line(const char *all, const char *line)
{
	char *want;

	cr_assert_neq(asprintf(&want, "\n%s\n", line), -1);
	cr_assert(strstr(all, want), "no line '%s' in:\n%s", line, all);
	free(want);
}

Test(metrics, before_any_interval_every_family_is_there_with_no_class)
{
	char *t = text();

	assert_line(t, "# TYPE agentprof_wait_seconds_total counter");
	assert_line(t, "agentprof_class{class=\"cpu\"} 0");
	assert_line(t, "agentprof_class{class=\"idle\"} 0");
	assert_line(t, "agentprof_samples_total 0");
	assert_line(t, "agentprof_dropped_total{reason=\"stack_collision\"} 0");
	assert_line(t, "agentprof_target_info{pid=\"4242\",comm=\"agent\"} 1");
	cr_assert_null(strstr(t, "agentprof_wait_seconds_total{"));
	free(t);
}

Test(metrics, seconds_add_up_over_intervals_and_threads_of_one_name)
{
	char *t;

	add_interval(CAT_NET, 10, 1);
	add_interval(CAT_LOCK, 5, 2);
	t = text();
	/* 0.25 s of CPU per interval from tid 11, 0.6 s of net then of lock from tid 10 */
	assert_line(t, "agentprof_wait_seconds_total{thread=\"worker\",category=\"cpu\"} 0.500000000");
	assert_line(t, "agentprof_wait_seconds_total{thread=\"worker\",category=\"net\"} 0.600000000");
	assert_line(t, "agentprof_wait_seconds_total{thread=\"worker\",category=\"lock\"} 0.600000000");
	assert_line(t, "agentprof_wait_seconds_total{thread=\"worker\",category=\"idle\"} 0.000000000");
	assert_line(t, "agentprof_samples_total 15");
	assert_line(t, "agentprof_dropped_total{reason=\"stack_collision\"} 3");
	assert_line(t, "agentprof_intervals_total 2");
	/* the class is the last interval's: lock 1.2 s over cpu 0.5 s */
	assert_line(t, "agentprof_class{class=\"lock\"} 1");
	assert_line(t, "agentprof_class{class=\"net\"} 0");
	/* a span's time holds that of the spans nested in it */
	assert_line(t, "agentprof_span_wait_seconds_total{span=\"llm.call\",category=\"net\"} 0.200000000");
	assert_line(t, "agentprof_span_wait_seconds_total{span=\"llm.call\",category=\"cpu\"} 0.040000000");
	assert_line(t, "agentprof_span_wait_seconds_total{span=\"parse\",category=\"cpu\"} 0.040000000");
	assert_line(t, "agentprof_span_wait_seconds_total{span=\"parse\",category=\"net\"} 0.000000000");
	free(t);
}

Test(metrics, label_values_are_escaped)
{
	char *t;

	add_interval(CAT_CPU, 1, 0);
	t = text();
	assert_line(t, "agentprof_wait_seconds_total{thread=\"a\\\"b\\\\c\\nd\",category=\"lock\"} 0.000000001");
	free(t);
}

/* promtool, Prometheus's own linter. */
Test(metrics, promtool_accepts_them)
{
	char *dir, *path, *t;

	require_tool("promtool", "prometheus");
	add_interval(CAT_NET, 10, 1);
	t = text();
	dir = scratch_dir();
	path = path_in(dir, "metrics.txt");
	write_bytes(path, t, strlen(t));
	cr_assert_eq(run("promtool check metrics < '%s'", path), 0, "promtool check metrics refused:\n%s", t);
	free(t);
	free(path);
	scratch_remove(dir);
}

static const char *addr_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;
		char host[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%d", host, ntohs(in6->sin6_port));
	} else {
		const struct sockaddr_in *in = (const void *)ss;
		char host[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%d", host, ntohs(in->sin_port));
	}
	return buf;
}

Test(metrics, listen_addresses_default_to_loopback)
{
	static const char *const ok[][2] = {
		{ "9464", "127.0.0.1:9464" }, { ":9464", "127.0.0.1:9464" },
		{ "localhost:9464", "127.0.0.1:9464" }, { "0.0.0.0:80", "0.0.0.0:80" },
		{ "10.1.2.3:0", "10.1.2.3:0" }, { "[::1]:9464", "[::1]:9464" }, { "[::]:9464", "[::]:9464" },
	};
	static const char *const bad[] = {
		"", ":", "host.example:80", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:80x", "::1:9464",
		"[::1]9464", "[::1", "1.2.3:80", "[127.0.0.1]:80",
	};
	struct sockaddr_storage ss;
	socklen_t len;
	char buf[64];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cr_assert_eq(parse_listen(ok[i][0], &ss, &len), 0, "refused '%s'", ok[i][0]);
		cr_assert_str_eq(addr_text(&ss, buf, sizeof(buf)), ok[i][1]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(parse_listen(bad[i], &ss, &len), -EINVAL, "accepted '%s'", bad[i]);
}

Test(metrics, llm_calls_by_endpoint_and_model)
{
	struct span_event call = { .type = SPAN_BEGIN, .seq = 3, .tid = 13, .ts = 100,
				   .name = "http POST /v1/chat/completions",
				   .http = { .flags = SPAN_HTTP_CLIENT, .host = "api.openai.com" } };
	struct span_event end = { .type = SPAN_END, .seq = 3, .tid = 13, .ts = 500000100, .body_ts = 200000100 };
	struct span_genai_event genai = { .type = SPAN_GENAI, .seq = 3,
					  .genai = { .response_model = "gpt-4o-mini-2024-07-18", .input_tokens = 10,
						     .output_tokens = 5,
						     .flags = GENAI_RESPONSE_MODEL | GENAI_INPUT_TOKENS |
							      GENAI_OUTPUT_TOKENS } };
	char *t;

	cr_assert_eq(span_table__add(&spans, &call), 0);
	cr_assert_eq(span_table__add_genai(&spans, &genai, sizeof(genai)), 0);
	cr_assert_eq(span_table__add(&spans, &end), 0);
	add_interval(CAT_NET, 1, 0);
	add_interval(CAT_NET, 1, 0);
	t = text();
	assert_line(t, "agentprof_llm_calls_total{endpoint=\"llm POST /v1/chat/completions\",host=\"api.openai.com\","
		       "model=\"gpt-4o-mini-2024-07-18\"} 2");
	assert_line(t, "agentprof_llm_call_seconds_total{endpoint=\"llm POST /v1/chat/completions\",host=\"api.openai.com\","
		       "model=\"gpt-4o-mini-2024-07-18\"} 1.000000000");
	assert_line(t, "agentprof_llm_tokens_total{endpoint=\"llm POST /v1/chat/completions\",host=\"api.openai.com\","
		       "model=\"gpt-4o-mini-2024-07-18\",type=\"output\"} 10");
	cr_assert_null(strstr(t, "agentprof_llm_calls_total{endpoint=\"llm.call\""), "an SDK span is no LLM call");
	free(t);
}
