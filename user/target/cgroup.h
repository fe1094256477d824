/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A container as its cgroup v2: found by path or by its ID, known to BPF by the directory's inode. */
#ifndef CGROUP_H
#define CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct cgroup_target {
	char path[PATH_MAX];	/* its directory in the cgroup v2 hierarchy */
	char name[256];		/* the directory's name */
	uint64_t id;		/* its inode number: the id bpf_get_current_cgroup_id() gives */
	uint32_t level;		/* its depth below the hierarchy's root (the root: 0) */
};

/*
 * Finds the cgroup of a container: arg is a cgroup directory (absolute, or relative to the
 * hierarchy's root), or a container ID (or enough of it), found as the one directory whose name
 * holds it (docker-ID.scope, cri-containerd-ID.scope, libpod-ID ...). 0, or -errno after one line.
 */
int cgroup_resolve(const char *arg, struct cgroup_target *cg);
/* Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified), or NULL. */
const char *cgroup_root(void);
/* Whether any process is left in the cgroup or below it (cgroup.events); false once it is removed. */
bool cgroup_populated(const struct cgroup_target *cg);

/*
 * The container ID a cgroup path names (docker-ID.scope, cri-containerd-ID.scope, libpod-ID, or
 * a directory named by the ID): its last run of 64 hex digits. 0, or -ENOENT when it has none.
 */
int cgroup_container_id(const char *path, char id[65]);
/* The container ID of a process, from its cgroup v2 line in /proc/PID/cgroup. 0 or -errno. */
int proc_container_id(pid_t pid, char id[65]);

#endif /* CGROUP_H */
