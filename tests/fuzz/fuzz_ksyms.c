// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer harness of ksyms.c: the input is a kallsyms file, loaded from a memfd and queried. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "symbols/ksyms.h"
#include "memfd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t addrs[] = { 0, 1, 0xffffffff81000000ull, 0xffffffff81001234ull,
					  0xffffffffc0000000ull, UINT64_MAX };
	struct ksyms *ks;
	const char *name;

	ks = ksyms__load(input_file(data, size));
	if (!ks)
		return 0;
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		name = ksyms__lookup(ks, addrs[i]);
		if (name && !*name)
			abort();
	}
	/* a loaded table is never empty: the highest address always has a name */
	if (!ksyms__lookup(ks, UINT64_MAX))
		abort();
	ksyms__free(ks);
	return 0;
}
