/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Text hygiene for names that come from the target (symbols, thread names): valid UTF-8 only. */
#ifndef TEXT_H
#define TEXT_H

#include <stddef.h>
#include "flamegraph.h"

/*
 * Copies s into buf (truncating on a character boundary), each invalid UTF-8 byte replaced by '?'.
 * The one implementation is the flame graph library's, which stands alone below agentprof.
 */
static inline void utf8_sanitize(const char *s, char *buf, size_t len)
{
	fg_utf8_sanitize(s, buf, len);
}

/* The same, and control characters replaced by '?' too: for terminals. */
void term_sanitize(const char *s, char *buf, size_t len);

#endif /* TEXT_H */
