// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Where a process's /proc files are (--proc-root), and its PID in its own namespace (NSpid). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "target/procfs.h"
#include "base/util.h"

static char root[4096] = "/proc";

void procfs_set_root(const char *dir)
{
	size_t n;

	snprintf(root, sizeof(root), "%s", dir && *dir ? dir : "/proc");
	n = strlen(root);
	while (n > 1 && root[n - 1] == '/')	/* "DIR/" and "DIR" name the same place */
		root[--n] = '\0';
}

bool procfs_is_foreign(void)
{
	return strcmp(root, "/proc") != 0;
}

int proc_path(char *buf, size_t len, pid_t pid, const char *file)
{
	int n = pid ? snprintf(buf, len, "%s/%d/%s", root, pid, file) : snprintf(buf, len, "%s/%s", root, file);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int parse_ns_pid(const char *status, pid_t *ns_pid)
{
	const char *line = status, *p;
	long last = -1, v;

	while (line && strncmp(line, "NSpid:", 6)) {
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	if (!line)
		return -ENOENT;
	/* "NSpid:\t4242\t17\n": the host's PID first, the innermost namespace's last */
	for (p = line + 6; *p && *p != '\n';) {
		char *end;

		if (*p == ' ' || *p == '\t') {
			p++;
			continue;
		}
		errno = 0;
		v = strtol(p, &end, 10);
		if (end == p || errno || v <= 0 || v > INT32_MAX || (*end && *end != ' ' && *end != '\t' && *end != '\n'))
			return -EINVAL;
		last = v;
		p = end;
	}
	if (last < 0)
		return -EINVAL;
	*ns_pid = last;
	return 0;
}

int proc_ns_pid(pid_t pid, pid_t *ns_pid)
{
	char path[4200], *text;
	ssize_t n;
	int err;

	err = proc_path(path, sizeof(path), pid, "status");
	if (err)
		return err;
	n = read_file(path, 1 << 16, &text);
	if (n < 0)
		return n;
	err = parse_ns_pid(text, ns_pid);
	free(text);
	if (err == -ENOENT) {	/* kernels before 4.1: no namespaces in the line */
		*ns_pid = pid;
		err = 0;
	}
	return err;
}

int parse_statm_rss(const char *statm, long page_bytes, unsigned long long *bytes)
{
	unsigned long long size, resident;
	int end = 0;

	/* untrusted text: two numbers, then a space or the end */
	if (sscanf(statm, "%llu %llu%n", &size, &resident, &end) != 2 || (statm[end] && statm[end] != ' ' &&
									   statm[end] != '\n'))
		return -EINVAL;
	if (page_bytes <= 0 || resident > ~0ull / (unsigned long long)page_bytes)
		return -EINVAL;
	*bytes = resident * page_bytes;
	return 0;
}

int proc_rss(pid_t pid, unsigned long long *bytes)
{
	char path[4200], *text;
	ssize_t n;
	int err;

	err = proc_path(path, sizeof(path), pid, "statm");
	if (err)
		return err;
	n = read_file(path, 4096, &text);
	if (n < 0)
		return n;
	err = parse_statm_rss(text, sysconf(_SC_PAGESIZE), bytes);
	free(text);
	return err;
}

int proc_perf_map_path(char *buf, size_t len, pid_t pid, pid_t ns_pid)
{
	char file[64];

	/* the JIT named it by the PID it knows, in the /tmp it sees */
	snprintf(file, sizeof(file), "root/tmp/perf-%d.map", ns_pid);
	return proc_path(buf, len, pid, file);
}
