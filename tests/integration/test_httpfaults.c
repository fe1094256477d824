// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Bad input to the HTTP capture (issue #19, item 6), on an asyncio server (aiohttp, one loop):
 * malformed and truncated requests, headers split across reads, a call upstream that never gets
 * its answer and one cut mid-stream, 10,000 requests in flight at once and then 10,000 idle
 * keep-alive connections. No wrong span, every loss counted, and no entry left in the maps
 * once every connection has closed.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"

#define PYTHON "/usr/bin/python3"
#define HELD 10000
#define HELD_S "10000"

static char dir[64], out[128];

static void setup(void)
{
	make_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
}

static void teardown(void)
{
	remove_tree(dir);
}

TestSuite(httpfaults, .init = setup, .fini = teardown, .timeout = 240);

/* Waits for the client to create file (the suite's timeout bounds it). */
static void wait_for(const char *file, pid_t client, const char *log)
{
	while (access(file, F_OK)) {
		cr_assert_eq(waitpid(client, NULL, WNOHANG), 0, "the client stopped: %s", slurp(log));
		usleep(100000);
	}
}

/* Entries the recorder rec holds in each of maps[0..n), into left; their sum. */
static long entries(pid_t rec, const char *const maps[], long left[], size_t n)
{
	long sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += left[i] = bpf_map_entries(rec, maps[i]);
	return sum;
}

/*
 * Starts the client; once its 10,000 connections are idle, counts what the recorder rec holds
 * in maps[0..n) into idle[], and lets it close them; returns its output once it is done.
 */
static char *run_client(const char *port, const char *done, const char *log, pid_t rec, const char *const maps[],
			long idle[], size_t n, pid_t *pid)
{
	char idle_file[160];

	*pid = fork();
	cr_assert_geq(*pid, 0);
	if (*pid == 0) {
		freopen(log, "w", stdout);
		execl(PYTHON, PYTHON, "tests/workloads/httpfaults.py", "client", port, HELD_S, done, NULL);
		_exit(127);
	}
	snprintf(idle_file, sizeof(idle_file), "%s.idle", done);
	wait_for(idle_file, *pid, log);
	/* the held requests' span CPU counters leave with the snapshot after they ended: allow a few */
	for (int tries = 0; tries < 50 && entries(rec, maps, idle, n) > 0; tries++)
		usleep(100000);
	unlink(idle_file);
	wait_for(done, *pid, log);
	return slurp(log);
}

/* The trace id the client printed after word, or NULL. */
static const char *trace_of(const char *said, const char *word, char trace[33])
{
	char key[16];
	const char *at;

	snprintf(key, sizeof(key), "%s ", word);
	at = strstr(said, key);
	return at && sscanf(at + strlen(key), "%32s", trace) == 1 ? trace : NULL;
}

/* The spans of spans.jsonl in trace, and (server) how many of them are inbound. */
static size_t spans_of(json_t *spans, const char *trace, json_t **first, size_t *server)
{
	size_t i, n = 0;
	json_t *s;

	*server = 0;
	json_array_foreach(spans, i, s) {
		if (strcmp(json_string_value(json_object_get(s, "trace_id")) ?: "", trace))
			continue;
		if (!n++)
			*first = s;
		*server += !strcmp(json_string_value(json_object_get(s, "kind")) ?: "", "server");
	}
	return n;
}

static bool named(json_t *s, const char *name)
{
	return !strcmp(json_string_value(json_object_get(s, "name")) ?: "", name);
}

static bool ended(json_t *s)
{
	return !json_is_true(json_object_get(s, "unfinished"));
}

/* The client span of trace (the call upstream of its request), or NULL. */
static json_t *call_of(json_t *spans, const char *trace)
{
	size_t i;
	json_t *s;

	json_array_foreach(spans, i, s)
		if (!strcmp(json_string_value(json_object_get(s, "trace_id")) ?: "", trace) &&
		    !strcmp(json_string_value(json_object_get(s, "kind")) ?: "", "client"))
			return s;
	return NULL;
}

Test(httpfaults, no_wrong_span_no_leak_losses_counted)
{
	char port_file[128], done[128], log[128], client_log[128], pidstr[16], trace[33], *port, *said, *rec_said;
	static const char *const maps[] = { "http_spans", "open_spans", "tls_conns", "span_cpu" };
	long idle[4], left[4];
	json_t *spans, *report, *s, *drops;
	size_t i, n, server, held = 0, answered = 0;
	pid_t agent, rec, client;

	require_root();
	require_tool(PYTHON, "python3");
	snprintf(port_file, sizeof(port_file), "%s/port", dir);
	snprintf(done, sizeof(done), "%s/done", dir);
	snprintf(log, sizeof(log), "%s/record.log", dir);
	snprintf(client_log, sizeof(client_log), "%s/client.log", dir);
	agent = start_workload((char *const[]){ PYTHON, "tests/workloads/httpfaults.py", "server", port_file, NULL });
	port = read_port(port_file);
	snprintf(pidstr, sizeof(pidstr), "%d", agent);
	rec = start_recording((char *const[]){ AGENTPROF, "record", "-p", pidstr, "-d", "200", "-o", out, NULL }, log);
	said = run_client(port, done, client_log, rec, maps, idle, 4, &client);
	/* every connection is closed: whatever a map still holds of them is a leak */
	for (int tries = 0; tries < 50 && entries(rec, maps, left, 4) > 0; tries++)
		usleep(100000);
	kill(rec, SIGINT);
	rec_said = wait_recording(rec, log);
	stop_workload(client);
	stop_workload(agent);
	for (i = 0; i < 4; i++) {
		cr_expect(idle[i] <= 0, "%s holds %ld entries for %d idle connections", maps[i], idle[i], HELD);
		cr_expect(left[i] <= 0, "%s holds %ld entries once every connection closed", maps[i], left[i]);
	}
	cr_assert(sscanf(strstr(said, "held ") ?: "", "held %zu", &answered) == 1, "client: %s", said);
	cr_assert_eq(answered, HELD, "the server answered %zu of %d held requests", answered, HELD);
	spans = load_jsonl(out, "spans.jsonl");
	report = load_json(out, "report.json");
	drops = json_object_get(report, "drops");

	/* headers over many reads: one span, its traceparent's, named from its request line */
	cr_assert(trace_of(said, "split", trace), "client: %s", said);
	n = spans_of(spans, trace, &s, &server);
	cr_assert_eq(n, 1, "split headers: %zu spans in trace %s", n, trace);
	cr_expect(named(s, "http GET /ok") && ended(s) && server == 1, "split headers: %s", json_dumps(s, 0));
	/* a request line in pieces is no request: no span of its trace (none of its pieces is one) */
	cr_assert(trace_of(said, "cutline", trace), "client: %s", said);
	cr_expect_eq(spans_of(spans, trace, &s, &server), 0, "a request line in pieces: %s", json_dumps(s, 0));

	/* a call upstream never answered ends when its connection is closed, ~1 s on; one cut short too */
	for (int k = 0; k < 2; k++) {
		const char *check = k ? "cut" : "hang";
		json_t *call;

		cr_assert(trace_of(said, check, trace), "client: %s", said);
		n = spans_of(spans, trace, &s, &server);
		call = call_of(spans, trace);
		cr_expect_eq(n, 2, "%s: %zu spans in trace %s", check, n, trace);
		cr_expect_eq(server, 1, "%s: %zu server spans", check, server);
		cr_assert(call, "%s: no call upstream in trace %s", check, trace);
		cr_expect(ended(call), "%s: the call upstream never ended: %s", check, json_dumps(call, 0));
		if (!k)
			cr_expect_geq(json_integer_value(json_object_get(call, "duration_ns")), 900000000ll,
				      "hang: the call ended before the client gave up: %s", json_dumps(call, 0));
	}

	/* no span from the malformed requests, none doubled, and what could not be kept is counted */
	json_array_foreach(spans, i, s) {
		const char *name = json_string_value(json_object_get(s, "name"));

		held += named(s, "http GET /held");
		cr_expect(name && !strncmp(name, "http GET /", 10), "a span from a malformed request: %s", json_dumps(s, 0));
	}
	cr_expect_leq(held, HELD, "%zu spans of %d held requests", held, HELD);
	if (held < HELD)
		cr_expect(json_integer_value(json_object_get(drops, "http_conn_map_full")) +
				  json_integer_value(json_object_get(drops, "span_event_lost")) >
			  0,
			  "%zu of %d held requests made spans, and no loss is counted: %s", held, HELD,
			  json_dumps(drops, 0));
	cr_log_info("held: %zu spans of %d requests; drops %s; maps left %ld %ld %ld %ld", held, HELD,
		    json_dumps(drops, 0), left[0], left[1], left[2], left[3]);
	json_decref(spans);
	json_decref(report);
	free(rec_said);
	free(said);
	free(port);
}
