// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer harness of perfmap.c: the input is a perf map, loaded from a memfd and queried. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "perfmap.h"

static int fd = -1;
static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t addrs[] = { 0, 1, 0x1000, 0x1fff, 0x7f0000001000ull, UINT64_MAX - 1, UINT64_MAX };
	struct perf_map *m;
	const char *name;

	if (fd < 0) {
		fd = memfd_create("perfmap", MFD_CLOEXEC);
		if (fd < 0) {
			perror("memfd_create");
			abort();
		}
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size) {
		perror("memfd");
		abort();
	}
	m = perf_map__load(path);
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
