// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Perf maps (/tmp/perf-PID.map): names of JIT-compiled code. The target writes the file, so it is
 * untrusted: any line may be malformed (skipped), names are capped, ranges may overlap or wrap.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "symbols/perfmap.h"
#include "base/vec.h"

#define MAX_NAME 1024

struct perf_sym {
	uint64_t start, end;	/* [start, end) */
	size_t seq;		/* line order: a JIT reuses memory, and the last entry is the live one */
	char *name;
};

struct perf_map {
	struct perf_sym *v;
	size_t n, cap;
};

static int cmp_sym(const void *a, const void *b)
{
	const struct perf_sym *x = a, *y = b;

	if (x->start != y->start)
		return (x->start > y->start) - (x->start < y->start);
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* One line: 0 and sym filled, or -EINVAL to skip it, -ENOMEM. */
static int parse_line(const char *line, size_t seq, struct perf_sym *sym)
{
	unsigned long long start, size;
	char *end, *name;
	size_t len;

	errno = 0;
	start = strtoull(line, &end, 16);
	if (end == line || *end != ' ' || errno)
		return -EINVAL;
	line = end + 1;
	size = strtoull(line, &end, 16);
	if (end == line || *end != ' ' || errno || !size || start + size < start)
		return -EINVAL;
	line = end + 1;
	len = strcspn(line, "\n");
	if (!len)
		return -EINVAL;
	if (len > MAX_NAME)
		len = MAX_NAME;
	name = strndup(line, len);
	if (!name)
		return -ENOMEM;
	*sym = (struct perf_sym){ start, start + size, seq, name };
	return 0;
}

struct perf_map *perf_map__load(const char *path)
{
	struct perf_map *m = calloc(1, sizeof(*m));
	char *line = NULL;
	size_t linecap = 0, seq = 0;
	int err = 0;
	FILE *f;

	if (!m)
		return NULL;
	f = fopen(path, "re");
	if (!f) {
		err = -errno;
		goto out;
	}
	while (getline(&line, &linecap, f) > 0) {
		struct perf_sym sym;
		int e = parse_line(line, seq++, &sym);

		if (e == -EINVAL)
			continue;
		if (!e && VEC_GROW(m->v, m->n, m->cap)) {
			free(sym.name);
			e = -ENOMEM;
		}
		if (e) {
			err = e;
			goto out;
		}
		m->v[m->n++] = sym;
	}
	if (m->n)
		qsort(m->v, m->n, sizeof(*m->v), cmp_sym);
out:
	free(line);
	if (f)
		fclose(f);
	if (err) {
		perf_map__free(m);
		errno = -err;
		return NULL;
	}
	return m;
}

void perf_map__free(struct perf_map *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].name);
	free(m->v);
	free(m);
}

const char *perf_map__lookup(const struct perf_map *m, uint64_t addr)
{
	const struct perf_sym *best = NULL;
	size_t lo = 0, hi = m->n;

	while (lo < hi) {	/* entries starting at or below addr: [0, lo) */
		size_t mid = lo + (hi - lo) / 2;

		if (m->v[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/*
	 * The latest written entry that holds addr. Looking back is bounded: a JIT's entries rarely
	 * overlap, and a hostile file can only make its own process's names slow.
	 */
	for (size_t i = lo, looked = 0; i-- > 0 && looked < 64; looked++)
		if (addr < m->v[i].end && (!best || m->v[i].seq > best->seq))
			best = &m->v[i];
	return best ? best->name : NULL;
}
