/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Stacks of the kernel's stack store, read once per id: ids stay valid, top reads them every second. */
#ifndef STACKCACHE_H
#define STACKCACHE_H

#include <stddef.h>
#include <stdint.h>

struct stack_cache;

/* fd: the kernel's stack store (`stacks`: entries ids -> frames). NULL on -ENOMEM. */
struct stack_cache *stack_cache__new(int fd, uint32_t entries);
void stack_cache__free(struct stack_cache *c);
/*
 * The id of a stack unwound in userspace (leaf first), numbered after the map's ids so both kinds
 * share the keys' stack id fields; the same stack always gets the same id. -ENOMEM, -E2BIG.
 */
int32_t stack_cache__intern(struct stack_cache *c, const uint64_t *ips, size_t n);
/*
 * What an off-CPU token (>= USER_STACK_TOKEN_BASE, from the kernel) stands for: a stack unwound
 * here (an id from stack_cache__intern), or a kernel stack id. -EINVAL, -ENOMEM.
 */
int stack_cache__set_token(struct stack_cache *c, int32_t token, int32_t id);
/* The addresses of stack id, leaf first, and how many; 0 for an error id (< 0) or a missing stack. */
size_t stack_cache__get(struct stack_cache *c, int32_t id, const uint64_t **ips);

#endif /* STACKCACHE_H */
