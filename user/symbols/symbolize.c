// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Turns the addresses of a recording's processes into frame names: the mappings of the image that
 * ran them (symbols/images.c) find the file, an ELF cache keyed by the file's identity (device,
 * inode), shared by the processes, reads each binary once, /proc/kallsyms serves the kernel, and
 * each process's perf map names JIT-compiled code in anonymous memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/log.h"
#include "base/vec.h"
#include "symbols/demangle.h"
#include "symbols/elfsyms.h"
#include "symbols/images.h"
#include "symbols/ksyms.h"
#include "symbols/symbolize.h"
#include "target/procfs.h"
#include "target/procmaps.h"

#define DEBUG_ROOT "/usr/lib/debug"

struct elf_entry {
	uint32_t dev_major, dev_minor;
	uint64_t inode;
	char *path;
	struct elf_syms *syms;	/* NULL: the file could not be read, do not try again */
};

/* The images of a recording share one ELF cache and the kernel's symbols. */
struct syms_cache {
	const struct images *images;
	struct elf_entry *elfs;
	size_t nelfs, cap;
	struct ksyms *ksyms;
	int ksyms_failed;
};

struct syms_cache *syms_cache__new(const struct images *images)
{
	struct syms_cache *c = calloc(1, sizeof(struct syms_cache));

	if (c)
		c->images = images;
	return c;
}

const struct images *syms_cache__images(const struct syms_cache *c)
{
	return c->images;
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
	ksyms__free(c->ksyms);
	free(c);
}

/*
 * Opens through the process's root first (containers, deleted mounts), while the PID is still
 * that process's, then the host path.
 */
static struct elf_syms *open_file(const struct image *im, const struct map_entry *m)
{
	const char *root = image__root(im);
	struct elf_syms *s = root ? elf_syms__open(root, m->path, DEBUG_ROOT) : NULL;

	if (!s)
		s = elf_syms__open("", m->path, DEBUG_ROOT);
	if (!s)
		pr_debug("no symbols for %s: %s\n", m->path, strerror(errno));
	return s;
}

static struct elf_entry *elf_for(struct syms_cache *c, const struct image *im, const struct map_entry *m)
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
	e->syms = open_file(im, m);
	c->nelfs++;
	return e;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

void syms_cache__user(struct syms_cache *c, pid_t pid, uint32_t gen, uint64_t addr, bool is_return, char *buf,
		      size_t len)
{
	uint64_t lookup = is_return && addr ? addr - 1 : addr, offset, vaddr, off;
	struct image *im = images__find(c->images, pid, gen);
	const struct map_entry *m = im ? image__mapping(im, lookup) : NULL;
	struct elf_entry *e;
	const char *name;

	if (addr == TRUNCATED_FRAME) {
		snprintf(buf, len, "[truncated]");
		return;
	}
	if (!m || !m->path[0]) {
		name = m ? image__jit_name(im, lookup) : NULL;
		snprintf(buf, len, "%s", name ? name : "[unknown]");
		return;
	}
	if (m->path[0] == '[') {	/* [vdso], [vsyscall]: no file to read */
		snprintf(buf, len, "%s", m->path);
		return;
	}
	offset = lookup - m->start + m->offset;
	e = elf_for(c, im, m);
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
	const struct image *im = images__find(c->images, pid, gen);
	const struct map_entry *m = im ? image__mapping(im, addr) : NULL;
	struct elf_entry *e;

	if (!m || !m->path[0])
		return -ENOENT;
	*out = (struct user_mapping){ m->start, m->end, m->offset, m->path, "" };
	if (m->path[0] == '[')
		return 0;
	/* the ELF is already open when the address was named: this only looks it up */
	e = elf_for(c, im, m);
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
