/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* /proc/PID/maps: parse the executable mappings of a process and find the one holding an address. */
#ifndef PROCMAPS_H
#define PROCMAPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct map_entry {
	uint64_t start, end;	/* [start, end) */
	uint64_t offset;	/* file offset of start */
	uint64_t inode;
	uint32_t dev_major, dev_minor;
	char *path;		/* "" for anonymous, "[vdso]" etc. for special, " (deleted)" stripped */
	int deleted;
};

struct proc_maps {
	struct map_entry *v;	/* sorted by start, non-overlapping, executable mappings only */
	size_t n;
};

/* Parses maps text; keeps executable mappings. 0, or -EINVAL on a malformed line, -ENOMEM. */
int proc_maps__parse(const char *text, struct proc_maps *out);
/* Reads and parses /proc/PID/maps. */
int proc_maps__read(pid_t pid, struct proc_maps *out);
const struct map_entry *proc_maps__find(const struct proc_maps *maps, uint64_t addr);
/*
 * The index of the first mapping from from on of a file whose name (its last component) begins
 * with one of prefixes (NULL-ended), each file once: its first executable mapping. maps->n: none.
 * How the interpreters find their files (python*, libruby*, node*...).
 */
size_t proc_maps__next_named(const struct proc_maps *maps, size_t from, const char *const *prefixes);
void proc_maps__free(struct proc_maps *maps);

#endif /* PROCMAPS_H */
