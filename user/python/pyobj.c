// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Decoders of CPython object contents read from a target. The bytes are untrusted: every read is
 * bounds-checked, every loop ends with its input.
 */
#include <string.h>
#include "python/pyobj.h"

/* Location table entry codes (the 4 bits after the entry's top bit), as in CPython 3.11+. */
enum {
	LOC_ONE_LINE0 = 10, LOC_ONE_LINE1 = 11, LOC_ONE_LINE2 = 12,
	LOC_NO_COLUMNS = 13, LOC_LONG = 14, LOC_NONE = 15,
};

/* A varint of 6-bit groups, least significant first, 0x40 set on all but the last; *p advances. */
static uint32_t read_varint(const uint8_t **p, const uint8_t *end)
{
	uint32_t val = 0;
	unsigned int shift = 0;

	while (*p < end) {
		uint8_t b = *(*p)++;

		if (shift < 32)
			val |= (uint32_t)(b & 63) << shift;
		shift += 6;
		if (!(b & 64))
			break;
	}
	return val;
}

static int32_t read_svarint(const uint8_t **p, const uint8_t *end)
{
	uint32_t u = read_varint(p, end);

	return u & 1 ? -(int32_t)(u >> 1) : (int32_t)(u >> 1);
}

int py_linetable_line(const uint8_t *table, size_t len, int firstlineno, uint32_t addr)
{
	const uint8_t *p = table, *end = table + len;
	int64_t line = firstlineno;
	uint64_t start = 0;

	while (p < end) {
		uint8_t first = *p;
		unsigned int code = (first >> 3) & 15;
		const uint8_t *arg = p + 1;
		int delta = 0;

		if (!(first & 0x80))
			return -1;	/* not at the start of an entry: malformed */
		switch (code) {
		case LOC_NO_COLUMNS:
		case LOC_LONG:
			delta = read_svarint(&arg, end);
			break;
		case LOC_ONE_LINE1:
			delta = 1;
			break;
		case LOC_ONE_LINE2:
			delta = 2;
			break;
		}
		line += delta;
		if (line < -(1 << 30) || line > (1 << 30))
			return -1;
		start += ((first & 7) + 1) * 2;	/* this entry covers that many 2-byte code units */
		if (addr < start)
			return code == LOC_NONE || line < 0 ? -1 : (int)line;
		/* the next entry starts at the next byte with the top bit set */
		for (p++; p < end && !(*p & 0x80); p++)
			;
	}
	return -1;
}

struct py_str_state py_str_state(uint32_t state)
{
	/* interned:2, kind:3, compact:1, ascii:1 */
	return (struct py_str_state){ (state >> 2) & 7, (state >> 5) & 1, (state >> 6) & 1 };
}

static size_t put_utf8(uint32_t c, char *out)
{
	if ((c >= 0xd800 && c <= 0xdfff) || !c)	/* a NUL would end the name early */
		c = 0xfffd;
	if (c < 0x80) {
		out[0] = c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = 0xc0 | c >> 6;
		out[1] = 0x80 | (c & 63);
		return 2;
	}
	if (c < 0x10000) {
		out[0] = 0xe0 | c >> 12;
		out[1] = 0x80 | ((c >> 6) & 63);
		out[2] = 0x80 | (c & 63);
		return 3;
	}
	if (c > 0x10ffff)
		return put_utf8(0xfffd, out);
	out[0] = 0xf0 | c >> 18;
	out[1] = 0x80 | ((c >> 12) & 63);
	out[2] = 0x80 | ((c >> 6) & 63);
	out[3] = 0x80 | (c & 63);
	return 4;
}

size_t py_str_to_utf8(unsigned int kind, const void *data, size_t n, char *out, size_t len)
{
	const uint8_t *b = data;
	size_t w = 0;

	if (!len)
		return 0;
	if (kind != 1 && kind != 2 && kind != 4)
		n = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t c;
		char enc[4];
		size_t k;

		if (kind == 1)
			c = b[i];
		else if (kind == 2)
			c = b[2 * i] | b[2 * i + 1] << 8;
		else
			c = b[4 * i] | b[4 * i + 1] << 8 | b[4 * i + 2] << 16 | (uint32_t)b[4 * i + 3] << 24;
		k = put_utf8(c, enc);
		if (w + k >= len)
			break;
		memcpy(out + w, enc, k);
		w += k;
	}
	out[w] = '\0';
	return w;
}
