/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Entries found by a nonzero address, by hash: what an interpreter's frames name, read once each. */
#ifndef ADDRTABLE_H
#define ADDRTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Open addressing, a power-of-two size. Each entry's first field is its address (uint64_t, 0: empty). */
struct addr_table {
	char *v;
	size_t n, cap, size;	/* size: of an entry */
};

#define ADDR_TABLE_OF(type) ((struct addr_table){ .size = sizeof(type) })

/*
 * The entry of addr (nonzero). A new one is zeroed but for its address, and *added says so.
 * Pointers into the table last until the next call. NULL on -ENOMEM.
 */
void *addr_table__get(struct addr_table *t, uint64_t addr, bool *added);
/* Slot i (0 <= i < cap): its entry, NULL when empty. */
void *addr_table__slot(const struct addr_table *t, size_t i);
void addr_table__free(struct addr_table *t);

#endif /* ADDRTABLE_H */
