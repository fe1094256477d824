/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The output directory: reached through no symlink, ours, checked writable, files committed as a set. */
#ifndef OUTDIR_H
#define OUTDIR_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define OUTDIR_MAX_FILES 16

/* A file written whole but not yet in the directory: anonymous (O_TMPFILE) or under a random name. */
struct outdir_file {
	int fd;
	char name[64];	/* its name once committed */
	char tmp[40];	/* its random name until then; "" with O_TMPFILE */
};

struct outdir {
	int dirfd;
	int parentfd;	/* where path's last component is, to remove it by that and not by path */
	char *path;
	char last[256];
	char failed[64];	/* the file an outdir__stage or outdir__commit failed on */
	bool created;	/* by us: removed again if nothing is committed */
	bool anonymous;	/* O_TMPFILE and a link into place work here */
	struct outdir_file staged[OUTDIR_MAX_FILES];
	volatile sig_atomic_t nstaged;	/* read by outdir__abort */
	volatile sig_atomic_t ncommitted;
};

typedef int (*outdir_write_fn)(FILE *f, void *ctx);

/*
 * Opens path as a directory, creating it (mode 0700) when missing, through no symlink in any
 * component whatever the slashes (-ELOOP). Unless force, an existing directory must be empty
 * (-ENOTEMPTY), owned by the user running us and not writable by others without the sticky bit
 * (-EPERM). Then proves it writable: creates, grows and removes a probe file (-EROFS, -ENOSPC...).
 * 0 or -errno, said in one line.
 */
int outdir__open(struct outdir *d, const char *path, bool force);
/*
 * Writes name through fn into a new file of the directory that no one else can open or guess the
 * name of, mode 0600, synced to disk; it appears only at outdir__commit. 0 or -errno (the real
 * one: -ENOSPC, not -EIO), said by the caller: d->failed names the file.
 */
int outdir__stage(struct outdir *d, const char *name, outdir_write_fn fn, void *ctx);
/*
 * Gives every staged file its name, all or none: an error (a name held by a directory, no room)
 * leaves the directory as it was, files of the same names from before (--force) included. 0 or
 * -errno, said by the caller: d->failed names the file ("." when syncing the directory failed).
 */
int outdir__commit(struct outdir *d);
/* Drops the staged files. */
void outdir__discard(struct outdir *d);
/*
 * From a signal handler (async-signal-safe): removes the staged files' temporary names, and the
 * directory if this run created it and committed nothing.
 */
void outdir__abort(struct outdir *d);
/* Closes (discarding what is staged); removes a directory this run created when nothing was committed. */
void outdir__close(struct outdir *d);

/*
 * Splits path into the directory that holds its last component and that component, trailing
 * slashes ignored: "a/b/" -> "a", "b"; "b" -> ".", "b"; "/" -> "/", "."; "a/." -> "a", ".".
 * 0, -ENOENT for "", -ENAMETOOLONG when a part does not fit.
 */
int path_split(const char *path, char *parent, size_t parent_len, char *last, size_t last_len);

#endif /* OUTDIR_H */
