/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The registry of the target's process images: mappings per (pid, generation), refreshed after dlopen. */
#ifndef IMAGES_H
#define IMAGES_H

#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>
#include "agentprof.h"
#include "model/profile.h"
#include "target/procmaps.h"

/*
 * Mappings are kept per image of a process: (pid, generation), the generation being the kernel's
 * (struct proc_info): a process that execs runs a new image. A process is (pid, start time): a
 * PID that another process took is never read as the one it was. Capture uses the registry
 * (span probes, code ranges, Python frames) before any address is named; symbols/ names the
 * addresses of the images it holds.
 */
struct images;
struct image;

/* An empty registry; NULL on -ENOMEM. */
struct images *images__new(void);
void images__free(struct images *r);
/* Adds a process at generation 0 (no-op when known): reads its /proc/PID/maps. 0 or -errno. */
int images__add(struct images *r, pid_t pid);
/*
 * A process image as the kernel's process map has it: a generation not seen yet (an exec, a
 * followed child) gets its mappings read now, the older ones keep theirs; a child never read is
 * named with its parent's image. 0 or -ENOMEM.
 */
int images__add_image(struct images *r, pid_t pid, const struct proc_info *info);
/*
 * Re-reads the mappings of every image still running (to follow dlopen); one gone (exited,
 * exec'd, its PID another process's) keeps its last ones: -ESRCH.
 */
int images__refresh(struct images *r);
/* The executable mappings of a process's latest image as last read (none for an unknown PID). */
const struct proc_maps *images__maps(const struct images *r, pid_t pid);
/* A process's CPython interpreter, found when it was added; NULL when it runs none. */
struct py_interp *images__python(const struct images *r, pid_t pid);
/* A process's Ruby VM, found when it was added; NULL when it runs none. */
struct rb_interp *images__ruby(const struct images *r, pid_t pid);
/* A process's V8 (Node), found when it was added; NULL when it runs none. */
struct v8_interp *images__node(const struct images *r, pid_t pid);
/*
 * The runtimes (name, version) the images run whose frames could not be read, each once, with the
 * first process seen running it: how many (at most max) written to out.
 */
size_t images__unsupported(const struct images *r, struct runtime_unsupported *out, size_t max);

/* The image whose mappings name the addresses of (pid, gen): a child never read runs its parent's. */
struct image *images__find(const struct images *r, pid_t pid, uint32_t gen);
/* The mapping of the image that holds addr, NULL when none. */
const struct map_entry *image__mapping(const struct image *im, uint64_t addr);
/* The process's root (/proc/PID/root) while the PID is still its own; NULL once it is gone. */
const char *image__root(const struct image *im);
/* The name of JIT-compiled code at addr from the process's perf map (read again after a refresh). */
const char *image__jit_name(struct image *im, uint64_t addr);

#endif /* IMAGES_H */
