// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Ruby frames in stacks, on Debian's ruby3.1 (libruby without frame pointers): a Ruby agent with
 * methods, blocks and two threads that take turns holding the GVL; a thread asleep before
 * recording; deep stacks. (A Ruby whose version is not read: test_versions.c.)
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"

#define RUBY "/usr/bin/ruby3.1"
#define AGENT "tests/workloads/rbagent.rb"

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

TestSuite(ruby, .init = setup, .fini = teardown, .timeout = 90);

/* Records pid for seconds with one more option (NULL: none); returns what record printed (stdout, stderr). */
static void record(pid_t pid, const char *seconds, const char *extra, struct run *r)
{
	char pidstr[16];
	char *argv[] = { AGENTPROF, "record", "-v", "-p", pidstr, "-o", out, "-d", (char *)seconds, (char *)extra, NULL };

	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	run_cmd(argv, r);
	cr_assert_eq(r->status, 0, "record failed: %s", r->err);
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
	uint64_t in_ruby;	/* samples of the two busy threads running Ruby code (rb_vm_exec on the stack) */
	uint64_t named;		/* of those, with a named Ruby frame and its line */
	uint64_t chain;		/* with block in <main> -> plan_steps -> block in plan_steps -> crunch_tokens */
};

static struct tally tally_cpu(const char *folded)
{
	static const char *const chain[] = { "block in <main> (rbagent.rb:", "plan_steps (rbagent.rb:",
					     "block in plan_steps (rbagent.rb:", "crunch_tokens (rbagent.rb:" };
	struct tally t = {};

	for (const char *line = folded; *line;) {
		const char *end = strchr(line, '\n') ?: line + strlen(line);
		char buf[16384];
		size_t len = end - line < (long)sizeof(buf) - 1 ? (size_t)(end - line) : sizeof(buf) - 1;
		uint64_t n;

		memcpy(buf, line, len);
		buf[len] = '\0';
		line = *end ? end + 1 : end;
		if ((strncmp(buf, "rb-main;", 8) && strncmp(buf, "rb-worker;", 10)) || !strrchr(buf, ' ') ||
		    !strstr(buf, ";rb_vm_exec;"))
			continue;
		n = strtoull(strrchr(buf, ' ') + 1, NULL, 10);
		t.in_ruby += n;
		if (strstr(buf, " (rbagent.rb:"))
			t.named += n;
		if (in_order(buf, chain, 4))
			t.chain += n;
	}
	return t;
}

/* The name of report.json's top self function. */
static char *top_function(void)
{
	json_t *r = load_json(out, "report.json");
	const char *name = json_string_value(json_object_get(json_array_get(json_object_get(r, "top_functions"), 0), "name"));
	char *s = strdup(name ?: "");

	json_decref(r);
	return s;
}

/*
 * The acceptance check: >= 90% of the samples in Ruby code carry named Ruby frames with file:line
 * (and most of them the whole chain of blocks and methods), and the hot method is the top self
 * function under its Ruby name.
 */
Test(ruby, frames_named_with_file_and_line)
{
	char *cpu, *top;
	struct tally t;
	struct run r;
	pid_t pid;

	require_root();
	require_tool(RUBY, "ruby3.1");
	pid = start_workload((char *const[]){ RUBY, AGENT, "30", NULL });
	record(pid, "4", NULL, &r);
	stop_workload(pid);
	cr_expect(strstr(r.err, "Ruby 3.1."), "no word of Ruby frames: %s", r.err);
	cpu = output("cpu.folded");
	t = tally_cpu(cpu);
	fprintf(stderr, "ruby: %.1f%% of %llu samples in Ruby code with named Ruby frames, %.1f%% with the whole chain\n",
		100.0 * t.named / (t.in_ruby ?: 1), (unsigned long long)t.in_ruby, 100.0 * t.chain / (t.in_ruby ?: 1));
	cr_assert_gt(t.in_ruby, MIN_SAMPLES, "%llu samples in Ruby code:\n%.3000s", (unsigned long long)t.in_ruby, cpu);
	cr_expect_geq(t.named * 100, t.in_ruby * 90, "%llu of %llu samples with named Ruby frames:\n%.3000s",
		      (unsigned long long)t.named, (unsigned long long)t.in_ruby, cpu);
	cr_expect_geq(t.chain * 100, t.in_ruby * 80, "%llu of %llu samples with the chain:\n%.3000s",
		      (unsigned long long)t.chain, (unsigned long long)t.in_ruby, cpu);
	cr_expect(!strstr(cpu, "rbagent.rb:0)"), "Init_VM's toplevel frame left in:\n%.3000s", cpu);
	top = top_function();
	cr_expect(!strncmp(top, "crunch_tokens (rbagent.rb:", 26), "top self function %s", top);
	free(top);
	free(cpu);
	run_free(&r);
}

/* Two busy threads take turns with the GVL: the one waiting waits on a lock, in its Ruby frames. */
Test(ruby, gvl_waits_are_lock_waits)
{
	json_t *report, *threads, *th;
	char *offcpu;
	struct run r;
	size_t i;
	pid_t pid;

	require_root();
	require_tool(RUBY, "ruby3.1");
	pid = start_workload((char *const[]){ RUBY, AGENT, "30", NULL });
	record(pid, "3", NULL, &r);
	stop_workload(pid);
	report = load_json(out, "report.json");
	threads = json_object_get(report, "threads");
	json_array_foreach(threads, i, th) {
		const char *comm = json_string_value(json_object_get(th, "comm"));
		json_t *ns = json_object_get(th, "breakdown_ns");
		double lock = json_integer_value(json_object_get(ns, "lock")), idle = json_integer_value(json_object_get(ns, "idle"));
		double wall = json_integer_value(json_object_get(th, "wall_ns"));

		if (!comm || (strcmp(comm, "rb-main") && strcmp(comm, "rb-worker")))
			continue;
		/* each holds the GVL about half the time it is not waiting for a CPU */
		cr_expect_gt(lock, wall * 0.2, "%s: lock %.0f of %.0f ns", comm, lock, wall);
		cr_expect_lt(idle, wall * 0.1, "%s: idle %.0f of %.0f ns: GVL waits read as idle?", comm, idle, wall);
	}
	offcpu = output("offcpu.folded");
	cr_expect_gt(folded_sum(offcpu, "[lock];") , 0, "%.3000s", offcpu);
	cr_expect(strstr(offcpu, "rb-worker;[lock];") && strstr(offcpu, "crunch_tokens (rbagent.rb:"),
		  "no GVL wait in its Ruby frames:\n%.3000s", offcpu);
	/* asleep since before recording: no native stack, but its Ruby frames */
	cr_expect_gt(folded_sum(offcpu, "[since before recording];"), 0, "%.3000s", offcpu);
	cr_expect(strstr(offcpu, "rb-dozer;") && strstr(offcpu, "doze (rbagent.rb:"), "no doze() in:\n%.3000s", offcpu);
	json_decref(report);
	free(offcpu);
	run_free(&r);
}

Test(ruby, no_line_numbers_on_request)
{
	char *cpu, *top;
	struct run r;
	pid_t pid;

	require_root();
	require_tool(RUBY, "ruby3.1");
	pid = start_workload((char *const[]){ RUBY, AGENT, "30", NULL });
	record(pid, "2", "--no-py-lines", &r);
	stop_workload(pid);
	cpu = output("cpu.folded");
	cr_expect(strstr(cpu, "block in plan_steps (rbagent.rb);crunch_tokens (rbagent.rb)"), "%.2000s", cpu);
	cr_expect(!strstr(cpu, "rbagent.rb:"), "line numbers left in:\n%.2000s", cpu);
	top = top_function();
	cr_expect_str_eq(top, "crunch_tokens (rbagent.rb)");
	free(top);
	free(cpu);
	run_free(&r);
}

/* 100 frames of recursion: the 64 innermost are walked, the cut marked above the outermost walked. */
Test(ruby, deep_stacks_are_marked_truncated)
{
	char *cpu;
	struct run r;
	pid_t pid;

	require_root();
	require_tool(RUBY, "ruby3.1");
	pid = start_workload((char *const[]){ RUBY, AGENT, "30", "deep", NULL });
	record(pid, "2", NULL, &r);
	stop_workload(pid);
	cpu = output("cpu.folded");
	cr_expect_gt(folded_sum(cpu, "[ruby stack truncated];"), 0, "%.2000s", cpu);
	cr_expect_gt(folded_sum(cpu, "crunch_tokens (rbagent.rb:"), 0, "the leaf side is still there");
	free(cpu);
	run_free(&r);
}
