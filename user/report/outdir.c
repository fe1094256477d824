// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The output directory: reached through no symlink, ours, checked writable, files committed as a set. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/log.h"
#include "report/outdir.h"

/* Space the probe file takes: a disk already full fails here, before anything is recorded. */
#define PROBE_BYTES (64 << 10)

int path_split(const char *path, char *parent, size_t parent_len, char *last, size_t last_len)
{
	size_t end = strlen(path), start, pend;

	if (!end)
		return -ENOENT;
	while (end > 1 && path[end - 1] == '/')
		end--;
	if (end == 1 && path[0] == '/')
		return snprintf(parent, parent_len, "/") >= (int)parent_len ||
		       snprintf(last, last_len, ".") >= (int)last_len ? -ENAMETOOLONG : 0;
	start = end;
	while (start && path[start - 1] != '/')
		start--;
	pend = start;
	while (pend > 1 && path[pend - 1] == '/')
		pend--;
	if (end - start >= last_len)
		return -ENAMETOOLONG;
	memcpy(last, path + start, end - start);
	last[end - start] = '\0';
	if (!start)
		return snprintf(parent, parent_len, ".") >= (int)parent_len ? -ENAMETOOLONG : 0;
	if (pend >= parent_len)
		return -ENAMETOOLONG;
	memcpy(parent, path, pend);
	parent[pend] = '\0';
	return 0;
}

static bool is_symlink(int dirfd, const char *name)
{
	struct stat st;

	return !fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) && S_ISLNK(st.st_mode);
}

/*
 * Opens path (O_PATH) one component at a time, following no symlink: -ELOOP with the prefix that
 * is one in bad. Walked by hand rather than with openat2(RESOLVE_NO_SYMLINKS): the same on every
 * kernel, and it can say which component it refused.
 */
static int open_nofollow(const char *path, int *out, char *bad, size_t bad_len)
{
	int fd = open(*path == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC), nfd, err;
	const char *p = path;
	char comp[NAME_MAX + 1];

	if (fd < 0)
		return -errno;
	for (;;) {
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (!n)
			break;
		if (n >= sizeof(comp)) {
			close(fd);
			return -ENAMETOOLONG;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		nfd = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0) {
			err = -errno;
			if ((err == -ENOTDIR || err == -ELOOP) && is_symlink(fd, comp)) {
				err = -ELOOP;
				snprintf(bad, bad_len, "%.*s", (int)(p + n - path), path);
			}
			close(fd);
			return err;
		}
		close(fd);
		fd = nfd;
		p += n;
	}
	*out = fd;
	return 0;
}

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

/* A name no one can guess ahead of us, for a file of ours that is not in place yet. */
static int random_name(char *buf, size_t len)
{
	unsigned char r[8];

	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		return -errno;
	snprintf(buf, len, ".agentprof-%02x%02x%02x%02x%02x%02x%02x%02x.tmp", r[0], r[1], r[2], r[3], r[4], r[5],
		 r[6], r[7]);
	return 0;
}

/* A new file under a random name (in tmp), created here and nowhere else: O_EXCL, O_NOFOLLOW. */
static int create_named(int dirfd, char *tmp, size_t len)
{
	for (int tries = 0; tries < 8; tries++) {
		int fd, err = random_name(tmp, len);

		if (err)
			return err;
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd < 0 ? -errno : fd;
	}
	return -EEXIST;
}

/* Gives an O_TMPFILE file a name. 0 or -errno (-EEXIST when the name is taken). */
static int link_anonymous(int fd, int dirfd, const char *name)
{
	char proc[32];

	if (!linkat(fd, "", dirfd, name, AT_EMPTY_PATH))
		return 0;
	if (errno != ENOENT && errno != EPERM)
		return -errno;
	/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; open(2) gives this way without it */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) ? -errno : 0;
}

/* Gives an O_TMPFILE file a random name (in tmp), one no other file has. 0 or -errno. */
static int link_aside(int fd, int dirfd, char *tmp, size_t len)
{
	int err = -EEXIST;

	for (int tries = 0; tries < 8 && err == -EEXIST; tries++)
		err = random_name(tmp, len) ?: link_anonymous(fd, dirfd, tmp);
	return err;
}

/*
 * Proves the directory writable the way the results will be written, with a little space taken:
 * a read-only mount, a full disk or a missing permission fails here, not after the recording.
 * Files are anonymous (O_TMPFILE) where that and naming them works, else created under a random
 * name; the latter's error is the one said.
 */
static int probe(struct outdir *d)
{
	char tmp[40];
	int fd, err;

	fd = openat(d->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (fd >= 0) {
		err = fallocate(fd, 0, 0, PROBE_BYTES) && errno != EOPNOTSUPP ? -errno : 0;
		err = err ?: link_aside(fd, d->dirfd, tmp, sizeof(tmp));
		if (!err)
			unlinkat(d->dirfd, tmp, 0);
		close(fd);
		d->anonymous = !err;
		if (!err)
			return 0;
	}
	fd = create_named(d->dirfd, tmp, sizeof(tmp));
	if (fd < 0)
		return fd;
	err = fallocate(fd, 0, 0, PROBE_BYTES) && errno != EOPNOTSUPP ? -errno : 0;
	unlinkat(d->dirfd, tmp, 0);
	close(fd);
	return err;
}

/* Why an existing directory is not ours to write into, or NULL. */
static const char *not_ours(const struct stat *st, char *buf, size_t len)
{
	if (st->st_uid != geteuid()) {
		struct passwd *pw = getpwuid(st->st_uid);

		snprintf(buf, len, "is owned by %s (uid %u), not by the user running agentprof", pw ? pw->pw_name : "another user",
			 st->st_uid);
		return buf;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(st->st_mode & S_ISVTX)) {
		snprintf(buf, len, "is writable by others (mode %04o) without the sticky bit", st->st_mode & 07777);
		return buf;
	}
	return NULL;
}

int outdir__open(struct outdir *d, const char *path, bool force)
{
	char parent[PATH_MAX], bad[PATH_MAX] = "", why[160];
	const char *said;
	struct stat st;
	int err;

	memset(d, 0, sizeof(*d));
	d->dirfd = d->parentfd = -1;
	d->path = strdup(path);
	if (!d->path)
		return -ENOMEM;
	err = path_split(path, parent, sizeof(parent), d->last, sizeof(d->last)) ?:
	      open_nofollow(parent, &d->parentfd, bad, sizeof(bad));
	if (!err) {
		if (mkdirat(d->parentfd, d->last, 0700) == 0)
			d->created = true;
		else if (errno != EEXIST)
			err = -errno;
	}
	if (err && err != -ELOOP) {
		pr_warn("create output directory %s: %s\n", path, strerror(-err));
		goto fail;
	}
	if (!err) {
		d->dirfd = openat(d->parentfd, d->last, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		err = d->dirfd < 0 ? -errno : 0;
		/* a symlink fails with ENOTDIR (O_DIRECTORY is checked first), or ELOOP */
		if ((err == -ENOTDIR || err == -ELOOP) && is_symlink(d->parentfd, d->last)) {
			err = -ELOOP;
			snprintf(bad, sizeof(bad), "%s", path);
		}
	}
	if (err == -ELOOP) {
		size_t n = strlen(bad);

		while (n > 1 && bad[n - 1] == '/')
			bad[--n] = '\0';
		if (!strcmp(bad, path))
			pr_warn("output directory %s: is a symlink, refusing to follow it\n", path);
		else
			pr_warn("output directory %s: %s is a symlink, refusing to follow it\n", path, bad);
		goto fail;
	}
	if (err) {
		pr_warn("output directory %s: %s\n", path, strerror(-err));
		goto fail;
	}
	if (d->created) {
		/*
		 * Made by us, but opened by name: whoever can write to the parent could have put a
		 * directory of their own there in between. Ours is owned by us and open to nobody else.
		 */
		err = fstat(d->dirfd, &st) ? -errno : 0;
		if (err || st.st_uid != geteuid() || (st.st_mode & 077)) {
			d->created = false;	/* not ours to remove either */
			err = err ?: -EPERM;
			pr_warn("output directory %s: %s\n", path,
				err == -EPERM ? "was replaced by another while it was created, refusing it" : strerror(-err));
			goto fail;
		}
	} else if (!force) {
		err = fstat(d->dirfd, &st) ? -errno : 0;
		said = err ? strerror(-err) : not_ours(&st, why, sizeof(why));
		if (said) {
			err = err ?: -EPERM;
			pr_warn("output directory %s: %s%s\n", path, said, err == -EPERM ? " (--force writes into it)" : "");
			goto fail;
		}
		err = has_entries(d->dirfd);
		if (err) {
			if (err > 0)
				err = -ENOTEMPTY;
			pr_warn("output directory %s: %s\n", path, err == -ENOTEMPTY ?
				"is not empty (--force writes into it)" : strerror(-err));
			goto fail;
		}
	}
	err = probe(d);
	if (err) {
		pr_warn("output directory %s: cannot write into it: %s\n", path, strerror(-err));
		goto fail;
	}
	return 0;
fail:
	outdir__close(d);
	return err;
}

/* Where a FILE's writes go: the descriptor, and the first error, which stdio would turn into EIO. */
struct sink {
	int fd;
	int err;
};

static ssize_t sink_write(void *cookie, const char *buf, size_t len)
{
	struct sink *s = cookie;
	size_t done = 0;

	while (!s->err && done < len) {
		ssize_t n = write(s->fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			s->err = n < 0 ? errno : EIO;
		else
			done += n;
	}
	return done;	/* short: stdio marks the stream in error */
}

int outdir__stage(struct outdir *d, const char *name, outdir_write_fn fn, void *ctx)
{
	struct outdir_file *s = &d->staged[d->nstaged < OUTDIR_MAX_FILES ? d->nstaged : 0];
	struct sink sink = { .fd = -1 };
	FILE *f;
	int err;

	snprintf(d->failed, sizeof(d->failed), "%s", name);
	if (d->nstaged >= OUTDIR_MAX_FILES || strlen(name) >= sizeof(s->name))
		return d->nstaged >= OUTDIR_MAX_FILES ? -E2BIG : -ENAMETOOLONG;
	s->fd = -1;
	s->tmp[0] = '\0';
	snprintf(s->name, sizeof(s->name), "%s", name);
	/* O_TMPFILE: no name to guess or plant a file under, and none left behind if we die */
	sink.fd = d->anonymous ? openat(d->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600) :
				 create_named(d->dirfd, s->tmp, sizeof(s->tmp));
	if (sink.fd < 0)
		return d->anonymous ? -errno : sink.fd;
	f = fopencookie(&sink, "w", (cookie_io_functions_t){ .write = sink_write });
	if (!f) {
		err = -errno;
		goto fail_close;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 16);
	err = fn(f, ctx);
	if (fclose(f) && !err)
		err = -EIO;
	if (sink.err)
		err = -sink.err;	/* the real cause of the writers' -EIO */
	/* on disk before it has a name: a crash leaves the old file or the whole new one */
	if (!err && fdatasync(sink.fd))
		err = -errno;
	if (err)
		goto fail_close;
	s->fd = sink.fd;
	d->nstaged++;
	d->failed[0] = '\0';
	return 0;
fail_close:
	close(sink.fd);
	if (s->tmp[0])
		unlinkat(d->dirfd, s->tmp, 0);
	s->tmp[0] = '\0';
	return err;
}

/* Gives a staged file a random name beside the others unless it has one. 0 or -errno. */
static int name_aside(struct outdir *d, struct outdir_file *s)
{
	int err;

	if (s->tmp[0])
		return 0;
	err = link_aside(s->fd, d->dirfd, s->tmp, sizeof(s->tmp));
	if (err)
		s->tmp[0] = '\0';
	return err;
}

/* Renames the staged file i to its name: 0 or -errno, d->failed set. */
static int rename_in(struct outdir *d, sig_atomic_t i)
{
	struct outdir_file *f = &d->staged[i];

	if (renameat(d->dirfd, f->tmp, d->dirfd, f->name)) {
		snprintf(d->failed, sizeof(d->failed), "%s", f->name);
		return -errno;
	}
	f->tmp[0] = '\0';
	return 0;
}

/*
 * In passes, so that a failure leaves the directory as it was, the files of the same names from
 * before (--force) included: every file first gets a random name of its own (what can run out
 * of room) and each name is checked to be free or a file; then the files whose names are new are
 * renamed in (a failure there is undone by removing them); then those that replace a file (a
 * rename over a file of the same directory needs no room, so only a failing disk gets here with
 * an error, and then none of the set stays). 0 or -errno.
 */
int outdir__commit(struct outdir *d)
{
	bool replaces[OUTDIR_MAX_FILES] = { false }, undo[OUTDIR_MAX_FILES] = { false };
	sigset_t all, old;
	int err = 0;

	/* a stop signal now would leave part of the set: it waits until the set is in, or out */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	for (sig_atomic_t i = 0; !err && i < d->nstaged; i++) {
		struct stat st;

		err = name_aside(d, &d->staged[i]);
		if (!err && !fstatat(d->dirfd, d->staged[i].name, &st, AT_SYMLINK_NOFOLLOW))
			err = S_ISREG(st.st_mode) ? (replaces[i] = true, 0) : -EEXIST;
		else if (!err && errno != ENOENT)
			err = -errno;
		if (err)
			snprintf(d->failed, sizeof(d->failed), "%s", d->staged[i].name);
	}
	for (sig_atomic_t i = 0; !err && i < d->nstaged; i++)
		if (!replaces[i] && !(err = rename_in(d, i)))
			undo[i] = true;
	for (sig_atomic_t i = 0; !err && i < d->nstaged; i++)
		if (replaces[i] && !(err = rename_in(d, i)))
			undo[i] = true;	/* the file it replaced is gone: none of the set stays either */
	if (!err && fsync(d->dirfd)) {
		err = -errno;
		snprintf(d->failed, sizeof(d->failed), ".");
	}
	if (err)
		for (sig_atomic_t i = 0; i < d->nstaged; i++) {
			if (undo[i])
				unlinkat(d->dirfd, d->staged[i].name, 0);
		}
	else
		d->ncommitted += d->nstaged;
	outdir__discard(d);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return err;
}

void outdir__discard(struct outdir *d)
{
	for (sig_atomic_t i = 0; i < d->nstaged; i++) {
		struct outdir_file *s = &d->staged[i];

		close(s->fd);
		if (s->tmp[0])
			unlinkat(d->dirfd, s->tmp, 0);
		s->fd = -1;
		s->tmp[0] = '\0';
	}
	d->nstaged = 0;
}

void outdir__abort(struct outdir *d)
{
	if (!d || d->dirfd < 0)
		return;
	/* one past the staged: the file being written */
	for (sig_atomic_t i = 0; i <= d->nstaged && i < OUTDIR_MAX_FILES; i++)
		if (d->staged[i].tmp[0])
			unlinkat(d->dirfd, d->staged[i].tmp, 0);
	if (d->created && !d->ncommitted)
		unlinkat(d->parentfd, d->last, AT_REMOVEDIR);
}

void outdir__close(struct outdir *d)
{
	if (d->dirfd >= 0) {
		outdir__discard(d);
		close(d->dirfd);
	}
	d->dirfd = -1;
	if (d->created && !d->ncommitted && d->parentfd >= 0)
		unlinkat(d->parentfd, d->last, AT_REMOVEDIR);
	if (d->parentfd >= 0)
		close(d->parentfd);
	d->parentfd = -1;
	free(d->path);
	d->path = NULL;
}
