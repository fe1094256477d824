// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Folded stacks in, as flamegraph.pl reads them: "a;b;c 12" lines (frames split on ';', the count
 * after the last whitespace, integer or decimal), "a;b;c 10 12" differential lines, and two files
 * combined as difffolded.pl does.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fg_internal.h"

/* Perl's \s on bytes (flamegraph.pl reads ASCII whitespace; Unicode spaces are not split on here). */
static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int fg_parse_decimal(const char *s, size_t len, double *out)
{
	char buf[64], *copy = buf, *end;
	size_t i = 0;
	double v;

	/* flamegraph.pl's \d+(?:\.\d*)?: no sign, exponent, leading '.', hex, inf or nan */
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == 0)
		return -EINVAL;
	if (i < len && s[i] == '.')
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
	if (i != len)
		return -EINVAL;
	if (len >= sizeof(buf)) {
		copy = malloc(len + 1);
		if (!copy)
			return -ENOMEM;
	}
	memcpy(copy, s, len);
	copy[len] = '\0';
	v = strtod(copy, &end);
	if (copy != buf)
		free(copy);
	if (!isfinite(v))
		return -ERANGE;	/* 400 digits: the graph would be all NaN */
	*out = v;
	return 0;
}

/*
 * flamegraph.pl's /^(.*)\s+?(\d+(?:\.\d*)?)$/: the greedy (.*) leaves one whitespace character
 * before the count, so the count is what follows the last whitespace, and the stack keeps any
 * other trailing whitespace ("a;b  5" is the frames "a" and "b ").
 */
static int split_count(const char *s, size_t len, size_t *stack_len, const char **c, size_t *clen,
		       double *v)
{
	size_t i = len;
	int err;

	while (i > 0 && !is_space(s[i - 1]))
		i--;
	if (i == 0)
		return -EINVAL;
	err = fg_parse_decimal(s + i, len - i, v);
	if (err)
		return err;
	*stack_len = i - 1;
	*c = s + i;
	*clen = len - i;
	return 0;
}

int fg_parse_line(const char *line, size_t len, struct fg_parsed *out)
{
	struct fg_parsed p = { 0 };
	size_t stack_len;
	const char *c;
	size_t clen;
	double v;
	int err;

	err = split_count(line, len, &p.stack_len, &p.c1, &p.c1_len, &p.width);
	if (err)
		return err;
	/* a stack that itself ends in a count makes a differential line: before, then after */
	err = split_count(line, p.stack_len, &stack_len, &c, &clen, &v);
	if (err == -ENOMEM)
		return err;
	if (!err) {
		p.c2 = p.c1;
		p.c2_len = p.c1_len;
		p.c1 = c;
		p.c1_len = clen;
		p.stack_len = stack_len;
		p.delta = p.width - v;
		p.diff = true;
	}
	*out = p;
	return 0;
}

int flamegraph__add_line(struct flamegraph *fg, const char *line, size_t len)
{
	struct fg_parsed p;
	int err;

	/* CRLF files: flamegraph.pl would reject every line; a folded file from Windows is still one */
	if (len && line[len - 1] == '\r')
		len--;
	err = fg_parse_line(line, len, &p);
	if (err)
		return err == -ENOMEM ? err : -EINVAL;
	return fg_push(fg, line, len, &p, true);
}

/* Calls fn on each line of in, without its '\n'; counts the lines fn finds malformed. */
static int for_each_line(FILE *in, size_t *skipped, int (*fn)(void *ctx, const char *s, size_t len),
			 void *ctx)
{
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	int err = 0;

	while ((n = getline(&buf, &cap, in)) >= 0) {
		if (n && buf[n - 1] == '\n')
			n--;
		err = fn(ctx, buf, n);
		if (err == -EINVAL) {
			if (skipped)
				(*skipped)++;
			err = 0;
		}
		if (err)
			break;
	}
	if (!err && ferror(in))
		err = -EIO;
	free(buf);
	return err;
}

static int add_line_cb(void *ctx, const char *s, size_t len)
{
	return flamegraph__add_line(ctx, s, len);
}

int flamegraph__parse_folded(struct flamegraph *fg, FILE *in, size_t *skipped)
{
	return for_each_line(in, skipped, add_line_cb, fg);
}

/* difffolded.pl's table: stack text -> before and after counts, in first-seen order. */
struct diff_entry {
	const char *stack;
	size_t len;
	double count[2];
};

struct diff_table {
	struct fg_arena arena;
	struct diff_entry *v;		/* first-seen order */
	size_t n, cap;
	uint32_t *slots;		/* open addressing: index + 1, 0 is empty */
	size_t nslots;
	int side;			/* 0: before, 1: after */
};

static uint64_t fnv1a(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static int diff_grow(struct diff_table *t)
{
	size_t nslots = t->nslots ? t->nslots * 2 : 1024;
	uint32_t *slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		size_t at = fnv1a(t->v[i].stack, t->v[i].len) & (nslots - 1);

		while (slots[at])
			at = (at + 1) & (nslots - 1);
		slots[at] = i + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = nslots;
	return 0;
}

static int diff_add(void *ctx, const char *line, size_t len)
{
	struct diff_table *t = ctx;
	size_t stack_len, clen, at;
	const char *c;
	double v;
	char *copy;
	int err;

	if (len && line[len - 1] == '\r')
		len--;
	/* difffolded.pl splits off one count: "a;b 1 2" is the stack "a;b 1" */
	err = split_count(line, len, &stack_len, &c, &clen, &v);
	if (err)
		return err == -ENOMEM ? err : -EINVAL;
	if (t->n >= UINT32_MAX - 1)
		return -E2BIG;
	if (2 * (t->n + 1) > t->nslots) {
		err = diff_grow(t);
		if (err)
			return err;
	}
	at = fnv1a(line, stack_len) & (t->nslots - 1);
	for (; t->slots[at]; at = (at + 1) & (t->nslots - 1)) {
		struct diff_entry *e = &t->v[t->slots[at] - 1];

		if (e->len == stack_len && !memcmp(e->stack, line, stack_len)) {
			e->count[t->side] += v;
			return 0;
		}
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		struct diff_entry *nv = realloc(t->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		t->v = nv;
		t->cap = cap;
	}
	copy = fg_arena_alloc(&t->arena, stack_len ? stack_len : 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, line, stack_len);
	t->v[t->n] = (struct diff_entry){ copy, stack_len, { 0, 0 } };
	t->v[t->n].count[t->side] = v;
	t->slots[at] = ++t->n;
	return 0;
}

int flamegraph__parse_diff(struct flamegraph *fg, FILE *before, FILE *after, size_t *skipped)
{
	struct diff_table t = { 0 };
	char *line = NULL;
	int err;

	err = for_each_line(before, skipped, diff_add, &t);
	if (err)
		goto out;
	t.side = 1;
	err = for_each_line(after, skipped, diff_add, &t);
	if (err)
		goto out;
	for (size_t i = 0; i < t.n; i++) {
		struct diff_entry *e = &t.v[i];
		char *nl;
		int len;

		/*
		 * The line difffolded.pl prints, counts as Perl prints numbers (%.15g), read back the way
		 * flamegraph.pl reads it, so both tools' quirks compose the same way.
		 */
		nl = realloc(line, e->len + 64);
		if (!nl) {
			err = -ENOMEM;
			goto out;
		}
		line = nl;
		memcpy(line, e->stack, e->len);
		len = snprintf(line + e->len, 64, " %.15g %.15g", e->count[0], e->count[1]);
		err = flamegraph__add_line(fg, line, e->len + len);
		if (err == -EINVAL) {
			if (skipped)
				(*skipped)++;	/* a sum past 1e15 prints with an exponent */
			err = 0;
		}
		if (err)
			goto out;
	}
out:
	free(line);
	free(t.slots);
	free(t.v);
	fg_arena_free(&t.arena);
	return err;
}
