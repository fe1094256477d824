// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `agentprof top`: live intervals as JSON lines, the same classes as record, and a clean exit. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"

TestSuite(top, .timeout = 60);

/* The JSON objects top printed, one per line. */
static json_t *parse_lines(const char *out, size_t *n)
{
	json_t *all = json_array();
	const char *line = out;

	while (*line) {
		const char *nl = strchrnul(line, '\n');
		json_error_t jerr;
		json_t *o = json_loadb(line, nl - line, 0, &jerr);

		cr_assert(o, "line %zu is not JSON (%s): %.*s", json_array_size(all) + 1, jerr.text,
			  (int)(nl - line), line);
		json_array_append_new(all, o);
		line = *nl ? nl + 1 : nl;
	}
	*n = json_array_size(all);
	return all;
}

/* The thread named comm has class want (or runq on a loaded machine, see class_is). */
static void expect_thread(json_t *report, const char *comm, const char *want)
{
	json_t *t;
	size_t i;

	json_array_foreach(json_object_get(report, "threads"), i, t)
		if (!strcmp(json_string_value(json_object_get(t, "comm")), comm)) {
			cr_expect(class_is(t, want), "%s: class %s, mostly %s, want %s", comm,
				  json_string_value(json_object_get(t, "class")), main_category(t), want);
			return;
		}
	cr_expect_fail("no thread %s", comm);
}

Test(top, three_json_intervals_with_every_class_right)
{
	char pidstr[16];
	struct run r;
	json_t *objs, *last;
	size_t n;
	pid_t pid;

	require_root();
	pid = start_workload((char *const[]){ WORKLOAD("waits"), "30", NULL });
	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	run_cmd((char *const[]){ AGENTPROF, "top", "-p", pidstr, "--json", "-i", "2", "-n", "3", NULL }, &r);
	stop_workload(pid);
	cr_assert_eq(r.status, 0, "top failed: %s", r.err);
	objs = parse_lines(r.out, &n);
	cr_assert_eq(n, 3, "want exactly 3 objects, got %zu", n);
	for (size_t i = 0; i < n; i++) {
		double s = json_integer_value(json_object_get(json_array_get(objs, i), "duration_ns")) / 1e9;

		cr_expect(s > 1.5 && s < 3.0, "interval %zu lasted %.2f s, want about 2", i, s);
	}
	last = json_array_get(objs, 2);
	expect_thread(last, "spinner", "cpu");
	expect_thread(last, "mutex-wait", "lock");
	expect_thread(last, "net-client", "net");
	expect_thread(last, "disk", "disk");
	expect_thread(last, "sleeper", "sleep");
	expect_thread(last, "pool", "idle");
	cr_expect(strstr(json_string_value(json_object_get(json_array_get(json_object_get(last, "threads"), 0),
							   "verdict")), "%"), "verdicts are filled in");
	json_decref(objs);
	run_free(&r);
}

Test(top, final_interval_when_the_target_exits)
{
	char pidstr[16], dir[64], out[96], err[96], *said = NULL, *printed;
	json_t *objs;
	size_t n;
	pid_t pid, top;
	int status, fd;

	require_root();
	make_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(err, sizeof(err), "%s/err", dir);
	pid = start_workload((char *const[]){ WORKLOAD("hot8020"), "60", NULL });
	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	top = fork();
	cr_assert_geq(top, 0);
	if (top == 0) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 2);
		execv(AGENTPROF, (char *const[]){ AGENTPROF, "top", "-p", pidstr, "--json", NULL });
		_exit(127);
	}
	/* the target exits once top has printed an interval, however long attaching took */
	do {
		free(said);
		usleep(50000);
		said = slurp(out);
		cr_assert_eq(waitpid(top, NULL, WNOHANG), 0, "top stopped early");
	} while (!said || !strchr(said, '\n'));
	free(said);
	stop_workload(pid);
	cr_assert_eq(waitpid(top, &status, 0), top);
	said = slurp(err);
	printed = slurp(out);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "top failed: %s", said);
	cr_assert(strstr(said, "exited"), "does not say the target exited: %s", said);
	objs = parse_lines(printed, &n);
	cr_assert_geq(n, 2);
	cr_assert(json_is_true(json_object_get(json_array_get(objs, n - 1), "target_exited")));
	json_decref(objs);
	free(said);
	free(printed);
	remove_tree(dir);
}

Test(top, refuses_bad_input)
{
	struct run r;

	run_cmd((char *const[]){ AGENTPROF, "top", "-p", "1", "-i", "0", NULL }, &r);
	cr_assert_eq(r.status, 2);
	cr_assert_eq(count_lines(r.err), 1, "%s", r.err);
	cr_assert(strstr(r.err, "interval must be an integer from 1"), "%s", r.err);
	run_free(&r);
}

/* Nothing to watch in a kernel thread, nor in agentprof itself: one line each, non-zero exit. */
Test(top, refuses_a_kernel_thread_and_itself)
{
	char cmd[256];
	struct run r;

	require_root();
	run_cmd((char *const[]){ AGENTPROF, "top", "-p", "2", "-n", "1", "--json", NULL }, &r);
	cr_assert_neq(r.status, 0, "accepted: %s", r.out);
	cr_assert_eq(count_lines(r.err), 1, "%s", r.err);
	cr_assert(strstr(r.err, "PID 2 is a kernel thread (kthreadd): nothing to profile"), "%s", r.err);
	run_free(&r);
	snprintf(cmd, sizeof(cmd), "exec %s top -p $$ -n 1 --json", AGENTPROF);
	run_cmd((char *const[]){ "/bin/sh", "-c", cmd, NULL }, &r);
	cr_assert_neq(r.status, 0, "accepted: %s", r.out);
	cr_assert_eq(count_lines(r.err), 1, "%s", r.err);
	cr_assert(strstr(r.err, "is agentprof itself: nothing to profile"), "%s", r.err);
	run_free(&r);
}

/*
 * Threads that come and go (~5 a second, each ~0.2 s): each one that exits is shown exited in
 * one interval, with no more time than the interval held, and never again: once shown, its
 * totals leave the kernel's maps and top's last snapshot together.
 */
Test(top, an_exited_thread_is_shown_once)
{
	char pidstr[16];
	json_t *objs, *o, *t;
	size_t n, i, j, exited = 0;
	uint32_t shown[512];	/* the tids shown exited so far */
	struct run r;
	pid_t pid;

	require_root();
	pid = start_workload((char *const[]){ WORKLOAD("benchwork"), "churn", "30", "0", NULL });
	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	run_cmd((char *const[]){ AGENTPROF, "top", "-p", pidstr, "-i", "1", "-n", "5", "--json", NULL }, &r);
	stop_workload(pid);
	cr_assert_eq(r.status, 0, "top failed: %s", r.err);
	objs = parse_lines(r.out, &n);
	cr_assert_eq(n, 5);
	json_array_foreach(objs, i, o) {
		uint64_t duration = json_integer_value(json_object_get(o, "duration_ns"));

		json_array_foreach(json_object_get(o, "threads"), j, t) {
			uint64_t wall = json_integer_value(json_object_get(t, "wall_ns")), sum = 0;
			uint32_t tid = json_integer_value(json_object_get(t, "tid"));
			const char *key;
			json_t *v;

			json_object_foreach(json_object_get(t, "breakdown_ns"), key, v)
				sum += json_integer_value(v);
			cr_assert_leq(wall, duration + duration / 20, "interval %zu, thread %u: %lu ns of %lu", i, tid,
				      wall, duration);
			cr_assert(sum * 10 >= wall * 9 && sum * 10 <= wall * 11, "interval %zu, thread %u: %lu ns of %lu",
				  i, tid, sum, wall);
			if (!json_is_true(json_object_get(t, "exited")))
				continue;
			for (size_t k = 0; k < exited; k++)
				cr_assert_neq(shown[k], tid, "thread %u shown exited again in interval %zu", tid, i);
			cr_assert_lt(exited, 512);
			shown[exited++] = tid;
		}
	}
	cr_assert_geq(exited, 5, "%zu exited threads in 5 s: %s", exited, r.out);
	json_decref(objs);
	run_free(&r);
}
