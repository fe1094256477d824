// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* C++ and Rust (legacy and v0) demangling through libiberty. */
#include <stdio.h>
#include <stdlib.h>
#include <libiberty/demangle.h>
#include "symbols/demangle.h"

void demangle(const char *name, char *buf, size_t len)
{
	char *d = NULL;

	/* Itanium C++ and Rust v0 start with _Z / _R; Rust legacy is Itanium-shaped */
	if (name[0] == '_' && (name[1] == 'Z' || name[1] == 'R'))
		d = cplus_demangle(name, DMGL_AUTO);	/* no DMGL_PARAMS: flame graphs read better */
	snprintf(buf, len, "%s", d ? d : name);
	free(d);
}
