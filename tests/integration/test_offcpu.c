// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Off-CPU time and wait reasons, measured on workloads whose every thread has a known class. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"

#define PYTHON "/usr/bin/python3"	/* Debian's: no frame pointers, the real GIL */

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

TestSuite(offcpu, .init = setup, .fini = teardown, .timeout = 60);

/* Records pid for the given seconds and returns the parsed report. */
static json_t *record(pid_t pid, const char *seconds, char **offcpu)
{
	char pidstr[16], path[192];
	json_error_t jerr;
	struct run r;
	json_t *report;

	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	run_cmd((char *const[]){ AGENTPROF, "record", "-p", pidstr, "-d", (char *)seconds, "-o", out, NULL }, &r);
	stop_workload(pid);
	cr_assert_eq(r.status, 0, "record failed: %s", r.err);
	run_free(&r);
	snprintf(path, sizeof(path), "%s/report.json", out);
	report = json_load_file(path, 0, &jerr);
	cr_assert(report, "report.json: %s", jerr.text);
	if (offcpu) {
		snprintf(path, sizeof(path), "%s/offcpu.folded", out);
		*offcpu = slurp(path);
		cr_assert(*offcpu);
	}
	return report;
}

static uint64_t breakdown_sum(json_t *breakdown)
{
	const char *key;
	json_t *v;
	uint64_t sum = 0;

	json_object_foreach(breakdown, key, v)
		sum += json_integer_value(v);
	return sum;
}

/*
 * Every thread named comm has this class (or runq, on a loaded machine, while what it does the rest
 * of the time is of the class), and its breakdown covers its wall time within 2%.
 */
static void assert_threads(json_t *report, const char *comm, const char *class)
{
	json_t *threads = json_object_get(report, "threads"), *t;
	size_t i, seen = 0;

	json_array_foreach(threads, i, t) {
		const char *c = json_string_value(json_object_get(t, "comm"));
		uint64_t wall = json_integer_value(json_object_get(t, "wall_ns"));
		uint64_t sum = breakdown_sum(json_object_get(t, "breakdown_ns"));

		if (strcmp(c, comm))
			continue;
		seen++;
		cr_expect(class_is(t, class), "thread %s (%lld): class %s, mostly %s, want %s", comm,
			  json_integer_value(json_object_get(t, "tid")), json_string_value(json_object_get(t, "class")),
			  main_category(t), class);
		cr_expect(wall > 0 && sum >= wall * 0.98 && sum <= wall * 1.02,
			  "thread %s: breakdown sums to %lu of %lu ns", comm, sum, wall);
	}
	cr_assert_gt(seen, 0, "no thread named %s", comm);
}

static const char *process_class(json_t *report)
{
	return json_string_value(json_object_get(report, "class"));
}

/* offcpu.folded has a line of this thread in this category whose stack holds the function. */
static void assert_blocked_in(const char *folded, const char *comm, const char *category, const char *func)
{
	char prefix[64];
	const char *line;

	snprintf(prefix, sizeof(prefix), "%s;[%s];", comm, category);
	for (line = folded; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		const char *nl = strchrnul(line, '\n');

		if (!strncmp(line, prefix, strlen(prefix)) && memmem(line, nl - line, func, strlen(func)))
			return;
	}
	cr_assert_fail("no %s...%s in offcpu.folded", prefix, func);
}

Test(offcpu, one_class_per_thread)
{
	char *folded;
	json_t *report;
	pid_t pid;

	require_root();
	pid = start_workload((char *const[]){ WORKLOAD("waits"), "30", NULL });
	report = record(pid, "4", &folded);
	assert_threads(report, "spinner", "cpu");
	assert_threads(report, "mutex-wait", "lock");
	assert_threads(report, "net-client", "net");
	assert_threads(report, "disk", "disk");
	assert_threads(report, "sleeper", "sleep");
	assert_threads(report, "holder", "sleep");
	assert_threads(report, "pool", "idle");
	/* unwound through glibc, which has no frame pointers: the caller that waits is there */
	assert_blocked_in(folded, "mutex-wait", "lock", ";start_thread;mutex_waiter;__pthread_mutex_lock;");
	assert_blocked_in(folded, "mutex-wait", "lock", "lll_lock_wait");
	assert_blocked_in(folded, "net-client", "net", ";start_thread;net_client;");
	assert_blocked_in(folded, "net-client", "net", "recv");
	assert_blocked_in(folded, "disk", "disk", ";start_thread;disk;");
	assert_blocked_in(folded, "disk", "disk", "pread");
	assert_blocked_in(folded, "disk", "disk", "fdatasync");
	assert_blocked_in(folded, "sleeper", "sleep", ";start_thread;sleeper;");
	assert_blocked_in(folded, "sleeper", "sleep", "clock_nanosleep");
	/* the pool parked before recording started: its class is known, its stack is not */
	assert_blocked_in(folded, "pool", "idle", "[since before recording]");
	free(folded);
	json_decref(report);
}

/* Kernels without BTF-typed tracepoints get the raw_tp twins: they must load and agree. */
Test(offcpu, raw_tp_fallback_gives_the_same_classes)
{
	json_t *report;
	pid_t pid;

	require_root();
	pid = start_workload((char *const[]){ WORKLOAD("waits"), "30", NULL });
	setenv("AGENTPROF_RAW_TP", "1", 1);
	report = record(pid, "3", NULL);
	unsetenv("AGENTPROF_RAW_TP");
	assert_threads(report, "mutex-wait", "lock");
	assert_threads(report, "net-client", "net");
	assert_threads(report, "sleeper", "sleep");
	assert_threads(report, "pool", "idle");
	json_decref(report);
}

Test(offcpu, pinned_threads_wait_for_the_cpu)
{
	json_t *report;
	pid_t pid;

	require_root();
	pid = start_workload((char *const[]){ WORKLOAD("pinned"), "30", NULL });
	report = record(pid, "3", NULL);
	cr_assert_str_eq(process_class(report), "runq");
	json_decref(report);
}

static void require_python(void)
{
	require_tool(PYTHON, "python3");
}

Test(offcpu, python_gil_reads_as_lock)
{
	json_t *report;
	pid_t pid;

	require_root();
	require_python();
	pid = start_workload((char *const[]){ PYTHON, "tests/workloads/pyagent.py", "busy", "30", NULL });
	report = record(pid, "3", NULL);
	cr_assert(class_is(report, "lock"), "four CPU-bound Python threads contend for the GIL: class %s, mostly %s",
		  process_class(report), main_category(report));
	json_decref(report);
}

Test(offcpu, idle_python_pool_reads_as_idle)
{
	json_t *report, *t;
	size_t i;
	pid_t pid;

	require_root();
	require_python();
	pid = start_workload((char *const[]){ PYTHON, "tests/workloads/pyagent.py", "idle", "30", NULL });
	report = record(pid, "2", NULL);
	cr_assert_str_eq(process_class(report), "idle");
	json_array_foreach(json_object_get(report, "threads"), i, t)
		cr_expect_str_eq(json_string_value(json_object_get(t, "class")), "idle", "thread %lld",
				 json_integer_value(json_object_get(t, "tid")));
	cr_assert_geq(json_array_size(json_object_get(report, "threads")), 5);
	json_decref(report);
}

/*
 * A thousand threads at -F 999, each blocking where the others do but on its own stack: every
 * thread's first wait is a new place, so a thousand user stacks are copied at once, beside the
 * samples'. None is lost (user_stack_copy_lost was 14,139 at 99 Hz with copies of a fixed 16 KiB
 * and at most 500 new places a second), and no stack is lost to the stack store.
 */
Test(offcpu, thousand_threads_lose_no_stack)
{
	char pidstr[16], path[192], *offcpu, *cpu;
	json_t *report, *drops, *val;
	const char *key;
	json_error_t jerr;
	struct run r;
	pid_t pid;

	require_root();
	/*
	 * a second of work after 10 s to attach in (the verifier alone took 5 s on a busy machine): a
	 * thousand busy threads leave little CPU to anyone else
	 */
	pid = start_workload((char *const[]){ WORKLOAD("benchwork"), "threads", "20000", "1000", "10", NULL });
	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	run_cmd((char *const[]){ AGENTPROF, "record", "-p", pidstr, "-F", "999", "-o", out, NULL }, &r);	/* to its exit */
	stop_workload(pid);
	cr_assert_eq(r.status, 0, "record failed: %s", r.err);
	run_free(&r);
	snprintf(path, sizeof(path), "%s/report.json", out);
	report = json_load_file(path, 0, &jerr);
	cr_assert(report, "report.json: %s", jerr.text);
	drops = json_object_get(report, "drops");
	json_object_foreach(drops, key, val)
		cr_assert(json_integer_value(val) == 0, "%s: %s", key, json_dumps(drops, 0));
	snprintf(path, sizeof(path), "%s/offcpu.folded", out);
	offcpu = slurp(path);
	snprintf(path, sizeof(path), "%s/cpu.folded", out);
	cpu = slurp(path);
	cr_assert(offcpu && cpu);
	cr_log_info("%lu samples, %lu in sleeper; %lu off-CPU ns in sleeper", folded_sum(cpu, ""),
		    folded_sum(cpu, ";sleeper;"), folded_sum(offcpu, ";sleeper;"));
	cr_assert_gt(folded_sum(cpu, ";sleeper;"), MIN_SAMPLES, "samples lost their threads' stacks");
	cr_assert_gt(folded_sum(offcpu, ";sleeper;"), 0, "waits lost their threads' stacks");
	cr_assert_eq(folded_sum(cpu, "[stack lost]") + folded_sum(offcpu, "[stack lost]"), 0, "stacks lost");
	json_decref(report);
}
