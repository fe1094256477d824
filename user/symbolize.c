// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Turns a target's addresses into frame names: /proc/PID/maps finds the file, an ELF cache keyed
 * by the file's identity (device, inode) reads each binary once, /proc/kallsyms serves the kernel,
 * and the target's perf map names JIT-compiled code in anonymous memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "demangle.h"
#include "elfsyms.h"
#include "ksyms.h"
#include "log.h"
#include "perfmap.h"
#include "procmaps.h"
#include "symbolize.h"

#define DEBUG_ROOT "/usr/lib/debug"

struct elf_entry {
	uint32_t dev_major, dev_minor;
	uint64_t inode;
	char *path;
	struct elf_syms *syms;	/* NULL: the file could not be read, do not try again */
};

struct syms_cache {
	pid_t pid;
	char root[64];		/* /proc/PID/root: the target's view of the file system */
	struct proc_maps maps;
	struct elf_entry *elfs;
	size_t nelfs, cap;
	struct ksyms *ksyms;
	int ksyms_failed;
	char perf_path[96];	/* the perf map, inside the target's root and named by its own PID */
	struct perf_map *perf;
	bool perf_read;		/* since the last refresh: a JIT appends to it as it goes */
};

/* The target's PID in its own PID namespace (the last NSpid), which names its perf map. */
static pid_t ns_pid(pid_t pid)
{
	char path[64], line[256];
	pid_t ns = pid;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return pid;
	while (fgets(line, sizeof(line), f)) {
		char *p = line + 6, *end;
		long v;

		if (strncmp(line, "NSpid:", 6))
			continue;
		while ((v = strtol(p, &end, 10)) > 0 && end != p) {
			ns = v;
			p = end;
		}
	}
	fclose(f);
	return ns;
}

struct syms_cache *syms_cache__new(pid_t pid)
{
	struct syms_cache *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return NULL;
	c->pid = pid;
	snprintf(c->root, sizeof(c->root), "/proc/%d/root", pid);
	snprintf(c->perf_path, sizeof(c->perf_path), "%s/tmp/perf-%d.map", c->root, ns_pid(pid));
	err = proc_maps__read(pid, &c->maps);
	if (err) {
		free(c);
		errno = -err;
		return NULL;
	}
	return c;
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
	proc_maps__free(&c->maps);
	ksyms__free(c->ksyms);
	perf_map__free(c->perf);
	free(c);
}

int syms_cache__refresh(struct syms_cache *c)
{
	struct proc_maps maps;
	int err = proc_maps__read(c->pid, &maps);

	if (err)
		return err;
	proc_maps__free(&c->maps);
	c->maps = maps;
	c->perf_read = false;
	return 0;
}

const struct proc_maps *syms_cache__maps(const struct syms_cache *c)
{
	return &c->maps;
}

/* Opens through the target's root first (containers, deleted mounts), then the host path. */
static struct elf_syms *open_file(struct syms_cache *c, const struct map_entry *m)
{
	struct elf_syms *s = elf_syms__open(c->root, m->path, DEBUG_ROOT);

	if (!s)
		s = elf_syms__open("", m->path, DEBUG_ROOT);
	if (!s)
		pr_debug("no symbols for %s: %s\n", m->path, strerror(errno));
	return s;
}

static struct elf_entry *elf_for(struct syms_cache *c, const struct map_entry *m)
{
	struct elf_entry *e;

	for (size_t i = 0; i < c->nelfs; i++) {
		e = &c->elfs[i];
		if (e->inode == m->inode && e->dev_major == m->dev_major &&
		    e->dev_minor == m->dev_minor && !strcmp(e->path, m->path))
			return e;
	}
	if (c->nelfs == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;

		e = realloc(c->elfs, cap * sizeof(*e));
		if (!e)
			return NULL;
		c->elfs = e;
		c->cap = cap;
	}
	e = &c->elfs[c->nelfs];
	*e = (struct elf_entry){ m->dev_major, m->dev_minor, m->inode, strdup(m->path), NULL };
	if (!e->path)
		return NULL;
	e->syms = open_file(c, m);
	c->nelfs++;
	return e;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* JIT-compiled code: named by the target's perf map, read again after each refresh. */
static const char *jit_name(struct syms_cache *c, uint64_t addr)
{
	if (!c->perf_read) {
		perf_map__free(c->perf);
		c->perf = perf_map__load(c->perf_path);
		c->perf_read = true;
	}
	return c->perf ? perf_map__lookup(c->perf, addr) : NULL;
}

void syms_cache__user(struct syms_cache *c, uint64_t addr, bool is_return, char *buf, size_t len)
{
	uint64_t lookup = is_return && addr ? addr - 1 : addr, offset, vaddr, off;
	const struct map_entry *m = proc_maps__find(&c->maps, lookup);
	struct elf_entry *e;
	const char *name;

	if (addr == TRUNCATED_FRAME) {
		snprintf(buf, len, "[truncated]");
		return;
	}
	if (!m || !m->path[0]) {
		name = m ? jit_name(c, lookup) : NULL;
		snprintf(buf, len, "%s", name ? name : "[unknown]");
		return;
	}
	if (m->path[0] == '[') {	/* [vdso], [vsyscall]: no file to read */
		snprintf(buf, len, "%s", m->path);
		return;
	}
	offset = lookup - m->start + m->offset;
	e = elf_for(c, m);
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

int syms_cache__mapping(struct syms_cache *c, uint64_t addr, struct user_mapping *out)
{
	const struct map_entry *m = proc_maps__find(&c->maps, addr);
	struct elf_entry *e;

	if (!m || !m->path[0])
		return -ENOENT;
	*out = (struct user_mapping){ m->start, m->end, m->offset, m->path, "" };
	if (m->path[0] == '[')
		return 0;
	/* the ELF is already open when the address was named: this only looks it up */
	e = elf_for(c, m);
	if (e && e->syms)
		out->build_id = elf_syms__build_id(e->syms);
	return 0;
}

void syms_cache__kernel(struct syms_cache *c, uint64_t addr, bool is_return, char *buf, size_t len)
{
	const char *name = NULL;

	if (!c->ksyms && !c->ksyms_failed) {
		c->ksyms = ksyms__load("/proc/kallsyms");
		if (!c->ksyms) {
			c->ksyms_failed = 1;
			pr_warn("kernel frames stay unnamed: /proc/kallsyms: %s\n", strerror(errno));
		}
	}
	if (c->ksyms)
		name = ksyms__lookup(c->ksyms, is_return && addr ? addr - 1 : addr);
	snprintf(buf, len, "%s", name ? name : "[unknown]");
}
