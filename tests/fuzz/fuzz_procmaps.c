// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer harness of procmaps.c: the input is the text of a /proc/PID/maps file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "target/procmaps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proc_maps maps;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (proc_maps__parse(text, &maps)) {
		free(text);
		return 0;
	}
	/* what proc_maps__find's bisection relies on: sorted, disjoint, non-empty ranges */
	for (size_t i = 0; i < maps.n; i++) {
		const struct map_entry *e = &maps.v[i];

		if (e->start >= e->end || (i && e->start < maps.v[i - 1].end) || !e->path)
			abort();
		if (proc_maps__find(&maps, e->start) != e || proc_maps__find(&maps, e->end - 1) != e)
			abort();
		if ((i + 1 == maps.n || maps.v[i + 1].start > e->end) && proc_maps__find(&maps, e->end))
			abort();
	}
	if (proc_maps__find(&maps, 0) && maps.v[0].start)
		abort();
	proc_maps__find(&maps, UINT64_MAX);
	proc_maps__free(&maps);
	free(text);
	return 0;
}
