// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Turns the addresses of a recording's processes into frame names: /proc/PID/maps of the image that
 * ran them (the process's generation: an exec starts a new one) finds the file,
 * an ELF cache keyed by the file's identity (device, inode), shared by the processes, reads each
 * binary once, /proc/kallsyms serves the kernel, and each process's perf map names JIT-compiled
 * code in anonymous memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "symbols/demangle.h"
#include "symbols/elfsyms.h"
#include "symbols/ksyms.h"
#include "base/log.h"
#include "symbols/perfmap.h"
#include "target/procfs.h"
#include "target/procmaps.h"
#include "python/pyinterp.h"
#include "symbols/symbolize.h"
#include "base/util.h"
#include "base/vec.h"

#define DEBUG_ROOT "/usr/lib/debug"

struct elf_entry {
	uint32_t dev_major, dev_minor;
	uint64_t inode;
	char *path;
	struct elf_syms *syms;	/* NULL: the file could not be read, do not try again */
};

/*
 * One image of one process, keyed by (pid, generation): a PID runs another image after an exec,
 * or when a followed child gets the PID of one that exited (struct proc_info). Its view of the
 * file system and its executable mappings as last read.
 */
struct proc_syms {
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
};

/* The processes of a recording share one ELF cache and the kernel's symbols. */
struct syms_cache {
	struct proc_syms *procs;
	size_t nprocs;
	struct elf_entry *elfs;
	size_t nelfs, cap;
	struct ksyms *ksyms;
	int ksyms_failed;
};

struct syms_cache *syms_cache__new(void)
{
	return calloc(1, sizeof(struct syms_cache));
}

/* The newest image of pid (the one still running, if any). */
static struct proc_syms *proc_of(const struct syms_cache *c, pid_t pid)
{
	struct proc_syms *latest = NULL;

	for (size_t i = 0; i < c->nprocs; i++)
		if (c->procs[i].pid == pid && (!latest || c->procs[i].gen > latest->gen))
			latest = &c->procs[i];
	return latest;
}

static struct proc_syms *image_find(const struct syms_cache *c, pid_t pid, uint32_t gen)
{
	for (size_t i = 0; i < c->nprocs; i++)
		if (c->procs[i].pid == pid && c->procs[i].gen == gen)
			return &c->procs[i];
	return NULL;
}

/* The image whose mappings name addresses of (pid, gen): a child never read runs its parent's. */
static struct proc_syms *image_of(const struct syms_cache *c, pid_t pid, uint32_t gen)
{
	struct proc_syms *p = image_find(c, pid, gen);

	for (int depth = 0; p && !p->read && p->parent && depth < 16; depth++)
		p = image_find(c, p->parent, p->parent_gen);
	return p && p->read ? p : NULL;
}

/* Whether pid is still the process that started at start_ticks (0: whichever it is, taken now). */
static bool same_process(struct proc_syms *p)
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
static int image_read(struct proc_syms *p)
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

/* A new image of pid, its mappings read now (when it still runs), and its interpreter found. */
static int image_add(struct syms_cache *c, pid_t pid, uint32_t gen, uint64_t start_ticks, struct proc_syms **out)
{
	struct proc_syms *p = realloc(c->procs, (c->nprocs + 1) * sizeof(*p));
	char path[4300];	/* a process each: a recording that follows children has many, kept short */
	pid_t ns;
	int err;

	if (!p)
		return -ENOMEM;
	c->procs = p;
	p = &c->procs[c->nprocs];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->gen = gen;
	p->start_ticks = start_ticks;
	err = proc_path(path, sizeof(path), pid, "root");
	p->root = err ? NULL : strdup(path);
	err = err ?: p->root ? image_read(p) : -ENOMEM;
	c->nprocs++;
	*out = p;
	if (err)
		return err;
	if (!proc_ns_pid(pid, &ns) && !proc_perf_map_path(path, sizeof(path), pid, ns))
		p->perf_path = strdup(path);
	p->py = py_interp__open(pid, p->root, &p->maps);	/* NULL: not a Python process */
	return 0;
}

int syms_cache__add(struct syms_cache *c, pid_t pid)
{
	struct proc_syms *p;
	int err;

	if (proc_of(c, pid))
		return 0;
	err = image_add(c, pid, 0, 0, &p);
	if (err) {
		free(p->root);
		c->nprocs--;	/* unknown: the caller says so */
	}
	return err;
}

int syms_cache__add_image(struct syms_cache *c, pid_t pid, const struct proc_info *info)
{
	struct proc_syms *p = proc_of(c, pid);
	uint64_t ticks = info->start_ns / (1000000000ull / sysconf(_SC_CLK_TCK));	/* start_boottime, in ticks */
	int err;

	if (p && p->gen >= info->gen)
		return 0;	/* known, or an older image seen late: nothing of it can be read now */
	if (p && !info->start_ns)
		ticks = p->start_ticks;	/* the same process after an exec */
	for (size_t i = 0; i < c->nprocs; i++)	/* the older images of pid run no more */
		if (c->procs[i].pid == pid)
			c->procs[i].gone = true;
	err = image_add(c, pid, info->gen, ticks, &p);
	if (err == -ENOMEM)
		return err;
	p->parent = info->parent;
	p->parent_gen = info->parent_gen;
	if (err)
		pr_debug("process %d (generation %u): no mappings of its own: %s\n", pid, info->gen, strerror(-err));
	return 0;
}

void syms_cache__free(struct syms_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nelfs; i++) {
		elf_syms__free(c->elfs[i].syms);
		free(c->elfs[i].path);
	}
	free(c->elfs);
	for (size_t i = 0; i < c->nprocs; i++) {
		proc_maps__free(&c->procs[i].maps);
		perf_map__free(c->procs[i].perf);
		free(c->procs[i].root);
		free(c->procs[i].perf_path);
		py_interp__free(c->procs[i].py);
	}
	free(c->procs);
	ksyms__free(c->ksyms);
	free(c);
}

int syms_cache__refresh(struct syms_cache *c)
{
	int ret = 0;

	for (size_t i = 0; i < c->nprocs; i++) {
		int err = image_read(&c->procs[i]);

		if (err)
			ret = err;	/* the process is gone; its last maps stay */
	}
	return ret;
}

struct py_interp *syms_cache__python(const struct syms_cache *c, pid_t pid)
{
	const struct proc_syms *p = proc_of(c, pid);

	return p ? p->py : NULL;
}

const struct proc_maps *syms_cache__maps(const struct syms_cache *c, pid_t pid)
{
	static const struct proc_maps none;
	const struct proc_syms *p = proc_of(c, pid);

	return p ? &p->maps : &none;
}

/*
 * Opens through the process's root first (containers, deleted mounts), while the PID is still
 * that process's, then the host path.
 */
static struct elf_syms *open_file(const struct proc_syms *p, const struct map_entry *m)
{
	struct elf_syms *s = p->gone || !p->root ? NULL : elf_syms__open(p->root, m->path, DEBUG_ROOT);

	if (!s)
		s = elf_syms__open("", m->path, DEBUG_ROOT);
	if (!s)
		pr_debug("no symbols for %s: %s\n", m->path, strerror(errno));
	return s;
}

static struct elf_entry *elf_for(struct syms_cache *c, const struct proc_syms *p, const struct map_entry *m)
{
	struct elf_entry *e;

	for (size_t i = 0; i < c->nelfs; i++) {
		e = &c->elfs[i];
		if (e->inode == m->inode && e->dev_major == m->dev_major &&
		    e->dev_minor == m->dev_minor && !strcmp(e->path, m->path))
			return e;
	}
	if (VEC_GROW(c->elfs, c->nelfs, c->cap))
		return NULL;
	e = &c->elfs[c->nelfs];
	*e = (struct elf_entry){ m->dev_major, m->dev_minor, m->inode, strdup(m->path), NULL };
	if (!e->path)
		return NULL;
	e->syms = open_file(p, m);
	c->nelfs++;
	return e;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* JIT-compiled code: named by the process's perf map, read again after each refresh. */
static const char *jit_name(struct proc_syms *p, uint64_t addr)
{
	if (!p->perf_read) {
		perf_map__free(p->perf);
		p->perf = p->perf_path ? perf_map__load(p->perf_path) : NULL;
		p->perf_read = true;
	}
	return p->perf ? perf_map__lookup(p->perf, addr) : NULL;
}

void syms_cache__user(struct syms_cache *c, pid_t pid, uint32_t gen, uint64_t addr, bool is_return, char *buf,
		      size_t len)
{
	uint64_t lookup = is_return && addr ? addr - 1 : addr, offset, vaddr, off;
	struct proc_syms *p = image_of(c, pid, gen);
	const struct map_entry *m = p ? proc_maps__find(&p->maps, lookup) : NULL;
	struct elf_entry *e;
	const char *name;

	if (addr == TRUNCATED_FRAME) {
		snprintf(buf, len, "[truncated]");
		return;
	}
	if (!m || !m->path[0]) {
		name = m ? jit_name(p, lookup) : NULL;
		snprintf(buf, len, "%s", name ? name : "[unknown]");
		return;
	}
	if (m->path[0] == '[') {	/* [vdso], [vsyscall]: no file to read */
		snprintf(buf, len, "%s", m->path);
		return;
	}
	offset = lookup - m->start + m->offset;
	e = elf_for(c, p, m);
	if (!e || !e->syms || elf_syms__offset_to_vaddr(e->syms, offset, &vaddr)) {
		snprintf(buf, len, "%s+0x%llx", base_name(m->path), (unsigned long long)offset);
		return;
	}
	name = elf_syms__lookup(e->syms, vaddr, &off);
	if (name)
		demangle(name, buf, len);
	else
		snprintf(buf, len, "%s+0x%llx", base_name(m->path), (unsigned long long)vaddr);
}

int syms_cache__mapping(struct syms_cache *c, pid_t pid, uint32_t gen, uint64_t addr, struct user_mapping *out)
{
	const struct proc_syms *p = image_of(c, pid, gen);
	const struct map_entry *m = p ? proc_maps__find(&p->maps, addr) : NULL;
	struct elf_entry *e;

	if (!m || !m->path[0])
		return -ENOENT;
	*out = (struct user_mapping){ m->start, m->end, m->offset, m->path, "" };
	if (m->path[0] == '[')
		return 0;
	/* the ELF is already open when the address was named: this only looks it up */
	e = elf_for(c, p, m);
	if (e && e->syms)
		out->build_id = elf_syms__build_id(e->syms);
	return 0;
}

void syms_cache__kernel(struct syms_cache *c, uint64_t addr, bool is_return, char *buf, size_t len)
{
	const char *name = NULL;

	if (!c->ksyms && !c->ksyms_failed) {
		char path[4200];

		c->ksyms = proc_path(path, sizeof(path), 0, "kallsyms") ? NULL : ksyms__load(path);
		if (!c->ksyms) {
			c->ksyms_failed = 1;
			pr_warn("kernel frames stay unnamed: /proc/kallsyms: %s\n",
				errno == EPERM ? "addresses hidden (needs CAP_SYSLOG)" : strerror(errno));
		}
	}
	if (c->ksyms)
		name = ksyms__lookup(c->ksyms, is_return && addr ? addr - 1 : addr);
	snprintf(buf, len, "%s", name ? name : "[unknown]");
}
