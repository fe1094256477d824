// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Spans: SDK probes in C and Python agents, stamped in the kernel, in spans.jsonl and report.json. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"

#define PYTHON "/usr/bin/python3"

static char dir[64], out[128], path[256];

static void setup(void)
{
	make_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
}

static void teardown(void)
{
	remove_tree(dir);
}

TestSuite(spans, .init = setup, .fini = teardown, .timeout = 60);

static void record(pid_t pid, const char *seconds)
{
	char pidstr[16];
	struct run r;

	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	run_cmd((char *const[]){ AGENTPROF, "record", "-p", pidstr, "-d", (char *)seconds, "-o", out, NULL }, &r);
	cr_assert_eq(r.status, 0, "record failed: %s", r.err);
	run_free(&r);
}

static json_t *span_name(json_t *report, const char *name)
{
	json_t *s;
	size_t i;

	json_array_foreach(json_object_get(report, "spans"), i, s)
		if (!strcmp(json_string_value(json_object_get(s, "name")), name))
			return s;
	cr_assert_fail("no span named %s in report.json", name);
	return NULL;
}

static const char *class_of(json_t *o)
{
	return json_string_value(json_object_get(o, "class"));
}

/* o's class is want, or runq on a loaded machine while what it does besides waiting for a CPU is want */
static void expect_class(json_t *o, const char *want)
{
	cr_expect(class_is(o, want), "%s: class %s, mostly %s, want %s",
		  json_string_value(json_object_get(o, "name")), class_of(o), main_category(o), want);
}

static uint64_t sum_breakdown(json_t *o)
{
	const char *key;
	json_t *v;
	uint64_t sum = 0;

	json_object_foreach(json_object_get(o, "breakdown_ns"), key, v)
		sum += json_integer_value(v);
	return sum;
}

/*
 * The C agent's spans: classes, ids, what the window holds and, with exact_edges, each span's
 * breakdown summing to its duration.
 */
static void check_c_agent(bool exact_edges)
{
	json_t *report, *spans, *s;
	uint64_t ws, we, expected = 0, found = 0;
	char log[128], *text, *line, *save = NULL;
	pid_t pid;
	size_t i;

	require_root();
	snprintf(log, sizeof(log), "%s/ended.log", dir);
	/* the agent runs until told to stop: however long attaching takes, the window lies in its life */
	pid = start_workload((char *const[]){ WORKLOAD("spans"), "60", log, NULL });
	record(pid, "3");
	kill(pid, SIGTERM);
	report = load_json(out, "report.json");
	spans = load_jsonl(out, "spans.jsonl");

	expect_class(span_name(report, "tool"), "cpu");
	expect_class(span_name(report, "llm"), "net");
	expect_class(span_name(report, "lock"), "lock");
	cr_assert_gt(json_integer_value(json_object_get(span_name(report, "long"), "unfinished")), 0,
		     "a span whose end never came is reported, as unfinished");
	cr_assert_gt(json_integer_value(json_object_get(span_name(report, "handoff"), "count")), 0,
		     "spans ended on another thread are reported");
	cr_assert_gt(json_array_size(json_object_get(report, "traces")), 10);

	/* each finished span of the agent's requests: its breakdown sums to its duration within 5% */
	json_array_foreach(spans, i, s) {
		const char *name = json_string_value(json_object_get(s, "name"));
		uint64_t dur = json_integer_value(json_object_get(s, "duration_ns"));

		cr_assert_eq(strlen(json_string_value(json_object_get(s, "trace_id"))), 32);
		if (!exact_edges || json_is_true(json_object_get(s, "unfinished")) || !strcmp(name, "handoff") ||
		    !strcmp(name, "long"))
			continue;
		if (sum_breakdown(s) < dur * 0.95 || sum_breakdown(s) > dur * 1.05) {
			char *text = json_dumps(s, JSON_COMPACT);

			cr_expect_fail("%s: breakdown %lu of %lu ns: %s", name, sum_breakdown(s), dur, text);
			free(text);
		}
	}

	/* >= 95% of the spans the agent completed inside the window are in spans.jsonl */
	waitpid(pid, NULL, 0);
	ws = json_integer_value(json_object_get(report, "window_start_ns"));
	we = json_integer_value(json_object_get(report, "window_end_ns"));
	text = slurp(log);
	cr_assert(text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char id[17];
		unsigned long long start, end;

		cr_assert_eq(sscanf(line, "%16s %llu %llu", id, &start, &end), 3);
		if (start < ws || end > we)
			continue;
		expected++;
		json_array_foreach(spans, i, s)
			if (!strcmp(json_string_value(json_object_get(s, "span_id")), id)) {
				found++;
				break;
			}
	}
	cr_log_info("%lu of %lu spans completed in the window are in spans.jsonl", found, expected);
	cr_assert_gt(expected, 50);
	cr_assert_geq(found, expected * 0.95, "%lu of %lu spans", found, expected);
	free(text);
	json_decref(spans);
	json_decref(report);
}

Test(spans, c_agent_span_classes_ids_and_breakdowns)
{
	check_c_agent(true);
}

/*
 * Kernels before 6.10 have no kfunc to hold preemption off in the span probes: their preemptible
 * twins must load and find the same spans. A preemption inside a probe can then charge a span's
 * edge a slice it should not (bpf/preempt.bpf.h), so the breakdowns are not held to 5% here.
 */
Test(spans, c_agent_with_preemptible_probes)
{
	setenv("AGENTPROF_PREEMPTIBLE", "1", 1);
	check_c_agent(false);
	unsetenv("AGENTPROF_PREEMPTIBLE");
}

Test(spans, python_sdk_spans)
{
	json_t *report;
	pid_t pid;

	require_root();
	require_tool(PYTHON, "python3");
	pid = start_workload((char *const[]){ PYTHON, "tests/workloads/pyspans.py", "30", NULL });
	record(pid, "3");
	stop_workload(pid);
	report = load_json(out, "report.json");
	expect_class(span_name(report, "cpu"), "cpu");
	expect_class(span_name(report, "sleep"), "sleep");
	json_decref(report);
}

Test(spans, group_by_trace_roots_the_flame_graphs)
{
	char pidstr[16], *folded;
	struct run r;
	pid_t pid;

	require_root();
	pid = start_workload((char *const[]){ WORKLOAD("spans"), "30", NULL });
	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	run_cmd((char *const[]){ AGENTPROF, "record", "-p", pidstr, "-d", "2", "--group-by", "trace", "-o", out,
				 NULL }, &r);
	stop_workload(pid);
	cr_assert_eq(r.status, 0, "%s", r.err);
	snprintf(path, sizeof(path), "%s/cpu.folded", out);
	folded = slurp(path);
	cr_assert(folded);
	cr_assert_gt(folded_sum(folded, "agent;[trace "), 0, "%s", folded);
	cr_assert_gt(folded_sum(folded, "];[span tool];"), 0, "%s", folded);
	free(folded);
	run_free(&r);
}

/* An unmodified Python http.server: traces come from the traceparent headers it receives. */
Test(spans, traceparent_from_plain_http)
{
	char port_file[128], log[128], pidstr[16], *port, *line, *save = NULL;
	json_t *report, *t;
	struct run client;
	pid_t server, rec;
	size_t i, right = 0, requests = 0;
	int status;

	require_root();
	require_tool(PYTHON, "python3");
	snprintf(port_file, sizeof(port_file), "%s/port", dir);
	server = start_workload((char *const[]){ PYTHON, "tests/workloads/pyhttp.py", port_file, NULL });
	port = slurp(port_file);
	cr_assert(port && *port, "no port");
	snprintf(pidstr, sizeof(pidstr), "%d", server);
	snprintf(log, sizeof(log), "%s/record.log", dir);
	rec = start_recording((char *const[]){ AGENTPROF, "record", "-p", pidstr, "-d", "5", "-o", out, NULL }, log);
	run_cmd((char *const[]){ PYTHON, "tests/workloads/pyhttp.py", "client", port, "8", NULL }, &client);
	cr_assert_eq(client.status, 0, "client: %s", client.err);
	waitpid(rec, &status, 0);
	stop_workload(server);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "record failed");
	report = load_json(out, "report.json");
	for (line = strtok_r(client.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char path[16], trace[33];

		cr_assert_eq(sscanf(line, "%15s %32s", path, trace), 2);
		if (!strcmp(path, "bad")) {
			json_array_foreach(json_object_get(report, "traces"), i, t)
				cr_expect_str_neq(json_string_value(json_object_get(t, "trace_id")), trace,
						  "a malformed traceparent made a trace");
			continue;
		}
		requests++;
		json_array_foreach(json_object_get(report, "traces"), i, t)
			if (!strcmp(json_string_value(json_object_get(t, "trace_id")), trace)) {
				const char *want = strcmp(path, "/cpu") ? "net" : "cpu";

				cr_expect(class_is(t, want), "trace %s of %s: class %s, mostly %s", trace, path,
					  class_of(t), main_category(t));
				right += class_is(t, want);
				break;
			}
	}
	cr_assert_eq(requests, 16);
	cr_assert_eq(right, requests, "%zu of %zu traces listed with the right class", right, requests);
	expect_class(span_name(report, "http GET /cpu"), "cpu");
	expect_class(span_name(report, "http GET /backend"), "net");
	free(port);
	run_free(&client);
	json_decref(report);
}

/*
 * A client span whose response is never read ends when its connection is closed: of two requests
 * sent and left unanswered, the one on the closed connection has ended, the other is unfinished.
 */
Test(spans, closing_a_connection_ends_its_span)
{
	char go[128], done[128], log[128], pidstr[16], *d;
	const char *closed_trace = "5ce0c105ed0000000000000000000001";
	const char *open_trace = "5ce0c105ed0000000000000000000002";
	json_t *spans, *s;
	pid_t client, rec;
	int status, fd, seen = 0;
	size_t i;

	require_root();
	require_tool(PYTHON, "python3");
	snprintf(go, sizeof(go), "%s/go", dir);
	snprintf(done, sizeof(done), "%s/done", dir);
	client = start_workload((char *const[]){ PYTHON, "tests/workloads/pyhttp.py", "closer", go, done,
						 (char *)closed_trace, (char *)open_trace, NULL });
	snprintf(pidstr, sizeof(pidstr), "%d", client);
	snprintf(log, sizeof(log), "%s/record.log", dir);
	rec = start_recording((char *const[]){ AGENTPROF, "record", "-p", pidstr, "-o", out, NULL }, log);
	fd = open(go, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0, "%s", go);
	close(fd);
	while (!(d = slurp(done)))
		usleep(20000);
	free(d);
	kill(rec, SIGINT);
	waitpid(rec, &status, 0);
	stop_workload(client);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "record failed");
	spans = load_jsonl(out, "spans.jsonl");
	json_array_foreach(spans, i, s) {
		const char *trace = json_string_value(json_object_get(s, "trace_id"));

		if (!strcmp(trace, closed_trace)) {
			cr_expect_not(json_is_true(json_object_get(s, "unfinished")), "the closed connection's span did not end");
			seen |= 1;
		} else if (!strcmp(trace, open_trace)) {
			cr_expect(json_is_true(json_object_get(s, "unfinished")), "the open connection's span ended");
			seen |= 2;
		}
	}
	cr_assert_eq(seen, 3, "spans of the closed and the open connection in spans.jsonl (seen: %d)", seen);
	json_decref(spans);
}
