// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * JavaScript frames in stacks, on the installed node (v20, V8 11.3), started without flags as
 * every Node service is: planSteps burns three times the CPU of scoreTools, both called from
 * agentLoop, both calling the math builtin. (A V8 whose version is not read: test_versions.c.)
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"

#define NODE "/usr/bin/node"
#define AGENT "tests/workloads/nodeagent.mjs"

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

TestSuite(node, .init = setup, .fini = teardown, .timeout = 90);

static char *record_agent(struct run *r)
{
	char pidstr[16], path[192], *cpu;
	pid_t pid;

	require_root();
	require_tool(NODE, "nodejs");
	pid = start_workload((char *const[]){ NODE, AGENT, "30", NULL });
	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	run_cmd((char *const[]){ AGENTPROF, "record", "-v", "-p", pidstr, "-o", out, "-d", "4", "-F", "199", NULL }, r);
	stop_workload(pid);
	cr_assert_eq(r->status, 0, "record failed: %s", r->err);
	snprintf(path, sizeof(path), "%s/cpu.folded", out);
	cpu = slurp(path);
	cr_assert(cpu, "no %s", path);
	return cpu;
}

/* The samples of lines that hold a, then b further on (b NULL: a alone). */
static uint64_t sum_in_order(const char *folded, const char *a, const char *b)
{
	uint64_t n = 0;

	for (const char *line = folded; *line;) {
		const char *end = strchr(line, '\n') ?: line + strlen(line);
		char buf[16384];
		size_t len = end - line < (long)sizeof(buf) - 1 ? (size_t)(end - line) : sizeof(buf) - 1;
		const char *at;

		memcpy(buf, line, len);
		buf[len] = '\0';
		line = *end ? end + 1 : end;
		if (!strrchr(buf, ' ') || !(at = strstr(buf, a)) || (b && !strstr(at + strlen(a), b)))
			continue;
		n += strtoull(strrchr(buf, ' ') + 1, NULL, 10);
	}
	return n;
}

/*
 * The acceptance check: the hot functions are named with their script and line, under the loop
 * that calls them, at their shares (3:1 of the work), with the math builtin below them.
 */
Test(node, js_frames_named_in_order_at_their_shares)
{
	uint64_t total, plan, score, chain, sin_below, sin_total, unknown;
	struct run r;
	char *cpu = record_agent(&r);

	cr_expect(strstr(r.err, "V8 11."), "no word of JavaScript frames: %s", r.err);
	total = folded_sum(cpu, "");
	plan = sum_in_order(cpu, ";JS:planSteps (nodeagent.mjs:4)", NULL);
	score = sum_in_order(cpu, ";JS:scoreTools (nodeagent.mjs:10)", NULL);
	chain = sum_in_order(cpu, ";JS:agentLoop (nodeagent.mjs:16);JS:planSteps (nodeagent.mjs:4)", NULL) +
		sum_in_order(cpu, ";JS:agentLoop (nodeagent.mjs:16);JS:scoreTools (nodeagent.mjs:10)", NULL);
	sin_total = sum_in_order(cpu, "ieee754::sin", NULL);
	sin_below = sum_in_order(cpu, ";JS:planSteps (", "ieee754::sin") + sum_in_order(cpu, ";JS:scoreTools (", "ieee754::sin");
	unknown = sum_in_order(cpu, ";JS:agentLoop (", ";[unknown]");
	fprintf(stderr, "node: %llu samples: planSteps %.1f%%, scoreTools %.1f%%, chain %.1f%%, sin under them %llu of %llu\n",
		(unsigned long long)total, 100.0 * plan / (total ?: 1), 100.0 * score / (total ?: 1),
		100.0 * chain / (total ?: 1), (unsigned long long)sin_below, (unsigned long long)sin_total);
	cr_assert_gt(total, MIN_SAMPLES, "%llu samples:\n%.3000s", (unsigned long long)total, cpu);
	/* the two take ~97% of the CPU between them, 3:1 */
	cr_expect_geq((plan + score) * 100, total * 85, "planSteps %llu + scoreTools %llu of %llu:\n%.3000s",
		      (unsigned long long)plan, (unsigned long long)score, (unsigned long long)total, cpu);
	cr_expect_geq(plan * 100, (plan + score) * 65, "planSteps %llu, scoreTools %llu", (unsigned long long)plan,
		      (unsigned long long)score);
	cr_expect_leq(plan * 100, (plan + score) * 85, "planSteps %llu, scoreTools %llu", (unsigned long long)plan,
		      (unsigned long long)score);
	cr_expect_geq(chain * 100, (plan + score) * 90, "%llu of %llu under agentLoop:\n%.3000s",
		      (unsigned long long)chain, (unsigned long long)(plan + score), cpu);
	cr_expect_gt(sin_total, 0, "no math builtin:\n%.3000s", cpu);
	cr_expect_eq(sin_below, sin_total, "math builtin above the JavaScript frames:\n%.3000s", cpu);
	cr_expect(!strstr(cpu, "[unknown js code]"), "a native frame taken for JavaScript:\n%.3000s", cpu);
	cr_expect_leq(unknown * 100, total * 5, "%llu samples with [unknown] under agentLoop:\n%.3000s",
		      (unsigned long long)unknown, cpu);
	free(cpu);
	run_free(&r);
}
