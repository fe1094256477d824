// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer harness of perfmap.c: the input is a perf map, loaded from a memfd and queried. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "memfd.h"
#include "symbols/perfmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t addrs[] = { 0, 1, 0x1000, 0x1fff, 0x7f0000001000ull, UINT64_MAX - 1, UINT64_MAX };
	struct perf_map *m;
	const char *name;

	m = perf_map__load(input_file(data, size));
	if (!m)
		return 0;
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		name = perf_map__lookup(m, addrs[i]);
		if (name && (!*name || strlen(name) > 1024 || strchr(name, '\n')))
			abort();
	}
	perf_map__free(m);
	return 0;
}
