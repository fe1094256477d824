/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Distinct byte strings numbered from 0 in the order first seen: the tables of pprof and speedscope. */
#ifndef INTERN_H
#define INTERN_H

#include <stddef.h>
#include <stdint.h>

struct intern {
	uint32_t *slots;	/* open addressing: number + 1, 0 when empty */
	size_t nslots;
	char **keys;		/* copies, in the order first seen */
	size_t *lens, n, cap;
};

/* The number of key, added when new; -ENOMEM. A zeroed struct intern is an empty table. */
int64_t intern__id(struct intern *t, const void *key, size_t len);
/* The number of key when the table has it, else -ENOENT. */
int64_t intern__find(const struct intern *t, const void *key, size_t len);
void intern__free(struct intern *t);

#endif /* INTERN_H */
