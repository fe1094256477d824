// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The interpreter stacks (Python, Ruby) of the kernel's `py_stacks` map, read once per id. The BPF side stores a stack
 * under its hash only when no other stack holds it (BPF_NOEXIST) and never deletes one, so an id
 * means the same frames for the whole recording.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "python/pyinterp.h"
#include "ruby/rbinterp.h"
#include "node/v8interp.h"
#include "capture/pystacks.h"
#include "symbols/images.h"

struct entry {
	uint32_t id;		/* 0: empty slot */
	struct py_stack *st;
};

struct py_stacks {
	int fd, stored_fd;
	uint64_t synced;	/* stacks stored when last synced */
	struct entry *v;	/* open addressing by id, power-of-two size */
	size_t n, cap;
};

struct py_stacks *py_stacks__new(int fd, int stored_fd)
{
	struct py_stacks *c = calloc(1, sizeof(*c));

	if (c) {
		c->fd = fd;
		c->stored_fd = stored_fd;
	}
	return c;
}

void py_stacks__free(struct py_stacks *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->cap; i++)
		free(c->v[i].st);
	free(c->v);
	free(c);
}

static size_t slot_of(uint32_t id, size_t cap)
{
	return (id * 0x9e3779b1u) & (cap - 1);
}

static struct entry *find(const struct py_stacks *c, uint32_t id)
{
	for (size_t i = c->cap ? slot_of(id, c->cap) : 0; c->cap && c->v[i].id; i = (i + 1) & (c->cap - 1))
		if (c->v[i].id == id)
			return &c->v[i];
	return NULL;
}

static int grow(struct py_stacks *c)
{
	size_t cap = c->cap ? 2 * c->cap : 256;
	struct entry *v = calloc(cap, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t k = 0; k < c->cap; k++) {
		size_t i;

		if (!c->v[k].id)
			continue;
		for (i = slot_of(c->v[k].id, cap); v[i].id; i = (i + 1) & (cap - 1))
			;
		v[i] = c->v[k];
	}
	free(c->v);
	c->v = v;
	c->cap = cap;
	return 0;
}

/* Reads id from the map into the cache: the new entry, NULL when it is not there or on -ENOMEM. */
static struct entry *load(struct py_stacks *c, uint32_t id)
{
	struct py_stack *st = malloc(sizeof(*st));
	size_t i;

	if (!st || bpf_map_lookup_elem(c->fd, &id, st) || (2 * (c->n + 1) > c->cap && grow(c))) {
		free(st);
		return NULL;
	}
	if (st->nframes > PY_MAX_FRAMES)
		st->nframes = PY_MAX_FRAMES;
	for (i = slot_of(id, c->cap); c->v[i].id; i = (i + 1) & (c->cap - 1))
		;
	c->v[i] = (struct entry){ id, st };
	c->n++;
	return &c->v[i];
}

const struct py_stack *py_stacks__get(struct py_stacks *c, uint32_t id)
{
	struct entry *e;

	if (!id)
		return NULL;
	e = find(c, id) ?: load(c, id);
	return e ? e->st : NULL;
}

int py_stacks__sync(struct py_stacks *c, const struct images *images)
{
	uint32_t key, *prev = NULL, zero = 0;
	uint64_t stored = 0;

	if (bpf_map_lookup_elem(c->stored_fd, &zero, &stored) == 0 && stored == c->synced)
		return 0;
	c->synced = stored;
	while (bpf_map_get_next_key(c->fd, prev, &key) == 0) {
		struct py_interp *py;
		struct rb_interp *rb;
		struct v8_interp *v8;
		struct entry *e;

		if (!find(c, key) && (e = load(c, key))) {
			if ((py = images__python(images, e->st->pid)))
				py_interp__read_codes(py, e->st->frames, e->st->nframes);
			else if ((rb = images__ruby(images, e->st->pid)))
				rb_interp__read_iseqs(rb, e->st->frames, e->st->nframes);
			else if ((v8 = images__node(images, e->st->pid)))
				v8_interp__read_functions(v8, e->st->frames, e->st->nframes);
		}
		prev = &key;
	}
	return errno == ENOENT ? 0 : -errno;
}
