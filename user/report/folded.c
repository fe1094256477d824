// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Folded stacks (Brendan Gregg's format): "root;...;leaf count" lines, merged and sorted. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "report/folded.h"
#include "base/vec.h"

struct line {
	char *stack;
	uint64_t count;
};

struct folded {
	struct line *v;
	size_t n, cap;
	uint64_t total;
};

struct folded *folded__new(void)
{
	return calloc(1, sizeof(struct folded));
}

void folded__free(struct folded *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].stack);
	free(f->v);
	free(f);
}

static void put_frame(char *dst, const char *src)
{
	for (; *src; src++, dst++) {
		unsigned char ch = *src;

		if (ch == ';')
			*dst = ':';	/* the separator */
		else if (ch < 0x20 || ch == 0x7f)
			*dst = '?';	/* a newline would split the line */
		else
			*dst = ch;
	}
	*dst = '\0';
}

int folded__add(struct folded *f, const char *const *frames, size_t n, uint64_t count)
{
	size_t len = 1, at = 0;
	char *s;

	for (size_t i = 0; i < n; i++)
		len += strlen(frames[i]) + 1;
	s = malloc(len);
	if (!s)
		return -ENOMEM;
	s[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i)
			s[at++] = ';';
		put_frame(s + at, frames[i]);
		at += strlen(s + at);
	}
	if (VEC_GROW(f->v, f->n, f->cap)) {
		free(s);
		return -ENOMEM;
	}
	f->v[f->n++] = (struct line){ s, count };
	f->total += count;
	return 0;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(((const struct line *)a)->stack, ((const struct line *)b)->stack);
}

int folded__write(struct folded *f, FILE *out)
{
	size_t i, j;

	if (f->n)	/* nothing added: v is NULL, which qsort must not get even for 0 items */
		qsort(f->v, f->n, sizeof(*f->v), cmp_line);
	for (i = 0; i < f->n; i = j) {
		uint64_t count = 0;

		for (j = i; j < f->n && !strcmp(f->v[i].stack, f->v[j].stack); j++)
			count += f->v[j].count;
		if (fprintf(out, "%s %llu\n", f->v[i].stack, (unsigned long long)count) < 0)
			return -EIO;
	}
	return 0;
}

uint64_t folded__total(const struct folded *f)
{
	return f->total;
}
