// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The output directory: created 0700, never through a symlink, files written whole or not at all. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/log.h"
#include "report/outdir.h"

/* 1 when the directory holds any entry besides . and .., 0 when empty, -errno. */
static int has_entries(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), found = 0;
	struct dirent *e;
	DIR *dir;

	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	while (!found && (e = readdir(dir)))
		found = strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(dir);
	return found;
}

int outdir__open(struct outdir *d, const char *path, bool force)
{
	int err;

	memset(d, 0, sizeof(*d));
	d->dirfd = -1;
	d->path = strdup(path);
	if (!d->path)
		return -ENOMEM;
	if (mkdir(path, 0700) == 0)
		d->created = true;
	else if (errno != EEXIST) {
		err = -errno;
		pr_warn("create output directory %s: %s\n", path, strerror(-err));
		goto fail;
	}
	/* O_NOFOLLOW: a symlink planted at the output path must not redirect our writes */
	d->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d->dirfd < 0) {
		struct stat st;

		err = -errno;
		/* a symlink fails with ENOTDIR (O_DIRECTORY is checked first), or ELOOP */
		if ((err == -ENOTDIR || err == -ELOOP) && !lstat(path, &st) && S_ISLNK(st.st_mode))
			err = -ELOOP;
		pr_warn("output directory %s: %s\n", path,
			err == -ELOOP ? "is a symlink, refusing to follow it" : strerror(-err));
		goto fail;
	}
	if (!d->created && !force) {
		err = has_entries(d->dirfd);
		if (err) {
			if (err > 0)
				err = -ENOTEMPTY;
			pr_warn("output directory %s: %s\n", path, err == -ENOTEMPTY ?
				"is not empty (--force writes into it)" : strerror(-err));
			goto fail;
		}
	}
	return 0;
fail:
	outdir__close(d, true);
	return err;
}

int outdir__write(struct outdir *d, const char *name, outdir_write_fn fn, void *ctx)
{
	char tmp[256];
	FILE *f;
	int fd, err;

	snprintf(tmp, sizeof(tmp), ".%s.%d.tmp", name, getpid());
	fd = openat(d->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		goto fail_unlink;
	}
	err = fn(f, ctx);
	if (fflush(f) || ferror(f))
		err = err ?: -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (err)
		goto fail_unlink;
	if (renameat(d->dirfd, tmp, d->dirfd, name)) {
		err = -errno;
		goto fail_unlink;
	}
	return 0;
fail_unlink:
	unlinkat(d->dirfd, tmp, 0);
fail:
	pr_warn("write %s/%s: %s\n", d->path, name, strerror(-err));
	return err;
}

void outdir__close(struct outdir *d, bool remove_if_created)
{
	if (d->dirfd >= 0)
		close(d->dirfd);
	d->dirfd = -1;
	if (remove_if_created && d->created && d->path)
		rmdir(d->path);
	free(d->path);
	d->path = NULL;
}
