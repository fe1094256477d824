// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Python frames in stacks, on the real interpreters: Debian's python3 (3.11, no frame pointers) and
 * pyenv's 3.11, 3.12 and 3.13 where present; hostile interpreter memory; a target that exits.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "target/cgroup.h"
#include "harness.h"

#define PYTHON "/usr/bin/python3"
#define PYENV "/root/.pyenv/versions/"
#define CHAIN "<module> (pystack.py:", "main (pystack.py:", "outer (pystack.py:", "middle (pystack.py:"

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

TestSuite(python, .init = setup, .fini = teardown, .timeout = 90);

static void require_interpreter(const char *python)
{
	if (!strncmp(python, PYENV, strlen(PYENV)))
		cr_assert(have(python), "%s is missing: pyenv's builds come with this kind of machine", python);
	require_tool(python, "python3");
}

/* Records pid for seconds (NULL: until it exits); returns what record printed on stderr. */
static char *record(pid_t pid, const char *seconds, const char *extra)
{
	char pidstr[16], *err;
	char *argv[] = { AGENTPROF, "record", "-p", pidstr, "-o", out, "-d", (char *)seconds, NULL, NULL };
	struct run r;

	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	if (!seconds)
		argv[6] = (char *)extra;
	else
		argv[8] = (char *)extra;
	run_cmd(argv, &r);
	cr_assert_eq(r.status, 0, "record failed: %s", r.err);
	err = strdup(r.err);
	run_free(&r);
	return err;
}

static char *output(const char *file)
{
	char path[192], *s;

	snprintf(path, sizeof(path), "%s/%s", out, file);
	s = slurp(path);
	cr_assert(s, "no %s", path);
	return s;
}

/* Whether line holds the needles in this order. */
static bool in_order(const char *line, const char *const *needles, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		line = strstr(line, needles[i]);
		if (!line)
			return false;
		line += strlen(needles[i]);
	}
	return true;
}

struct tally {
	uint64_t total, chain, a, b;
};

/* The samples of the main thread (comm python3): with the whole chain, in hot_a, in hot_b. */
static struct tally tally_cpu(const char *folded)
{
	static const char *const chain[] = { "python3;", CHAIN };
	struct tally t = {};

	for (const char *line = folded; *line;) {
		const char *end = strchr(line, '\n') ?: line + strlen(line);
		char buf[8192];
		size_t len = end - line < (long)sizeof(buf) - 1 ? (size_t)(end - line) : sizeof(buf) - 1;
		uint64_t n;

		memcpy(buf, line, len);
		buf[len] = '\0';
		line = *end ? end + 1 : end;
		if (strncmp(buf, "python3;", 8) || !strrchr(buf, ' '))
			continue;
		n = strtoull(strrchr(buf, ' ') + 1, NULL, 10);
		t.total += n;
		if (in_order(buf, chain, 5) && (strstr(buf, "hot_a (") || strstr(buf, "hot_b (")))
			t.chain += n;
		if (strstr(buf, "middle (pystack.py:") && strstr(buf, "hot_a (pystack.py:"))
			t.a += n;
		if (strstr(buf, "middle (pystack.py:") && strstr(buf, "hot_b (pystack.py:"))
			t.b += n;
	}
	return t;
}

/*
 * The acceptance check of Python frames on one interpreter: >= 90% of the main thread's samples
 * show <module> -> main -> outer -> middle -> hot_a/hot_b in that order, the split between hot_a
 * and hot_b within 10 points of the workload's 70/30, the napper thread's sleeps in nap(), and the
 * dozer's in doze(), which began before the recording.
 * option: one more for record (NULL: none).
 */
static void check_interpreter(const char *python, const char *option)
{
	char *err, *cpu, *offcpu;
	struct tally t;
	pid_t pid;

	require_root();
	require_interpreter(python);
	pid = start_workload((char *const[]){ (char *)python, "tests/workloads/pystack.py", "30", NULL });
	err = record(pid, "4", option);
	stop_workload(pid);
	cpu = output("cpu.folded");
	offcpu = output("offcpu.folded");
	t = tally_cpu(cpu);
	cr_assert_gt(t.total, 50, "%s: %llu samples (a loaded machine?)", python, (unsigned long long)t.total);
	cr_expect_geq(t.chain * 100, t.total * 90, "%s: %llu of %llu samples with the Python chain:\n%.3000s", python,
		      (unsigned long long)t.chain, (unsigned long long)t.total, cpu);
	cr_expect(t.a * 100 >= (t.a + t.b) * 60 && t.a * 100 <= (t.a + t.b) * 80,
		  "%s: hot_a %llu, hot_b %llu: not 70/30 within 10 points", python, (unsigned long long)t.a,
		  (unsigned long long)t.b);
	cr_expect(strstr(offcpu, "napper;[sleep];") && strstr(offcpu, "nap (pystack.py:"),
		  "%s: no nap() in offcpu.folded:\n%.3000s", python, offcpu);
	/* asleep since before recording: no native stack, but its Python frames */
	cr_expect(folded_sum(offcpu, "[sleep];[since before recording];Thread._bootstrap (threading.py:") &&
		  strstr(offcpu, "doze (pystack.py:"), "%s: no doze() in offcpu.folded:\n%.3000s", python, offcpu);
	fprintf(stderr, "python: %s %s: %.1f%% of %llu samples with the Python chain, hot_a %.1f%% (truth 70%%)\n",
		python, option ?: "", 100.0 * t.chain / t.total, (unsigned long long)t.total, 100.0 * t.a / (t.a + t.b));
	free(err);
	free(cpu);
	free(offcpu);
}

Test(python, debian_python3_frames)
{
	check_interpreter(PYTHON, NULL);
}

/* frame pointers stop early in Debian's python3: the Python frames not reached go at the root */
Test(python, debian_python3_frames_on_frame_pointer_stacks)
{
	check_interpreter(PYTHON, "--unwind=fp");
}

Test(python, pyenv_311_frames)
{
	check_interpreter(PYENV "3.11.7/bin/python3", NULL);
}

Test(python, pyenv_312_frames)
{
	check_interpreter(PYENV "3.12.1/bin/python3", NULL);
}

Test(python, pyenv_313_frames)
{
	check_interpreter(PYENV "3.13.0/bin/python3", NULL);
}

Test(python, no_line_numbers_on_request)
{
	char *err, *cpu;
	pid_t pid;

	require_root();
	require_interpreter(PYTHON);
	pid = start_workload((char *const[]){ PYTHON, "tests/workloads/pystack.py", "30", NULL });
	err = record(pid, "2", "--no-py-lines");
	stop_workload(pid);
	cpu = output("cpu.folded");
	cr_expect(strstr(cpu, "middle (pystack.py);hot_a (pystack.py)"), "%.2000s", cpu);
	cr_expect(!strstr(cpu, "pystack.py:"), "line numbers left in:\n%.2000s", cpu);
	free(err);
	free(cpu);
}

/* 100 frames of recursion: the 64 innermost are walked, the cut marked above the outermost walked. */
Test(python, deep_stacks_are_marked_truncated)
{
	char *err, *cpu;
	struct tally t;
	pid_t pid;

	require_root();
	require_interpreter(PYTHON);
	pid = start_workload((char *const[]){ PYTHON, "tests/workloads/pystack.py", "30", "deep", NULL });
	err = record(pid, "2", NULL);
	stop_workload(pid);
	cpu = output("cpu.folded");
	t = tally_cpu(cpu);
	cr_expect_gt(folded_sum(cpu, "[python stack truncated];recurse (pystack.py:"), 0, "%.2000s", cpu);
	cr_expect_gt(t.a, 0, "the leaf side is still there");
	free(err);
	free(cpu);
}

/*
 * The target exits while recorded (2 s after record is attached, however long that took on a
 * loaded machine): record ends, writes everything, the Python frames named.
 */
Test(python, target_exits_while_read)
{
	char log[160], pidstr[16], *cpu;
	pid_t pid, rec;

	require_root();
	require_interpreter(PYTHON);
	pid = start_workload((char *const[]){ PYTHON, "tests/workloads/pystack.py", "60", NULL });
	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	snprintf(log, sizeof(log), "%s/record.log", dir);
	rec = start_recording((char *const[]){ AGENTPROF, "record", "-p", pidstr, "-o", out, NULL }, log);
	sleep(2);
	stop_workload(pid);
	free(wait_recording(rec, log));
	cpu = output("cpu.folded");
	cr_expect_gt(folded_sum(cpu, "middle (pystack.py:"), 0, "%.2000s", cpu);
	free(cpu);
}

/* Hostile interpreter memory: the stack ends, marked, and neither side crashes or loops. */
static void check_hostile(const char *mode, const char *needle)
{
	char *err, *cpu;
	pid_t pid;

	require_root();
	require_interpreter(PYTHON);
	pid = start_workload((char *const[]){ PYTHON, "tests/workloads/pyhostile.py", (char *)mode, "30", NULL });
	err = record(pid, "2", NULL);
	cr_expect_eq(kill(pid, 0), 0, "the target died");
	stop_workload(pid);
	cpu = output("cpu.folded");
	cr_expect_gt(folded_sum(cpu, needle), 0, "%s: no '%s' in:\n%.2000s", mode, needle, cpu);
	free(err);
	free(cpu);
}

Test(python, hostile_frame_cycle)
{
	check_hostile("cycle", "[python stack truncated];hostile (pyhostile.py:");
}

Test(python, hostile_wild_pointer)
{
	check_hostile("wild", "[python stack truncated];hostile (pyhostile.py:");
}

Test(python, hostile_code_object)
{
	check_hostile("code", "[unknown python code];hostile (pyhostile.py:");
}

/*
 * A container of two Python processes (Debian's 3.11, and pyenv's 3.12 where present): each
 * process's frames walked with its own interpreter's offsets and named from its own memory.
 */
Test(python, every_python_process_of_a_container)
{
	const char *root = cgroup_root(), *other = PYENV "3.12.1/bin/python3";
	char cg[PATH_MAX], name[64], cmd[PATH_MAX + 256], log[160], *cpu, *said;
	pid_t in[2], rec;
	struct tally t;
	int status;

	require_root();
	cr_assert(root, "no cgroup v2 hierarchy");
	if (access(other, X_OK))
		other = PYTHON;
	snprintf(name, sizeof(name), "agentprof-pytest-%d", getpid());
	snprintf(cg, sizeof(cg), "%s/%s", root, name);
	cr_assert_eq(mkdir(cg, 0755), 0, "mkdir %s: %s", cg, strerror(errno));
	for (int i = 0; i < 2; i++) {
		snprintf(cmd, sizeof(cmd), "echo $$ > %s/cgroup.procs && exec %s tests/workloads/pystack.py 60", cg,
			 i ? other : PYTHON);
		in[i] = start_workload((char *const[]){ "/bin/sh", "-c", cmd, NULL });
	}
	/* no -d: it stops when the cgroup has emptied, 3 s after it is attached however long that took */
	snprintf(log, sizeof(log), "%s/record.log", dir);
	rec = start_recording((char *const[]){ AGENTPROF, "record", "--container", name, "-o", out, NULL }, log);
	sleep(3);
	stop_workload(in[0]);
	stop_workload(in[1]);
	cr_assert_eq(waitpid(rec, &status, 0), rec);
	rmdir(cg);
	said = slurp(log);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "record failed: %s", said);
	free(said);
	cpu = output("cpu.folded");
	t = tally_cpu(cpu);
	fprintf(stderr, "python: a container of %s and %s: %.1f%% of %llu samples with the Python chain\n", PYTHON,
		other, 100.0 * t.chain / (t.total ?: 1), (unsigned long long)t.total);
	cr_assert_gt(t.total, MIN_SAMPLES);
	cr_expect_geq(t.chain * 100, t.total * 90, "%llu of %llu samples with the Python chain:\n%.3000s",
		      (unsigned long long)t.chain, (unsigned long long)t.total, cpu);
	free(cpu);
}
