/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Whether an ELF file carries USDT probes of a provider (its .note.stapsdt notes). */
#ifndef USDT_H
#define USDT_H

#include <stdbool.h>

/* root prefixes the path (a target's /proc/PID/root). False when unreadable or not ELF. */
bool elf_has_usdt_provider(const char *root, const char *path, const char *provider);

#endif /* USDT_H */
