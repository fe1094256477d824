/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Perf maps (/tmp/perf-PID.map): names of JIT-compiled code, written by Node, CPython -X perf, ... */
#ifndef PERFMAP_H
#define PERFMAP_H

#include <stdint.h>

struct perf_map;

/* Loads "START SIZE name" lines (hex numbers) from path; others are skipped. NULL and errno. */
struct perf_map *perf_map__load(const char *path);
void perf_map__free(struct perf_map *m);
/* The name of the code holding addr, or NULL; where entries overlap, the one written last. */
const char *perf_map__lookup(const struct perf_map *m, uint64_t addr);

#endif /* PERFMAP_H */
