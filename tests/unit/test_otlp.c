// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The OTLP encoder, from spans built by hand: its protobuf decoded against the official schema
 * (tests/otlp/receiver.py decode: protoc's modules, no unknown field), its JSON through
 * json_format.Parse; ids, parents, kinds, Unix times and the breakdown attributes checked.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "helpers.h"
#include "report/otlp.h"
#include "model/spans.h"
#include "target/cgroup.h"
#include "report/spans_read.h"

#define MS 1000000ull
#define DECODE "/usr/bin/python3 tests/otlp/receiver.py decode"
/* the recording started at Unix time T0 when CLOCK_MONOTONIC read M0 */
#define T0 1700000000000000000ull
#define M0 5000 * MS

static struct span_rec recs[3];
static struct span_info infos[3];
static struct profile p;
static char *dir;

static void setup(void)
{
	struct span_rec *r;

	memset(recs, 0, sizeof(recs));
	memset(infos, 0, sizeof(infos));
	memset(&p, 0, sizeof(p));
	p.spans = infos;
	p.nspans = 3;
	p.start_unix_ns = T0;
	p.window_start_ns = M0;
	p.window_end_ns = M0 + 1000 * MS;
	for (int i = 0; i < 3; i++) {
		r = &recs[i];
		r->seq = i + 1;
		r->tid = 100 + i;
		for (int b = 0; b < 16; b++)
			r->trace_id[b] = 0xa0 + b;
		r->span_id[7] = i + 1;
		r->begun = r->ended = true;
		infos[i].rec = r;
	}
	/* 1: the SDK's root, 10..110 ms, 60 ms CPU and 40 net */
	strcpy(recs[0].name, "request");
	recs[0].start_ns = M0 + 10 * MS;
	recs[0].end_ns = M0 + 110 * MS;
	infos[0].wall_ns = 100 * MS;
	infos[0].ns[CAT_CPU] = 60 * MS;
	infos[0].ns[CAT_NET] = 40 * MS;
	infos[0].class = CAT_CPU;
	/* 2: its child, an outbound LLM call with a Host header: a client span */
	strcpy(recs[1].name, "llm POST /v1/chat/completions");
	recs[1].parent_id[7] = 1;
	recs[1].start_ns = M0 + 60 * MS;
	recs[1].end_ns = M0 + 100 * MS;
	recs[1].flags = SPAN_HTTP_CLIENT;
	recs[1].llm = true;
	strcpy(recs[1].host, "api.example.com:8443");
	recs[1].operation = "chat";
	recs[1].provider = "openai";
	strcpy(recs[1].genai.request_model, "gpt-4o-mini");
	recs[1].genai.input_tokens = 12;
	recs[1].genai.output_tokens = 0;
	recs[1].genai.flags = GENAI_REQUEST_MODEL | GENAI_INPUT_TOKENS | GENAI_OUTPUT_TOKENS | GENAI_STREAM;
	recs[1].body_ns = M0 + 70 * MS;
	recs[1].peer.family = 2;	/* AF_INET */
	recs[1].peer.port = 8443;
	memcpy(recs[1].peer.addr, (uint8_t[]){ 10, 0, 0, 7 }, 4);
	infos[1].wall_ns = 40 * MS;
	infos[1].ns[CAT_NET] = 40 * MS;
	infos[1].class = CAT_NET;
	/* 3: an inbound request still open when the recording stopped */
	strcpy(recs[2].name, "http GET /work");
	recs[2].parent_id[0] = 0x42;
	recs[2].start_ns = M0 + 900 * MS;
	recs[2].ended = false;
	recs[2].flags = SPAN_HTTP_SERVER;
	infos[2].wall_ns = 100 * MS;
	infos[2].ns[CAT_SLEEP] = 100 * MS;
	infos[2].class = CAT_SLEEP;
	infos[2].unfinished = true;
	dir = scratch_dir();
}

static void teardown(void)
{
	scratch_remove(dir);
}

TestSuite(otlp, .init = setup, .fini = teardown);

static const struct otlp_resource res = {
	.service_name = "agent", .pid = 4242, .host_name = "box", .container_id = "c0ffee", .version = "0.1",
};

/* Encodes every span, decodes it against the schema, returns the normalized request. */
static json_t *roundtrip(enum otlp_format fmt)
{
	uint8_t *body;
	size_t len;
	char *path = path_in(dir, "body"), *text;
	json_error_t jerr;
	json_t *o;

	cr_assert_eq(otlp_encode(&p, &res, p.spans, p.nspans, fmt, &body, &len), 0);
	write_bytes(path, body, len);
	free(body);
	text = run_output(DECODE " %s %s", fmt == OTLP_JSON ? "json" : "pb", path);
	o = json_loads(text, 0, &jerr);
	cr_assert(o, "the schema refused the request: %s (%s)", jerr.text, text);
	free(text);
	free(path);
	return o;
}

static json_t *spans_of(json_t *req)
{
	json_t *rs = json_array_get(json_object_get(req, "resource_spans"), 0);

	cr_assert_eq(json_array_size(json_object_get(req, "resource_spans")), 1);
	return json_object_get(json_array_get(json_object_get(rs, "scopes"), 0), "spans");
}

static json_int_t attr_int(json_t *span, const char *key)
{
	json_t *v = json_object_get(json_object_get(span, "attributes"), key);

	cr_assert(json_is_integer(v), "no integer attribute %s", key);
	return json_integer_value(v);
}

static const char *attr_str(json_t *span, const char *key)
{
	json_t *v = json_object_get(json_object_get(span, "attributes"), key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void check_request(json_t *req)
{
	json_t *rs = json_array_get(json_object_get(req, "resource_spans"), 0);
	json_t *resource = json_object_get(rs, "resource"), *spans = spans_of(req), *s;

	cr_assert_str_eq(json_string_value(json_object_get(resource, "service.name")), "agent");
	cr_assert_eq(json_integer_value(json_object_get(resource, "process.pid")), 4242);
	cr_assert_str_eq(json_string_value(json_object_get(resource, "host.name")), "box");
	cr_assert_str_eq(json_string_value(json_object_get(resource, "container.id")), "c0ffee");
	cr_assert_eq(json_array_size(spans), 3);

	s = json_array_get(spans, 0);
	cr_assert_str_eq(json_string_value(json_object_get(s, "trace_id")), "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
	cr_assert_str_eq(json_string_value(json_object_get(s, "span_id")), "0000000000000001");
	cr_assert(json_is_null(json_object_get(s, "parent_span_id")), "a root has no parent");
	cr_assert_str_eq(json_string_value(json_object_get(s, "name")), "request");
	cr_assert_eq(json_integer_value(json_object_get(s, "kind")), 1, "SDK spans are INTERNAL");
	cr_assert_eq((uint64_t)json_integer_value(json_object_get(s, "start")), T0 + 10 * MS);
	cr_assert_eq((uint64_t)json_integer_value(json_object_get(s, "end")), T0 + 110 * MS);
	cr_assert(json_is_true(json_object_get(s, "has_status")));
	cr_assert_eq(json_integer_value(json_object_get(s, "status_code")), 0);
	cr_assert_eq(attr_int(s, "agentprof.cpu_ns"), 60 * MS);
	cr_assert_eq(attr_int(s, "agentprof.net_ns"), 40 * MS);
	cr_assert_eq(attr_int(s, "agentprof.lock_ns"), 0, "every category, zero too");
	cr_assert_str_eq(attr_str(s, "agentprof.class"), "cpu");
	cr_assert_eq(attr_int(s, "thread.id"), 100);
	cr_assert_null(attr_str(s, "server.address"), "only client spans name a server");

	s = json_array_get(spans, 1);
	cr_assert_str_eq(json_string_value(json_object_get(s, "parent_span_id")), "0000000000000001");
	cr_assert_eq(json_integer_value(json_object_get(s, "kind")), 3, "an outbound request is a CLIENT span");
	cr_assert_str_eq(attr_str(s, "server.address"), "api.example.com", "the Host header's name");
	cr_assert_eq(attr_int(s, "server.port"), 8443);
	cr_assert_str_eq(attr_str(s, "network.peer.address"), "10.0.0.7");
	cr_assert_eq(attr_int(s, "network.peer.port"), 8443);
	cr_assert(json_is_true(json_object_get(json_object_get(s, "attributes"), "agentprof.llm")));
	cr_assert_str_eq(attr_str(s, "gen_ai.operation.name"), "chat");
	cr_assert_str_eq(attr_str(s, "gen_ai.provider.name"), "openai");
	cr_assert_str_eq(attr_str(s, "gen_ai.request.model"), "gpt-4o-mini");
	cr_assert_null(attr_str(s, "gen_ai.response.model"), "a model not seen is not sent");
	cr_assert_eq(attr_int(s, "gen_ai.usage.input_tokens"), 12);
	cr_assert_eq(attr_int(s, "gen_ai.usage.output_tokens"), 0, "a count of 0 seen is sent");
	cr_assert_eq(attr_int(s, "agentprof.ttft_ns"), 10 * MS);
	cr_assert(json_is_true(json_object_get(json_object_get(s, "attributes"), "agentprof.streaming")));
	cr_assert_null(attr_str(json_array_get(spans, 0), "gen_ai.operation.name"), "only LLM calls");

	s = json_array_get(spans, 2);
	cr_assert_eq(json_integer_value(json_object_get(s, "kind")), 2, "an inbound request is a SERVER span");
	cr_assert_str_eq(json_string_value(json_object_get(s, "parent_span_id")), "4200000000000000");
	cr_assert_eq((uint64_t)json_integer_value(json_object_get(s, "end")), T0 + 1000 * MS,
		     "an unfinished span ends with the recording");
	cr_assert(json_is_true(json_object_get(json_object_get(s, "attributes"), "agentprof.unfinished")));
	cr_assert_eq(attr_int(s, "agentprof.sleep_ns"), 100 * MS);
}

Test(otlp, protobuf_fits_the_official_schema)
{
	json_t *req;

	require_tool("protoc", "protobuf-compiler");
	req = roundtrip(OTLP_PROTOBUF);
	check_request(req);
	json_decref(req);
}

Test(otlp, json_fits_the_official_schema)
{
	json_t *req;

	require_tool("protoc", "protobuf-compiler");
	req = roundtrip(OTLP_JSON);
	check_request(req);
	json_decref(req);
}

Test(otlp, batches_take_a_range_of_spans)
{
	uint8_t *body;
	size_t len;
	char *path = path_in(dir, "body"), *text;
	json_t *req;

	require_tool("protoc", "protobuf-compiler");
	cr_assert_eq(otlp_encode(&p, &res, p.spans + 1, 1, OTLP_PROTOBUF, &body, &len), 0);
	write_bytes(path, body, len);
	free(body);
	text = run_output(DECODE " pb %s", path);
	req = json_loads(text, 0, NULL);
	cr_assert(req, "%s", text);
	cr_assert_eq(json_array_size(spans_of(req)), 1);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(spans_of(req), 0), "span_id")),
			 "0000000000000002");
	json_decref(req);
	free(text);
	free(path);
}

/* An IPv6 peer with no Host header: the address without its brackets, and its port */
Test(otlp, client_span_without_host_names_its_peer)
{
	struct otlp_attr a[OTLP_MAX_ATTRS];
	const char *addr = NULL;
	int64_t port = 0;
	size_t n;

	recs[1].host[0] = '\0';
	recs[1].peer.family = 10;	/* AF_INET6 */
	memset(recs[1].peer.addr, 0, sizeof(recs[1].peer.addr));
	recs[1].peer.addr[0] = 0x20;
	recs[1].peer.addr[1] = 0x01;
	recs[1].peer.addr[15] = 1;
	n = otlp_span_attrs(&p, &infos[1], a);
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(a[i].key, "server.address"))
			addr = a[i].s;
		if (!strcmp(a[i].key, "server.port"))
			port = a[i].i;
	}
	cr_assert_str_eq(addr, "2001::1");
	cr_assert_eq(port, 8443);
}

Test(otlp, unix_time_from_the_recordings_offset)
{
	cr_assert_eq(otlp_unix_ns(&p, M0), T0);
	cr_assert_eq(otlp_unix_ns(&p, M0 - 3 * MS), T0 - 3 * MS, "a span begun just before the window");
}

/* container.id: the 64 hex digits that docker, containerd and podman put in their cgroups' names */
Test(otlp, container_id_from_cgroup_paths)
{
	static const char id64[] = "4f1b8c2d9e0a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c";
	char path[256], id[65];

	snprintf(path, sizeof(path), "/system.slice/docker-%s.scope", id64);
	cr_assert_eq(cgroup_container_id(path, id), 0);
	cr_assert_str_eq(id, id64);
	snprintf(path, sizeof(path), "/kubepods/burstable/pod1/cri-containerd-%s.scope/init", id64);
	cr_assert_eq(cgroup_container_id(path, id), 0);
	cr_assert_str_eq(id, id64);
	snprintf(path, sizeof(path), "/machine.slice/libpod-%s", id64);
	cr_assert_eq(cgroup_container_id(path, id), 0);
	cr_assert_eq(cgroup_container_id("/user.slice/user-0.slice/session-3.scope", id), -ENOENT);
	snprintf(path, sizeof(path), "/x/%sa", id64);
	cr_assert_eq(cgroup_container_id(path, id), -ENOENT, "65 hex digits are no ID");
}

/* spans.jsonl read back (export): what record wrote of a span, and nothing malformed */
Test(otlp, spans_jsonl_read_back)
{
	static const char text[] =
		"{\"trace_id\": \"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\", \"span_id\": \"0000000000000002\", "
		"\"parent_span_id\": \"0000000000000001\", \"name\": \"llm POST /v1/chat/completions\", \"kind\": \"client\", "
		"\"pid\": 7, \"tid\": 101, \"start_ns\": 5060000000, \"end_ns\": 5100000000, \"duration_ns\": 40000000, "
		"\"breakdown_ns\": {\"cpu\": 1, \"net\": 39999999}, \"class\": \"net\", \"unfinished\": false, "
		"\"peer\": \"[2001:db8::1]:8443\", \"host\": \"api.example.com:8443\", \"llm\": true, \"ttft_ns\": 10, "
		"\"gen_ai\": {\"operation_name\": \"chat\", \"request_model\": \"gpt-4o\", \"response_model\": null, "
		"\"input_tokens\": 3, \"output_tokens\": null, \"streaming\": true}}\n"
		"\n"
		"{\"trace_id\": \"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\", \"span_id\": \"0000000000000003\", "
		"\"parent_span_id\": null, \"name\": \"stuck\", \"tid\": 102, \"start_ns\": 5900000000, \"end_ns\": null, "
		"\"duration_ns\": 100, \"breakdown_ns\": {\"sleep\": 100}, \"class\": \"sleep\", \"unfinished\": true, "
		"\"peer\": \"10.0.0.7:80\", \"host\": null, \"llm\": false}\n";
	struct spans_file f;

	cr_assert_eq(spans_file__parse(text, &f), 0);
	cr_assert_eq(f.n, 2);
	cr_assert_eq(f.infos[0].rec, &f.recs[0]);
	cr_assert_eq(f.recs[0].trace_id[15], 0xaf);
	cr_assert_eq(f.recs[0].parent_id[7], 1);
	cr_assert_str_eq(f.recs[0].name, "llm POST /v1/chat/completions");
	cr_assert_eq(otlp_span_kind(&f.recs[0]), 3, "client");
	cr_assert_eq(f.recs[0].end_ns, 5100000000ull);
	cr_assert_eq(f.infos[0].ns[CAT_NET], 39999999);
	cr_assert_eq(f.infos[0].class, CAT_NET);
	cr_assert_eq(f.recs[0].peer.family, 10);
	cr_assert_eq(f.recs[0].peer.port, 8443);
	cr_assert_str_eq(f.recs[0].host, "api.example.com:8443");
	cr_assert(f.recs[0].llm);
	cr_assert_str_eq(f.recs[0].genai.request_model, "gpt-4o");
	cr_assert_eq(f.recs[0].genai.input_tokens, 3);
	cr_assert_eq(f.recs[0].genai.flags, GENAI_REQUEST_MODEL | GENAI_INPUT_TOKENS | GENAI_STREAM);
	cr_assert_str_eq(f.recs[0].operation, "chat");
	cr_assert_eq(f.recs[0].body_ns, 5060000010ull);
	cr_assert(f.infos[1].unfinished);
	cr_assert_eq(f.recs[1].peer.addr[3], 7);
	cr_assert_eq(otlp_span_kind(&f.recs[1]), 1, "no kind: internal");
	spans_file__free(&f);

	cr_assert_eq(spans_file__parse("{\"trace_id\": \"A0\", \"span_id\": \"00\"}\n", &f), -EINVAL);
	cr_assert_eq(spans_file__parse("not json\n", &f), -EINVAL);
	cr_assert_eq(spans_file__parse("{\"trace_id\": null, \"span_id\": null, \"parent_span_id\": null, \"name\": \"x\", "
				       "\"tid\": 1, \"start_ns\": 1, \"end_ns\": 2, \"breakdown_ns\": {}, \"class\": \"cpu\", "
				       "\"peer\": null, \"llm\": true, \"gen_ai\": {\"request_model\": \"a prompt\"}}\n", &f),
		     -EINVAL, "a model of other characters is refused");
	cr_assert_eq(f.n, 0);
}
