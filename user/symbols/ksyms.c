// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Kernel symbols from /proc/kallsyms: text symbols sorted by address, looked up by bisection. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "symbols/ksyms.h"
#include "base/vec.h"

struct ksym {
	uint64_t addr;
	char *name;
};

struct ksyms {
	struct ksym *v;
	size_t n, cap;
};

static int cmp_ksym(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return (x->addr > y->addr) - (x->addr < y->addr);
}

struct ksyms *ksyms__load(const char *path)
{
	struct ksyms *ks = calloc(1, sizeof(*ks));
	char line[512], name[256], type;
	unsigned long long addr;
	FILE *f;
	int err = 0;

	if (!ks)
		return NULL;
	f = fopen(path, "re");
	if (!f) {
		err = -errno;
		goto fail;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3)
			continue;
		/* text symbols only; all-zero addresses mean kptr_restrict hides them */
		if (!addr || (type != 't' && type != 'T' && type != 'w' && type != 'W'))
			continue;
		if (VEC_GROW(ks->v, ks->n, ks->cap)) {
			err = -ENOMEM;
			goto fail;
		}
		ks->v[ks->n].addr = addr;
		ks->v[ks->n].name = strdup(name);
		if (!ks->v[ks->n].name) {
			err = -ENOMEM;
			goto fail;
		}
		ks->n++;
	}
	fclose(f);
	f = NULL;
	if (!ks->n) {
		err = -EPERM;	/* kallsyms readable but addresses hidden */
		goto fail;
	}
	qsort(ks->v, ks->n, sizeof(*ks->v), cmp_ksym);
	return ks;
fail:
	if (f)
		fclose(f);
	ksyms__free(ks);
	errno = -err;
	return NULL;
}

void ksyms__free(struct ksyms *ks)
{
	if (!ks)
		return;
	for (size_t i = 0; i < ks->n; i++)
		free(ks->v[i].name);
	free(ks->v);
	free(ks);
}

const char *ksyms__lookup(const struct ksyms *ks, uint64_t addr)
{
	size_t lo = 0, hi = ks->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->v[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? ks->v[lo - 1].name : NULL;
}
