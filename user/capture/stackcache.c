// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Stacks of the kernel's stack store (bpf/stacks.bpf.h), read once per id: the BPF side never
 * replaces a stored stack, so an id means the same stack for the whole recording.
 * Stacks unwound in userspace are numbered after the map's ids, and never change either.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <linux/types.h>
#include "agentprof.h"
#include "base/intern.h"
#include "capture/stackcache.h"
#include "base/vec.h"

struct entry {
	uint64_t *ips;	/* NULL: not read yet */
	uint32_t n;
};

struct stack_cache {
	int fd;
	uint32_t entries;
	struct entry *v;
	struct intern unwound;	/* ips arrays; id - entries is the intern number */
	int32_t *tokens;	/* token - USER_STACK_TOKEN_BASE -> unwound id, 0: not known (yet) */
	size_t ntokens;
};

struct stack_cache *stack_cache__new(int fd, uint32_t entries)
{
	struct stack_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->v = calloc(entries, sizeof(*c->v));
	if (!c->v) {
		free(c);
		return NULL;
	}
	c->fd = fd;
	c->entries = entries;
	return c;
}

void stack_cache__free(struct stack_cache *c)
{
	if (!c)
		return;
	for (uint32_t i = 0; i < c->entries; i++)
		free(c->v[i].ips);
	free(c->v);
	intern__free(&c->unwound);
	free(c->tokens);
	free(c);
}

size_t stack_cache__get(struct stack_cache *c, int32_t id, const uint64_t **ips)
{
	uint64_t buf[MAX_STACK_DEPTH];
	struct entry *e;
	uint32_t n = 0;

	if (id >= USER_STACK_TOKEN_BASE) {
		size_t t = id - USER_STACK_TOKEN_BASE;

		if (t >= c->ntokens || !c->tokens[t])
			return 0;
		id = c->tokens[t];
	}
	if (id < 0)
		return 0;
	if ((uint32_t)id >= c->entries) {
		uint32_t i = id - c->entries;

		if (i >= c->unwound.n)
			return 0;
		*ips = (const uint64_t *)c->unwound.keys[i];
		return c->unwound.lens[i] / sizeof(uint64_t);
	}
	e = &c->v[id];
	if (!e->ips) {
		if (bpf_map_lookup_elem(c->fd, &id, buf))
			return 0;
		while (n < MAX_STACK_DEPTH && buf[n])
			n++;
		if (!n)
			return 0;	/* not cached: an id the kernel has not written (yet) */
		e->ips = malloc((n ? n : 1) * sizeof(*e->ips));
		if (!e->ips)
			return 0;
		memcpy(e->ips, buf, n * sizeof(*buf));
		e->n = n;
	}
	*ips = e->ips;
	return e->n;
}

int32_t stack_cache__intern(struct stack_cache *c, const uint64_t *ips, size_t n)
{
	int64_t i = intern__id(&c->unwound, ips, n * sizeof(*ips));

	if (i < 0)
		return i;
	if (i >= USER_STACK_TOKEN_BASE - (int64_t)c->entries)
		return -E2BIG;
	return c->entries + i;
}

int stack_cache__set_token(struct stack_cache *c, int32_t token, int32_t id)
{
	size_t t = (size_t)token - USER_STACK_TOKEN_BASE;

	if (token < USER_STACK_TOKEN_BASE || id < 0 || id >= USER_STACK_TOKEN_BASE)
		return -EINVAL;
	if (t >= c->ntokens) {
		int32_t *v = vec__reserve_zeroed(c->tokens, &c->ntokens, (size_t)t + 1, sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->tokens = v;
	}
	c->tokens[t] = id;
	return 0;
}
