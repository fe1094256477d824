// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Text hygiene for names that come from the target (symbols, thread names): valid UTF-8 only. */
#include "base/text.h"

void term_sanitize(const char *s, char *buf, size_t len)
{
	char *r, *w;

	if (!len)
		return;
	utf8_sanitize(s, buf, len);
	/* no escape sequence from the target reaches the terminal: C0, DEL, and C1 (U+009B is CSI) */
	for (r = w = buf; *r; r++, w++) {
		unsigned char c = *r;

		if (c == 0xc2 && (unsigned char)r[1] <= 0x9f)	/* valid UTF-8: r[1] is 0x80..0xbf */
			*w = '?', r++;
		else
			*w = c < 0x20 || c == 0x7f ? '?' : c;
	}
	*w = '\0';
}
