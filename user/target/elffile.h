/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Opening a target's ELF file (through its root) and walking its notes: shared by symbols and USDT. */
#ifndef ELFFILE_H
#define ELFFILE_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Opens root + path as an ELF file: 0, or -errno (-ENOEXEC when it is not ELF). */
int elf_file_open(const char *root, const char *path, int *fd, Elf **elf);
void elf_file_close(int fd, Elf *elf);

/* Called with a note's descriptor (len bytes, within its section); true stops the walk. */
typedef bool (*elf_note_fn)(const unsigned char *desc, size_t len, void *ctx);
/* Calls fn for each note of type and owner name (e.g. NT_GNU_BUILD_ID, "GNU"); true if fn stopped. */
bool elf_file_notes(Elf *elf, unsigned int type, const char *owner, elf_note_fn fn, void *ctx);

/* A symbol looked up by name: found, its value (st_value) and size. */
struct elf_symbol {
	const char *name;
	uint64_t value, size;
	bool found;
};

/* Looks up each of syms[0..n) by name in .symtab and .dynsym (data symbols too); how many were found. */
size_t elf_file_symbols(Elf *elf, struct elf_symbol *syms, size_t n);
/*
 * The defined functions of .symtab whose name holds part, each passed to fn with the file offset
 * of its code (it returns false to stop): how many were.
 */
typedef bool (*elf_symbol_fn)(const char *name, uint64_t offset, void *ctx);
size_t elf_file_functions_with(Elf *elf, const char *part, elf_symbol_fn fn, void *ctx);
/* The virtual address a file offset is loaded at (by the PT_LOAD holding it): 0 or -ENOENT. */
int elf_file_offset_to_vaddr(Elf *elf, uint64_t offset, uint64_t *vaddr);

#endif /* ELFFILE_H */
