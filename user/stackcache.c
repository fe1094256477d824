// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Stacks of the kernel's stack map, read once per id. Without BPF_F_REUSE_STACKID the kernel
 * never replaces a stored stack, so an id means the same stack for the whole recording.
 */
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <linux/types.h>
#include "agentprof.h"
#include "stackcache.h"

struct entry {
	uint64_t *ips;	/* NULL: not read yet */
	uint32_t n;
};

struct stack_cache {
	int fd;
	uint32_t entries;
	struct entry *v;
};

struct stack_cache *stack_cache__new(int fd, uint32_t entries)
{
	struct stack_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	/* the kernel rounds the map up to a power of two, and ids run up to that */
	while (entries & (entries - 1))
		entries += entries & -entries;
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
	free(c);
}

size_t stack_cache__get(struct stack_cache *c, int32_t id, const uint64_t **ips)
{
	uint64_t buf[MAX_STACK_DEPTH];
	struct entry *e;
	uint32_t n = 0;

	if (id < 0 || (uint32_t)id >= c->entries)
		return 0;
	e = &c->v[id];
	if (!e->ips) {
		if (bpf_map_lookup_elem(c->fd, &id, buf))
			return 0;	/* not cached: it may be stored later */
		while (n < MAX_STACK_DEPTH && buf[n])
			n++;
		e->ips = malloc((n ? n : 1) * sizeof(*e->ips));
		if (!e->ips)
			return 0;
		memcpy(e->ips, buf, n * sizeof(*buf));
		e->n = n;
	}
	*ips = e->ips;
	return e->n;
}
