// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * record --otlp against tests/otlp/receiver.py on loopback, which decodes every request against the
 * official OTLP schema: each span of spans.jsonl arrives once, with its ids, parent, Unix times and
 * breakdown; gzip is used; the --otlp-header canary reaches the receiver and nothing else. A failing
 * endpoint (500s, a closed port, one that never answers) loses no local file, the summary counts
 * the spans not sent, and record still exits.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"

#define PYTHON "/usr/bin/python3"
#define NODE "/usr/bin/node"
#define RECEIVER "tests/otlp/receiver.py"

static char dir[64], out[128], path[256], reqlog[128], url[64], canary[48], header[80];
static pid_t receiver, agent, llm, load;

static void setup(void)
{
	make_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(reqlog, sizeof(reqlog), "%s/requests.jsonl", dir);
	srandom(time(NULL) ^ getpid());
	snprintf(canary, sizeof(canary), "CANARYKEY%08lx%08lx", random(), random());
	snprintf(header, sizeof(header), "X-Api-Key=%s", canary);
	receiver = agent = llm = load = 0;
}

static void teardown(void)
{
	if (load > 0)
		stop_workload(load);
	if (llm > 0)
		stop_workload(llm);
	if (agent > 0)
		stop_workload(agent);
	if (receiver > 0)
		stop_workload(receiver);
	remove_tree(dir);
}

TestSuite(otlp, .init = setup, .fini = teardown, .timeout = 120);

static void start_receiver(const char *mode)
{
	char port_file[128], *port;

	require_tool(PYTHON, "python3");
	require_tool("protoc", "protobuf-compiler");
	snprintf(port_file, sizeof(port_file), "%s/port", dir);
	receiver = start_workload((char *const[]){ PYTHON, RECEIVER, "serve", port_file, reqlog, (char *)mode, NULL });
	port = slurp(port_file);
	cr_assert(port && *port, "the receiver wrote no port");
	port[strcspn(port, "\n")] = '\0';
	snprintf(url, sizeof(url), "http://127.0.0.1:%s", port);
	free(port);
}

/* The spans agent, running until killed (its window lies inside its life, however long attaching takes). */
static pid_t start_agent(void)
{
	return agent = start_workload((char *const[]){ WORKLOAD("spans"), "120", NULL });
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* record -p pid -d secs --otlp url, extra options after; returns its wall time in seconds. */
static double record(pid_t pid, const char *secs, char *const extra[], struct run *r)
{
	char pidstr[16];
	char *argv[32] = { AGENTPROF, "record", "-p", pidstr, "-d", (char *)secs, "-o", out, "--otlp", url,
			   "--otlp-header", header };
	size_t n = 12;
	double t0 = now_s();

	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	for (size_t i = 0; extra && extra[i]; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	run_cmd(argv, r);
	return now_s() - t0;
}

/* Lines of JSON objects as an array. */
/* Every request's spans (each request decoded without error), by span id; *nreq: how many requests. */
static json_t *received_spans(const char *content_type, size_t *nreq, size_t *max_batch, json_t **resource)
{
	json_t *reqs = load_jsonl(dir, "requests.jsonl"), *byid = json_object(), *req;
	size_t i;

	*max_batch = 0;
	*resource = NULL;
	json_array_foreach(reqs, i, req) {
		json_t *h = json_object_get(req, "headers"), *rs, *sc, *sp;
		size_t j, k, l;

		cr_assert_null(json_object_get(req, "error"), "request %zu does not fit the schema: %s", i,
			       json_string_value(json_object_get(req, "error")));
		cr_assert_str_eq(json_string_value(json_object_get(req, "path")), "/v1/traces");
		cr_assert_str_eq(json_string_value(json_object_get(h, "content-encoding")), "gzip");
		cr_assert_str_eq(json_string_value(json_object_get(h, "content-type")), content_type);
		cr_assert_str_eq(json_string_value(json_object_get(h, "x-api-key")), canary,
				 "the --otlp-header reaches the endpoint");
		json_array_foreach(json_object_get(json_object_get(req, "request"), "resource_spans"), j, rs) {
			if (!*resource)
				*resource = json_incref(json_object_get(rs, "resource"));
			json_array_foreach(json_object_get(rs, "scopes"), k, sc) {
				json_t *spans = json_object_get(sc, "spans");

				if (json_array_size(spans) > *max_batch)
					*max_batch = json_array_size(spans);
				json_array_foreach(spans, l, sp) {
					const char *id = json_string_value(json_object_get(sp, "span_id"));

					cr_assert_null(json_object_get(byid, id), "span %s arrived twice", id);
					json_object_set(byid, id, sp);
				}
			}
		}
	}
	*nreq = json_array_size(reqs);
	json_decref(reqs);
	return byid;
}

static void expect_no_canary(const struct run *r)
{
	const char *leak = file_holding(out, canary);

	cr_expect(!leak, "the --otlp-header value is in %s", leak);
	cr_expect(!strstr(r->out, canary) && !strstr(r->err, canary), "the --otlp-header value is in record's messages");
}

static json_int_t attr_int(json_t *span, const char *key)
{
	json_t *v = json_object_get(json_object_get(span, "attributes"), key);

	cr_assert(json_is_integer(v), "%s: no attribute %s", json_string_value(json_object_get(span, "name")), key);
	return json_integer_value(v);
}

/* Unix ns = CLOCK_MONOTONIC ns + this offset (report.json's) */
static int64_t unix_offset(json_t *report)
{
	return json_integer_value(json_object_get(report, "start_unix_ns")) -
	       json_integer_value(json_object_get(report, "window_start_ns"));
}

/*
 * Span s of spans.jsonl arrived as got (NULL: not) with its trace, name, parent, Unix start and
 * end, every breakdown category and its class.
 */
static void check_span(json_t *s, json_t *got, int64_t offset)
{
	const char *id = json_string_value(json_object_get(s, "span_id"));
	const char *name = json_string_value(json_object_get(s, "name"));
	const char *key;
	json_t *v;

	cr_assert(got, "span %s (%s) of spans.jsonl did not arrive", id, name);
	cr_assert_str_eq(json_string_value(json_object_get(got, "trace_id")),
			 json_string_value(json_object_get(s, "trace_id")));
	cr_assert_str_eq(json_string_value(json_object_get(got, "name")), name);
	cr_assert(json_equal(json_object_get(got, "parent_span_id"), json_object_get(s, "parent_span_id")), "%s: parent",
		  name);
	cr_assert_eq(json_integer_value(json_object_get(got, "start")),
		     json_integer_value(json_object_get(s, "start_ns")) + offset, "%s: start", name);
	if (json_is_true(json_object_get(s, "unfinished")))
		cr_assert(json_is_true(json_object_get(json_object_get(got, "attributes"), "agentprof.unfinished")));
	else
		cr_assert_eq(json_integer_value(json_object_get(got, "end")),
			     json_integer_value(json_object_get(s, "end_ns")) + offset, "%s: end", name);
	json_object_foreach(json_object_get(s, "breakdown_ns"), key, v) {
		char attr[64];

		snprintf(attr, sizeof(attr), "agentprof.%s_ns", key);
		cr_assert_eq(attr_int(got, attr), json_integer_value(v), "%s: %s", name, attr);
	}
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(got, "attributes"), "agentprof.class")),
			 json_string_value(json_object_get(s, "class")));
}

/*
 * Each span of spans.jsonl arrived (in byid, by span id): check_span; the spans agent's spans
 * are internal, its tool, llm and lock spans hang off a request span of their own trace. Counts
 * roots and children.
 */
static void check_spans(json_t *spans, json_t *report, json_t *byid, size_t *roots_out, size_t *children_out)
{
	size_t i, roots = 0, children = 0;
	int64_t offset = unix_offset(report);
	json_t *s;

	json_array_foreach(spans, i, s) {
		json_t *got = json_object_get(byid, json_string_value(json_object_get(s, "span_id")));
		json_t *parent = json_object_get(s, "parent_span_id");
		const char *name = json_string_value(json_object_get(s, "name"));

		check_span(s, got, offset);
		cr_assert_str_eq(json_string_value(json_object_get(s, "kind")), "internal", "SDK spans are internal");
		cr_assert_eq(json_integer_value(json_object_get(got, "kind")), 1, "SDK spans are INTERNAL");
		/* the traces: each tool, llm and lock span hangs off a request span of its own trace */
		if (!strcmp(name, "request"))
			roots += json_is_null(parent);
		if (!strcmp(name, "tool") || !strcmp(name, "llm") || !strcmp(name, "lock")) {
			json_t *p = json_object_get(byid, json_string_value(parent));

			if (!p)	/* its request began before the recording */
				continue;
			cr_assert_str_eq(json_string_value(json_object_get(p, "name")), "request");
			cr_assert_str_eq(json_string_value(json_object_get(p, "trace_id")),
					 json_string_value(json_object_get(got, "trace_id")));
			children++;
		}
	}
	*roots_out = roots;
	*children_out = children;
}

Test(otlp, every_span_arrives_once_with_its_breakdown)
{
	json_t *report, *spans, *byid, *resource;
	size_t nreq, max_batch, roots, children;
	struct run r;
	char want[128];
	double took;

	require_root();
	start_receiver("ok");
	took = record(start_agent(), "2", (char *const[]){ "--otlp-batch", "64", NULL }, &r);
	cr_assert_eq(r.status, 0, "record failed: %s", r.err);
	report = load_json(out, "report.json");
	spans = load_jsonl(out, "spans.jsonl");
	cr_assert_gt(json_array_size(spans), 50, "the agent made spans");
	snprintf(want, sizeof(want), "OpenTelemetry export: %zu of %zu spans sent", json_array_size(spans),
		 json_array_size(spans));
	cr_assert(strstr(r.out, want), "the summary says all were sent: %s", r.out);

	byid = received_spans("application/x-protobuf", &nreq, &max_batch, &resource);
	cr_log_info("%zu spans in spans.jsonl, %zu received in %zu requests of at most %zu spans; record took %.2f s; %s",
		    json_array_size(spans), json_object_size(byid), nreq, max_batch, took,
		    strstr(r.out, "OpenTelemetry export"));
	cr_assert_eq(json_object_size(byid), json_array_size(spans), "as many spans received as spans.jsonl holds");
	cr_assert_leq(max_batch, 64, "--otlp-batch 64");
	cr_assert_eq(nreq, (json_array_size(spans) + 63) / 64, "batches of 64: %zu requests", nreq);
	cr_assert_str_eq(json_string_value(json_object_get(resource, "service.name")), "spans");
	cr_assert_eq(json_integer_value(json_object_get(resource, "process.pid")), agent);
	cr_assert(json_is_string(json_object_get(resource, "host.name")));

	check_spans(spans, report, byid, &roots, &children);
	cr_assert_gt(roots, 10, "request spans are roots");
	cr_assert_gt(children, 30, "children found their parents");
	expect_no_canary(&r);
	json_decref(resource);
	json_decref(byid);
	json_decref(spans);
	json_decref(report);
	run_free(&r);
}

/* An unmodified Python http.server: server spans from traceparent headers, sent as OTLP/JSON. */
Test(otlp, json_from_traceparent_spans)
{
	char port_file[128], log[128], pidstr[16], *port, *line, *save = NULL, *text;
	json_t *spans, *byid, *resource, *s;
	size_t nreq, max_batch, i, servers = 0;
	struct run client;
	pid_t rec;
	int status;

	require_root();
	start_receiver("ok");
	snprintf(port_file, sizeof(port_file), "%s/http-port", dir);
	agent = start_workload((char *const[]){ PYTHON, "tests/workloads/pyhttp.py", port_file, NULL });
	port = slurp(port_file);
	cr_assert(port && *port, "no port");
	snprintf(pidstr, sizeof(pidstr), "%d", agent);
	snprintf(log, sizeof(log), "%s/record.log", dir);
	rec = start_recording((char *const[]){ AGENTPROF, "record", "-p", pidstr, "-d", "4", "-o", out, "--otlp", url,
					       "--otlp-json", "--otlp-header", header, "--service", "pyhttp-svc", NULL },
			      log);
	run_cmd((char *const[]){ PYTHON, "tests/workloads/pyhttp.py", "client", port, "5", NULL }, &client);
	cr_assert_eq(client.status, 0, "client: %s", client.err);
	waitpid(rec, &status, 0);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "record failed");
	spans = load_jsonl(out, "spans.jsonl");
	byid = received_spans("application/json", &nreq, &max_batch, &resource);
	cr_assert_str_eq(json_string_value(json_object_get(resource, "service.name")), "pyhttp-svc", "--service");
	cr_assert_eq(json_object_size(byid), json_array_size(spans));
	json_array_foreach(spans, i, s) {
		json_t *got = json_object_get(byid, json_string_value(json_object_get(s, "span_id")));

		cr_assert(got, "a span of spans.jsonl did not arrive");
		cr_assert_str_eq(json_string_value(json_object_get(got, "trace_id")),
				 json_string_value(json_object_get(s, "trace_id")));
		/* the client's requests, and the /backend handler's own calls out (no traceparent) */
		if (!strncmp(json_string_value(json_object_get(s, "name")), "http GET /", 10) &&
		    !strcmp(json_string_value(json_object_get(s, "kind")), "server")) {
			cr_assert_eq(json_integer_value(json_object_get(got, "kind")), 2, "an inbound request is SERVER");
			servers++;
		} else if (!strncmp(json_string_value(json_object_get(s, "name")), "http GET /", 10)) {
			cr_assert_str_eq(json_string_value(json_object_get(s, "kind")), "client", "spans.jsonl's kind");
			cr_assert_eq(json_integer_value(json_object_get(got, "kind")), 3, "an outbound request is CLIENT");
		}
	}
	cr_assert_geq(servers, 10, "the client's requests are server spans: %zu", servers);
	text = slurp(log);
	cr_assert(text);
	cr_expect(!strstr(text, canary), "the --otlp-header value is in record's messages");
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strstr(line, "OpenTelemetry export"))
			cr_log_info("%s", line);
	cr_expect(!file_holding(out, canary), "the --otlp-header value is in an output file");
	free(text);
	free(port);
	run_free(&client);
	json_decref(resource);
	json_decref(byid);
	json_decref(spans);
}

/*
 * An endpoint that fails: every file written whole, spans.jsonl complete, record exits 0 and its
 * summary counts every span as dropped, with the reason.
 */
static void failing_endpoint(const char *mode, const char *reason, char *const extra[])
{
	static const char *const files[] = { "cpu.folded", "offcpu.folded", "cpu.svg", "offcpu.svg", "spans.jsonl",
					     "report.json", "cpu.pb.gz", "offcpu.pb.gz", "cpu.speedscope.json",
					     "offcpu.speedscope.json" };
	json_t *spans, *report;
	char want[160];
	struct run r;
	double took;

	require_root();
	if (mode)
		start_receiver(mode);
	else	/* down: nothing listens on port 1 of loopback */
		snprintf(url, sizeof(url), "http://127.0.0.1:1");
	took = record(start_agent(), "2", extra, &r);
	cr_assert_eq(r.status, 0, "record failed: %s", r.err);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", out, files[i]);
		cr_assert_eq(access(path, R_OK), 0, "%s missing", files[i]);
	}
	report = load_json(out, "report.json");
	spans = load_jsonl(out, "spans.jsonl");
	cr_assert_gt(json_array_size(spans), 50);
	snprintf(want, sizeof(want), "OpenTelemetry export: 0 of %zu spans sent in 0 requests, ", json_array_size(spans));
	cr_assert(strstr(r.out, want), "%s", r.out);
	snprintf(want, sizeof(want), "%zu dropped (%zu %s", json_array_size(spans), json_array_size(spans), reason);
	cr_assert(strstr(r.out, want), "the summary counts the spans not sent (%s): %s", want, r.out);
	cr_log_info("%s endpoint: record -d 2 took %.2f s; %s", mode ? mode : "down", took,
		    strstr(r.out, "OpenTelemetry export"));
	expect_no_canary(&r);
	json_decref(spans);
	json_decref(report);
	run_free(&r);
}

Test(otlp, internal_errors_lose_nothing_locally)
{
	failing_endpoint("fail500", "refused", NULL);
}

Test(otlp, endpoint_down_loses_nothing_locally)
{
	failing_endpoint(NULL, "unanswered", NULL);
}

Test(otlp, connection_closed_mid_request)
{
	failing_endpoint("close", "unanswered", NULL);
}

/* An endpoint that never answers holds record for --otlp-timeout at most, then counts the spans */
Test(otlp, silent_endpoint_is_bounded)
{
	failing_endpoint("slow", "past the deadline", (char *const[]){ "--otlp-timeout", "2", NULL });
}

/*
 * top --otlp streams each span once it has ended, with its breakdown summed over every interval
 * it lived in: a 2 s "long" span's categories add up to its duration, not to its last interval.
 */
Test(otlp, top_streams_ended_spans_once)
{
	char pidstr[16], log[128], *text, *line, *save = NULL;
	json_t *byid, *resource, *s, *v;
	size_t nreq, max_batch, logged = 0, found = 0, longs = 0;
	const char *id, *key;
	struct run r;

	require_root();
	start_receiver("ok");
	snprintf(log, sizeof(log), "%s/ended.log", dir);
	agent = start_workload((char *const[]){ WORKLOAD("spans"), "120", log, NULL });
	snprintf(pidstr, sizeof(pidstr), "%d", agent);
	run_cmd((char *const[]){ AGENTPROF, "top", "-p", pidstr, "-n", "5", "--json", "--otlp", url, "--otlp-header",
				 header, NULL }, &r);
	cr_assert_eq(r.status, 0, "top failed: %s", r.err);
	cr_assert(strstr(r.err, "OpenTelemetry export: "), "top's summary line: %s", r.err);
	cr_log_info("%s", strstr(r.err, "OpenTelemetry export: "));
	cr_assert(!strstr(r.out, canary) && !strstr(r.err, canary), "the --otlp-header value is in top's output");
	byid = received_spans("application/x-protobuf", &nreq, &max_batch, &resource);
	cr_assert_gt(json_object_size(byid), 20, "spans arrived while top ran");
	kill(agent, SIGTERM);
	waitpid(agent, NULL, 0);
	agent = 0;
	/* the agent's own spans that arrived are spans it ended */
	text = slurp(log);
	cr_assert(text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char sid[17];

		cr_assert_eq(sscanf(line, "%16s", sid), 1);
		logged++;
		found += json_object_get(byid, sid) != NULL;
	}
	free(text);
	json_object_foreach(byid, id, s) {
		const char *name = json_string_value(json_object_get(s, "name"));
		int64_t dur = json_integer_value(json_object_get(s, "end")) - json_integer_value(json_object_get(s, "start")),
			sum = 0;

		cr_assert(!json_object_get(json_object_get(s, "attributes"), "agentprof.unfinished"),
			  "top sends ended spans only");
		if (strcmp(name, "long"))
			continue;
		json_object_foreach(json_object_get(s, "attributes"), key, v)
			if (!strncmp(key, "agentprof.", 10) && strstr(key, "_ns"))
				sum += json_integer_value(v);
		cr_expect(sum >= dur * 0.95 && sum <= dur * 1.05, "a long span's breakdown %ld of its %ld ns", sum, dur);
		longs++;
	}
	cr_log_info("%zu spans received in %zu requests; %zu of those the agent logged ended among them; %zu long ones",
		    json_object_size(byid), nreq, found, longs);
	cr_assert_gt(found, 10);
	cr_assert_gt(longs, 0, "a 2 s span lies whole in 5 s of intervals");
	json_decref(resource);
	json_decref(byid);
	run_free(&r);
}

/* export otlp DIR: a recording made without --otlp, sent afterwards from its files, arrives as record --otlp sends it */
Test(otlp, export_sends_a_finished_recording)
{
	char pidstr[16], want[128];
	json_t *report, *spans, *byid, *resource;
	size_t nreq, max_batch, roots, children;
	struct run r;

	require_root();
	start_receiver("ok");
	snprintf(pidstr, sizeof(pidstr), "%d", start_agent());
	run_cmd((char *const[]){ AGENTPROF, "record", "-p", pidstr, "-d", "2", "-o", out, NULL }, &r);
	cr_assert_eq(r.status, 0, "record failed: %s", r.err);
	run_free(&r);
	stop_workload(agent);
	agent = 0;
	run_cmd((char *const[]){ AGENTPROF, "export", "otlp", out, "--otlp", url, "--otlp-header", header, NULL }, &r);
	cr_assert_eq(r.status, 0, "export failed: %s%s", r.out, r.err);
	report = load_json(out, "report.json");
	spans = load_jsonl(out, "spans.jsonl");
	snprintf(want, sizeof(want), "OpenTelemetry export: %zu of %zu spans sent", json_array_size(spans),
		 json_array_size(spans));
	cr_assert(strstr(r.out, want), "%s", r.out);
	byid = received_spans("application/x-protobuf", &nreq, &max_batch, &resource);
	cr_assert_eq(json_object_size(byid), json_array_size(spans));
	check_spans(spans, report, byid, &roots, &children);
	cr_assert_gt(children, 30, "children found their parents");
	cr_assert_str_eq(json_string_value(json_object_get(resource, "service.name")), "spans");
	expect_no_canary(&r);
	json_decref(resource);
	json_decref(byid);
	json_decref(spans);
	json_decref(report);
	run_free(&r);
}

/* Down: export says so and exits 1, for a script to try again later; the files stay as they were */
Test(otlp, export_to_a_closed_port_fails_and_counts)
{
	char pidstr[16];
	struct run r;

	require_root();
	snprintf(pidstr, sizeof(pidstr), "%d", start_agent());
	run_cmd((char *const[]){ AGENTPROF, "record", "-p", pidstr, "-d", "1", "-o", out, NULL }, &r);
	cr_assert_eq(r.status, 0, "record failed: %s", r.err);
	run_free(&r);
	run_cmd((char *const[]){ AGENTPROF, "export", "otlp", out, "--otlp", "http://127.0.0.1:1", NULL }, &r);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(strstr(r.out, " dropped ("), "%s", r.out);
	run_free(&r);
}

/* 503 with Retry-After, then success: every span sent, each counted as retried in the summary */
Test(otlp, unavailable_then_sent)
{
	json_t *spans;
	char want[160];
	struct run r;

	require_root();
	start_receiver("retry1");
	record(start_agent(), "2", NULL, &r);
	cr_assert_eq(r.status, 0, "record failed: %s", r.err);
	spans = load_jsonl(out, "spans.jsonl");
	snprintf(want, sizeof(want), "OpenTelemetry export: %zu of %zu spans sent in ", json_array_size(spans),
		 json_array_size(spans));
	cr_assert(strstr(r.out, want), "%s", r.out);
	/* the first request of the first batch got the 503: that batch's spans were retried */
	snprintf(want, sizeof(want), ", 0 dropped;");
	cr_assert(strstr(r.out, want) && !strstr(r.out, " 0 retried"), "%s", r.out);
	cr_log_info("%s", strstr(r.out, "OpenTelemetry export"));
	json_decref(spans);
	run_free(&r);
}

/*
 * A recorded async agent (tests/workloads/asyncagent.py, an unmodified asyncio agent, or its Node
 * twin asyncagent.js: 8 requests at once, each making one LLM call with no traceparent and an API
 * key that is a canary) calling tests/workloads/asyncllm.py, OpenAI-style or Anthropic-style,
 * streamed or not. Node only over HTTPS: over HTTP its fetch writes the request's JSON where the
 * kernel side does not look (test_async.c), and its model is not known.
 */
struct api {
	bool node, anthropic, stream, tls;
};

#define FIRST_MS 150	/* asyncllm.py: a streamed answer's first event comes this long after the request */
#define WHOLE_MS 250	/* and an answer not streamed */

/* One answer of the mock API, from its log: the model and usage it sent. */
struct answer {
	char model[64];
	long long input, output;
	bool taken;
};

static size_t load_answers(const char *log, struct answer *a, size_t max)
{
	char *text = slurp(log), *line, *save = NULL;
	size_t n = 0;

	cr_assert(text, "no log from the mock API");
	for (line = strtok_r(text, "\n", &save); line && n < max; line = strtok_r(NULL, "\n", &save), n++)
		cr_assert_eq(sscanf(line, "%*s %*s %63s %lld %lld", a[n].model, &a[n].input, &a[n].output), 3,
			     "API log: %s", line);
	free(text);
	return n;
}

static const char *attr_str(json_t *span, const char *key)
{
	return json_string_value(json_object_get(json_object_get(span, "attributes"), key)) ?: "(none)";
}

/* Records the agent under load with --otlp; the secret it sends as its API key (and in its prompts) in key_canary. */
static void record_async_agent(const struct api *c, const char *key_canary, char *llm_log, size_t len)
{
	char cert[128], key[128], llm_port[128], agent_port[128], truth[160], llm_url[128], task_url[128], *port;
	struct run r;

	require_tool(PYTHON, "python3");
	if (c->node)
		require_tool(NODE, "nodejs");
	cr_assert(!system(PYTHON " -c 'import aiohttp, httpx'"),
		  "python3-aiohttp and python3-httpx are missing (tools/deps.sh test installs them)");
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(llm_port, sizeof(llm_port), "%s/llm.port", dir);
	snprintf(agent_port, sizeof(agent_port), "%s/agent.port", dir);
	snprintf(truth, sizeof(truth), "%s/truth", dir);
	snprintf(llm_log, len, "%s/llm.log", dir);
	if (c->tls) {
		char cmd[512];

		require_tool("openssl", "openssl");
		snprintf(cmd, sizeof(cmd),
			 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
			 "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout %s -out %s 2>/dev/null",
			 key, cert);
		cr_assert_eq(system(cmd), 0, "openssl req failed");
		llm = start_workload((char *const[]){ PYTHON, "tests/workloads/asyncllm.py", llm_port, llm_log, cert, key,
						      NULL });
	} else {
		llm = start_workload((char *const[]){ PYTHON, "tests/workloads/asyncllm.py", llm_port, llm_log, NULL });
	}
	port = read_port(llm_port);
	snprintf(llm_url, sizeof(llm_url), "%s://127.0.0.1:%s%s", c->tls ? "https" : "http", port,
		 c->anthropic ? "/v1/messages" : "/v1/chat/completions");
	free(port);
	agent = start_workload((char *const[]){ c->node ? NODE : PYTHON,
						c->node ? "tests/workloads/asyncagent.js" : "tests/workloads/asyncagent.py",
						agent_port, llm_url, cert, (char *)key_canary, truth,
						c->stream ? "stream" : "whole", NULL });
	port = read_port(agent_port);
	snprintf(task_url, sizeof(task_url), "http://127.0.0.1:%s/task", port);
	free(port);
	load = start_workload((char *const[]){ PYTHON, "tests/workloads/asyncload.py", task_url, "8", "bare", NULL });
	record(agent, "3", NULL, &r);
	stop_workload(load);
	stop_workload(agent);
	stop_workload(llm);
	load = agent = llm = 0;
	cr_assert_eq(r.status, 0, "record failed: %s", r.err);
	cr_assert(!strstr(r.out, key_canary) && !strstr(r.err, key_canary), "the agent's API key in record's messages");
	expect_no_canary(&r);
	cr_log_info("%s", strstr(r.out, "OpenTelemetry export") ?: r.out);
	run_free(&r);
}

/*
 * Every span of spans.jsonl arrives once with its breakdown (check_span), servers as SERVER and
 * calls as CLIENT. Every LLM call that ended carries the GenAI attributes: chat, the provider the
 * path names, the model asked for, and the dated model and usage of one answer of the mock API,
 * each answer given to one span only (the mock's counts differ from one answer to the next, so
 * counts given to the wrong call, or one call's input and another's output, match none); streaming
 * as asked, and the time to the answer's first byte. The agent's API key (a canary) is in no file
 * and in nothing the receiver got. report.json's llm_calls count the calls under their model.
 */
static void async_agent_calls(const struct api *c)
{
	static struct answer answers[4096];
	const char *provider = c->anthropic ? "anthropic" : "openai";
	const char *asked = c->anthropic ? "claude-sonnet-4-5" : "gpt-4o-mini";
	const char *dated = c->anthropic ? "claude-sonnet-4-5-20250929" : "gpt-4o-mini-2024-07-18";
	char key_canary[40], llm_log[160], *received;
	size_t nanswers, nreq, max_batch, i, nllm = 0, matched = 0, children = 0, servers = 0, ttft_ok = 0;
	long long in_sum = 0, out_sum = 0;
	json_t *report, *spans, *byid, *resource, *s, *groups, *g, *found = NULL;
	int64_t offset;

	require_root();
	snprintf(key_canary, sizeof(key_canary), "AGENTKEY%08lx%08lx", random(), random());
	start_receiver("ok");
	record_async_agent(c, key_canary, llm_log, sizeof(llm_log));
	report = load_json(out, "report.json");
	offset = unix_offset(report);
	spans = load_jsonl(out, "spans.jsonl");
	byid = received_spans("application/x-protobuf", &nreq, &max_batch, &resource);
	cr_assert_eq(json_object_size(byid), json_array_size(spans), "as many spans received as spans.jsonl holds");
	cr_assert_eq(json_integer_value(json_object_get(resource, "process.pid")),
		     json_integer_value(json_object_get(report, "pid")));
	nanswers = load_answers(llm_log, answers, sizeof(answers) / sizeof(answers[0]));
	json_array_foreach(spans, i, s) {
		json_t *got = json_object_get(byid, json_string_value(json_object_get(s, "span_id")));
		json_t *gen = json_object_get(s, "gen_ai"), *attrs = json_object_get(got, "attributes"), *parent, *ttft;
		const char *kind = json_string_value(json_object_get(s, "kind"));
		json_int_t in, outn;
		size_t k;

		check_span(s, got, offset);
		cr_assert_eq(json_integer_value(json_object_get(got, "kind")), !strcmp(kind, "server") ? 2 : 3,
			     "%s: a %s span", json_string_value(json_object_get(s, "name")), kind);
		servers += !strcmp(kind, "server");
		if (!json_is_true(json_object_get(s, "llm")))
			continue;
		cr_assert(json_is_true(json_object_get(attrs, "agentprof.llm")));
		cr_assert_str_eq(attr_str(got, "server.address"), "127.0.0.1");
		if (json_is_true(json_object_get(s, "unfinished")))
			continue;	/* its answer is not whole: its usage may not have come yet */
		nllm++;
		in = json_integer_value(json_object_get(attrs, "gen_ai.usage.input_tokens"));
		outn = json_integer_value(json_object_get(attrs, "gen_ai.usage.output_tokens"));
		if (strcmp(attr_str(got, "gen_ai.operation.name"), "chat") ||
		    strcmp(attr_str(got, "gen_ai.provider.name"), provider) ||
		    strcmp(attr_str(got, "gen_ai.request.model"), asked) ||
		    strcmp(attr_str(got, "gen_ai.response.model"), dated) ||
		    json_is_true(json_object_get(attrs, "agentprof.streaming")) != c->stream) {
			char *text = json_dumps(gen, JSON_COMPACT);

			cr_log_info("LLM span %s (start %lld, %lld ns, ttft %lld): gen_ai %s",
				    json_string_value(json_object_get(s, "span_id")),
				    (long long)json_integer_value(json_object_get(s, "start_ns")),
				    (long long)json_integer_value(json_object_get(s, "duration_ns")),
				    (long long)json_integer_value(json_object_get(s, "ttft_ns")), text ?: "?");
			free(text);
			continue;
		}
		/* spans.jsonl says the same */
		cr_assert_str_eq(json_string_value(json_object_get(gen, "provider_name")), provider);
		cr_assert_str_eq(json_string_value(json_object_get(gen, "request_model")), asked);
		cr_assert_str_eq(json_string_value(json_object_get(gen, "response_model")), dated);
		cr_assert(json_equal(json_object_get(gen, "input_tokens"), json_object_get(attrs, "gen_ai.usage.input_tokens")));
		cr_assert(json_equal(json_object_get(gen, "output_tokens"), json_object_get(attrs, "gen_ai.usage.output_tokens")));
		cr_assert_eq(json_is_true(json_object_get(gen, "streaming")), c->stream);
		in_sum += in;
		out_sum += outn;
		for (k = 0; k < nanswers; k++)
			if (!answers[k].taken && answers[k].input == in && answers[k].output == outn &&
			    !strcmp(answers[k].model, dated))
				break;
		if (k < nanswers) {
			answers[k].taken = true;
			matched++;
		} else {
			cr_log_info("LLM span %s (start %lld, %lld ns): usage %lld/%lld, which no answer of the API had",
				    json_string_value(json_object_get(s, "span_id")),
				    (long long)json_integer_value(json_object_get(s, "start_ns")),
				    (long long)json_integer_value(json_object_get(s, "duration_ns")), (long long)in,
				    (long long)outn);
		}
		/* the first byte of the answer: after the API's delay */
		ttft = json_object_get(s, "ttft_ns");
		cr_assert(json_is_integer(ttft), "an LLM call with no time to its first byte");
		cr_assert_eq(attr_int(got, "agentprof.ttft_ns"), json_integer_value(ttft));
		if (json_integer_value(ttft) >= (c->stream ? FIRST_MS : WHOLE_MS) * 1000000ll)
			ttft_ok++;
		else
			cr_log_info("an LLM span %s of %lld ns with a ttft of %lld ns, before the API's first byte",
				    json_string_value(json_object_get(s, "span_id")),
				    (long long)json_integer_value(json_object_get(s, "duration_ns")),
				    (long long)json_integer_value(ttft));
		/* no traceparent on the call: it is the child of the request that made it, in its trace */
		parent = json_object_get(byid, json_string_value(json_object_get(s, "parent_span_id")) ?: "");
		if (parent && json_integer_value(json_object_get(parent, "kind")) == 2 &&
		    !strcmp(json_string_value(json_object_get(parent, "trace_id")),
			    json_string_value(json_object_get(got, "trace_id"))))
			children++;
	}
	cr_log_info("%s%s%s %s: %zu spans received in %zu requests (%zu server spans); %zu LLM calls ended, %zu with "
		    "the model and usage of one answer of the %zu the API gave, %zu with a ttft past the API's delay; %zu "
		    "children of their request",
		    c->node ? "node, " : "", provider, c->tls ? " https" : " http", c->stream ? "streamed" : "whole", json_object_size(byid), nreq,
		    servers, nllm, matched, nanswers, ttft_ok, children);
	cr_assert_geq(nllm, 30, "the agent made LLM calls");
	cr_assert_eq(matched, nllm, "%zu of %zu LLM spans with the usage of an answer of their own", matched, nllm);
	cr_expect_eq(ttft_ok, nllm, "%zu of %zu LLM spans with a ttft past the API's delay", ttft_ok, nllm);
	cr_expect_geq(children, nllm * 0.9, "%zu of %zu LLM spans children of their request", children, nllm);
	cr_expect_geq(servers, nllm * 0.9, "%zu server spans for %zu calls", servers, nllm);
	/* the secret the agent sent as its API key and in its prompts */
	cr_expect(!file_holding(out, key_canary), "the agent's API key is in %s", file_holding(out, key_canary));
	received = slurp(reqlog);
	cr_assert(received);
	cr_expect(!strstr(received, key_canary), "the agent's API key reached the OTLP endpoint");
	free(received);
	/* report.json: the calls under the model the API answered with, with their usage */
	groups = json_object_get(report, "llm_calls");
	json_array_foreach(groups, i, g)
		if (json_is_string(json_object_get(g, "model")))
			found = g;
	cr_assert(found, "no LLM calls of a model in report.json");
	cr_assert_str_eq(json_string_value(json_object_get(found, "model")), dated);
	cr_assert_str_eq(json_string_value(json_object_get(found, "provider_name")), provider);
	cr_assert_eq(json_integer_value(json_object_get(found, "calls")), (json_int_t)nllm);
	cr_assert_eq(json_integer_value(json_object_get(found, "streamed")), c->stream ? (json_int_t)nllm : 0);
	cr_assert_eq(json_integer_value(json_object_get(found, "input_tokens")), in_sum);
	cr_assert_eq(json_integer_value(json_object_get(found, "output_tokens")), out_sum);
	cr_assert_geq(json_integer_value(json_object_get(found, "ttft_p50_ns")), (c->stream ? FIRST_MS : WHOLE_MS) * 1000000ll);
	json_decref(resource);
	json_decref(byid);
	json_decref(spans);
	json_decref(report);
}

Test(otlp, async_openai_streamed_https)
{
	async_agent_calls(&(struct api){ .stream = true, .tls = true });
}

Test(otlp, async_openai_whole_http)
{
	async_agent_calls(&(struct api){ .tls = false });
}

Test(otlp, async_anthropic_streamed_https)
{
	async_agent_calls(&(struct api){ .anthropic = true, .stream = true, .tls = true });
}

Test(otlp, async_anthropic_whole_http)
{
	async_agent_calls(&(struct api){ .anthropic = true });
}

Test(otlp, async_node_anthropic_streamed_https)
{
	async_agent_calls(&(struct api){ .node = true, .anthropic = true, .stream = true, .tls = true });
}
