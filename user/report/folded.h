/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Folded stacks (Brendan Gregg's format): "root;...;leaf count" lines, merged and sorted. */
#ifndef FOLDED_H
#define FOLDED_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct folded;

struct folded *folded__new(void);
void folded__free(struct folded *f);
/*
 * Adds count to the stack frames[0] (root) .. frames[n-1] (leaf). Frame names are made safe
 * for the format: ';' becomes ':', control characters become '?'. 0 or -ENOMEM.
 */
int folded__add(struct folded *f, const char *const *frames, size_t n, uint64_t count);
/* Writes identical stacks merged, sorted by stack text (deterministic). 0 or -errno. */
int folded__write(struct folded *f, FILE *out);
/* Sum of all counts added. */
uint64_t folded__total(const struct folded *f);

#endif /* FOLDED_H */
