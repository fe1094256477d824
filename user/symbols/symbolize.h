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

/* The ELF files by identity (device, inode) and the kernel's symbols, over a registry of images. */
struct syms_cache;
struct images;

/* Not a user address: the root-side end of a user stack cut short, named [truncated]. */
#define TRUNCATED_FRAME 0xfffffffffffffffeull

/* An empty cache over images (which must outlive it); NULL on -ENOMEM. */
struct syms_cache *syms_cache__new(const struct images *images);
void syms_cache__free(struct syms_cache *c);
/* The images it names addresses in. */
const struct images *syms_cache__images(const struct syms_cache *c);

/*
 * Writes the frame name of a user address into buf: "func", "libfoo.so+0x1a2b" when the file
 * has no symbol there, "[unknown]" when no mapping holds it. is_return: the address is a
 * return address (every frame but the leaf), so the call is the byte before it.
 */
void syms_cache__user(struct syms_cache *c, pid_t pid, uint32_t gen, uint64_t addr, bool is_return, char *buf,
		      size_t len);
/* Same for a kernel address, from /proc/kallsyms (loaded on first use). */
void syms_cache__kernel(struct syms_cache *c, uint64_t addr, bool is_return, char *buf, size_t len);

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
