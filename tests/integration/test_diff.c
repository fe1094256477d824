// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* agentprof diff: known regressions found and significant, an unchanged program found unchanged, bad input refused. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "harness.h"

#define RUNS 6		/* recordings of the unchanged program: 5 comparisons */
#define PYTHON "/usr/bin/python3"

static char dir[64];

static void setup(void)
{
	make_tmpdir(dir, sizeof(dir));
}

static void teardown(void)
{
	remove_tree(dir);
}

TestSuite(diff, .init = setup, .fini = teardown, .timeout = 180);

/*
 * Records diffwork with flags for seconds into dir/name; at 4999 Hz so that shares have samples
 * to say. It runs until stopped (300 s at most): at a load of 20 the verifier has taken 30 s,
 * and a workload that ended first left an empty recording.
 */
static void record_for(const char *seconds, const char *name, const char *flag1, const char *flag2, const char *flag3)
{
	char pidstr[16], out[128];
	struct run r;
	pid_t pid;

	snprintf(out, sizeof(out), "%s/%s", dir, name);
	pid = start_workload((char *const[]){ WORKLOAD("diffwork"), "300", (char *)flag1, (char *)flag2,
					      (char *)flag3, NULL });
	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	run_cmd((char *const[]){ AGENTPROF, "record", "-p", pidstr, "-d", (char *)seconds, "-F", "4999", "-o", out, NULL }, &r);
	stop_workload(pid);
	cr_assert_eq(r.status, 0, "record failed: %s", r.err);
	run_free(&r);
}

static void record(const char *name, const char *flag1, const char *flag2, const char *flag3)
{
	record_for("3", name, flag1, flag2, flag3);
}

/* agentprof diff dir/a dir/b -o dir/out plus the rules; its diff.json, loaded. */
static json_t *diff(const char *a, const char *b, const char *out, const char *const *rules, struct run *r)
{
	char pa[128], pb[128], po[128], *argv[32] = { AGENTPROF, "diff", pa, pb, "-o", po };
	int n = 6;
	json_error_t jerr;
	json_t *j;

	snprintf(pa, sizeof(pa), "%s/%s", dir, a);
	snprintf(pb, sizeof(pb), "%s/%s", dir, b);
	snprintf(po, sizeof(po), "%s/%s", dir, out);
	for (; rules && *rules; rules++) {
		argv[n++] = "--fail-on";
		argv[n++] = (char *)*rules;
	}
	argv[n] = NULL;
	run_cmd(argv, r);
	snprintf(po, sizeof(po), "%s/%s/diff.json", dir, out);
	j = json_load_file(po, 0, &jerr);
	cr_assert(j, "diff.json: %s (stderr: %s)", jerr.text, r->err);
	return j;
}

/*
 * The entry of family (spans, functions, categories, waits) with that name, and that kind unless
 * NULL; functions and categories of the thread "worker".
 */
static json_t *entry(json_t *d, const char *family, const char *name, const char *kind)
{
	bool of_thread = !strcmp(family, "functions") || !strcmp(family, "categories");
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(d, family), i, e)
		if (!strcmp(json_string_value(json_object_get(e, "name")), name) &&
		    (!kind || !strcmp(json_string_value(json_object_get(e, "kind")), kind)) &&
		    (!of_thread || !strcmp(json_string_value(json_object_get(e, "thread")) ?: "", "worker")))
			return e;
	return NULL;
}

static const char *verdict(json_t *e)
{
	return e ? json_string_value(json_object_get(e, "verdict")) : "absent";
}

static double padj(json_t *e)
{
	return e ? json_real_value(json_object_get(e, "p_adjusted")) : 1;
}

static bool grew(json_t *e)
{
	return !strcmp(verdict(e), "grew") || !strcmp(verdict(e), "appeared");
}

/* Every entry with a verdict, as "family name (kind): verdict" lines, for a failure's message. */
static void significant(json_t *d, char *buf, size_t len)
{
	static const char *const families[] = { "spans", "categories", "functions", "waits" };
	size_t at = 0;

	buf[0] = 0;
	for (size_t f = 0; f < 4; f++) {
		json_t *e;
		size_t i;

		json_array_foreach(json_object_get(d, families[f]), i, e)
			if (strcmp(verdict(e), "none") && at < len)
				at += snprintf(buf + at, len - at, "%s %s: %s (p=%.2g); ", families[f],
					       json_string_value(json_object_get(e, "name")) ?: "?", verdict(e), padj(e));
	}
}

Test(diff, names_the_slower_function_the_lock_and_the_span)
{
	const char *rules[] = { "category=lock:20%", "p50=llm:10%", NULL };
	json_t *d, *e;
	struct run r;
	char path[160], *text;

	require_root();
	record("base", NULL, NULL, NULL);
	record("new", "--slow", "--lock", "--slow-span");
	d = diff("base", "new", "out", rules, &r);

	e = entry(d, "functions", "parse_input", "total");
	cr_log_info("parse_input total share %.4f -> %.4f, p_adj %.3g\n", json_real_value(json_array_get(json_object_get(e, "share"), 0)),
		    json_real_value(json_array_get(json_object_get(e, "share"), 1)), padj(e));
	cr_expect(grew(e), "parse_input (30%% slower): %s, p_adj %.3g", verdict(e), padj(e));
	e = entry(d, "categories", "lock", NULL);
	cr_log_info("lock share p_adj %.3g\n", padj(e));
	cr_expect(grew(e), "the lock wait added: %s", verdict(e));
	e = entry(d, "waits", "lock;take_lock", NULL);
	cr_log_info("lock;take_lock p_adj %.3g\n", padj(e));
	cr_expect(grew(e), "the function that waits for the lock: %s", verdict(e));
	e = entry(d, "spans", "llm", NULL);
	cr_log_info("span llm p_adj %.3g\n", padj(e));
	cr_expect(!strcmp(verdict(e), "grew"), "span llm (20%% longer): %s", verdict(e));
	e = entry(d, "spans", "plan", NULL);
	cr_expect(!strcmp(verdict(e), "none"), "span plan (unchanged): %s, p_adj %.3g", verdict(e), padj(e));

	/* --fail-on: exit 1 and one line per broken rule that names what grew and by how much */
	cr_expect_eq(r.status, 1, "exit %d, stderr: %s", r.status, r.err);
	cr_expect(strstr(r.err, "regression: category 'lock' of thread 'worker' appeared") ||
		  strstr(r.err, "regression: category 'lock' of thread 'worker' grew"), "%s", r.err);
	cr_expect(strstr(r.err, "regression: p50 of span 'llm' grew +"), "%s", r.err);
	cr_expect(strstr(r.out, "parse_input"), "the summary names the function: %s", r.out);
	run_free(&r);

	/* the files: difffolded.pl's three columns, differential flame graphs, NEW's baseline */
	snprintf(path, sizeof(path), "%s/out/cpu.diff.folded", dir);
	text = slurp(path);
	cr_assert(text, "no cpu.diff.folded");
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		unsigned long a, b;
		char *sp = strrchr(line, ' ');

		cr_assert(sp && sscanf(sp + 1, "%lu", &b) == 1, "%s", line);
		*sp = 0;
		sp = strrchr(line, ' ');
		cr_assert(sp && sscanf(sp + 1, "%lu", &a) == 1, "not 'stack before after': %s", line);
	}
	free(text);
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/out/%s.diff.svg", dir, i ? "offcpu" : "cpu");
		text = slurp(path);
		cr_assert(text && strstr(text, "<svg") && strstr(text, "</svg>"), "%s", path);
		free(text);
	}
	/* the page to open first: what grew, in the tables, and both graphs beside it */
	snprintf(path, sizeof(path), "%s/out/diff.html", dir);
	text = slurp(path);
	cr_assert(text && strstr(text, "<!DOCTYPE html>") && strstr(text, "</html>"), "%s", path);
	cr_expect(strstr(text, "<tr class=\"grew\"><td>grew</td><td>worker: parse_input"), "%s", text);
	cr_expect(strstr(text, "<tr class=\"grew\"><td>llm</td>"), "%s", text);
	cr_expect(strstr(text, "data=\"cpu.diff.svg\"") && strstr(text, "data=\"offcpu.diff.svg\""), "%s", text);
	free(text);
	json_decref(d);

	/* against a baseline file: BASE's, as diff -o writes it of its NEW */
	d = diff("new", "base", "out2", NULL, &r);
	run_free(&r);
	json_decref(d);
	d = diff("out2/baseline.json", "new", "out3", rules, &r);
	cr_expect_eq(r.status, 1, "against the baseline: exit %d, %s", r.status, r.err);
	cr_expect(grew(entry(d, "functions", "parse_input", "total")));
	cr_expect(!strcmp(verdict(entry(d, "spans", "llm", NULL)), "grew"));
	run_free(&r);
	json_decref(d);
}

Test(diff, unchanged_program_nothing_significant, .timeout = 300)
{
	const char *rules[] = { "p95=10%", "p50=10%", "category=20%", "function=20%", NULL };
	int alarms = 0;

	require_root();
	for (int i = 0; i < RUNS; i++) {
		char name[16];

		snprintf(name, sizeof(name), "r%d", i);
		record(name, NULL, NULL, NULL);
	}
	for (int i = 1; i < RUNS; i++) {
		char a[16], b[16], out[16], what[2048];
		struct run r;
		json_t *d;

		snprintf(a, sizeof(a), "r%d", i - 1);
		snprintf(b, sizeof(b), "r%d", i);
		snprintf(out, sizeof(out), "out%d", i);
		d = diff(a, b, out, rules, &r);
		significant(d, what, sizeof(what));
		cr_log_info("r%d vs r%d: %s\n", i - 1, i, what[0] ? what : "nothing significant");
		alarms += json_integer_value(json_object_get(d, "significant")) > 0 || r.status;
		cr_expect_eq(r.status, 0, "r%d vs r%d: exit %d: %s", i - 1, i, r.status, r.err);
		cr_expect_eq(json_integer_value(json_object_get(d, "significant")), 0, "r%d vs r%d: %s", i - 1, i, what);
		cr_expect(strstr(r.out, "Nothing significant"), "%s", r.out);
		run_free(&r);
		json_decref(d);
	}
	cr_log_info("false alarms: %d of %d comparisons\n", alarms, RUNS - 1);
}

/* A span's p95 verdict ("p95": {"verdict"}) and its relative change. */
static const char *p95_verdict(json_t *e)
{
	return e ? json_string_value(json_object_get(json_object_get(e, "p95"), "verdict")) : "absent";
}

static double p95_change(json_t *e)
{
	return json_real_value(json_object_get(json_object_get(e, "change"), "p95"));
}

/*
 * Against one base, five recordings in which every llm span sleeps 20% longer (its p95 with it)
 * and one tool span in ten 20% longer (its p95 alone): both p95s are flagged and --fail-on
 * p95 names them, the tool's median is not, and nothing of plan (unchanged) is, 5 times of 5.
 * 5 s each: a p95 is tested from 80 spans a side, and at a load of 20 on this VM the agent's
 * 24 ms rounds gave 3 s of them fewer than 80.
 */
Test(diff, span_20_percent_longer_is_flagged_in_5_of_5, .timeout = 300)
{
	int flagged = 0;

	require_root();
	record_for("5", "base", NULL, NULL, NULL);
	for (int i = 0; i < 5; i++) {
		char name[16], out[16];
		struct run r;
		json_t *d, *llm, *plan, *tool;
		bool ok;

		snprintf(name, sizeof(name), "s%d", i);
		snprintf(out, sizeof(out), "out%d", i);
		record_for("5", name, "--slow-span", "--slow-tail", NULL);
		d = diff("base", name, out, (const char *const[]){ "p95=llm:10%", "p95=tool:10%", "p95=plan:10%", NULL }, &r);
		llm = entry(d, "spans", "llm", NULL);
		plan = entry(d, "spans", "plan", NULL);
		tool = entry(d, "spans", "tool", NULL);
		cr_log_info("run %d: llm spans %lld -> %lld, p95 %s (%+.1f%%, p_adj %.2g); tool p95 %s (%+.1f%%, p_adj %.2g), median %s "
			    "(%+.1f%%); plan p95 %s (%+.1f%%), median %s (p_adj %.2g)\n", i,
			    json_integer_value(json_array_get(json_object_get(llm, "count"), 0)),
			    json_integer_value(json_array_get(json_object_get(llm, "count"), 1)),
			    p95_verdict(llm), 100 * p95_change(llm),
			    json_real_value(json_object_get(json_object_get(llm, "p95"), "p_adjusted")),
			    p95_verdict(tool), 100 * p95_change(tool),
			    json_real_value(json_object_get(json_object_get(tool, "p95"), "p_adjusted")), verdict(tool),
			    100 * json_real_value(json_object_get(json_object_get(tool, "change"), "p50")),
			    p95_verdict(plan), 100 * p95_change(plan), verdict(plan), padj(plan));
		ok = !strcmp(p95_verdict(llm), "grew") && !strcmp(p95_verdict(tool), "grew") &&
		     !strcmp(verdict(tool), "none") && !strcmp(p95_verdict(plan), "none") && !strcmp(verdict(plan), "none");
		flagged += ok;
		cr_expect(!strcmp(p95_verdict(llm), "grew"), "run %d: llm's p95 %s", i, p95_verdict(llm));
		cr_expect(!strcmp(p95_verdict(tool), "grew"), "run %d: tool's p95 %s", i, p95_verdict(tool));
		cr_expect(!strcmp(verdict(tool), "none"), "run %d: tool's median %s", i, verdict(tool));
		cr_expect(!strcmp(p95_verdict(plan), "none"), "run %d: plan's p95 %s", i, p95_verdict(plan));
		cr_expect(!strcmp(verdict(plan), "none"), "run %d: plan %s", i, verdict(plan));
		cr_expect_eq(r.status, 1, "run %d: exit %d: %s", i, r.status, r.err);
		cr_expect(strstr(r.err, "p95 of span 'llm' grew") && strstr(r.err, "p95 of span 'tool' grew") &&
			  !strstr(r.err, "'plan'"), "%s", r.err);
		run_free(&r);
		json_decref(d);
	}
	cr_log_info("both p95s flagged and plan not in %d of 5\n", flagged);
}

/*
 * Records tests/workloads/asyncagent.py (an unmodified asyncio agent: aiohttp server, httpx client,
 * 3 requests at once, one streamed LLM call each, no traceparent) for 4 s into dir/name, its mock
 * API answering delay_ms later than usual.
 */
static void record_async_agent(const char *name, const char *delay_ms)
{
	char f_llm[128], f_agent[128], f_log[128], f_truth[128], url[128], task[128], pidstr[16], out[128], *port;
	pid_t llm, agent, load;
	struct run r;

	require_tool(PYTHON, "python3");
	snprintf(f_llm, sizeof(f_llm), "%s/%s.llm.port", dir, name);
	snprintf(f_agent, sizeof(f_agent), "%s/%s.agent.port", dir, name);
	snprintf(f_log, sizeof(f_log), "%s/%s.llm.log", dir, name);
	snprintf(f_truth, sizeof(f_truth), "%s/%s.truth", dir, name);
	setenv("ASYNCLLM_DELAY_MS", delay_ms, 1);
	llm = start_workload((char *const[]){ PYTHON, "tests/workloads/asyncllm.py", f_llm, f_log, NULL });
	unsetenv("ASYNCLLM_DELAY_MS");
	port = read_port(f_llm);
	snprintf(url, sizeof(url), "http://127.0.0.1:%s/v1/chat/completions", port);
	free(port);
	agent = start_workload((char *const[]){ PYTHON, "tests/workloads/asyncagent.py", f_agent, url, "-",
						"CANARYDIFF", f_truth, "stream", NULL });
	port = read_port(f_agent);
	snprintf(task, sizeof(task), "http://127.0.0.1:%s/task", port);
	free(port);
	load = start_workload((char *const[]){ PYTHON, "tests/workloads/asyncload.py", task, "3", "bare", NULL });
	snprintf(pidstr, sizeof(pidstr), "%d", agent);
	snprintf(out, sizeof(out), "%s/%s", dir, name);
	run_cmd((char *const[]){ AGENTPROF, "record", "-p", pidstr, "-d", "4", "-o", out, NULL }, &r);
	stop_workload(load);
	stop_workload(agent);
	stop_workload(llm);
	cr_assert_eq(r.status, 0, "record failed: %s", r.err);
	run_free(&r);
}

#define LLM_SPAN "llm POST /v1/chat/completions"

/* A port free now on loopback: each recording's mock API takes it in turn, so that its parts compare. */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert(fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)) && !getsockname(fd, (struct sockaddr *)&a, &len));
	close(fd);
	return ntohs(a.sin_port);
}

/* A span's parts, "name: verdict (p)" each, and the one whose name begins with prefix (NULL: none). */
static json_t *parts_of(json_t *span, const char *prefix, char *buf, size_t len)
{
	json_t *e, *found = NULL;
	size_t i, at = 0;

	buf[0] = 0;
	json_array_foreach(json_object_get(span, "parts"), i, e) {
		const char *name = json_string_value(json_object_get(e, "name"));
		json_t *mean = json_object_get(e, "mean_ns");

		if (at < len)
			at += snprintf(buf + at, len - at, "%s %.1f -> %.1f ms %s (p=%.2g); ", name,
				       json_integer_value(json_array_get(mean, 0)) / 1e6,
				       json_integer_value(json_array_get(mean, 1)) / 1e6, verdict(e), padj(e));
		if (!strncmp(name, prefix, strlen(prefix)))
			found = e;
	}
	return found;
}

/* Every part of span but the one named from prefix has no verdict. */
static bool others_unchanged(json_t *span, const char *prefix)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(span, "parts"), i, e)
		if (strncmp(json_string_value(json_object_get(e, "name")), prefix, strlen(prefix)) &&
		    strcmp(verdict(e), "none"))
			return false;
	return true;
}

/*
 * The LLM API of an unmodified async agent answers 60 ms later (its streamed answer takes 290 ms,
 * not 230): the calls, which carry no traceparent, are found grown, and the requests that wait for
 * them too; --fail-on names the calls. Two recordings with the same API find the calls unchanged.
 */
Test(diff, an_async_agents_slower_llm_api, .timeout = 300)
{
	const char *rules[] = { "p50=" LLM_SPAN ":10%", "category=llm:10%", NULL };
	json_t *d, *calls, *task, *part;
	char port[16], parts[2048];
	struct run r;

	require_root();
	snprintf(port, sizeof(port), "%d", free_port());
	setenv("ASYNCLLM_PORT", port, 1);
	record_async_agent("llm-a", "0");
	record_async_agent("llm-b", "0");
	record_async_agent("llm-slow", "60");
	unsetenv("ASYNCLLM_PORT");

	d = diff("llm-a", "llm-slow", "out-slow", rules, &r);
	calls = entry(d, "spans", LLM_SPAN, NULL);
	task = entry(d, "spans", "http POST /task", NULL);
	cr_log_info("slower API: calls %s (p50 %+.1f%%), requests %s (p50 %+.1f%%)\n", verdict(calls),
		    100 * json_real_value(json_object_get(json_object_get(calls, "change"), "p50")), verdict(task),
		    100 * json_real_value(json_object_get(json_object_get(task, "change"), "p50")));
	cr_expect(!strcmp(verdict(calls), "grew"), "the LLM calls: %s", verdict(calls));
	cr_expect(!strcmp(verdict(task), "grew"), "the requests: %s", verdict(task));
	/* where the time moved: into the wait on the LLM API, in the requests and the calls; nothing else */
	part = parts_of(task, "llm:", parts, sizeof(parts));
	cr_log_info("requests: %s\n", parts);
	cr_expect(part && !strcmp(verdict(part), "grew"), "the requests' wait on the LLM API: %s", parts);
	cr_expect(others_unchanged(task, "llm:"), "the requests' other parts: %s", parts);
	part = parts_of(calls, "llm:", parts, sizeof(parts));
	cr_log_info("calls: %s\n", parts);
	cr_expect(part && !strcmp(verdict(part), "grew"), "the calls' wait on the LLM API: %s", parts);
	cr_expect(others_unchanged(calls, "llm:"), "the calls' other parts: %s", parts);
	cr_expect_eq(r.status, 1, "exit %d: %s", r.status, r.err);
	cr_expect(strstr(r.err, "p50 of span '" LLM_SPAN "' grew"), "%s", r.err);
	cr_expect(strstr(r.err, "regression: category 'llm:127.0.0.1:"), "%s", r.err);
	run_free(&r);
	json_decref(d);

	d = diff("llm-a", "llm-b", "out-same", rules, &r);
	calls = entry(d, "spans", LLM_SPAN, NULL);
	task = entry(d, "spans", "http POST /task", NULL);
	cr_expect(calls && !strcmp(verdict(calls), "none"), "the same API: the LLM calls %s", verdict(calls));
	parts_of(task, "llm:", parts, sizeof(parts));
	cr_log_info("same API, requests: %s\n", parts);
	cr_expect(others_unchanged(task, "-"), "the same API, the requests' parts: %s", parts);
	cr_expect_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	run_free(&r);
	json_decref(d);
}

static void write_text(const char *name, const char *text)
{
	char path[192];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

/* A small recording written by hand: process comm, its worker on CPU, two spans. */
static void fake_recording(const char *name, const char *comm)
{
	char sub[128], text[1024];

	snprintf(sub, sizeof(sub), "%s/%s", dir, name);
	cr_assert_eq(mkdir(sub, 0700), 0);
	snprintf(text, sizeof(text),
		 "{\"pid\": 7, \"comm\": \"%s\", \"duration_ns\": 1000000000, \"samples\": 2, \"breakdown_ns\": "
		 "{\"cpu\": 1000000000}, \"threads\": [{\"comm\": \"worker\", \"breakdown_ns\": {\"cpu\": 1000000000}}], "
		 "\"spans\": [{\"name\": \"llm\", \"count\": 2, \"p50_ns\": 10, \"p95_ns\": 20, \"p99_ns\": 20}]}\n", comm);
	snprintf(sub, sizeof(sub), "%s/report.json", name);
	write_text(sub, text);
	snprintf(sub, sizeof(sub), "%s/spans.jsonl", name);
	write_text(sub, "{\"name\": \"llm\", \"duration_ns\": 10}\n{\"name\": \"llm\", \"duration_ns\": 20}\n");
	snprintf(sub, sizeof(sub), "%s/cpu.folded", name);
	write_text(sub, "worker;main;f 2\n");
	snprintf(sub, sizeof(sub), "%s/offcpu.folded", name);
	write_text(sub, "");
}

static void expect_diff(const char *a, const char *b, int status, const char *err_has)
{
	char pa[128], pb[128];
	struct run r;

	snprintf(pa, sizeof(pa), "%s/%s", dir, a);
	snprintf(pb, sizeof(pb), "%s/%s", dir, b);
	run_cmd((char *const[]){ AGENTPROF, "diff", pa, pb, NULL }, &r);
	cr_expect_eq(r.status, status, "diff %s %s: exit %d, %s", a, b, r.status, r.err);
	cr_expect(strstr(r.err, err_has), "diff %s %s: stderr '%s' has no '%s'", a, b, r.err, err_has);
	if (status == 1)
		cr_expect_eq(count_lines(r.err), 1, "one line: %s", r.err);
	run_free(&r);
}

Test(diff, refuses_bad_input_in_one_line)
{
	struct run r;

	fake_recording("a", "agent");
	fake_recording("b", "agent");
	fake_recording("other", "python3");
	expect_diff("a", "b", 0, "");
	expect_diff("a", "other", 0, "comparing different programs");
	mkdir(strcat(strcpy((char[128]){ 0 }, dir), "/empty"), 0700);
	expect_diff("a", "empty", 1, "report.json");
	expect_diff("missing", "a", 1, "missing: No such file or directory");
	fake_recording("cut", "agent");
	write_text("cut/report.json", "{\"pid\": 7, \"comm\": \"agent\", \"dura");
	expect_diff("a", "cut", 1, "the file is truncated");
	fake_recording("cutspans", "agent");
	write_text("cutspans/spans.jsonl", "{\"name\": \"llm\", \"duration_ns\": 10}\n{\"name\": \"ll");
	expect_diff("a", "cutspans", 1, "spans.jsonl: line 2 has no line break: the file is truncated");
	fake_recording("v2", "agent");
	write_text("v2/report.json", "{\"version\": 2, \"comm\": \"agent\"}\n");
	expect_diff("a", "v2", 1, "this agentprof reads version 1");
	fake_recording("nothing", "agent");
	write_text("nothing/report.json", "{\"comm\": \"agent\", \"duration_ns\": 1, \"samples\": 0, "
					  "\"breakdown_ns\": {}, \"threads\": [], \"spans\": []}\n");
	write_text("nothing/spans.jsonl", "");
	write_text("nothing/cpu.folded", "");
	expect_diff("a", "nothing", 1, "an empty recording");
	/* what is short of what happened is said, and compared: lost events, a folded file cut at a line */
	fake_recording("lossy", "agent");
	write_text("lossy/report.json", "{\"pid\": 7, \"comm\": \"agent\", \"duration_ns\": 1000000000, \"samples\": 2, "
					"\"drops\": {\"span_event_lost\": 3, \"stack_map_full\": 0}, \"breakdown_ns\": "
					"{\"cpu\": 1000000000, \"sleep\": 5000000}, \"threads\": [{\"comm\": \"worker\", "
					"\"breakdown_ns\": {\"cpu\": 1000000000}}], \"spans\": []}\n");
	expect_diff("a", "lossy", 0, "the recording lost data (span_event_lost 3)");
	expect_diff("a", "lossy", 0, "offcpu.folded holds 0 ms off CPU, report.json 5 ms: is it truncated?");
	/* usage: 2 */
	run_cmd((char *const[]){ AGENTPROF, "diff", dir, NULL }, &r);
	cr_expect_eq(r.status, 2, "one recording: exit %d", r.status);
	run_free(&r);
	run_cmd((char *const[]){ AGENTPROF, "diff", dir, dir, "--fail-on", "p95=ten", NULL }, &r);
	cr_expect_eq(r.status, 2, "a bad rule: exit %d", r.status);
	cr_expect(strstr(r.err, "--fail-on takes"), "%s", r.err);
	run_free(&r);
}
