/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* C++ and Rust (legacy and v0) demangling through libiberty. */
#ifndef DEMANGLE_H
#define DEMANGLE_H

#include <stddef.h>

/* Writes the demangled name without parameter lists, or name itself when not mangled. */
void demangle(const char *name, char *buf, size_t len);

#endif /* DEMANGLE_H */
