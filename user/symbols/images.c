// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The registry of the target's process images: for each (pid, generation) its root, its
 * executable mappings as last read, its perf map and its CPython interpreter.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/intern.h"
#include "base/log.h"
#include "base/util.h"
#include "base/vec.h"
#include "python/pyinterp.h"
#include "ruby/rbinterp.h"
#include "ruby/rboffsets.h"
#include "node/v8interp.h"
#include "symbols/images.h"
#include "symbols/perfmap.h"
#include "target/procfs.h"

/*
 * One image of one process, keyed by (pid, generation): a PID runs another image after an exec,
 * or when a followed child gets the PID of one that exited (struct proc_info). Its view of the
 * file system and its executable mappings as last read.
 */
struct image {
	pid_t pid;
	uint32_t gen;
	pid_t parent;		/* forked from parent's image parent_gen (0: not a fork, or exec'd since) */
	uint32_t parent_gen;
	uint64_t start_ticks;	/* /proc/PID/stat starttime: with pid, the process's identity */
	bool read;		/* maps were read at least once */
	bool gone;		/* exited, exec'd, or the PID is another process's: nothing read any more */
	char *root;		/* /proc/PID/root: the files as the process sees them */
	struct proc_maps maps;
	char *perf_path;	/* its perf map, inside its root and named by its own PID; NULL: none */
	struct perf_map *perf;
	bool perf_read;		/* since the last refresh: a JIT appends to it as it goes */
	struct py_interp *py;	/* its CPython interpreter, NULL: none */
	struct rb_interp *rb;	/* its Ruby VM, NULL: none */
	struct v8_interp *v8;	/* its V8 (Node), NULL: none */
	struct runtime_unsupported unsupported;	/* a runtime it runs whose frames cannot be read */
};

/* The processes of a recording, each image once, found by hash: symbolization asks per frame. */
struct images {
	struct image *procs;
	size_t nprocs, cap;
	struct intern by_image;	/* struct image_key -> index in procs */
	struct intern by_pid;	/* pid -> index in latest */
	size_t *latest;		/* the newest image of each pid, an index in procs */
	size_t nlatest;
};

#define NO_IMAGE SIZE_MAX	/* in latest: a pid whose image could not be committed */

struct image_key {
	pid_t pid;
	uint32_t gen;
};

struct images *images__new(void)
{
	return calloc(1, sizeof(struct images));
}

void images__free(struct images *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nprocs; i++) {
		proc_maps__free(&r->procs[i].maps);
		perf_map__free(r->procs[i].perf);
		free(r->procs[i].root);
		free(r->procs[i].perf_path);
		py_interp__free(r->procs[i].py);
		rb_interp__free(r->procs[i].rb);
		v8_interp__free(r->procs[i].v8);
	}
	free(r->procs);
	intern__free(&r->by_image);
	intern__free(&r->by_pid);
	free(r->latest);
	free(r);
}

/* The newest image of pid (the one still running, if any). */
static struct image *proc_of(const struct images *r, pid_t pid)
{
	int64_t i = intern__find(&r->by_pid, &pid, sizeof(pid));

	return i < 0 || r->latest[i] == NO_IMAGE ? NULL : &r->procs[r->latest[i]];
}

static struct image *image_find(const struct images *r, pid_t pid, uint32_t gen)
{
	struct image_key key = { pid, gen };
	int64_t i = intern__find(&r->by_image, &key, sizeof(key));

	return i < 0 ? NULL : &r->procs[i];
}

/*
 * Makes procs[nprocs] an image of the registry, the newest of its pid. 0, or -ENOMEM with the
 * registry as it was but for a pid known with no image yet (latest says none).
 */
static int image_commit(struct images *r)
{
	struct image *p = &r->procs[r->nprocs];
	struct image_key key = { p->pid, p->gen };
	int64_t last = intern__id(&r->by_pid, &p->pid, sizeof(p->pid));

	if (last < 0)
		return -ENOMEM;
	if ((size_t)last == r->nlatest) {
		if (VEC_GROW_N(r->latest, r->nlatest))
			return -ENOMEM;
		r->latest[r->nlatest++] = NO_IMAGE;
	}
	/* last: the key was new, so its number is the next index; else a duplicate, refused */
	if (intern__id(&r->by_image, &key, sizeof(key)) != (int64_t)r->nprocs)
		return -ENOMEM;
	r->latest[last] = r->nprocs++;
	return 0;
}

/* The image whose mappings name addresses of (pid, gen): a child never read runs its parent's. */
struct image *images__find(const struct images *r, pid_t pid, uint32_t gen)
{
	struct image *p = image_find(r, pid, gen);

	for (int depth = 0; p && !p->read && p->parent && depth < 16; depth++)
		p = image_find(r, p->parent, p->parent_gen);
	return p && p->read ? p : NULL;
}

/* Whether pid is still the process that started at start_ticks (0: whichever it is, taken now). */
static bool same_process(struct image *p)
{
	char path[4200];
	uint64_t ticks;

	if (proc_path(path, sizeof(path), p->pid, "stat") || proc_stat(path, NULL, &ticks))
		return false;
	if (!p->start_ticks)
		p->start_ticks = ticks;
	return ticks == p->start_ticks;
}

/* Reads the image's mappings while its process runs it; keeps the last ones once it is gone. */
static int image_read(struct image *p)
{
	struct proc_maps maps;
	int err;

	if (p->gone)
		return -ESRCH;
	err = same_process(p) ? proc_maps__read(p->pid, &maps) : -ESRCH;
	if (!err && !maps.n) {	/* a zombie: its maps read empty */
		proc_maps__free(&maps);
		err = -ESRCH;
	}
	if (err) {
		p->gone = true;	/* the PID is no longer this process's */
		return err;
	}
	proc_maps__free(&p->maps);
	p->maps = maps;
	p->read = true;
	p->perf_read = false;
	return 0;
}

/* The interpreters an image runs (at most one each), or the one it runs whose version is not supported. */
static void open_runtimes(struct image *p)
{
	uint32_t py_version = 0, rb_version = 0, v8_version = 0;

	p->py = py_interp__open(p->pid, p->root, &p->maps, &py_version);	/* NULL: not a Python process */
	if (!p->py && errno == ENOTSUP) {
		strcpy(p->unsupported.runtime, "python");
		strcpy(p->unsupported.supported, "3.11 to 3.13");
		if (py_version)
			snprintf(p->unsupported.version, sizeof(p->unsupported.version), "%u.%u", py_version >> 24,
				 (py_version >> 16) & 0xff);
		else
			strcpy(p->unsupported.version, "older than 3.11");
	}
	if (p->py)
		return;
	p->rb = rb_interp__open(p->pid, p->root, &p->maps, &rb_version);	/* NULL: not a Ruby process */
	if (!p->rb && errno == ENOTSUP) {
		strcpy(p->unsupported.runtime, "ruby");
		strcpy(p->unsupported.supported, "3.1");
		if (rb_version)
			snprintf(p->unsupported.version, sizeof(p->unsupported.version), "%u.%u.%u", rb_version >> 16,
				 (rb_version >> 8) & 0xff, rb_version & 0xff);
		else
			strcpy(p->unsupported.version, "unknown");
	}
	if (p->rb)
		return;
	p->v8 = v8_interp__open(p->pid, p->root, &p->maps, &v8_version);	/* NULL: not a Node process */
	if (!p->v8 && errno == ENOTSUP) {
		strcpy(p->unsupported.runtime, "v8");
		strcpy(p->unsupported.supported, "9.1 to 12.7");
		if (v8_version)
			snprintf(p->unsupported.version, sizeof(p->unsupported.version), "%u.%u", v8_version >> 16,
				 v8_version & 0xffff);
		else
			strcpy(p->unsupported.version, "unknown");
	}
}

/*
 * A new image of pid, its mappings read now (when it still runs), and its interpreter found.
 * One that cannot be read is kept when keep_unread (a followed child is named by its parent's
 * image), else left out: -errno.
 */
static int image_add(struct images *r, pid_t pid, uint32_t gen, uint64_t start_ticks, bool keep_unread,
		     struct image **out)
{
	char path[4300];	/* a process each: a recording that follows children has many, kept short */
	struct image *p;
	pid_t ns;
	int err;

	if (VEC_GROW(r->procs, r->nprocs, r->cap))
		return -ENOMEM;
	p = &r->procs[r->nprocs];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->gen = gen;
	p->start_ticks = start_ticks;
	err = proc_path(path, sizeof(path), pid, "root");
	p->root = err ? NULL : strdup(path);
	err = err ?: p->root ? image_read(p) : -ENOMEM;
	if ((err && !keep_unread) || err == -ENOMEM || (image_commit(r) && (err = -ENOMEM))) {
		proc_maps__free(&p->maps);
		free(p->root);
		return err;
	}
	*out = p;
	if (err)
		return err;
	if (!proc_ns_pid(pid, &ns) && !proc_perf_map_path(path, sizeof(path), pid, ns))
		p->perf_path = strdup(path);
	open_runtimes(p);
	return 0;
}

int images__add(struct images *r, pid_t pid)
{
	struct image *p;

	if (proc_of(r, pid))
		return 0;
	return image_add(r, pid, 0, 0, false, &p);	/* one unreadable stays unknown: the caller says so */
}

int images__add_image(struct images *r, pid_t pid, const struct proc_info *info)
{
	struct image *p = proc_of(r, pid);
	uint64_t ticks = info->start_ns / (1000000000ull / sysconf(_SC_CLK_TCK));	/* start_boottime, in ticks */
	int err;

	if (p && p->gen >= info->gen)
		return 0;	/* known, or an older image seen late: nothing of it can be read now */
	if (p && !info->start_ns)
		ticks = p->start_ticks;	/* the same process after an exec */
	if (p)
		p->gone = true;	/* the older images of pid run no more (those before it were marked so) */
	err = image_add(r, pid, info->gen, ticks, true, &p);
	if (err == -ENOMEM)
		return err;
	p->parent = info->parent;
	p->parent_gen = info->parent_gen;
	if (err)
		pr_debug("process %d (generation %u): no mappings of its own: %s\n", pid, info->gen, strerror(-err));
	return 0;
}

int images__refresh(struct images *r)
{
	int ret = 0;

	for (size_t i = 0; i < r->nprocs; i++) {
		int err = image_read(&r->procs[i]);

		if (err)
			ret = err;	/* the process is gone; its last maps stay */
	}
	return ret;
}

struct py_interp *images__python(const struct images *r, pid_t pid)
{
	const struct image *p = proc_of(r, pid);

	return p ? p->py : NULL;
}

struct rb_interp *images__ruby(const struct images *r, pid_t pid)
{
	const struct image *p = proc_of(r, pid);

	return p ? p->rb : NULL;
}

struct v8_interp *images__node(const struct images *r, pid_t pid)
{
	const struct image *p = proc_of(r, pid);

	return p ? p->v8 : NULL;
}

size_t images__unsupported(const struct images *r, struct runtime_unsupported *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nprocs; i++) {
		const struct runtime_unsupported *u = &r->procs[i].unsupported;
		size_t k;

		if (!u->runtime[0])
			continue;
		for (k = 0; k < n; k++)
			if (!strcmp(out[k].runtime, u->runtime) && !strcmp(out[k].version, u->version))
				break;
		if (k == n && n < max) {
			out[n] = *u;
			out[n++].pid = r->procs[i].pid;
		}
	}
	return n;
}

const struct proc_maps *images__maps(const struct images *r, pid_t pid)
{
	static const struct proc_maps none;
	const struct image *p = proc_of(r, pid);

	return p ? &p->maps : &none;
}

/* JIT-compiled code: named by the process's perf map, read again after each refresh. */
const char *image__jit_name(struct image *p, uint64_t addr)
{
	if (!p->perf_read) {
		perf_map__free(p->perf);
		p->perf = p->perf_path ? perf_map__load(p->perf_path) : NULL;
		p->perf_read = true;
	}
	return p->perf ? perf_map__lookup(p->perf, addr) : NULL;
}

const struct map_entry *image__mapping(const struct image *im, uint64_t addr)
{
	return proc_maps__find(&im->maps, addr);
}

const char *image__root(const struct image *im)
{
	return im->gone ? NULL : im->root;
}
