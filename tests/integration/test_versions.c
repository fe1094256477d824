// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Interpreters of versions agentprof does not read (a Ruby 3.2.2, a CPython 3.14, a V8 8.4, as processes
 * that look like static builds of them): their stacks are native, and the summary and report.json
 * say once which runtime and version could not be read.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"

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

TestSuite(versions, .init = setup, .fini = teardown, .timeout = 90);

/* Records the workload for a second; checks the summary's one line and report.json's entry. */
static void check_unsupported(const char *workload, const char *said, const char *runtime, const char *version)
{
	char pidstr[16], *cpu, path[192];
	json_t *report, *u;
	struct run r;
	pid_t pid;
	const char *first;

	require_root();
	pid = start_workload((char *const[]){ (char *)workload, "30", NULL });
	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	run_cmd((char *const[]){ AGENTPROF, "record", "-p", pidstr, "-o", out, "-d", "1", NULL }, &r);
	stop_workload(pid);
	cr_assert_eq(r.status, 0, "record failed: %s", r.err);
	first = strstr(r.out, said);
	cr_expect(first, "no '%s' in:\n%s", said, r.out);
	cr_expect(!first || !strstr(first + 1, said), "said more than once:\n%s", r.out);
	report = load_json(out, "report.json");
	u = json_object_get(report, "unsupported_runtimes");
	cr_assert_eq(json_array_size(u), 1, "%s", r.out);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(u, 0), "runtime")), runtime);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(u, 0), "version")), version);
	cr_expect_eq(json_integer_value(json_object_get(json_array_get(u, 0), "pid")), pid);
	snprintf(path, sizeof(path), "%s/cpu.folded", out);
	cpu = slurp(path);
	cr_assert(cpu);
	cr_expect_gt(folded_sum(cpu, ";work"), 0, "native frames: %.2000s", cpu);
	json_decref(report);
	free(cpu);
	run_free(&r);
}

Test(versions, a_ruby_of_another_version_is_said_once)
{
	check_unsupported(WORKLOAD("ruby_unsupported"), "Ruby 3.2.2 (PID ", "ruby", "3.2.2");
}

Test(versions, a_python_of_another_version_is_said_once)
{
	check_unsupported(WORKLOAD("python_unsupported"), "Python 3.14 (PID ", "python", "3.14");
}

Test(versions, a_v8_of_another_version_is_said_once)
{
	check_unsupported(WORKLOAD("node_unsupported"), "V8 8.4 (PID ", "v8", "8.4");
}

/* Every interpreter read: the list is there, and empty. */
Test(versions, none_unsupported_is_an_empty_list)
{
	char pidstr[16];
	json_t *report;
	struct run r;
	pid_t pid;

	require_root();
	pid = start_workload((char *const[]){ WORKLOAD("pinned"), "30", NULL });
	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	run_cmd((char *const[]){ AGENTPROF, "record", "-p", pidstr, "-o", out, "-d", "1", NULL }, &r);
	stop_workload(pid);
	cr_assert_eq(r.status, 0, "record failed: %s", r.err);
	cr_expect(!strstr(r.out, "cannot be read"), "%s", r.out);
	report = load_json(out, "report.json");
	cr_expect(json_is_array(json_object_get(report, "unsupported_runtimes")));
	cr_expect_eq(json_array_size(json_object_get(report, "unsupported_runtimes")), 0);
	json_decref(report);
	run_free(&r);
}
