/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Turns the user and kernel addresses of a recording's processes into frame names, reading each binary once. */
#ifndef SYMBOLIZE_H
#define SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>
#include "agentprof.h"

/*
 * Mappings are kept per image of a process: (pid, generation), the generation being the kernel's
 * (struct proc_info): a process that execs runs a new image. A process is (pid, start time): a
 * PID that another process took is never read as the one it was.
 */
struct syms_cache;

/* Not a user address: the root-side end of a user stack cut short, named [truncated]. */
#define TRUNCATED_FRAME 0xfffffffffffffffeull

/* An empty cache; NULL on -ENOMEM. */
struct syms_cache *syms_cache__new(void);
void syms_cache__free(struct syms_cache *c);
/* Adds a process at generation 0 (no-op when known): reads its /proc/PID/maps. 0 or -errno. */
int syms_cache__add(struct syms_cache *c, pid_t pid);
/*
 * A process image as the kernel's process map has it: a generation not seen yet (an exec, a
 * followed child) gets its mappings read now, the older ones keep theirs; a child never read is
 * named with its parent's image. 0 or -ENOMEM.
 */
int syms_cache__add_image(struct syms_cache *c, pid_t pid, const struct proc_info *info);
/*
 * Re-reads the mappings of every image still running (to follow dlopen); one gone (exited,
 * exec'd, its PID another process's) keeps its last ones: -ESRCH.
 */
int syms_cache__refresh(struct syms_cache *c);
/* The executable mappings of a process's latest image as last read (none for an unknown PID). */
const struct proc_maps *syms_cache__maps(const struct syms_cache *c, pid_t pid);

/*
 * Writes the frame name of a user address into buf: "func", "libfoo.so+0x1a2b" when the file
 * has no symbol there, "[unknown]" when no mapping holds it. is_return: the address is a
 * return address (every frame but the leaf), so the call is the byte before it.
 */
void syms_cache__user(struct syms_cache *c, pid_t pid, uint32_t gen, uint64_t addr, bool is_return, char *buf,
		      size_t len);
/* Same for a kernel address, from /proc/kallsyms (loaded on first use). */
void syms_cache__kernel(struct syms_cache *c, uint64_t addr, bool is_return, char *buf, size_t len);

/* A process's CPython interpreter, found when it was added; NULL when it runs none. */
struct py_interp *syms_cache__python(const struct syms_cache *c, pid_t pid);

/* The file mapping that holds a user address, as pprof describes it. */
struct user_mapping {
	uint64_t start, end;	/* [start, end) in the target */
	uint64_t offset;	/* file offset of start */
	const char *path;	/* valid until the next refresh */
	const char *build_id;	/* lowercase hex, "" when unknown; valid as long as the cache */
};

/* 0, or -ENOENT when no file-backed mapping holds addr ([vdso] counts as one, without a build-id). */
int syms_cache__mapping(struct syms_cache *c, pid_t pid, uint32_t gen, uint64_t addr, struct user_mapping *out);

#endif /* SYMBOLIZE_H */
