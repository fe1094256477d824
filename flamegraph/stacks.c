// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The stacks of a flame graph, kept as folded lines in an arena until a layout merges them. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fg_internal.h"

#define CHUNK_SIZE (1u << 20)

struct fg_chunk {
	struct fg_chunk *next;
	size_t used, size;
	char data[];
};

char *fg_arena_alloc(struct fg_arena *a, size_t n)
{
	struct fg_chunk *c = a->head;

	if (!c || c->size - c->used < n) {
		size_t size = n > CHUNK_SIZE ? n : CHUNK_SIZE;

		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->used = 0;
		c->size = size;
		/* a line larger than a chunk gets its own, behind the head, so the head keeps its room */
		if (n > CHUNK_SIZE && a->head) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	c->used += n;
	return c->data + c->used - n;
}

void fg_arena_free(struct fg_arena *a)
{
	struct fg_chunk *c = a->head, *next;

	for (; c; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
}

struct flamegraph *flamegraph__new(void)
{
	return calloc(1, sizeof(struct flamegraph));
}

void flamegraph__free(struct flamegraph *fg)
{
	if (!fg)
		return;
	fg_arena_free(&fg->arena);
	free(fg->v);
	free(fg);
}

double flamegraph__total(const struct flamegraph *fg)
{
	return fg->total;
}

int fg_push(struct flamegraph *fg, const char *line, size_t len, const struct fg_parsed *p,
	    bool from_text)
{
	char *copy;

	/* lengths are 32-bit to keep 200k-line inputs small; no real stack is 4 GiB */
	if (len > UINT32_MAX)
		return -E2BIG;
	if (fg->n == fg->cap) {
		size_t cap = fg->cap ? fg->cap * 2 : 1024;
		struct fg_stack *v = realloc(fg->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		fg->v = v;
		fg->cap = cap;
	}
	copy = fg_arena_alloc(&fg->arena, len ? len : 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, line, len);
	fg->v[fg->n++] = (struct fg_stack){
		.line = copy,
		.line_len = len,
		.stack_len = p->stack_len,
		.width = p->width,
		.delta = p->delta,
		.diff = p->diff,
		.from_text = from_text,
	};
	fg->total += p->width;
	return 0;
}

int flamegraph__add(struct flamegraph *fg, const char *const *frames, size_t n, double count)
{
	struct fg_parsed p = { .width = count };
	size_t len = 0, at = 0;
	char num[32], *s;
	int err, w;

	if (!isfinite(count) || count < 0)
		return -EINVAL;
	/* the count only orders identical stacks (it is part of flamegraph.pl's sort key) */
	w = snprintf(num, sizeof(num), " %.15g", count);
	for (size_t i = 0; i < n; i++)
		len += strlen(frames[i]) + 1;
	s = malloc(len + w);
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (i)
			s[at++] = ';';
		for (const char *c = frames[i]; *c; c++) {
			unsigned char ch = *c;

			if (ch == ';')
				s[at++] = ':';	/* the separator */
			else if (ch < 0x20 || ch == 0x7f)
				s[at++] = '?';	/* as user/report/folded.c writes it */
			else
				s[at++] = ch;
		}
	}
	p.stack_len = at;
	memcpy(s + at, num, w);
	err = fg_push(fg, s, at + w, &p, false);
	free(s);
	return err;
}
