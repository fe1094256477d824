// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of procfs.c (paths under --proc-root, NSpid) and of the lockdown mode parser. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "base/util.h"
#include "target/preflight.h"
#include "target/procfs.h"
#include "target/target.h"

static void reset(void)
{
	procfs_set_root(NULL);
}

TestSuite(procfs, .fini = reset);

Test(procfs, innermost_ns_pid_is_the_last)
{
	pid_t ns = 0;

	cr_assert_eq(parse_ns_pid("Name:\tx\nNSpid:\t4242\t17\t1\nNSpgid:\t4242\n", &ns), 0);
	cr_assert_eq(ns, 1);
	cr_assert_eq(parse_ns_pid("NSpid:\t4242\n", &ns), 0);
	cr_assert_eq(ns, 4242);
	cr_assert_eq(parse_ns_pid("Tgid:\t5\nNSpid:  77   9\n", &ns), 0);
	cr_assert_eq(ns, 9);
}

Test(procfs, refuses_bad_ns_pid_lines)
{
	pid_t ns = 123;

	cr_assert_eq(parse_ns_pid("Name:\tx\nPid:\t5\n", &ns), -ENOENT);
	cr_assert_eq(parse_ns_pid("NSpid:\n", &ns), -EINVAL);
	cr_assert_eq(parse_ns_pid("NSpid:\t12x\n", &ns), -EINVAL);
	cr_assert_eq(parse_ns_pid("NSpid:\t-1\n", &ns), -EINVAL);
	cr_assert_eq(parse_ns_pid("NSpid:\t99999999999999999999\n", &ns), -EINVAL);
	cr_assert_eq(ns, 123, "changed on error");
	/* only a line that starts with it: a name holding "NSpid:" is no such line */
	cr_assert_eq(parse_ns_pid("Name:\tNSpid: 3\n", &ns), -ENOENT);
}

Test(procfs, own_ns_pid_is_own_pid)
{
	pid_t ns = 0;

	cr_assert_eq(proc_ns_pid(getpid(), &ns), 0);
	cr_assert_gt(ns, 0);
}

/* A process named by its PID and its start time (as the kernel's start_boottime) until it exits. */
Test(procfs, exited_since_follows_one_process)
{
	uint64_t ticks, ns_per_tick = 1000000000ull / sysconf(_SC_CLK_TCK);
	char path[64];
	pid_t child = fork();

	cr_assert_geq(child, 0);
	if (!child) {
		pause();
		_exit(0);
	}
	snprintf(path, sizeof(path), "/proc/%d/stat", child);
	cr_assert_eq(proc_stat(path, NULL, &ticks), 0);
	/* start_boottime lies anywhere inside its tick */
	cr_expect(!target__exited_since(child, ticks * ns_per_tick + ns_per_tick - 1));
	cr_expect(target__exited_since(child, (ticks + 1) * ns_per_tick), "another process with the PID");
	kill(child, SIGKILL);
	cr_assert_eq(waitpid(child, NULL, 0), child);
	cr_expect(target__exited_since(child, ticks * ns_per_tick));
}

Test(procfs, paths_go_through_the_root)
{
	char buf[128];

	cr_assert_eq(proc_path(buf, sizeof(buf), 42, "maps"), 0);
	cr_assert_str_eq(buf, "/proc/42/maps");
	cr_assert_not(procfs_is_foreign());
	procfs_set_root("/host/proc//");
	cr_assert(procfs_is_foreign());
	cr_assert_eq(proc_path(buf, sizeof(buf), 42, "root"), 0);
	cr_assert_str_eq(buf, "/host/proc/42/root");
	cr_assert_eq(proc_path(buf, sizeof(buf), 0, "kallsyms"), 0);
	cr_assert_str_eq(buf, "/host/proc/kallsyms");
	cr_assert_eq(proc_perf_map_path(buf, sizeof(buf), 4242, 7), 0);
	cr_assert_str_eq(buf, "/host/proc/4242/root/tmp/perf-7.map", "the JIT names it by its own PID");
	cr_assert_eq(proc_path(buf, 12, 42, "maps"), -ENAMETOOLONG);
}

Test(procfs, lockdown_mode_is_the_bracketed_one)
{
	char mode[32];

	cr_assert_eq(parse_lockdown("none [integrity] confidentiality\n", mode, sizeof(mode)), 0);
	cr_assert_str_eq(mode, "integrity");
	cr_assert_eq(parse_lockdown("none integrity [confidentiality]\n", mode, sizeof(mode)), 0);
	cr_assert_str_eq(mode, "confidentiality");
	cr_assert_eq(parse_lockdown("none integrity confidentiality\n", mode, sizeof(mode)), -EINVAL);
	cr_assert_eq(parse_lockdown("[none", mode, sizeof(mode)), -EINVAL);
	cr_assert_eq(parse_lockdown("[confidentiality]", mode, 8), -EINVAL);
}

Test(procfs, statm_resident_set_in_bytes)
{
	unsigned long long bytes;

	cr_assert_eq(parse_statm_rss("2553 1024 395 1 0 1268 0\n", 4096, &bytes), 0);
	cr_assert_eq(bytes, 1024ull * 4096);
	cr_assert_eq(parse_statm_rss("2553", 4096, &bytes), -EINVAL, "no resident field");
	cr_assert_eq(parse_statm_rss("2553 12x 0", 4096, &bytes), -EINVAL, "trailing junk");
	cr_assert_eq(parse_statm_rss("1 18446744073709551615", 4096, &bytes), -EINVAL, "overflows");
}
