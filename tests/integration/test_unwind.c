// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Stacks through code without frame pointers: DWARF unwinding of sampled user stacks. */
#include <criterion/criterion.h>
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
	through = leaf_sum(folded, "compare_keys", ";main;qsort");
	cr_log_info("dwarf: %lu of %lu samples in compare_keys unwind through qsort to main", through, all);
	cr_assert_gt(all, 50, "too few samples in the callback:\n%s", folded);
	cr_assert_geq(through, 0.9 * all, "%lu of %lu unwound to main:\n%s", through, all, folded);
	free(folded);

	/* the same by frame pointers: this workload really has none to follow */
	folded = record_folded(pid, "2", "fp");
	all = leaf_sum(folded, "compare_keys", "");
	through = leaf_sum(folded, "compare_keys", ";main;qsort");
	cr_log_info("fp: %lu of %lu samples in compare_keys unwind through qsort to main", through, all);
	cr_assert_leq(through, 0.1 * all, "frame pointers unwound it:\n%s", folded);
	free(folded);
	stop_workload(pid);
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
	if (access(PYTHON, X_OK))
		cr_skip_test(PYTHON " is not installed");
	pid = start_workload((char *const[]){ PYTHON, "-c", (char *)busy, NULL });
	folded = record_folded(pid, "3", "dwarf");
	stop_workload(pid);
	all = folded_sum(folded, "");
	rooted = folded_sum(folded, ";Py_RunMain;");
	cr_log_info("%lu of %lu samples of python3 unwind to Py_RunMain", rooted, all);
	cr_assert_gt(all, 50);
	cr_assert_geq(rooted, 0.9 * all, "%lu of %lu unwound:\n%s", rooted, all, folded);
	cr_assert_gt(folded_sum(folded, ";_PyEval_EvalFrameDefault"), 0.5 * all, "%s", folded);
	free(folded);
}
