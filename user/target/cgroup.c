// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A container as its cgroup v2: found by path or by its ID, known to BPF by the directory's inode. */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include "target/cgroup.h"
#include "target/procfs.h"
#include "base/log.h"
#include "base/util.h"

#define CGROUP2_SUPER_MAGIC_	0x63677270

const char *cgroup_root(void)
{
	/* unified, or hybrid (systemd's v1 controllers beside a v2 tree at .../unified) */
	static const char *const roots[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	struct statfs st;

	for (size_t i = 0; i < ARRAY_SIZE(roots); i++)
		if (statfs(roots[i], &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC_)
			return roots[i];
	return NULL;
}

/* nftw has no context argument: the search's state, for one search at a time */
static struct {
	const char *id;
	char first[PATH_MAX], second[PATH_MAX];
	int matches;
} search;

static int match_dir(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	if (type != FTW_D || ftw->level == 0 || !strstr(path + ftw->base, search.id))
		return 0;
	/* a match below the first one (docker-ID.scope/init.scope) belongs to it */
	if (search.matches && !strncmp(path, search.first, strlen(search.first)) &&
	    path[strlen(search.first)] == '/')
		return 0;
	snprintf(search.matches ? search.second : search.first, PATH_MAX, "%s", path);
	search.matches++;
	return search.matches > 1;	/* two distinct containers: stop, it is ambiguous */
}

static int find_by_id(const char *root, const char *id, char *out)
{
	search.id = id;
	search.matches = 0;
	if (nftw(root, match_dir, 16, FTW_PHYS) < 0)
		return -errno;
	if (search.matches == 1) {
		snprintf(out, PATH_MAX, "%s", search.first);
		return 0;
	}
	if (search.matches)
		pr_warn("container '%s' is ambiguous: %s and %s match; give more of its ID\n", id,
			search.first, search.second);
	else
		pr_warn("no cgroup under %s has '%s' in its name: give a running container's ID or its cgroup's path\n",
			root, id);
	return search.matches ? -EINVAL : -ENOENT;
}

int cgroup_resolve(const char *arg, struct cgroup_target *cg)
{
	const char *root = cgroup_root(), *rel;
	char joined[PATH_MAX * 2], *real;
	size_t rootlen;
	struct stat st;
	int err;

	memset(cg, 0, sizeof(*cg));
	if (!root) {
		pr_warn("no cgroup v2 hierarchy at /sys/fs/cgroup: mount it (the host's) to use --container\n");
		return -ENOENT;
	}
	rootlen = strlen(root);
	if (!*arg) {
		pr_warn("--container needs a container ID or a cgroup path\n");
		return -EINVAL;
	}
	if (!strchr(arg, '/')) {
		err = find_by_id(root, arg, joined);
		if (err)
			return err;
	} else if (arg[0] == '/') {
		snprintf(joined, sizeof(joined), "%s", arg);
	} else {
		snprintf(joined, sizeof(joined), "%s/%s", root, arg);
	}
	real = realpath(joined, NULL);
	if (!real || stat(real, &st) || !S_ISDIR(st.st_mode)) {
		err = real ? -ENOTDIR : -errno;
		pr_warn("cgroup %s: %s\n", joined, strerror(-err));
		free(real);
		return err;
	}
	if (strncmp(real, root, rootlen) || (real[rootlen] && real[rootlen] != '/')) {
		pr_warn("%s is not in the cgroup v2 hierarchy at %s\n", real, root);
		free(real);
		return -EINVAL;
	}
	snprintf(cg->path, sizeof(cg->path), "%s", real);
	free(real);
	cg->id = st.st_ino;
	rel = cg->path + rootlen;
	for (const char *p = rel; *p; p++)
		cg->level += *p == '/';
	rel = strrchr(cg->path, '/');
	snprintf(cg->name, sizeof(cg->name), "%s", cg->level ? rel + 1 : "/");
	return 0;
}

bool cgroup_populated(const struct cgroup_target *cg)
{
	char path[PATH_MAX + 16], *text, *line;
	bool populated = true;

	snprintf(path, sizeof(path), "%s/cgroup.events", cg->path);
	if (read_file(path, 4096, &text) < 0)
		return false;	/* removed: nothing left in it */
	line = strstr(text, "populated ");
	if (line)
		populated = line[10] != '0';
	free(text);
	return populated;
}

int cgroup_container_id(const char *path, char id[65])
{
	const char *found = NULL;
	size_t run = 0;

	for (const char *c = path;; c++) {
		if ((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')) {
			run++;
			continue;
		}
		if (run == 64)
			found = c - 64;
		run = 0;
		if (!*c)
			break;
	}
	if (!found)
		return -ENOENT;
	memcpy(id, found, 64);
	id[64] = '\0';
	return 0;
}

int proc_container_id(pid_t pid, char id[65])
{
	char path[PATH_MAX], *text, *line, *save = NULL;
	ssize_t n;
	int err = -ENOENT;

	if (proc_path(path, sizeof(path), pid, "cgroup"))
		return -ENAMETOOLONG;
	n = read_file(path, 1 << 16, &text);
	if (n < 0)
		return n;
	/* "0::/system.slice/docker-ID.scope": the v2 hierarchy's line */
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, "0::", 3)) {
			err = cgroup_container_id(line + 3, id);
			break;
		}
	free(text);
	return err;
}
