// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Stacks through code without frame pointers: DWARF unwinding of sampled user stacks. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"

#define PYTHON "/usr/bin/python3"	/* Debian's: built without frame pointers */

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

/* Records pid for seconds with --unwind mode and returns its cpu.folded. */
static char *record_folded(pid_t pid, const char *seconds, const char *mode)
{
	char pidstr[16];
	struct run r;
	char *folded;

	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	remove_tree(out);
	run_cmd((char *const[]){ AGENTPROF, "record", "-p", pidstr, "-d", (char *)seconds, "--unwind",
				 (char *)mode, "-o", out, NULL }, &r);
	cr_assert_eq(r.status, 0, "record --unwind %s failed: %s", mode, r.err);
	run_free(&r);
	snprintf(path, sizeof(path), "%s/cpu.folded", out);
	folded = slurp(path);
	cr_assert(folded);
	return folded;
}

/* Sum of the counts of the lines whose stack ends (leaf) in leaf and contains needle. */
static uint64_t leaf_sum(const char *folded, const char *leaf, const char *needle)
{
	uint64_t sum = 0;
	size_t nleaf = strlen(leaf);

	for (const char *line = folded; *line;) {
		const char *end = strchr(line, '\n') ?: line + strlen(line);
		const char *count = end;

		while (count > line && count[-1] != ' ')
			count--;
		if (count - line > (long)nleaf + 1 && !strncmp(count - 1 - nleaf, leaf, nleaf) &&
		    count[-2 - nleaf] == ';' && (!needle[0] || memmem(line, end - line, needle, strlen(needle))))
			sum += strtoull(count, NULL, 10);
		line = *end ? end + 1 : end;
	}
	return sum;
}

TestSuite(unwind, .init = setup, .fini = teardown, .timeout = 90);

Test(unwind, qsort_callback_without_frame_pointers)
{
	uint64_t all, through;
	char *folded;
	pid_t pid;

	require_root();
	pid = start_workload((char *const[]){ WORKLOAD("nofp_qsort"), "30", NULL });
	folded = record_folded(pid, "3", "dwarf");
	all = leaf_sum(folded, "compare_keys", "");
	through = leaf_sum(folded, "compare_keys", ";main;sort_round;qsort");
	cr_log_info("dwarf: %lu of %lu samples in compare_keys unwind through qsort to main", through, all);
	cr_assert_gt(all, MIN_SAMPLES, "too few samples in the callback:\n%s", folded);
	cr_assert_geq(through, 0.9 * all, "%lu of %lu unwound to main:\n%s", through, all, folded);
	free(folded);

	/* the same by frame pointers: this workload really has none to follow */
	folded = record_folded(pid, "2", "fp");
	all = leaf_sum(folded, "compare_keys", "");
	through = leaf_sum(folded, "compare_keys", ";main;sort_round;qsort");
	cr_log_info("fp: %lu of %lu samples in compare_keys unwind through qsort to main", through, all);
	cr_assert_leq(through, 0.1 * all, "frame pointers unwound it:\n%s", folded);
	free(folded);
	stop_workload(pid);
}

/* Deeper than the copied stack pages: cut short, and said so at the root side, never a crash. */
Test(unwind, marks_stacks_deeper_than_the_copy)
{
	uint64_t all, cut;
	char *folded;
	pid_t pid;

	require_root();
	pid = start_workload((char *const[]){ WORKLOAD("nofp_deep"), NULL });
	folded = record_folded(pid, "2", "dwarf");
	stop_workload(pid);
	all = folded_sum(folded, "");
	cut = folded_sum(folded, "nofp_deep;[truncated];down;down;down;down;down;down;down;down;down;down;");
	cr_log_info("%lu of %lu samples marked [truncated] at the root, ten or more frames deep", cut, all);
	cr_assert_gt(all, MIN_SAMPLES);
	cr_assert_geq(cut, 0.9 * all, "%s", folded);
	free(folded);
}

#define TRACEFS "/sys/kernel/tracing"
#define URETPROBE "agentprof_test/sort_round_ret"

/* Writes s to a tracefs file in one write (stdio's "a" seeks, which tracefs refuses). */
static bool tracefs_write(const char *file, const char *s)
{
	char p[128];
	bool ok;
	int fd;

	snprintf(p, sizeof(p), TRACEFS "/%s", file);
	fd = open(p, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return false;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	return !close(fd) && ok;
}

static void remove_uretprobe(void)
{
	tracefs_write("events/" URETPROBE "/enable", "0");
	tracefs_write("uprobe_events", "-:" URETPROBE "\n");
}

/*
 * Someone else's uretprobe on sort_round (here one made through tracefs) makes it return to the
 * kernel's trampoline: the stack holds the trampoline's address where main's was, and the unwinder
 * must read the real one from the kernel's list.
 */
Test(unwind, restores_return_addresses_under_uretprobes, .fini = remove_uretprobe)
{
	char bin[4096], probe[4200];
	uint64_t off, all, through;
	char *folded;
	pid_t pid;

	require_root();
	cr_assert(realpath(WORKLOAD("nofp_qsort"), bin));
	off = elf_func_offset(bin, "sort_round");
	cr_assert_neq(off, 0, "no sort_round in %s", bin);
	if (access(TRACEFS "/uprobe_events", F_OK))
		system("mount -t tracefs tracefs " TRACEFS);
	snprintf(probe, sizeof(probe), "r:" URETPROBE " %s:0x%lx\n", bin, off);
	cr_assert(tracefs_write("uprobe_events", probe), "cannot add a uretprobe in " TRACEFS ": %s: %s", strerror(errno), probe);
	cr_assert(tracefs_write("events/" URETPROBE "/enable", "1"));

	pid = start_workload((char *const[]){ WORKLOAD("nofp_qsort"), "30", NULL });
	folded = record_folded(pid, "3", "dwarf");
	stop_workload(pid);
	all = leaf_sum(folded, "compare_keys", "");
	through = leaf_sum(folded, "compare_keys", ";main;sort_round;qsort");
	cr_log_info("under a uretprobe: %lu of %lu samples unwind through sort_round to main", through, all);
	cr_assert_gt(all, MIN_SAMPLES);
	cr_assert_geq(through, 0.9 * all, "%lu of %lu unwound:\n%s", through, all, folded);
	free(folded);
	remove_tree(dir);	/* .fini replaces the suite's teardown */
}

Test(unwind, through_debian_python)
{
	static const char busy[] =
		"import os, time\n"
		"print(os.getpid(), flush=True)\n"
		"def work(n):\n"
		"    s = 0\n"
		"    for i in range(n):\n"
		"        s += i * i\n"
		"    return s\n"
		"while True:\n"
		"    work(100000)\n";
	uint64_t all, rooted;
	char *folded;
	pid_t pid;

	require_root();
	require_tool(PYTHON, "python3");
	pid = start_workload((char *const[]){ PYTHON, "-c", (char *)busy, NULL });
	folded = record_folded(pid, "3", "dwarf");
	stop_workload(pid);
	all = folded_sum(folded, "");
	rooted = folded_sum(folded, ";Py_RunMain;");
	cr_log_info("%lu of %lu samples of python3 unwind to Py_RunMain", rooted, all);
	cr_assert_gt(all, MIN_SAMPLES);
	cr_assert_geq(rooted, 0.9 * all, "%lu of %lu unwound:\n%s", rooted, all, folded);
	/* the interpreter's eval frames, replaced by the Python frames they ran */
	cr_assert_gt(folded_sum(folded, ";PyEval_EvalCode;<module> (<string>:9);work (<string>:"), 0.5 * all, "%s",
		     folded);
	free(folded);
}

/* Code in anonymous memory is named by the target's perf map, its latest entry for an address. */
Test(unwind, names_jit_code_from_perf_map)
{
	uint64_t all, jit;
	char *folded;
	pid_t pid;

	require_root();
	pid = start_workload((char *const[]){ WORKLOAD("jit"), "30", NULL });
	char map[64];

	folded = record_folded(pid, "2", "dwarf");
	stop_workload(pid);
	snprintf(map, sizeof(map), "/tmp/perf-%d.map", pid);
	unlink(map);
	all = folded_sum(folded, "");
	jit = folded_sum(folded, "jitted_spin [jit]");
	cr_log_info("%lu of %lu samples in the JIT-compiled code, named", jit, all);
	cr_assert_geq(jit, 0.8 * all, "%lu of %lu:\n%s", jit, all, folded);
	cr_assert_eq(folded_sum(folded, "stale_entry"), 0, "an overwritten entry named the code");
	free(folded);
}

/* Node's JIT with --perf-basic-prof: JavaScript functions named, stacks unwound through V8. */
Test(unwind, names_node_functions)
{
	static const char busy[] =
		"console.log(process.pid);\n"
		"function hotLoop(n) { let s = 0; for (let i = 0; i < n; i++) s += i * i % 7; return s; }\n"
		"for (;;) hotLoop(1e7);\n";
	uint64_t all, named, rooted;
	char *folded, map[64];
	pid_t pid;

	require_root();
	require_tool("/usr/bin/node", "nodejs");
	pid = start_workload((char *const[]){ "/usr/bin/node", "--perf-basic-prof", "--logfile=/dev/null",
						"--no-logfile-per-isolate", "-e", (char *)busy, NULL });
	sleep(1);	/* hotLoop gets optimized, and named again */
	folded = record_folded(pid, "2", "dwarf");
	stop_workload(pid);
	snprintf(map, sizeof(map), "/tmp/perf-%d.map", pid);
	unlink(map);
	all = folded_sum(folded, "");
	named = folded_sum(folded, "hotLoop ");
	rooted = folded_sum(folded, ";node::Start;");
	cr_log_info("node: %lu of %lu samples in hotLoop, %lu unwound to node::Start", named, all, rooted);
	cr_assert_geq(named, 0.8 * all, "%s", folded);
	cr_assert_geq(rooted, 0.8 * all, "%s", folded);
	free(folded);
}
