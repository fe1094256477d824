// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The process being profiled: its identity, and a pidfd that tells when it exits. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "log.h"
#include "target.h"
#include "util.h"

/* Field 22 of /proc/PID/stat; the comm in field 2 may hold spaces and parens, so start after the last ')'. */
static int read_start_ticks(pid_t pid, uint64_t *out)
{
	char path[64], *text, *p;
	unsigned long long v;
	ssize_t n;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	n = read_file(path, 1 << 16, &text);
	if (n < 0)
		return n;
	p = strrchr(text, ')');
	for (field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &v) != 1) {
		free(text);
		return -EINVAL;
	}
	free(text);
	*out = v;
	return 0;
}

int target__open(struct target *t, pid_t pid)
{
	char path[64], *comm;
	ssize_t n;
	int err;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (t->pidfd < 0) {
		err = -errno;
		if (err == -ESRCH)
			pr_warn("no process with PID %d\n", pid);
		else
			pr_warn("pidfd_open %d: %s\n", pid, strerror(-err));
		return err;
	}
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	n = read_file(path, 4096, &comm);
	if (n < 0) {
		err = n;
		pr_warn("read %s: %s\n", path, strerror(-err));
		goto fail;
	}
	comm[strcspn(comm, "\n")] = '\0';
	snprintf(t->comm, sizeof(t->comm), "%s", comm);
	free(comm);
	err = read_start_ticks(pid, &t->start_ticks);
	if (err) {
		pr_warn("read /proc/%d/stat: %s\n", pid, strerror(-err));
		goto fail;
	}
	return 0;
fail:
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

	return poll(&pfd, 1, 0) == 1;
}
