// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `agentprof record` against real workloads: real BPF, real perf events, real symbols. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"

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

static char *output(const char *name)
{
	snprintf(path, sizeof(path), "%s/%s", out, name);
	return slurp(path);
}

static void record(pid_t pid, const char *seconds, struct run *r)
{
	char pidstr[16];

	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	run_cmd((char *const[]){ AGENTPROF, "record", "-p", pidstr, "-d", (char *)seconds, "-o", out, NULL }, r);
}

TestSuite(record, .init = setup, .fini = teardown, .timeout = 60);

Test(record, cpu_split_80_20)
{
	struct run r;
	char *folded, *report;
	uint64_t total, eighty, twenty;
	double expected, share, tolerance;
	json_t *parsed, *thread;
	pid_t pid;

	require_root();
	pid = start_workload((char *const[]){ WORKLOAD("hot8020"), "30", NULL });
	record(pid, "5", &r);
	stop_workload(pid);
	cr_assert_eq(r.status, 0, "record failed: %s", r.err);

	folded = output("cpu.folded");
	cr_assert(folded);
	total = folded_sum(folded, "");
	eighty = folded_sum(folded, ";hot_eighty;");
	twenty = folded_sum(folded, ";hot_twenty;");
	/*
	 * The samples against the CPU time its switches measured: on a loaded machine the sampling
	 * timer and the scheduler's tick fall together and bias which task a tick lands on (1.3x in
	 * one loaded run), so the count is only bounded by the window here; the ratio between the
	 * two functions of the thread is what must hold whatever the load.
	 */
	report = output("report.json");
	cr_assert(report);
	parsed = json_loads(report, 0, NULL);
	thread = json_array_get(json_object_get(parsed, "threads"), 0);
	cr_assert(thread, "no thread in report.json: %s", report);
	expected = json_integer_value(json_object_get(json_object_get(thread, "breakdown_ns"), "cpu")) / 1e9 * 99;
	json_decref(parsed);
	cr_log_info("samples %lu (its CPU time says ~%.0f), hot_eighty %lu, hot_twenty %lu", total, expected,
		    eighty, twenty);
	cr_assert_gt(total, MIN_SAMPLES, "%lu samples", total);
	cr_assert_leq(total, 5 * 99 * 1.05 + 5, "%lu samples in 5 s at 99 Hz", total);
	cr_assert_geq(eighty + twenty, 0.95 * total, "hot functions lost their callers");
	/* the split scatters like draws: four standard deviations, never under 10 points */
	share = 100.0 * eighty / (eighty + twenty);
	tolerance = fmax(10, 400 * sqrt(0.8 * 0.2 / (eighty + twenty)));
	cr_assert(fabs(share - 80) <= tolerance, "split %.1f/%.1f of %lu samples, want 80/20 +/- %.0f", share,
		  100 - share, eighty + twenty, tolerance);

	char needle[64];

	snprintf(needle, sizeof(needle), "\"pid\": %d,", pid);
	cr_assert(strstr(report, needle), "%s", report);
	snprintf(needle, sizeof(needle), "\"samples\": %lu,", total);
	cr_assert(strstr(report, needle), "report and cpu.folded disagree: %s", report);
	cr_assert(strstr(report, "\"stack_collision\": 0"));
	/* the flame graphs are written beside the folded files, and are well-formed XML */
	snprintf(path, sizeof(path), "xmllint --noout %s/cpu.svg %s/offcpu.svg", out, out);
	require_tool("xmllint", "libxml2-utils");
	cr_assert_eq(system(path), 0, "flame graphs are not well-formed");
	cr_assert(strstr(r.out, "hot_eighty") || strstr(r.out, "spin"), "summary: %s", r.out);
	free(folded);
	free(report);
	run_free(&r);
}

Test(record, names_binary_libc_kernel_and_late_threads)
{
	struct run r;
	char *folded, *report;
	pid_t pid;

	require_root();
	pid = start_workload((char *const[]){ WORKLOAD("frames"), "30", NULL });
	record(pid, "3", &r);	/* the "late" thread starts 1 s after the workload */
	stop_workload(pid);
	cr_assert_eq(r.status, 0, "record failed: %s", r.err);
	folded = output("cpu.folded");
	report = output("report.json");
	cr_assert(folded && report);

	cr_assert_gt(folded_sum(folded, ";kernel_work;") + folded_sum(folded, ";main;"), 0,
		     "own binary unnamed:\n%s", folded);
	cr_assert_gt(folded_sum(folded, ";random_r"), 0, "libc unnamed:\n%s", folded);
	cr_assert_gt(folded_sum(folded, "_[k]"), 0, "no kernel frames:\n%s", folded);
	cr_assert_eq(folded_sum(folded, "[unknown]_[k]"), 0, "unnamed kernel frames:\n%s", folded);
	cr_assert(strstr(report, "\"comm\": \"late\""), "thread created after attach missing: %s", report);
	cr_assert_gt(folded_sum(folded, ";late_thread;"), 0, "thread created after attach unsampled:\n%s",
		     folded);
	free(folded);
	free(report);
	run_free(&r);
}

/* Stacks of each thread of the frames workload, by their thread's root frame. */
static uint64_t folded_rooted(const char *folded, const char *root, const char *needle)
{
	uint64_t sum = 0;
	size_t len = strlen(root);

	for (const char *line = folded; *line;) {
		const char *nl = strchrnul(line, '\n'), *sp = line;

		for (const char *p = line; p < nl; p++)
			if (*p == ' ')
				sp = p;
		if (!strncmp(line, root, len) && line[len] == ';') {
			char *stack = strndup(line, sp - line);

			if (strstr(stack, needle))
				sum += strtoull(sp + 1, NULL, 10);
			free(stack);
		}
		line = *nl ? nl + 1 : nl;
	}
	return sum;
}

/*
 * Thousands of distinct stacks at -F 999 (frame-pointer user stacks and kernel stacks, both
 * through the kernel's stack store): none collides with another, none is lost, every sample keeps
 * its own. The kernel's own stack map lost 130 of 2237 samples to collisions at 10,000 paths.
 */
Test(record, many_distinct_stacks_none_lost)
{
	char pidstr[16], *folded, *report;
	json_t *json, *drops, *val;
	const char *key;
	uint64_t total;
	struct run r;
	pid_t pid;

	require_root();
	pid = start_workload((char *const[]){ WORKLOAD("benchwork"), "stacks", "100000000", "10000", "0", NULL });
	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	run_cmd((char *const[]){ AGENTPROF, "record", "-p", pidstr, "-d", "3", "-F", "999", "--unwind", "fp", "-o",
				 out, NULL }, &r);
	stop_workload(pid);
	cr_assert_eq(r.status, 0, "record failed: %s", r.err);
	folded = output("cpu.folded");
	report = output("report.json");
	cr_assert(folded && report);
	json = json_loads(report, 0, NULL);
	drops = json_object_get(json, "drops");
	json_object_foreach(drops, key, val)
		cr_assert(json_integer_value(val) == 0, "%s: %s", key, json_dumps(drops, 0));
	total = folded_sum(folded, "");
	cr_log_info("%lu samples, %lu in stacks_work", total, folded_sum(folded, ";stacks_work;"));
	cr_assert_gt(total, MIN_SAMPLES);
	cr_assert_eq(folded_sum(folded, "[stack lost]"), 0, "stacks lost:\n%s", folded);
	/* the workload's own frames root its samples: no sample has another process's or a wrong stack */
	cr_assert_gt(folded_sum(folded, ";stacks_work;"), total / 2, "%lu of %lu samples in stacks_work",
		     folded_sum(folded, ";stacks_work;"), total);
	json_decref(json);
}

/*
 * -F 999 into a stack map of 16 stacks: most stacks do not fit. The drops are counted in
 * report.json and the summary, the samples still count (as "[stack lost]"), and no sample is
 * given a stack that is not its own: each thread of the workload runs its own functions only.
 */
Test(record, tiny_stack_map_counts_drops_and_never_mixes_stacks)
{
	char pidstr[16], *folded, *report, said[64];
	json_t *json, *drops;
	uint64_t lost, total, samples;
	struct run r;
	pid_t pid;

	require_root();
	pid = start_workload((char *const[]){ WORKLOAD("frames"), "30", NULL });
	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	/* frame-pointer user stacks: they go through the kernel's stack map too, as kernel stacks do */
	run_cmd((char *const[]){ AGENTPROF, "record", "-p", pidstr, "-d", "3", "-F", "999", "--stack-storage-size",
				 "16", "--unwind", "fp", "-o", out, NULL }, &r);
	stop_workload(pid);
	cr_assert_eq(r.status, 0, "record failed: %s", r.err);
	folded = output("cpu.folded");
	report = output("report.json");
	cr_assert(folded && report);
	json = json_loads(report, 0, NULL);
	drops = json_object_get(json, "drops");
	lost = json_integer_value(json_object_get(drops, "stack_collision")) +
	       json_integer_value(json_object_get(drops, "stack_map_full"));
	samples = json_integer_value(json_object_get(json, "samples"));
	total = folded_sum(folded, "");
	cr_log_info("%lu samples, %lu stacks dropped, %lu samples with a lost stack", samples, lost,
		    folded_sum(folded, "[stack lost]"));
	cr_assert_gt(lost, 0, "no drop counted: %s", report);
	cr_assert_gt(folded_sum(folded, "[stack lost]"), 0, "samples without their stack not shown");
	cr_assert_eq(samples, total, "report and cpu.folded disagree");
	snprintf(said, sizeof(said), " samples, %lu dropped", lost);
	cr_assert(strstr(r.out, said), "summary does not say %s: %s", said, r.out);
	/* libc has no frame pointers: random_r's caller is skipped, late_thread and main show */
	cr_assert_gt(folded_rooted(folded, "late", ";late_thread;"), 0, "late thread unnamed:\n%s", folded);
	cr_assert_gt(folded_rooted(folded, "frames", ";main;"), 0, "main thread unnamed:\n%s", folded);
	cr_assert_eq(folded_rooted(folded, "late", ";main;"), 0, "main's stack in late:\n%s", folded);
	cr_assert_eq(folded_rooted(folded, "frames", "late_thread"), 0, "late's stack in main:\n%s", folded);
	cr_assert_eq(folded_rooted(folded, "frames", "random_r"), 0, "late's stack in main:\n%s", folded);
	json_decref(json);
	free(folded);
	free(report);
	run_free(&r);
}

Test(record, stops_when_target_exits)
{
	char log[160], pidstr[16], *report, *said;
	pid_t pid, rec;

	require_root();
	pid = start_workload((char *const[]){ WORKLOAD("hot8020"), "60", NULL });
	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	snprintf(log, sizeof(log), "%s/record.log", dir);
	/* the target exits 1 s after record is attached, however long that took */
	rec = start_recording((char *const[]){ AGENTPROF, "record", "-p", pidstr, "-d", "600", "-o", out, NULL }, log);
	sleep(1);
	stop_workload(pid);
	said = wait_recording(rec, log);
	report = output("report.json");
	cr_assert(report && strstr(report, "\"target_exited\": true"), "%s", report);
	cr_assert(strstr(said, "target exited"), "%s", said);
	free(report);
	free(said);
}

Test(record, output_is_private)
{
	struct run r;
	struct stat st;
	pid_t pid;

	require_root();
	pid = start_workload((char *const[]){ WORKLOAD("hot8020"), "30", NULL });
	record(pid, "1", &r);
	stop_workload(pid);
	cr_assert_eq(r.status, 0, "record failed: %s", r.err);
	cr_assert_eq(stat(out, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/cpu.folded", out);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	run_free(&r);
}

/* Bad input: one line on stderr, non-zero exit, and no output directory left behind. */
static void assert_refused(struct run *r, const char *says)
{
	struct stat st;

	cr_assert_neq(r->status, 0, "accepted: %s", r->out);
	cr_assert_eq(count_lines(r->err), 1, "want one line, got:\n%s", r->err);
	cr_assert(strstr(r->err, says), "stderr does not say '%s': %s", says, r->err);
	cr_assert_neq(stat(out, &st), 0, "left %s behind", out);
}

Test(record, refuses_missing_pid)
{
	struct run r;
	pid_t pid;

	require_root();
	pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);	/* a PID that just became free */
	record(pid, "1", &r);
	assert_refused(&r, "no process with PID");
	run_free(&r);
}

/* A kernel thread has no user memory to sample: refused as such, not as a failed read of its maps. */
Test(record, refuses_a_kernel_thread)
{
	struct run r;

	require_root();
	record(2, "1", &r);	/* kthreadd */
	assert_refused(&r, "PID 2 is a kernel thread (kthreadd): nothing to profile");
	run_free(&r);
}

/* agentprof recording itself would only see itself draining its maps: refused. */
Test(record, refuses_its_own_pid)
{
	char cmd[512];
	struct run r;

	require_root();
	/* exec: the shell's PID ($$) is agentprof's */
	snprintf(cmd, sizeof(cmd), "exec %s record -p $$ -d 1 -o %s", AGENTPROF, out);
	run_cmd((char *const[]){ "/bin/sh", "-c", cmd, NULL }, &r);
	assert_refused(&r, "is agentprof itself: nothing to profile");
	run_free(&r);
}

/* An output path that is a symlink, or a directory with something in it: refused, nothing written. */
Test(record, refuses_symlink_and_non_empty_output)
{
	char elsewhere[160], pidstr[16], *kept;
	struct run r;
	pid_t pid;

	require_root();
	pid = start_workload((char *const[]){ WORKLOAD("hot8020"), "30", NULL });
	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	snprintf(elsewhere, sizeof(elsewhere), "%s/elsewhere", dir);
	cr_assert_eq(mkdir(elsewhere, 0700), 0);
	cr_assert_eq(symlink(elsewhere, out), 0);
	record(pid, "1", &r);
	cr_assert_neq(r.status, 0, "wrote through a symlink");
	cr_assert_eq(count_lines(r.err), 1, "want one line, got:\n%s", r.err);
	cr_assert(strstr(r.err, "is a symlink"), "%s", r.err);
	snprintf(path, sizeof(path), "%s/report.json", elsewhere);
	cr_assert_neq(access(path, F_OK), 0, "wrote through the symlink");
	run_free(&r);

	cr_assert_eq(unlink(out), 0);
	cr_assert_eq(mkdir(out, 0700), 0);
	snprintf(path, sizeof(path), "%s/notes.txt", out);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs("someone's notes\n", f);
	fclose(f);
	record(pid, "1", &r);
	cr_assert_neq(r.status, 0, "wrote into a non-empty directory");
	cr_assert_eq(count_lines(r.err), 1, "want one line, got:\n%s", r.err);
	cr_assert(strstr(r.err, "is not empty (--force"), "%s", r.err);
	cr_assert(!output("report.json"), "wrote into a non-empty directory");
	kept = output("notes.txt");
	cr_assert(kept && !strcmp(kept, "someone's notes\n"), "the directory's file was touched");
	free(kept);
	run_free(&r);

	run_cmd((char *const[]){ AGENTPROF, "record", "-p", pidstr, "-d", "1", "-o", out, "--force", NULL }, &r);
	stop_workload(pid);
	cr_assert_eq(r.status, 0, "--force refused: %s", r.err);
	kept = output("report.json");
	cr_assert(kept, "--force wrote no report");
	free(kept);
	kept = output("notes.txt");
	cr_assert(kept, "--force removed a file it did not write");
	free(kept);
	run_free(&r);
}

Test(record, refuses_bad_numbers)
{
	struct run r;

	run_cmd((char *const[]){ AGENTPROF, "record", "-p", "12abc", "-o", out, NULL }, &r);
	assert_refused(&r, "PID must be an integer");
	cr_assert_eq(r.status, 2);
	run_free(&r);
	run_cmd((char *const[]){ AGENTPROF, "record", "-p", "1", "-F", "0", "-o", out, NULL }, &r);
	assert_refused(&r, "frequency must be an integer from 1");
	run_free(&r);
}

Test(record, refuses_without_privileges)
{
	struct run r;
	char pidstr[16];
	pid_t pid;

	require_root();
	pid = start_workload((char *const[]){ WORKLOAD("hot8020"), "30", NULL });
	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	chmod(dir, 0777);	/* so that only the missing capabilities can stop it */
	run_cmd((char *const[]){ "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
				 "--inh-caps=-all", AGENTPROF, "record", "-p", pidstr, "-d", "1", "-o", out,
				 NULL }, &r);
	stop_workload(pid);
	assert_refused(&r, "missing CAP_BPF and CAP_PERFMON");
	run_free(&r);
}

Test(record, refuses_without_btf)
{
	struct run r;
	char cmd[512];
	pid_t pid;

	require_root();
	pid = start_workload((char *const[]){ WORKLOAD("hot8020"), "30", NULL });
	/* hide the kernel's BTF in a private mount namespace */
	snprintf(cmd, sizeof(cmd), "mount -t tmpfs none /sys/kernel/btf && exec %s record -p %d -d 1 -o %s",
		 AGENTPROF, pid, out);
	run_cmd((char *const[]){ "unshare", "-m", "--propagation", "private", "sh", "-c", cmd, NULL }, &r);
	stop_workload(pid);
	assert_refused(&r, "no kernel BTF");
	run_free(&r);
}

/*
 * A stop signal (Ctrl-C, SIGTERM, SIGHUP): record stops, writes everything, exits 0, and leaves
 * no BPF program, link or perf event behind. A second one at once may end it before it is done
 * writing; it still leaves nothing behind.
 */
static void stop_with(int sig, bool twice)
{
	char pidstr[16], log[160], *report;
	uint32_t ids[64];
	size_t nids;
	pid_t pid, rec;
	int status;

	require_root();
	pid = start_workload((char *const[]){ WORKLOAD("hot8020"), "30", NULL });
	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	snprintf(log, sizeof(log), "%s/record.log", dir);
	rec = start_recording((char *const[]){ AGENTPROF, "record", "-p", pidstr, "-o", out, NULL }, log);
	nids = bpf_progs_of(rec, ids, 64);
	cr_assert_geq(nids, 5, "record attached %zu programs", nids);
	kill(rec, sig);
	if (twice) {
		usleep(1000);
		kill(rec, sig);
	}
	cr_assert_eq(waitpid(rec, &status, 0), rec);
	stop_workload(pid);
	if (!twice) {
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
		report = output("report.json");
		cr_assert(report && strstr(report, "\"samples\""), "no report after %s", strsignal(sig));
		free(report);
	} else {
		cr_assert(WIFEXITED(status) ? WEXITSTATUS(status) == 0 : WTERMSIG(status) == sig, "status %#x", status);
	}
	cr_assert_eq(bpf_progs_left(ids, nids), 0, "programs left behind after %s", strsignal(sig));
}

Test(record, sigint_detaches_and_writes_everything)
{
	stop_with(SIGINT, false);
}

Test(record, sigterm_detaches_and_writes_everything)
{
	stop_with(SIGTERM, false);
}

Test(record, sighup_detaches_and_writes_everything)
{
	stop_with(SIGHUP, false);
}

Test(record, second_sigint_forces_exit_and_leaves_nothing)
{
	stop_with(SIGINT, true);
}
