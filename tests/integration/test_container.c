// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * agentprof as a privileged container runs it: targets in other PID and mount namespaces, a
 * profiler whose mount namespace lacks tracefs and debugfs or the host's PIDs, every process of
 * a cgroup, and exactly the capabilities the README lists.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "target/cgroup.h"
#include "harness.h"

static char dir[64], out[128], nsdir[128], path[320];

static void setup(void)
{
	make_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(nsdir, sizeof(nsdir), "%s/ns", dir);
	mkdir(nsdir, 0755);
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

/* The host's PID of the only child of pid (unshare -f's). */
static pid_t child_of(pid_t pid)
{
	char file[64], *text;
	long child;

	snprintf(file, sizeof(file), "/proc/%d/task/%d/children", pid, pid);
	text = slurp(file);
	cr_assert(text && sscanf(text, "%ld", &child) == 1, "no child of %d", pid);
	free(text);
	return child;
}

/*
 * hot8020 as a container runs it: PID 1 of a new PID namespace, its binary only on a tmpfs
 * mounted in its own mount namespace. Returns unshare's PID; *host: the workload's host PID.
 */
static pid_t start_namespaced(pid_t *host)
{
	char cmd[512];
	pid_t pid;

	snprintf(cmd, sizeof(cmd), "mount -t tmpfs none %s && cp %s %s/ && exec %s/hot8020 30", nsdir,
		 WORKLOAD("hot8020"), nsdir, nsdir);
	pid = start_workload((char *const[]){ "/usr/bin/unshare", "-p", "-m", "-f", "--mount-proc", "--kill-child",
					      "--propagation", "private", "/bin/sh", "-c", cmd, NULL });
	*host = child_of(pid);
	snprintf(path, sizeof(path), "%s/hot8020", nsdir);
	cr_assert_neq(access(path, F_OK), 0, "the binary must exist only in the target's mount namespace");
	return pid;
}

/* Share of the on-CPU samples in the workload's own functions: its binary was read and named. */
static double named_share(const char *folded)
{
	uint64_t total = folded_sum(folded, ""), named = folded_sum(folded, ";hot_eighty;") +
							  folded_sum(folded, ";hot_twenty;");

	return total ? 100.0 * named / total : 0;
}

TestSuite(container, .init = setup, .fini = teardown, .timeout = 120);

Test(container, namespaced_target_by_host_pid_without_tracefs_or_debugfs)
{
	char cmd[512], want[64], *report, *folded;
	struct run r;
	pid_t ns, host;

	require_root();
	ns = start_namespaced(&host);
	/* the profiler's own mount namespace, with neither tracefs nor debugfs mounted anywhere */
	snprintf(cmd, sizeof(cmd),
		 "umount -l /sys/kernel/tracing 2>/dev/null; umount -l /sys/kernel/debug 2>/dev/null; "
		 "if grep -qE ' (tracefs|debugfs) ' /proc/self/mounts; then echo mounted >&2; exit 99; fi; "
		 "exec %s record -p %d -d 3 -o %s", AGENTPROF, host, out);
	run_cmd((char *const[]){ "unshare", "-m", "--propagation", "private", "sh", "-c", cmd, NULL }, &r);
	stop_workload(ns);
	cr_assert_eq(r.status, 0, "record failed: %s", r.err);
	report = output("report.json");
	folded = output("cpu.folded");
	cr_assert(report && folded);
	snprintf(want, sizeof(want), "\"pid\": %d,", host);
	cr_assert(strstr(report, want), "report.json's pid is not the host's %d:\n%.400s", host, report);
	cr_assert(strstr(report, "\"ns_pid\": 1,"), "no namespaced PID:\n%.400s", report);
	cr_assert(strstr(r.out, "(PID 1 in its namespace)"), "summary: %s", r.out);
	cr_log_info("namespaced target: %.1f%% of %lu samples in its own named functions", named_share(folded),
		    folded_sum(folded, ""));
	cr_assert_gt(folded_sum(folded, ""), 0);
	cr_assert_geq(named_share(folded), 90, "the tmpfs binary's symbols did not resolve:\n%s", folded);
	free(report);
	free(folded);
	run_free(&r);
}

Test(container, proc_root_without_the_hosts_pids)
{
	char cmd[768], want[64], hostproc[128], log[160], *report, *folded;
	pid_t pid, rec;

	require_root();
	pid = start_workload((char *const[]){ WORKLOAD("hot8020"), "60", NULL });
	snprintf(hostproc, sizeof(hostproc), "%s/hostproc", dir);
	mkdir(hostproc, 0755);
	/* the host's /proc at DIR, then a PID namespace of its own: as a pod without hostPID */
	snprintf(cmd, sizeof(cmd),
		 "mount -t proc proc %s && exec unshare -p -f --mount-proc --kill-child "
		 "%s record --proc-root %s/ -p %d -d 60 -o %s",
		 hostproc, AGENTPROF, hostproc, pid, out);
	/* the target exits 2 s after record is attached, however long that took */
	snprintf(log, sizeof(log), "%s/record.log", dir);
	rec = start_recording((char *const[]){ "/usr/bin/unshare", "-m", "--propagation", "private", "sh", "-c", cmd,
					       NULL }, log);
	sleep(2);
	stop_workload(pid);
	free(wait_recording(rec, log));
	report = output("report.json");
	folded = output("cpu.folded");
	cr_assert(report && folded);
	snprintf(want, sizeof(want), "\"pid\": %d,", pid);
	cr_assert(strstr(report, want), "%.400s", report);
	/* its exit was seen through the foreign /proc: no pidfd of the host's PID from in there */
	cr_assert(strstr(report, "\"target_exited\": true"), "%.600s", report);
	/* threads the task iterator cannot see from in there are followed from their first switch */
	snprintf(want, sizeof(want), "\"tid\": %d,", pid);
	cr_assert(strstr(report, want), "its thread not accounted:\n%.900s", report);
	cr_log_info("--proc-root: %.1f%% of %lu samples named", named_share(folded), folded_sum(folded, ""));
	cr_assert_geq(named_share(folded), 90, "%s", folded);
	free(report);
	free(folded);
}

/* A child that joins cgroup dir, then becomes argv's workload. */
static pid_t start_in_cgroup(const char *cg, const char *workload, const char *seconds)
{
	char cmd[PATH_MAX + 512];

	snprintf(cmd, sizeof(cmd), "echo $$ > %s/cgroup.procs && exec %s %s", cg, workload, seconds);
	return start_workload((char *const[]){ "/bin/sh", "-c", cmd, NULL });
}

static bool in_json_list(const char *report, const char *key, pid_t pid)
{
	char want[64];

	snprintf(want, sizeof(want), "\"%s\": %d,", key, pid);
	return strstr(report, want) != NULL;
}

Test(container, every_process_of_a_cgroup_and_no_other)
{
	const char *root = cgroup_root();
	char cg[PATH_MAX], name[64], log[160], *report, *folded, *said;
	pid_t in1, in2, outside, rec;
	int status;

	require_root();
	cr_assert(root, "no cgroup v2 hierarchy");
	snprintf(name, sizeof(name), "agentprof-test-%d", getpid());
	snprintf(cg, sizeof(cg), "%s/%s", root, name);
	cr_assert_eq(mkdir(cg, 0755), 0, "mkdir %s: %s", cg, strerror(errno));
	in1 = start_in_cgroup(cg, WORKLOAD("hot8020"), "60");
	in2 = start_in_cgroup(cg, WORKLOAD("frames"), "60");
	outside = start_workload((char *const[]){ WORKLOAD("hot8020"), "60", NULL });
	/* no -d: it stops when the cgroup has emptied, 3 s after it is attached however long that took */
	snprintf(log, sizeof(log), "%s/record.log", dir);
	rec = start_recording((char *const[]){ AGENTPROF, "record", "--container", name, "-o", out, NULL }, log);
	sleep(3);
	stop_workload(in1);
	stop_workload(in2);
	cr_assert_eq(waitpid(rec, &status, 0), rec);
	stop_workload(outside);
	rmdir(cg);
	said = slurp(log);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "record failed: %s", said);
	report = output("report.json");
	folded = output("cpu.folded");
	cr_assert(report && folded);
	cr_assert(strstr(report, "\"target_exited\": true"), "did not stop when the cgroup emptied");
	cr_assert(strstr(report, cg), "no cgroup path in:\n%.600s", report);
	cr_assert(in_json_list(report, "pid", in1) && in_json_list(report, "pid", in2),
		  "processes %d and %d missing:\n%s", in1, in2, report);
	cr_assert(!in_json_list(report, "pid", outside), "process %d outside the cgroup recorded", outside);
	/* both binaries named: each process symbolized in its own maps */
	cr_assert_gt(folded_sum(folded, ";hot_eighty;"), 0, "%s", folded);
	cr_assert_gt(folded_sum(folded, ";random_r"), 0, "%s", folded);
	cr_assert(strstr(said, "2 processes"), "summary: %s", said);
	/* pprof tells the processes apart: a pid label on every sample */
	snprintf(path, sizeof(path), "gzip -dc %s/cpu.pb.gz | grep -c pid > /dev/null", out);
	cr_assert_eq(system(path), 0, "no pid label in cpu.pb.gz");
	cr_log_info("--container: %lu samples, hot8020 %lu, frames %lu", folded_sum(folded, ""),
		    folded_sum(folded, "hot8020;"), folded_sum(folded, "frames;") + folded_sum(folded, "late;"));
	free(report);
	free(folded);
	free(said);
}

Test(container, refuses_an_unknown_container_and_two_targets)
{
	struct run r;
	struct stat st;

	require_root();
	run_cmd((char *const[]){ AGENTPROF, "record", "--container", "no-such-container-0123", "-o", out, NULL }, &r);
	cr_assert_neq(r.status, 0);
	cr_assert_eq(count_lines(r.err), 1, "%s", r.err);
	cr_assert(strstr(r.err, "no cgroup under"), "%s", r.err);
	cr_assert_neq(stat(out, &st), 0, "left %s behind", out);
	run_free(&r);
	run_cmd((char *const[]){ AGENTPROF, "record", "-p", "1", "--container", "x", "-o", out, NULL }, &r);
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "not both"), "%s", r.err);
	run_free(&r);
	run_cmd((char *const[]){ AGENTPROF, "record", "--container", "/tmp", "-o", out, NULL }, &r);
	cr_assert(r.status != 0 && strstr(r.err, "is not in the cgroup v2 hierarchy"), "%s", r.err);
	run_free(&r);
}

Test(container, refuses_an_ambiguous_container_id)
{
	const char *root = cgroup_root();
	char a[PATH_MAX], b[PATH_MAX], id[64];
	struct run r;

	require_root();
	cr_assert(root);
	snprintf(id, sizeof(id), "agentprof-test-%d", getpid());
	snprintf(a, sizeof(a), "%s/%s-a", root, id);
	snprintf(b, sizeof(b), "%s/%s-b", root, id);
	cr_assert_eq(mkdir(a, 0755), 0);
	cr_assert_eq(mkdir(b, 0755), 0);
	run_cmd((char *const[]){ AGENTPROF, "record", "--container", id, "-o", out, NULL }, &r);
	rmdir(a);
	rmdir(b);
	cr_assert_neq(r.status, 0);
	cr_assert_eq(count_lines(r.err), 1, "%s", r.err);
	cr_assert(strstr(r.err, "ambiguous"), "%s", r.err);
	run_free(&r);
}

/* The capabilities README lists: agentprof runs with exactly these (bounding set of a root shell). */
static const struct {
	int cap;
	const char *name;
} minimal[] = { { 19, "CAP_SYS_PTRACE" }, { 34, "CAP_SYSLOG" }, { 38, "CAP_PERFMON" }, { 39, "CAP_BPF" } };

/* Records host with every capability but those of minimal[] (not `without`, and `extra`) dropped. */
static void record_with_caps(pid_t host, int without, int extra, struct run *r)
{
	char drop[256] = "--drop=", pidstr[16], *text = slurp("/proc/sys/kernel/cap_last_cap");
	int last = text ? atoi(text) : 40;

	free(text);
	for (int c = 0; c <= last; c++) {
		bool keep = c == extra;

		for (size_t i = 0; i < sizeof(minimal) / sizeof(minimal[0]); i++)
			keep |= minimal[i].cap == c && c != without;
		if (!keep)
			snprintf(drop + strlen(drop), sizeof(drop) - strlen(drop), "%s%d", drop[7] ? "," : "", c);
	}
	snprintf(pidstr, sizeof(pidstr), "%d", host);
	remove_tree(out);
	run_cmd((char *const[]){ "capsh", drop, "--shell=" AGENTPROF, "--", "record", "-p", pidstr, "-d", "2", "-o",
				 out, NULL }, r);
}

Test(container, minimal_capabilities_suffice_and_each_missing_one_is_named)
{
	struct run r;
	char *folded;
	pid_t ns, host;

	require_root();
	require_tool("/usr/sbin/capsh", "libcap2-bin");
	ns = start_namespaced(&host);
	record_with_caps(host, -1, -1, &r);
	cr_assert_eq(r.status, 0, "minimal capabilities: %s", r.err);
	cr_assert(!strstr(r.err, "CAP_"), "complains with every capability it needs: %s", r.err);
	folded = output("cpu.folded");
	cr_assert(folded);
	cr_assert_geq(named_share(folded), 90, "%s", folded);
	cr_assert_eq(folded_sum(folded, "[unknown]_[k]"), 0, "kernel frames unnamed:\n%s", folded);
	cr_log_info("minimal capabilities: %.1f%% named, %lu samples", named_share(folded), folded_sum(folded, ""));
	free(folded);
	run_free(&r);
	for (size_t i = 0; i < sizeof(minimal) / sizeof(minimal[0]); i++) {
		record_with_caps(host, minimal[i].cap, -1, &r);
		cr_assert(strstr(r.err, minimal[i].name), "without %s, stderr does not name it: %s", minimal[i].name,
			  r.err);
		cr_log_info("without %s: exit %d: %s", minimal[i].name, r.status, r.err);
		run_free(&r);
	}
	stop_workload(ns);
}

/* Span probes are uprobes, and the kernel's uprobe PMU takes CAP_SYS_ADMIN: without it, no spans, said once. */
Test(container, span_probes_need_cap_sys_admin)
{
	struct run r;
	char *spans;
	pid_t pid;

	require_root();
	require_tool("/usr/sbin/capsh", "libcap2-bin");
	pid = start_workload((char *const[]){ WORKLOAD("spans"), "30", NULL });
	record_with_caps(pid, -1, -1, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "uprobes need CAP_SYS_ADMIN): recording without spans"), "%s", r.err);
	spans = output("spans.jsonl");
	cr_assert(spans && !*spans, "spans without probes?");
	free(spans);
	run_free(&r);
	record_with_caps(pid, -1, 21 /* CAP_SYS_ADMIN */, &r);
	stop_workload(pid);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(!strstr(r.err, "CAP_"), "%s", r.err);
	spans = output("spans.jsonl");
	cr_assert(spans && count_lines(spans) > 0, "no spans with CAP_SYS_ADMIN");
	cr_log_info("spans: %d with CAP_SYS_ADMIN added, none without", count_lines(spans));
	free(spans);
	run_free(&r);
}

/*
 * In a cgroup namespace, /sys/fs/cgroup starts below the real root and depths read from it are
 * wrong: no process matches, and agentprof says why instead of recording nothing in silence.
 */
Test(container, says_when_the_cgroup_hierarchy_is_a_namespaces)
{
	const char *root = cgroup_root();
	char cg[PATH_MAX], inner[PATH_MAX + 8], cmd[3 * PATH_MAX];
	struct run r;
	pid_t pid;

	require_root();
	cr_assert(root);
	snprintf(cg, sizeof(cg), "%s/agentprof-test-%d", root, getpid());
	snprintf(inner, sizeof(inner), "%s/inner", cg);
	cr_assert_eq(mkdir(cg, 0755), 0);
	cr_assert_eq(mkdir(inner, 0755), 0);
	pid = start_in_cgroup(inner, WORKLOAD("hot8020"), "30");
	/* agentprof joins cg, whose cgroup namespace then sees cg as its root */
	snprintf(cmd, sizeof(cmd),
		 "echo $$ > %s/cgroup.procs && exec unshare -C -m --propagation private sh -c "
		 "'umount -l %s && mount -t cgroup2 none %s && exec %s record --container inner -d 1 -o %s'",
		 cg, root, root, AGENTPROF, out);
	run_cmd((char *const[]){ "unshare", "-m", "--propagation", "private", "sh", "-c", cmd, NULL }, &r);
	stop_workload(pid);
	rmdir(inner);
	rmdir(cg);
	cr_assert(strstr(r.err, "is /sys/fs/cgroup the host's hierarchy"), "%s", r.err);
	run_free(&r);
}
