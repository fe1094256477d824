/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Where a process's /proc files are: under /proc, or under the host's /proc mounted elsewhere
 * (--proc-root, for a container without hostPID). PIDs are the host's (the kernel's init
 * namespace), as BPF sees them; NSpid is the PID the process has in its own namespace.
 */
#ifndef PROCFS_H
#define PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Reads every /proc file below dir from now on (NULL or "/proc": the default). */
void procfs_set_root(const char *dir);
/* Whether /proc is someone else's: then PIDs of this process's namespace mean nothing there. */
bool procfs_is_foreign(void);
/* "<root>/<pid>/<file>" (pid 0: "<root>/<file>"): 0, or -ENAMETOOLONG. */
int proc_path(char *buf, size_t len, pid_t pid, const char *file);
/* The innermost PID of the NSpid line of /proc/PID/status text: 0, or -ENOENT when it has none. */
int parse_ns_pid(const char *status, pid_t *ns_pid);
/* The process's PID in its own PID namespace (itself when it shares ours): 0 or -errno. */
int proc_ns_pid(pid_t pid, pid_t *ns_pid);
/* The resident set size in statm text ("size resident ..." in pages): 0, or -EINVAL. */
int parse_statm_rss(const char *statm, long page_bytes, unsigned long long *bytes);
/* The process's resident memory now (/proc/PID/statm): 0 or -errno. */
int proc_rss(pid_t pid, unsigned long long *bytes);
/* Where the process's perf map (/tmp/perf-NSPID.map, written by JITs) is, seen through its root. */
int proc_perf_map_path(char *buf, size_t len, pid_t pid, pid_t ns_pid);

#endif /* PROCFS_H */
