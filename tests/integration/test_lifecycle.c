// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The target's lifecycle under `record`: exec of another binary, forked children, PID reuse. */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"
#include "target/procmaps.h"
#include "symbols/images.h"
#include "symbols/symbolize.h"

static char dir[64], out[128], path[320];

static void setup(void)
{
	make_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
}

static void teardown(void)
{
	remove_tree(dir);
}

TestSuite(lifecycle, .init = setup, .fini = teardown, .timeout = 60);

static char *output(const char *sub, const char *name)
{
	snprintf(path, sizeof(path), "%s/%s%s%s", out, sub, *sub ? "/" : "", name);
	return slurp(path);
}

/* Sum of the folded lines whose first frame (the thread) is root and that hold needle. */
static uint64_t rooted(const char *folded, const char *root, const char *needle)
{
	uint64_t sum = 0;
	size_t len = strlen(root);

	for (const char *line = folded; *line;) {
		const char *nl = strchrnul(line, '\n'), *sp = strrchr(line, ' ');
		char *text = strndup(line, nl - line);

		sp = strrchr(text, ' ');
		if (sp && !strncmp(text, root, len) && text[len] == ';' && strstr(text, needle) &&
		    strstr(text, needle) < sp)
			sum += strtoull(sp + 1, NULL, 10);
		free(text);
		line = *nl ? nl + 1 : nl;
	}
	return sum;
}

/*
 * Records pid for seconds; once record is attached and a second has passed, tells the lifecycle
 * workload (SIGUSR1) to go on to its next phase: exec, or fork.
 */
static void record(pid_t pid, const char *seconds, bool follow, struct run *r)
{
	char pidstr[16], log[160];
	pid_t rec;
	int status;

	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	snprintf(log, sizeof(log), "%s/record.log", dir);
	rec = start_recording((char *const[]){ AGENTPROF, "record", "-p", pidstr, "-d", (char *)seconds, "-o", out,
					       follow ? "--follow-children" : "-v", NULL }, log);
	sleep(1);
	kill(pid, SIGUSR1);
	cr_assert_eq(waitpid(rec, &status, 0), rec);
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	r->out = strdup("");
	r->err = slurp(log);
}

/*
 * The target execs another binary (same PID): frames from before are named against the old
 * binary, frames from after against the new one, and neither is read against the other's image.
 */
Test(lifecycle, exec_names_each_image_against_its_own_binary)
{
	char *folded;
	struct run r;
	pid_t pid;

	require_root();
	pid = start_workload((char *const[]){ WORKLOAD("lifecycle"), "exec", "30", WORKLOAD("hot8020"), "30", NULL });
	record(pid, "5", false, &r);
	stop_workload(pid);
	cr_assert_eq(r.status, 0, "record failed: %s", r.err);
	folded = output("", "cpu.folded");
	cr_assert(folded);
	/* the thread is named after the binary it runs: lifecycle, then hot8020 */
	cr_assert_gt(rooted(folded, "lifecycle", ";before_exec"), 0, "old image unnamed:\n%s", folded);
	cr_assert_gt(rooted(folded, "hot8020", ";hot_eighty"), 0, "new image unnamed:\n%s", folded);
	cr_assert_eq(rooted(folded, "lifecycle", "hot_"), 0, "old frames named from the new binary:\n%s", folded);
	cr_assert_eq(rooted(folded, "hot8020", "before_exec"), 0, "new frames named from the old binary:\n%s", folded);
	cr_assert_leq(folded_sum(folded, "[unknown]") * 10, folded_sum(folded, ""), "unnamed frames:\n%s", folded);
	free(folded);
	run_free(&r);
}

/* The processes report.json lists: how many, and how many with on-CPU samples. */
static int processes(const char *report, int *sampled)
{
	json_t *json = json_loads(report, 0, NULL), *procs = json_object_get(json, "processes"), *e;
	size_t i;
	int n = json_array_size(procs);

	*sampled = 0;
	json_array_foreach(procs, i, e)
		*sampled += json_integer_value(json_object_get(e, "samples")) > 0;
	json_decref(json);
	return n;
}

/*
 * --follow-children: the processes the target forks are processes of the recording, each in the
 * report, named against its own image (forked: its parent's binary; exec'd: its own).
 */
Test(lifecycle, follow_children_records_each_child)
{
	char *folded, *report;
	struct run r;
	int n, sampled;
	pid_t pid;

	require_root();
	pid = start_workload((char *const[]){ WORKLOAD("lifecycle"), "fork", "30", WORKLOAD("hot8020"), "2", NULL });
	record(pid, "6", true, &r);
	stop_workload(pid);
	cr_assert_eq(r.status, 0, "record failed: %s", r.err);
	folded = output("", "cpu.folded");
	report = output("", "report.json");
	cr_assert(folded && report);
	cr_assert_gt(folded_sum(folded, ";parent_work"), 0, "%s", folded);
	cr_assert_gt(folded_sum(folded, ";child_work"), 0, "forked child unnamed:\n%s", folded);
	cr_assert_gt(rooted(folded, "hot8020", ";hot_eighty"), 0, "exec'd child unnamed:\n%s", folded);
	n = processes(report, &sampled);
	cr_assert(n == 3 && sampled == 3, "%d processes, %d with samples: %s", n, sampled, report);
	free(folded);
	free(report);
	run_free(&r);
}

/* Off by default: children are not recorded, and nothing of theirs reaches the parent's profile. */
Test(lifecycle, children_are_not_followed_by_default)
{
	char *folded;
	struct run r;
	pid_t pid;

	require_root();
	pid = start_workload((char *const[]){ WORKLOAD("lifecycle"), "fork", "30", NULL });
	record(pid, "5", false, &r);
	stop_workload(pid);
	cr_assert_eq(r.status, 0, "record failed: %s", r.err);
	folded = output("", "cpu.folded");
	cr_assert(folded);
	cr_assert_gt(folded_sum(folded, ";parent_work"), 0, "%s", folded);
	cr_assert_eq(folded_sum(folded, "child_work"), 0, "%s", folded);
	free(folded);
	run_free(&r);
}

/* clone3 with set_tid: a process with exactly that PID (root in the initial PID namespace). */
static pid_t spawn_with_pid(pid_t want, char *const argv[])
{
	struct clone_args args = { .exit_signal = SIGCHLD, .set_tid = (uintptr_t)&want, .set_tid_size = 1 };
	pid_t pid = syscall(SYS_clone3, &args, sizeof(args));

	if (pid == 0) {
		freopen("/dev/null", "w", stdout);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* The first executable mapping of a file whose path ends in name. */
static const struct map_entry *mapping_of(const struct proc_maps *maps, const char *name)
{
	for (size_t i = 0; i < maps->n; i++) {
		const char *p = maps->v[i].path;
		size_t lp = strlen(p), ln = strlen(name);

		if (lp >= ln && !strcmp(p + lp - ln, name))
			return &maps->v[i];
	}
	return NULL;
}

/*
 * The symbolizer keys a process by PID and start time: once the PID is another process's (here
 * made so on purpose with clone3's set_tid), the old process's mappings stay and the new one's
 * are never read in their place.
 */
Test(lifecycle, pid_reuse_never_reads_another_process)
{
	struct images *images;
	struct syms_cache *c;
	const struct map_entry *m;
	char before[256], after[256];
	uint64_t addr;
	pid_t pid, again;

	require_root();
	pid = start_workload((char *const[]){ WORKLOAD("frames"), "30", NULL });
	images = images__new();
	c = images ? syms_cache__new(images) : NULL;
	cr_assert(c && images__add(images, pid) == 0);
	m = mapping_of(images__maps(images, pid), "/frames");
	cr_assert(m, "no mapping of frames");
	addr = m->start + (m->end - m->start) / 2;
	syms_cache__user(c, pid, 0, addr, false, before, sizeof(before));
	usleep(50000);	/* start times count in clock ticks (10 ms): PIDs are not reused faster */
	stop_workload(pid);

	again = spawn_with_pid(pid, (char *const[]){ WORKLOAD("hot8020"), "30", NULL });
	if (again < 0) {
		syms_cache__free(c);
		images__free(images);
		cr_assert_fail("clone3 set_tid %d: %s", pid, strerror(errno));
	}
	cr_assert_eq(again, pid);
	usleep(200000);	/* hot8020 is running its own image */
	cr_assert_neq(images__refresh(images), 0, "read the mappings of another process under the same PID");
	cr_assert(mapping_of(images__maps(images, pid), "/frames"), "the old process's mappings were dropped");
	cr_assert(!mapping_of(images__maps(images, pid), "/hot8020"), "took the new process's mappings");
	syms_cache__user(c, pid, 0, addr, false, after, sizeof(after));
	cr_assert_str_eq(after, before);
	stop_workload(again);
	syms_cache__free(c);
	images__free(images);
}
