// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Valid UTF-8 only: names from a profiled process reach the SVG, JSON and terminals through here. */
#include "flamegraph.h"

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, surrogates, > U+10FFFF), or 0. */
static size_t utf8_seq(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) ||
	    (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

void fg_utf8_sanitize(const char *s, char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t at = 0;

	if (!len)
		return;
	while (*p) {
		size_t n = utf8_seq(p);

		if (!n) {
			if (at + 1 >= len)
				break;
			buf[at++] = '?';
			p++;
			continue;
		}
		if (at + n >= len)
			break;
		for (size_t i = 0; i < n; i++)
			buf[at++] = *p++;
	}
	buf[at] = '\0';
}
