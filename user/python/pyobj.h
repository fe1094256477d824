/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Decoders of CPython object contents read from a target (untrusted bytes): location tables, str data. */
#ifndef PYOBJ_H
#define PYOBJ_H

#include <stddef.h>
#include <stdint.h>

/*
 * The line of the instruction at byte offset addr of a code object (3.11+ co_linetable, PEP 626
 * locations), given co_firstlineno: the line, or -1 when the table gives none (an instruction with
 * no location, an offset past the table, a malformed table).
 */
int py_linetable_line(const uint8_t *table, size_t len, int firstlineno, uint32_t addr);

/* The fields of a str's state word that say where its characters are (same bits in 3.11-3.13). */
struct py_str_state {
	unsigned int kind;	/* 1, 2 or 4 bytes per character */
	int compact, ascii;
};

struct py_str_state py_str_state(uint32_t state);

/*
 * Writes n characters of kind (1: Latin-1, 2: UCS-2, 4: UCS-4) from data as UTF-8 into out (len
 * bytes, NUL-terminated, cut at a character boundary); NULs, surrogates and code points past
 * U+10FFFF become U+FFFD. Returns the bytes written, without the NUL.
 */
size_t py_str_to_utf8(unsigned int kind, const void *data, size_t n, char *out, size_t len);

#endif /* PYOBJ_H */
