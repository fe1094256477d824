// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The process being profiled: its identity (host and namespaced PID), and how to tell when it exits. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "base/log.h"
#include "target/procfs.h"
#include "target/target.h"
#include "base/util.h"

static int read_stat(pid_t pid, char *state, uint64_t *start_ticks)
{
	char path[4200];

	if (proc_path(path, sizeof(path), pid, "stat"))
		return -ENAMETOOLONG;
	return proc_stat(path, state, start_ticks);
}

int target__describe(struct target *t, pid_t pid)
{
	char path[4200], *comm, state;
	ssize_t n;
	int err;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->pidfd = -1;
	err = proc_path(path, sizeof(path), pid, "comm");
	n = err ?: read_file(path, 4096, &comm);
	if (n < 0)
		return n;
	comm[strcspn(comm, "\n")] = '\0';
	snprintf(t->comm, sizeof(t->comm), "%s", comm);
	free(comm);
	return read_stat(pid, &state, &t->start_ticks) ?: proc_ns_pid(pid, &t->ns_pid);
}

#define PF_KTHREAD 0x00200000	/* include/linux/sched.h */

/* Whether pid is a kernel thread: it has no user memory, so no stack, no maps, nothing to sample. */
static bool kernel_thread(pid_t pid)
{
	unsigned long flags = 0;
	char path[4200], *text;
	uint64_t ticks;
	bool kthread;

	if (proc_path(path, sizeof(path), pid, "stat") || read_file(path, 1 << 16, &text) < 0)
		return false;	/* gone: said below */
	kthread = !proc_stat_parse(text, NULL, &flags, &ticks) && (flags & PF_KTHREAD);
	free(text);
	return kthread;
}

/* Processes there is nothing to learn from, with why: 0 or -EINVAL after saying so. */
static int refuse(pid_t pid, const char *comm)
{
	if (pid == getpid()) {
		pr_warn("PID %d is agentprof itself: nothing to profile\n", pid);
		return -EINVAL;
	}
	if (kernel_thread(pid)) {
		pr_warn("PID %d is a kernel thread (%s): nothing to profile\n", pid, comm);
		return -EINVAL;
	}
	return 0;
}

int target__open(struct target *t, pid_t pid)
{
	int err, pidfd = -1;

	/* a host PID under a foreign /proc is no PID of ours: its exit is seen through that /proc */
	if (!procfs_is_foreign()) {
		pidfd = syscall(SYS_pidfd_open, pid, 0);
		if (pidfd < 0) {
			err = -errno;
			if (err == -ESRCH)
				pr_warn("no process with PID %d\n", pid);
			else
				pr_warn("pidfd_open %d: %s\n", pid, strerror(-err));
			return err;
		}
	}
	err = target__describe(t, pid);
	t->pidfd = pidfd;
	if (err == -ENOENT)
		pr_warn("no process with PID %d\n", pid);
	else if (err)
		pr_warn("read /proc/%d (comm, stat, status): %s\n", pid, strerror(-err));
	else
		err = refuse(pid, t->comm);
	if (err)
		target__close(t);
	return err;
}

void target__close(struct target *t)
{
	if (t->pidfd > 0)
		close(t->pidfd);
	t->pidfd = -1;
}

bool target__exited(const struct target *t)
{
	struct pollfd pfd = { .fd = t->pidfd, .events = POLLIN };
	uint64_t ticks;
	char state = '?';

	if (t->pidfd >= 0)
		return poll(&pfd, 1, 0) == 1;
	/* gone, dead but not reaped, or its PID taken by another process since */
	return read_stat(t->pid, &state, &ticks) || state == 'Z' || state == 'X' || ticks != t->start_ticks;
}

bool target__exited_since(pid_t pid, uint64_t start_ns)
{
	/* /proc's starttime is task->start_boottime in clock ticks, rounded down */
	struct target t = { .pid = pid, .pidfd = -1, .start_ticks = start_ns / (1000000000ull / sysconf(_SC_CLK_TCK)) };

	return target__exited(&t);
}
