/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The process being profiled: its identity (host and namespaced PID), and how to tell when it exits. */
#ifndef TARGET_H
#define TARGET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>
#include "agentprof.h"

struct target {
	pid_t pid;		/* the host's PID (the kernel's init namespace), as BPF sees it */
	pid_t ns_pid;		/* its PID in its own namespace (NSpid): pid unless in a container */
	char comm[TASK_COMM_LEN];
	uint64_t start_ticks;	/* starttime from /proc/PID/stat: with pid, survives PID reuse */
	int pidfd;		/* readable once the process has exited; -1 under a foreign /proc */
};

/* Reads the identity of a process (no pidfd): 0 or -errno, silently. */
int target__describe(struct target *t, pid_t pid);
/*
 * Identity and exit watch: 0, or -ESRCH (no such process), -EINVAL (a kernel thread, or agentprof
 * itself: nothing to profile) or another -errno, after saying so.
 */
int target__open(struct target *t, pid_t pid);
void target__close(struct target *t);
bool target__exited(const struct target *t);
/*
 * Whether the process that had PID pid and started at start_ns (boot time, as the kernel's
 * task->start_boottime) has exited since: gone, a zombie, or its PID taken by another.
 */
bool target__exited_since(pid_t pid, uint64_t start_ns);

#endif /* TARGET_H */
