/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Function symbols of one ELF file (.symtab, .dynsym, separate debug file) and address translation. */
#ifndef ELFSYMS_H
#define ELFSYMS_H

#include <stdint.h>

struct elf_syms;

/*
 * Loads the function symbols of the ELF at path. When it has no .symtab, also reads the
 * separate debug file found by build-id or .gnu_debuglink under debug_root (normally
 * "/usr/lib/debug"). root prefixes every path opened (a target's /proc/PID/root, or "").
 * Returns NULL and sets errno when the file is not a usable ELF.
 */
struct elf_syms *elf_syms__open(const char *root, const char *path, const char *debug_root);
void elf_syms__free(struct elf_syms *syms);

/* Translates a file offset (from /proc/PID/maps) to the ELF virtual address: 0 or -ENOENT. */
int elf_syms__offset_to_vaddr(const struct elf_syms *syms, uint64_t offset, uint64_t *vaddr);
/* The function containing vaddr, or NULL; *off is vaddr minus the symbol's address. */
const char *elf_syms__lookup(const struct elf_syms *syms, uint64_t vaddr, uint64_t *off);
/* Lowercase hex build-id, "" when the file has none. */
const char *elf_syms__build_id(const struct elf_syms *syms);
/* How many function symbols were loaded (for tests and -v). */
size_t elf_syms__count(const struct elf_syms *syms);

#endif /* ELFSYMS_H */
