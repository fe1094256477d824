// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Symbolization speed for `make bench`: names N addresses spread over every executable file a
 * process maps (default: this one), with a new cache (cold: each ELF file is read on first use)
 * and again with the same cache (warm). Prints one JSON object.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "target/procmaps.h"
#include "symbols/images.h"
#include "symbols/symbolize.h"
#include "base/util.h"

static double pass(struct syms_cache *c, pid_t pid, const uint64_t *addrs, size_t n, size_t *named)
{
	uint64_t start = now_ns(CLOCK_MONOTONIC);
	char buf[512];

	*named = 0;
	for (size_t i = 0; i < n; i++) {
		syms_cache__user(c, pid, 0, addrs[i], true, buf, sizeof(buf));
		*named += !strchr(buf, '+') && strcmp(buf, "[unknown]");
	}
	return (now_ns(CLOCK_MONOTONIC) - start) / 1e9;
}

int main(int argc, char **argv)
{
	long n = 200000, pid = getpid();
	const struct proc_maps *maps;
	struct images *images;
	struct syms_cache *c;
	size_t files = 0, named_cold, named_warm;
	uint64_t *addrs;
	double cold, warm;

	if ((argc > 1 && parse_long(argv[1], 1, 100000000, &n)) ||
	    (argc > 2 && parse_long(argv[2], 1, INT32_MAX, &pid))) {
		fprintf(stderr, "usage: symbench [ADDRESSES [PID]]\n");
		return 2;
	}
	images = images__new();
	if (!images || images__add(images, pid)) {
		fprintf(stderr, "symbench: cannot read the maps of %ld\n", pid);
		return 1;
	}
	maps = images__maps(images, pid);
	addrs = calloc(n, sizeof(*addrs));
	if (!addrs)
		return 1;
	for (size_t i = 0; i < maps->n; i++)
		files += maps->v[i].path[0] == '/';
	srand(1);
	for (long i = 0; i < n; i++) {
		const struct map_entry *m;

		do
			m = &maps->v[rand() % maps->n];
		while (m->path[0] != '/');
		addrs[i] = m->start + 1 + (uint64_t)rand() % (m->end - m->start - 1);
	}
	c = syms_cache__new(images);	/* fresh: no file read yet */
	if (!c)
		return 1;
	cold = pass(c, pid, addrs, n, &named_cold);
	warm = pass(c, pid, addrs, n, &named_warm);
	printf("{\"addresses\": %ld, \"files\": %zu, \"cold_s\": %.4f, \"warm_s\": %.4f, \"cold_per_s\": %.0f, "
	       "\"warm_per_s\": %.0f, \"named\": %zu}\n", n, files, cold, warm, n / cold, n / warm, named_warm);
	syms_cache__free(c);
	images__free(images);
	free(addrs);
	return 0;
}
