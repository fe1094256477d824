/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Kernel symbols from /proc/kallsyms. */
#ifndef KSYMS_H
#define KSYMS_H

#include <stdint.h>

struct ksyms;

/* Loads text symbols from path (normally "/proc/kallsyms"). NULL and errno on failure. */
struct ksyms *ksyms__load(const char *path);
void ksyms__free(struct ksyms *ks);
/* The function containing addr, or NULL. */
const char *ksyms__lookup(const struct ksyms *ks, uint64_t addr);

#endif /* KSYMS_H */
