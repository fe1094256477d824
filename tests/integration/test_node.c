// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * JavaScript frames in stacks, on the installed node (v20, V8 11.3), started without flags as
 * every Node service is: planSteps burns three times the CPU of scoreTools, both called from
 * agentLoop, both calling the math builtin. And an agent as services are written (jsagent.mjs): a
 * node:http server under load (asyncload.py) whose async handler's class method, arrow function
 * and TurboFan-optimized function burn its CPU around one LLM call to a mock API (asyncllm.py),
 * recorded as it runs, in each tier V8 can run it, and with --perf-basic-prof. (A V8 whose version
 * is not read: test_versions.c.)
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"

#define NODE "/usr/bin/node"
#define AGENT "tests/workloads/nodeagent.mjs"
#define JSAGENT "tests/workloads/jsagent.mjs"
#define PYTHON "/usr/bin/python3"

static char dir[64], out[128], llm_port[128], llm_log[128], agent_port[128];

static void setup(void)
{
	make_tmpdir(dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(llm_port, sizeof(llm_port), "%s/llm.port", dir);
	snprintf(llm_log, sizeof(llm_log), "%s/llm.log", dir);
	snprintf(agent_port, sizeof(agent_port), "%s/agent.port", dir);
}

static void teardown(void)
{
	remove_tree(dir);
}

TestSuite(node, .init = setup, .fini = teardown, .timeout = 180);

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

/* The 1-based line of the first line of jsagent.mjs that starts with (indented) prefix. */
static unsigned int line_of(const char *prefix)
{
	char *src = slurp(JSAGENT);
	unsigned int line = 1, found = 0;

	cr_assert(src, "no %s", JSAGENT);
	for (const char *p = src; *p && !found; line++) {
		const char *q = p + strspn(p, " ");

		if (!strncmp(q, prefix, strlen(prefix)))
			found = line;
		p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p);
	}
	free(src);
	cr_assert(found, "%s has no line starting with %s", JSAGENT, prefix);
	return found;
}

/* What jsagent.mjs's stacks are asserted on: its functions' frames as agentprof names them. */
struct jsnames {
	char plan[64], rank[64], digest[64], handle[64], policy[64];
};

static void js_names(struct jsnames *n)
{
	snprintf(n->plan, sizeof(n->plan), ";JS:plan (jsagent.mjs:%u)", line_of("plan(n) {"));
	snprintf(n->rank, sizeof(n->rank), ";JS:rankTools (jsagent.mjs:%u)", line_of("const rankTools = "));
	snprintf(n->digest, sizeof(n->digest), ";JS:digest (jsagent.mjs:%u)", line_of("function digest("));
	snprintf(n->handle, sizeof(n->handle), ";JS:handleTask (jsagent.mjs:%u)", line_of("async function handleTask("));
	snprintf(n->policy, sizeof(n->policy), ";JS:readPolicy (jsagent.mjs:%u)", line_of("function readPolicy("));
}

/*
 * V8's tier of plan, rankTools and digest once the agent has served a while, as
 * %GetOptimizationStatus says in a run of the agent's own code with `flags` (and
 * --allow-natives-syntax, which only this check run gets): "served plan=T rankTools=T digest=T".
 */
static char *tiers_of(const char *flag)
{
	static char line[256];
	struct run r;
	char *at;

	run_cmd((char *const[]){ NODE, "--allow-natives-syntax", (char *)(flag ?: "--turbofan"), JSAGENT, "tiers", NULL }, &r);
	cr_assert_eq(r.status, 0, "node %s %s tiers: %s", flag ?: "", JSAGENT, r.err);
	at = strstr(r.out, "served ");
	cr_assert(at, "no tiers: %s", r.out);
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(at, "\n"), at);
	fprintf(stderr, "node %s: %s; warm-up: %.*s\n", flag ?: "", line, (int)strcspn(r.out, "\n"), r.out);
	run_free(&r);
	return line;
}

/*
 * Records jsagent.mjs (node started with flag, NULL: none) 4 s while asyncload.py posts 3 tasks
 * at a time, each making one call to asyncllm.py; returns cpu.folded, out holds the rest.
 * no_walker: with AGENTPROF_NO_NODE=1. *perf_map: whether /tmp/perf-PID.map existed.
 */
static char *record_jsagent(const char *flag, bool no_walker, struct run *r, bool *perf_map)
{
	char llm_url[128], task_url[128], pidstr[16], path[192], *port, *cpu;
	pid_t llm, agent, load;

	require_root();
	require_tool(NODE, "nodejs");
	require_tool(PYTHON, "python3");
	cr_assert(!system(PYTHON " -c 'import aiohttp, httpx'"),
		  "python3-aiohttp and python3-httpx are missing (tools/deps.sh test installs them)");
	llm = start_workload((char *const[]){ PYTHON, "tests/workloads/asyncllm.py", llm_port, llm_log, NULL });
	port = read_port(llm_port);
	snprintf(llm_url, sizeof(llm_url), "http://127.0.0.1:%s/v1/chat/completions", port);
	free(port);
	if (flag)	/* V8 would write its log (isolate-*.log) into the working directory */
		agent = start_workload((char *const[]){ NODE, (char *)flag, "--logfile=/dev/null", JSAGENT, agent_port,
							llm_url, NULL });
	else
		agent = start_workload((char *const[]){ NODE, JSAGENT, agent_port, llm_url, NULL });
	port = read_port(agent_port);
	snprintf(task_url, sizeof(task_url), "http://127.0.0.1:%s/task", port);
	free(port);
	load = start_workload((char *const[]){ PYTHON, "tests/workloads/asyncload.py", task_url, "3", "bare", NULL });
	snprintf(pidstr, sizeof(pidstr), "%d", agent);
	if (no_walker)
		setenv("AGENTPROF_NO_NODE", "1", 1);
	remove_tree(out);
	run_cmd((char *const[]){ AGENTPROF, "record", "-v", "-p", pidstr, "-o", out, "-d", "4", "-F", "199", NULL }, r);
	unsetenv("AGENTPROF_NO_NODE");
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", agent);
	if (perf_map)
		*perf_map = !access(path, F_OK);
	stop_workload(load);
	stop_workload(agent);
	stop_workload(llm);
	unlink(path);
	cr_assert_eq(r->status, 0, "record failed: %s", r->err);
	snprintf(path, sizeof(path), "%s/cpu.folded", out);
	cpu = slurp(path);
	cr_assert(cpu, "no %s", path);
	return cpu;
}

/*
 * The samples in JavaScript code (a JS frame, a V8 builtin or unnamed code on the stack) and
 * those of them with a named JavaScript frame with its file and line ("JS:name (file:N)").
 */
static void js_coverage(const char *folded, uint64_t *in_js, uint64_t *named)
{
	*in_js = *named = 0;
	for (const char *line = folded; *line;) {
		const char *end = strchr(line, '\n') ?: line + strlen(line), *count = end;
		bool js = false, with_line = false;

		while (count > line && count[-1] != ' ')
			count--;
		for (const char *f = line; f < count;) {
			const char *fe = memchr(f, ';', count - f) ?: count - 1;
			const char *colon;

			if (!strncmp(f, "JS:", 3) || !strncmp(f, "Builtins_", 9) || !strncmp(f, "[unknown]", 9))
				js = true;
			/* "JS:name (file:N)" */
			if (!strncmp(f, "JS:", 3) && fe[-1] == ')' && (colon = memrchr(f, ':', fe - f)) && colon > f + 3 &&
			    colon[1] >= '0' && colon[1] <= '9' && memchr(f, '(', fe - f))
				with_line = true;
			f = fe + 1;
		}
		if (js)
			*in_js += strtoull(count, NULL, 10);
		if (js && with_line)
			*named += strtoull(count, NULL, 10);
		line = *end ? end + 1 : end;
	}
}

/* The hot functions' shares, each under handleTask, named with file and line; 90% of the JavaScript named. */
static void check_agent(const char *cpu, const struct jsnames *n, const char *what, bool shares)
{
	uint64_t total = folded_sum(cpu, ""), plan, rank, digest, in_js, named;
	char chain[3][160];

	snprintf(chain[0], sizeof(chain[0]), "%s%s", n->handle, n->plan);
	snprintf(chain[1], sizeof(chain[1]), "%s%s", n->handle, n->rank);
	snprintf(chain[2], sizeof(chain[2]), "%s%s", n->handle, n->digest);
	plan = sum_in_order(cpu, chain[0], NULL);
	rank = sum_in_order(cpu, chain[1], NULL);
	digest = sum_in_order(cpu, chain[2], NULL);
	js_coverage(cpu, &in_js, &named);
	fprintf(stderr, "%s: %llu samples: plan %.1f%%, rankTools %.1f%%, digest %.1f%% (under handleTask); "
		"%llu in JavaScript, %.1f%% of them with a named JS frame and line\n", what,
		(unsigned long long)total, 100.0 * plan / (total ?: 1), 100.0 * rank / (total ?: 1),
		100.0 * digest / (total ?: 1), (unsigned long long)in_js, 100.0 * named / (in_js ?: 1));
	cr_assert_gt(total, MIN_SAMPLES, "%s: %llu samples:\n%.3000s", what, (unsigned long long)total, cpu);
	cr_expect_gt(plan, 0, "%s: no %s:\n%.4000s", what, chain[0], cpu);
	/* interpreted, digest takes ~95% of the CPU: rankTools may get no sample of 200 */
	cr_expect(rank > 0 || !shares, "%s: no %s:\n%.4000s", what, chain[1], cpu);
	cr_expect_gt(digest, 0, "%s: no %s:\n%.4000s", what, chain[2], cpu);
	cr_expect_geq(named * 100, in_js * 90, "%s: %llu of %llu samples in JavaScript with a named frame and line:\n%.4000s",
		      what, (unsigned long long)named, (unsigned long long)in_js, cpu);
	cr_expect(!strstr(cpu, "[unknown js code]"), "%s: a native frame taken for JavaScript:\n%.3000s", what, cpu);
	/* the builtin that resumes an async function keeps its name */
	cr_expect(!strstr(cpu, ";JS:(anonymous);"), "%s: a builtin named as a function without a script:\n%.3000s", what, cpu);
	cr_expect_gt(sum_in_order(cpu, ";Builtins_AsyncFunctionAwaitResolveClosure", n->handle), 0,
		     "%s: handleTask not resumed by V8's builtin:\n%.3000s", what, cpu);
	if (!shares)
		return;	/* the tiers' costs differ per function */
	/* 3:1:2 of ~97% of the CPU */
	cr_expect_geq((plan + rank + digest) * 100, total * 80, "%s: plan %llu + rankTools %llu + digest %llu of %llu:\n%.4000s",
		      what, (unsigned long long)plan, (unsigned long long)rank, (unsigned long long)digest,
		      (unsigned long long)total, cpu);
	cr_expect_gt(plan, rank, "%s: plan %llu, rankTools %llu", what, (unsigned long long)plan, (unsigned long long)rank);
	cr_expect_gt(digest, rank, "%s: digest %llu, rankTools %llu", what, (unsigned long long)digest,
		     (unsigned long long)rank);
	cr_expect_gt(rank * 100, total * 5, "%s: rankTools %llu of %llu", what, (unsigned long long)rank,
		     (unsigned long long)total);
}

/*
 * The agent, started without flags: by the time it serves, TurboFan has compiled all
 * three hot functions (the check run says so); their frames name them, under the async handler,
 * at their shares, and the function that burns most of the CPU by itself is the top self function
 * under its JavaScript name. The handler's synchronous wait is named in the off-CPU stacks; the
 * LLM call it awaits is not on any stack while the loop waits for it (see the README).
 */
Test(node, agent_functions_named_with_file_and_line)
{
	struct jsnames n;
	struct run r;
	char *cpu, *off, path[192];
	const char *top;
	json_t *rep;
	uint64_t policy, net, net_js;

	js_names(&n);
	cr_expect(strstr(tiers_of(NULL), "served plan=turbofan rankTools=turbofan digest=turbofan"),
		  "the hot functions are not all optimized by TurboFan");
	cpu = record_jsagent(NULL, false, &r, NULL);
	check_agent(cpu, &n, "node", true);
	rep = load_json(out, "report.json");
	top = json_string_value(json_object_get(json_array_get(json_object_get(rep, "top_functions"), 0), "name"));
	cr_expect(top && !strncmp(top, n.digest + 1, strlen(n.digest) - 1), "top self function %s, not %s", top ?: "none",
		  n.digest + 1);
	snprintf(path, sizeof(path), "%s/offcpu.folded", out);
	off = slurp(path);
	cr_assert(off, "no %s", path);
	policy = sum_in_order(off, n.handle, n.policy);
	net = sum_in_order(off, "node;[net];", "epoll_pwait");
	net_js = sum_in_order(off, "node;[net];", ";JS:");
	fprintf(stderr, "node: off CPU %llu us in readPolicy under handleTask, %llu us waiting on the network in epoll, "
		"%llu of it with a JS frame\n", (unsigned long long)policy, (unsigned long long)net, (unsigned long long)net_js);
	/* 5 ms a request, ~10 requests a second */
	cr_expect_gt(policy, 50000, "no wait of readPolicy's under handleTask:\n%.4000s", off);
	cr_expect_gt(net, 0, "no wait on the LLM API in the event loop:\n%.4000s", off);
	json_decref(rep);
	free(off);
	free(cpu);
	run_free(&r);
}

/* The agent run in one tier (--max-opt): the same frames named, at 90% of its JavaScript's samples. */
static void check_tier(const char *flag, const char *tier)
{
	char want[128], what[64];
	struct jsnames n;
	struct run r;
	char *cpu;

	js_names(&n);
	snprintf(want, sizeof(want), "served plan=%s rankTools=%s digest=%s", tier, tier, tier);
	cr_expect(strstr(tiers_of(flag), want), "node %s does not run them in %s", flag, tier);
	snprintf(what, sizeof(what), "node %s (%s)", flag, tier);
	cpu = record_jsagent(flag, false, &r, NULL);
	check_agent(cpu, &n, what, false);
	free(cpu);
	run_free(&r);
}

/* Interpreted frames (Ignition), and Sparkplug's baseline code: TurboFan's are the test above. */
Test(node, interpreted_frames_named)
{
	check_tier("--max-opt=0", "ignition");
}

Test(node, baseline_frames_named)
{
	check_tier("--max-opt=1", "sparkplug");
}

/* The function a frame names: "JS:*digest file:///..." (a perf map's, "*" optimized, "~" not) or "JS:digest (...)". */
static size_t js_function(const char *f, const char *end, const char **name)
{
	const char *sp;

	if (end - f < 4 || strncmp(f, "JS:", 3))
		return 0;
	f += 3;
	if (*f == '*' || *f == '~' || *f == '^')
		f++;
	sp = memchr(f, ' ', end - f);
	*name = f;
	return sp ? (size_t)(sp - f) : (size_t)(end - f);
}

/*
 * The samples of the folded lines where a frame a perf map named ("... file:///...") stands next
 * to the V8 walker's frame of the same function: one function shown twice.
 */
static uint64_t perf_map_duplicates(const char *folded)
{
	uint64_t n = 0;

	for (const char *line = folded; *line;) {
		const char *end = strchr(line, '\n') ?: line + strlen(line), *count = end;
		const char *prev = NULL, *prev_name = NULL;
		size_t prev_len = 0;
		bool prev_map = false, dup = false;

		while (count > line && count[-1] != ' ')
			count--;
		for (const char *f = line; f < count && !dup;) {
			const char *fe = memchr(f, ';', count - f) ?: count - 1, *name = NULL;
			size_t len = js_function(f, fe, &name);
			bool map = len && memmem(f, fe - f, " file:///", 9);

			dup = len && prev && prev_len == len && !memcmp(name, prev_name, len) && map != prev_map;
			prev = f;
			prev_name = name;
			prev_len = len;
			prev_map = map;
			f = fe + 1;
		}
		if (dup)
			n += strtoull(count, NULL, 10);
		line = *end ? end + 1 : end;
	}
	return n;
}

/*
 * `node --perf-basic-prof` (V8 writes /tmp/perf-PID.map): the same functions top the profile under
 * the same names, none shown twice (by the map and the walker; the map still names JIT code
 * the walker did not name); with the V8 walker off
 * (AGENTPROF_NO_NODE=1) the map names them.
 */
Test(node, perf_basic_prof_gives_the_same_names)
{
	uint64_t dup, mapped, total;
	struct jsnames n;
	bool map = false;
	struct run r;
	char *cpu;

	js_names(&n);
	cpu = record_jsagent("--perf-basic-prof", false, &r, &map);
	cr_assert(map, "node --perf-basic-prof wrote no perf map");
	check_agent(cpu, &n, "node --perf-basic-prof", true);
	dup = perf_map_duplicates(cpu);
	cr_expect_eq(dup, 0, "%llu samples with a function named by the perf map beside its JS frame:\n%.4000s",
		     (unsigned long long)dup, cpu);
	free(cpu);
	run_free(&r);
	cpu = record_jsagent("--perf-basic-prof", true, &r, &map);
	total = folded_sum(cpu, "");
	mapped = sum_in_order(cpu, "digest file:///", NULL);
	fprintf(stderr, "node --perf-basic-prof, no V8 walker: %llu of %llu samples in digest named by the perf map\n",
		(unsigned long long)mapped, (unsigned long long)total);
	cr_expect(!strstr(cpu, n.digest), "the V8 walker ran with AGENTPROF_NO_NODE=1:\n%.3000s", cpu);
	cr_expect_gt(mapped * 100, total * 10, "the perf map does not name digest:\n%.4000s", cpu);
	free(cpu);
	run_free(&r);
}
