// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * --memory: growth charged to the function, thread and span that keep it, not to one that
 * allocates and frees as much; RSS a second; off by default.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"

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

TestSuite(memory, .init = setup, .fini = teardown, .timeout = 90);

/* Records pid for seconds, with --memory when memory. */
static void record(pid_t pid, const char *seconds, bool memory)
{
	char pidstr[16];
	struct run r;

	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	run_cmd((char *const[]){ AGENTPROF, "record", "-p", pidstr, "-d", (char *)seconds, "-o", out,
				 memory ? "--memory" : NULL, NULL }, &r);
	cr_assert_eq(r.status, 0, "record failed: %s", r.err);
	run_free(&r);
}

static char *mem_folded(void)
{
	char *folded;

	snprintf(path, sizeof(path), "%s/mem.folded", out);
	folded = slurp(path);
	cr_assert(folded, "no mem.folded");
	return folded;
}

static json_t *memory_of(json_t *report)
{
	json_t *m = json_object_get(report, "memory");

	cr_assert(json_is_object(m), "report.json has no memory");
	return m;
}

static uint64_t kept(json_t *o)
{
	return json_integer_value(json_object_get(json_object_get(o, "bytes"), "kept"));
}

static uint64_t faulted(json_t *o)
{
	return json_integer_value(json_object_get(json_object_get(o, "bytes"), "faulted"));
}

/* The span name's entry of memory.spans, or NULL. */
static json_t *span_named(json_t *mem, const char *name)
{
	json_t *spans = json_object_get(mem, "spans"), *s;
	size_t i;

	json_array_foreach(spans, i, s)
		if (!strcmp(json_string_value(json_object_get(s, "name")), name))
			return s;
	return NULL;
}

/* go tool pprof reads mem.pb.gz: in use by default, grow_history under it. */
static void pprof_reads_it(void)
{
	char cmd[512], text[8192];
	size_t n;
	FILE *f;

	require_tool("go", "golang-go");
	snprintf(cmd, sizeof(cmd), "HOME=%s go tool pprof -top %s/mem.pb.gz 2>&1", dir, out);
	f = popen(cmd, "r");
	cr_assert(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	cr_assert_eq(pclose(f), 0, "go tool pprof: %s", text);
	cr_assert(strstr(text, "Type: inuse_space"), "not in use by default:\n%s", text);
	cr_assert(strstr(text, "grow_history"), "no grow_history:\n%s", text);
}

Test(memory, c_growth_goes_to_the_function_that_keeps_it)
{
	pid_t pid = start_workload((char *const[]){ WORKLOAD("memgrow"), "30", NULL });
	json_t *report, *mem, *threads, *t, *leaks;
	uint64_t total, grow, churn, churner_faulted = 0, churner_kept = 0;
	char *folded;
	size_t i;

	require_root();
	record(pid, "4", true);
	stop_workload(pid);
	folded = mem_folded();
	total = folded_sum(folded, "");
	grow = folded_sum(folded, ";grow_history");
	churn = folded_sum(folded, ";churn_buffers");
	cr_assert_gt(total, 8 << 20, "grown %lu bytes in 4 s, want at least 8 MiB:\n%s", total, folded);
	cr_assert_geq(grow * 10, total * 9, "grow_history kept %lu of %lu bytes:\n%s", grow, total, folded);
	cr_assert_leq(churn * 20, total, "churn_buffers kept %lu of %lu bytes:\n%s", churn, total, folded);
	free(folded);

	report = load_json(out, "report.json");
	mem = memory_of(report);
	/* the churn was seen, and given back: it faulted in as much as it ever kept, and more */
	threads = json_object_get(mem, "threads");
	json_array_foreach(threads, i, t)
		if (json_integer_value(json_object_get(t, "tid")) != pid) {
			churner_faulted += faulted(t);
			churner_kept += kept(t);
		}
	cr_assert_gt(churner_faulted, 4 << 20, "the churning thread faulted in %lu bytes", churner_faulted);
	cr_assert_leq(churner_kept * 20, total, "the churning thread kept %lu bytes", churner_kept);
	cr_assert(strstr(json_string_value(json_object_get(mem, "verdict")) ?: "", "under grow_history"),
		  "verdict: %s", json_string_value(json_object_get(mem, "verdict")));
	leaks = json_object_get(mem, "leak_candidates");
	cr_assert_gt(json_array_size(leaks), 0, "no leak candidate");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(leaks, 0), "owner")), "grow_history");
	cr_assert_gt(json_integer_value(json_object_get(json_array_get(leaks, 0), "age_ns")), 0);
	json_decref(report);
	pprof_reads_it();
}

Test(memory, growth_lands_on_the_span_that_keeps_it)
{
	pid_t pid = start_workload((char *const[]){ WORKLOAD("memgrow"), "30", NULL });
	json_t *report, *mem, *grow, *churn;
	uint64_t total;

	require_root();
	record(pid, "4", true);
	stop_workload(pid);
	report = load_json(out, "report.json");
	mem = memory_of(report);
	total = json_integer_value(json_object_get(json_object_get(mem, "total"), "kept"));
	grow = span_named(mem, "tool.grow");
	churn = span_named(mem, "tool.churn");
	cr_assert(grow && churn, "no memory for the spans tool.grow and tool.churn");
	/* growth before the span probes were armed belongs to no span: most, not all */
	cr_assert_geq(kept(grow) * 4, total * 3, "tool.grow kept %lu of %lu bytes", kept(grow), total);
	cr_assert_gt(faulted(churn), 4 << 20, "tool.churn faulted in %lu bytes", faulted(churn));
	cr_assert_leq(kept(churn) * 20, total, "tool.churn kept %lu of %lu bytes", kept(churn), total);
	cr_assert(strstr(json_string_value(json_object_get(mem, "verdict")) ?: "", "in span tool.grow"),
		  "verdict: %s", json_string_value(json_object_get(mem, "verdict")));
	json_decref(report);
}

Test(memory, python_growth_goes_to_the_function_that_keeps_it)
{
	pid_t pid = start_workload((char *const[]){ "/usr/bin/python3", "tests/workloads/pymemgrow.py", "30", NULL });
	uint64_t total, grow, churn;
	json_t *report, *rss;
	char *folded;

	require_root();
	record(pid, "4", true);
	stop_workload(pid);
	folded = mem_folded();
	total = folded_sum(folded, "");
	grow = folded_sum(folded, ";ConversationStore.append (pymemgrow.py:");
	churn = folded_sum(folded, ";churn (pymemgrow.py:");
	cr_assert_gt(total, 8 << 20, "grown %lu bytes in 4 s, want at least 8 MiB:\n%s", total, folded);
	cr_assert_geq(grow * 10, total * 9, "ConversationStore.append kept %lu of %lu bytes:\n%s", grow, total, folded);
	cr_assert_leq(churn * 20, total, "churn kept %lu of %lu bytes:\n%s", churn, total, folded);
	free(folded);
	report = load_json(out, "report.json");
	rss = json_object_get(memory_of(report), "rss");
	cr_assert_geq(json_array_size(json_object_get(rss, "points")), 4, "RSS not read once a second");
	cr_assert(json_is_true(json_object_get(rss, "steady_growth")), "RSS grew %lld -> %lld, not steadily",
		  json_integer_value(json_object_get(rss, "first_bytes")),
		  json_integer_value(json_object_get(rss, "last_bytes")));
	json_decref(report);
}

Test(memory, off_by_default)
{
	pid_t pid = start_workload((char *const[]){ WORKLOAD("memgrow"), "30", NULL });
	json_t *report;

	require_root();
	record(pid, "2", false);
	stop_workload(pid);
	snprintf(path, sizeof(path), "%s/mem.folded", out);
	cr_assert_neq(access(path, F_OK), 0, "mem.folded written without --memory");
	report = load_json(out, "report.json");
	cr_assert(json_is_null(json_object_get(report, "memory")), "report.json has memory without --memory");
	json_decref(report);
}

Test(memory, raw_tp_fault_sampler_measures_the_same)
{
	pid_t pid = start_workload((char *const[]){ WORKLOAD("memgrow"), "30", NULL });
	uint64_t total, grow;
	char *folded;

	require_root();
	setenv("AGENTPROF_RAW_TP", "1", 1);	/* the raw_tp twin of the fault sampler, on a kernel that has both */
	record(pid, "3", true);
	unsetenv("AGENTPROF_RAW_TP");
	stop_workload(pid);
	folded = mem_folded();
	total = folded_sum(folded, "");
	grow = folded_sum(folded, ";grow_history");
	cr_assert_gt(total, 4 << 20, "grown %lu bytes in 3 s:\n%s", total, folded);
	cr_assert_geq(grow * 10, total * 9, "grow_history kept %lu of %lu bytes:\n%s", grow, total, folded);
	free(folded);
}

Test(memory, top_says_rss_each_interval)
{
	pid_t pid = start_workload((char *const[]){ WORKLOAD("memgrow"), "30", NULL });
	json_int_t first = 0, last = 0;
	char pidstr[16];
	struct run r;
	int n = 0;

	require_root();
	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	run_cmd((char *const[]){ AGENTPROF, "top", "-p", pidstr, "--json", "-i", "1", "-n", "3", NULL }, &r);
	stop_workload(pid);
	cr_assert_eq(r.status, 0, "top failed: %s", r.err);
	for (char *line = r.out, *nl; *line; line = *nl ? nl + 1 : nl, n++) {
		json_error_t jerr;
		json_t *o;

		nl = strchrnul(line, '\n');
		o = json_loadb(line, nl - line, 0, &jerr);
		cr_assert(o, "not JSON: %s", jerr.text);
		cr_assert(json_is_integer(json_object_get(o, "rss_bytes")), "interval %d without rss_bytes", n);
		last = json_integer_value(json_object_get(o, "rss_bytes"));
		first = first ?: last;
		json_decref(o);
	}
	cr_assert_eq(n, 3);
	cr_assert_gt(last - first, 8 << 20, "RSS %lld -> %lld over 2 s of 8 MiB/s growth", first, last);
	run_free(&r);
}
