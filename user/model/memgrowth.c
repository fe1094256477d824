// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What memory did over a recording: RSS's trend, the stacks that keep most, leak candidates, their owners. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "model/memgrowth.h"

void mem_rss_trend(const struct rss_point *v, size_t n, struct rss_trend *t)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0, cov, vx, vy;

	memset(t, 0, sizeof(*t));
	t->points = n;
	if (!n)
		return;
	t->first_bytes = v[0].bytes;
	t->last_bytes = v[n - 1].bytes;
	t->span_ns = v[n - 1].at_ns - v[0].at_ns;
	for (size_t i = 0; i < n; i++) {
		double x = (v[i].at_ns - v[0].at_ns) / 1e9, y = v[i].bytes;

		if (v[i].bytes > t->max_bytes)
			t->max_bytes = v[i].bytes;
		sx += x;
		sy += y;
		sxx += x * x;
		sxy += x * y;
		syy += y * y;
	}
	cov = sxy - sx * sy / n;
	vx = sxx - sx * sx / n;
	vy = syy - sy * sy / n;
	if (n < 3 || vx <= 0)
		return;
	t->bytes_per_s = cov / vx;
	t->r2 = vy > 0 ? cov * cov / (vx * vy) : 0;
	t->steady = t->bytes_per_s > 0 && t->r2 >= MEM_STEADY_MIN_R2 && t->last_bytes > t->first_bytes &&
		    t->last_bytes - t->first_bytes >= MEM_STEADY_MIN_BYTES;
}

static int cmp_frames(const struct sample *x, const struct sample *y)
{
	for (uint32_t i = 0; i < x->nframes && i < y->nframes; i++) {
		int c = strcmp(x->frames[i], y->frames[i]);

		if (c)
			return c;
	}
	return (x->nframes > y->nframes) - (x->nframes < y->nframes);
}

static int cmp_sample_frames(const void *a, const void *b)
{
	const struct sample *x = *(const struct sample *const *)a, *y = *(const struct sample *const *)b;

	return cmp_frames(x, y) ?: (x->tid > y->tid) - (x->tid < y->tid);
}

static int cmp_kept(const void *a, const void *b)
{
	const struct mem_stack *x = a, *y = b;

	if (x->kept != y->kept)
		return (x->kept < y->kept) - (x->kept > y->kept);
	return cmp_frames(x->s, y->s);
}

ssize_t mem_top_stacks(const struct profile *p, struct mem_stack **out)
{
	const struct sample **v = malloc((p->mem.n ?: 1) * sizeof(*v));
	struct mem_stack *st = calloc(p->mem.n ?: 1, sizeof(*st));
	size_t n = 0, k = 0;

	if (!v || !st) {
		free(v);
		free(st);
		return -ENOMEM;
	}
	for (size_t i = 0; i < p->mem.n; i++)
		v[n++] = &p->mem.v[i];
	if (n)
		qsort(v, n, sizeof(*v), cmp_sample_frames);
	for (size_t i = 0; i < n; i++) {
		const struct sample *s = v[i];
		struct mem_stack *g = k && !cmp_frames(st[k - 1].s, s) ? &st[k - 1] : &st[k++];

		if (!g->nsamples++) {
			g->s = s;
			g->first_ns = s->grew_first_ns;
		}
		mem_bytes__add(&g->mem, &s->mem);
		g->kept += s->count;
		if (s->grew_first_ns && (!g->first_ns || s->grew_first_ns < g->first_ns))
			g->first_ns = s->grew_first_ns;
		if (s->grew_last_ns > g->last_ns)
			g->last_ns = s->grew_last_ns;
	}
	free(v);
	n = 0;
	for (size_t i = 0; i < k; i++)
		if (st[i].kept)
			st[n++] = st[i];
	if (n)
		qsort(st, n, sizeof(*st), cmp_kept);
	*out = st;
	return n;
}

ssize_t mem_leak_candidates(const struct profile *p, struct leak_candidate **out)
{
	struct mem_stack *top;
	ssize_t n = mem_top_stacks(p, &top);
	struct leak_candidate *v;
	size_t k = 0;

	if (n < 0)
		return n;
	v = malloc((n ?: 1) * sizeof(*v));
	if (!v) {
		free(top);
		return -ENOMEM;
	}
	for (ssize_t i = 0; i < n; i++) {
		const struct mem_stack *g = &top[i];
		uint64_t grew_ns = g->last_ns - g->first_ns, end = p->window_end_ns > g->last_ns ? p->window_end_ns : g->last_ns;

		if (g->kept < MEM_LEAK_MIN_BYTES || g->kept * 10 < g->mem.faulted * 9)
			continue;
		v[k].st = *g;
		v[k].age_ns = end - g->first_ns;
		v[k].bytes_per_s = grew_ns ? g->kept / (grew_ns / 1e9) : 0;
		k++;
	}
	free(top);
	*out = v;
	return k;
}

/* Code of the C library, the dynamic loader or the interpreter: where growth passes, not where it is owned. */
static bool runtime_file(const char *path)
{
	const char *base = strrchr(path, '/');
	static const char *const prefixes[] = { "libc.so", "libc-", "ld-linux", "libpython", "python3", "libstdc++" };

	base = base ? base + 1 : path;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(base, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

const char *mem_owner_frame(const struct profile *p, const struct sample *s)
{
	for (uint32_t i = s->nframes; s->origins && i-- > 0;) {
		const struct frame_origin *o = &s->origins[i];

		if (o->kernel || s->frames[i][0] == '[')
			continue;
		if (o->mapping >= 0 && (size_t)o->mapping < p->nmappings && runtime_file(p->mappings[o->mapping].path))
			continue;
		return s->frames[i];	/* a Python frame (no mapping), or the program's own code */
	}
	return s->nframes ? s->frames[s->nframes - 1] : NULL;
}

uint64_t mem_kept_under(const struct profile *p, const char *frame)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < p->mem.n; i++) {
		const struct sample *s = &p->mem.v[i];

		for (uint32_t j = 0; j < s->nframes; j++)
			if (!strcmp(s->frames[j], frame)) {
				sum += s->count;
				break;
			}
	}
	return sum;
}
