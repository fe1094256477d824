// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The model: what one recording measured, as drained from the kernel, then symbolized. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "profile.h"
#include "symbolize.h"

#define EFAULT_ 14

void profile__init(struct profile *p)
{
	memset(p, 0, sizeof(*p));
}

static void sample__free(struct sample *s)
{
	free(s->user);
	free(s->kern);
	for (uint32_t i = 0; i < s->nframes; i++)
		free(s->frames[i]);
	free(s->frames);
}

void profile__free(struct profile *p)
{
	for (size_t i = 0; i < p->n; i++)
		sample__free(&p->samples[i]);
	free(p->samples);
	p->samples = NULL;
	p->n = p->cap = 0;
}

static uint64_t *dup_ips(const uint64_t *ips, size_t n)
{
	uint64_t *v = malloc((n ? n : 1) * sizeof(*v));

	if (v && n)
		memcpy(v, ips, n * sizeof(*v));
	return v;
}

int profile__add(struct profile *p, const struct sample_key *key, const uint64_t *user, size_t nuser,
		 const uint64_t *kern, size_t nkern, uint64_t count)
{
	struct sample *s;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;

		s = realloc(p->samples, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		p->samples = s;
		p->cap = cap;
	}
	s = &p->samples[p->n];
	memset(s, 0, sizeof(*s));
	s->tid = key->tid;
	memcpy(s->comm, key->comm, sizeof(s->comm));
	s->comm[sizeof(s->comm) - 1] = '\0';
	s->user_err = key->user_stack_id < 0 ? key->user_stack_id : 0;
	s->kern_err = key->kern_stack_id < 0 ? key->kern_stack_id : 0;
	s->user = dup_ips(user, nuser);
	s->kern = dup_ips(kern, nkern);
	if (!s->user || !s->kern) {
		sample__free(s);
		return -ENOMEM;
	}
	s->nuser = nuser;
	s->nkern = nkern;
	s->count = count;
	p->n++;
	p->total += count;
	return 0;
}

static int push_frame(struct sample *s, const char *name)
{
	char *f = strdup(name);

	if (!f)
		return -ENOMEM;
	s->frames[s->nframes++] = f;
	return 0;
}

static int symbolize_sample(struct sample *s, struct syms_cache *syms)
{
	/* a failed user stack (other than "none": -EFAULT) keeps its place as one marker frame */
	bool lost = s->user_err && s->user_err != -EFAULT_;
	char name[1024];

	s->frames = calloc(s->nuser + s->nkern + 1, sizeof(*s->frames));
	if (!s->frames)
		return -ENOMEM;
	if (lost && push_frame(s, "[stack lost]"))
		return -ENOMEM;
	for (uint32_t i = s->nuser; i-- > 0;) {
		syms_cache__user(syms, s->user[i], i > 0, name, sizeof(name));
		if (push_frame(s, name))
			return -ENOMEM;
	}
	for (uint32_t i = s->nkern; i-- > 0;) {
		syms_cache__kernel(syms, s->kern[i], i > 0, name, sizeof(name) - 4);
		strcat(name, "_[k]");
		if (push_frame(s, name))
			return -ENOMEM;
	}
	return 0;
}

int profile__symbolize(struct profile *p, struct syms_cache *syms)
{
	for (size_t i = 0; i < p->n; i++) {
		int err = symbolize_sample(&p->samples[i], syms);

		if (err)
			return err;
	}
	return 0;
}

const char *sample__leaf(const struct sample *s)
{
	return s->nframes ? s->frames[s->nframes - 1] : "[unknown]";
}

static int cmp_name_count(const void *a, const void *b)
{
	const struct name_count *x = a, *y = b;

	if (x->count != y->count)
		return (x->count < y->count) - (x->count > y->count);
	return strcmp(x->name, y->name);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct name_count *)a)->name, ((const struct name_count *)b)->name);
}

ssize_t profile__leaf_counts(const struct profile *p, struct name_count **out)
{
	struct name_count *v = malloc((p->n ? p->n : 1) * sizeof(*v));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < p->n; i++)
		v[i] = (struct name_count){ sample__leaf(&p->samples[i]), p->samples[i].count };
	/* merge equal names, then order by count */
	qsort(v, p->n, sizeof(*v), cmp_name);
	for (size_t i = 0; i < p->n; i++) {
		if (n && !strcmp(v[n - 1].name, v[i].name))
			v[n - 1].count += v[i].count;
		else
			v[n++] = v[i];
	}
	qsort(v, n, sizeof(*v), cmp_name_count);
	*out = v;
	return n;
}

static int cmp_tid(const void *a, const void *b)
{
	const struct thread_count *x = a, *y = b;

	return (x->tid > y->tid) - (x->tid < y->tid);
}

static int cmp_thread_count(const void *a, const void *b)
{
	const struct thread_count *x = a, *y = b;

	if (x->count != y->count)
		return (x->count < y->count) - (x->count > y->count);
	return cmp_tid(a, b);
}

ssize_t profile__thread_counts(const struct profile *p, struct thread_count **out)
{
	struct thread_count *v = malloc((p->n ? p->n : 1) * sizeof(*v));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < p->n; i++)
		v[i] = (struct thread_count){ p->samples[i].tid, p->samples[i].comm, p->samples[i].count };
	qsort(v, p->n, sizeof(*v), cmp_tid);
	for (size_t i = 0; i < p->n; i++) {
		if (n && v[n - 1].tid == v[i].tid)
			v[n - 1].count += v[i].count;
		else
			v[n++] = v[i];
	}
	qsort(v, n, sizeof(*v), cmp_thread_count);
	*out = v;
	return n;
}
