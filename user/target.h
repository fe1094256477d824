/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The process being profiled: its identity, and a pidfd that tells when it exits. */
#ifndef TARGET_H
#define TARGET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "agentprof.h"

struct target {
	pid_t pid;
	char comm[TASK_COMM_LEN];
	uint64_t start_ticks;	/* starttime from /proc/PID/stat: with pid, survives PID reuse */
	int pidfd;		/* readable once the process has exited */
};

/* 0, or -ESRCH (no such process, after saying so) or another -errno. */
int target__open(struct target *t, pid_t pid);
void target__close(struct target *t);
bool target__exited(const struct target *t);

#endif /* TARGET_H */
