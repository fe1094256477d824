// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The output directory: created 0700, never through a symlink, files written whole or not at all. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "log.h"
#include "outdir.h"

int outdir__open(struct outdir *d, const char *path)
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
		err = -errno;
		pr_warn("output directory %s: %s\n", path,
			err == -ELOOP ? "is a symlink, refusing to follow it" : strerror(-err));
		goto fail;
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
