/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The interpreter stacks (Python, Ruby) of the kernel's `py_stacks` map, read once per id (ids are never reused for another stack). */
#ifndef PYSTACKS_H
#define PYSTACKS_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "agentprof.h"

struct images;
struct py_stacks;

/* fd: the py_stacks map; stored_fd: the count of stacks it took. NULL on -ENOMEM. */
struct py_stacks *py_stacks__new(int fd, int stored_fd);
void py_stacks__free(struct py_stacks *c);
/* The stack of id, read from the map on first use; NULL for id 0 or one not (yet) stored. */
const struct py_stack *py_stacks__get(struct py_stacks *c, uint32_t id);
/*
 * Reads every stack stored since the last call and the code objects they name (through their
 * process's interpreter in images): called often while the targets live, so that names outlive
 * them; one syscall when there is nothing new. 0 or -errno.
 */
int py_stacks__sync(struct py_stacks *c, const struct images *images);

#endif /* PYSTACKS_H */
