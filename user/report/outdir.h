/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The output directory: created 0700, never through a symlink, files written whole or not at all. */
#ifndef OUTDIR_H
#define OUTDIR_H

#include <stdbool.h>
#include <stdio.h>

struct outdir {
	int dirfd;
	char *path;
	bool created;	/* by us: removed again if the run fails before writing anything */
};

typedef int (*outdir_write_fn)(FILE *f, void *ctx);

/*
 * Opens path as a directory, creating it (mode 0700) when missing. An existing directory that
 * holds anything is refused (-ENOTEMPTY) unless force: a run must not mix into another's files.
 * 0 or -errno, said in one line.
 */
int outdir__open(struct outdir *d, const char *path, bool force);
/* Writes name through fn into a temporary file, then renames it into place. 0 or -errno. */
int outdir__write(struct outdir *d, const char *name, outdir_write_fn fn, void *ctx);
/* Closes; with remove_if_created, removes a directory this run created (when still empty). */
void outdir__close(struct outdir *d, bool remove_if_created);

#endif /* OUTDIR_H */
