// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer harness of pyobj.c: what a hostile Python target's memory could hold. The input is
 * one byte of str kind and output size, co_firstlineno (4 bytes), an instruction offset (4 bytes),
 * then bytes read both as a location table and as a str's characters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "python/pyobj.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int kinds[] = { 1, 2, 4, 3 };
	unsigned int kind;
	int32_t first;
	uint32_t addr;
	size_t outlen, n;
	char *out;
	int line;

	if (size < 9)
		return 0;
	kind = kinds[data[0] & 3];
	outlen = (data[0] >> 2) + 1;
	memcpy(&first, data + 1, 4);
	memcpy(&addr, data + 5, 4);
	data += 9;
	size -= 9;
	/* exact-size copies, so that ASan sees any read past the end */
	uint8_t *table = malloc(size ?: 1);
	if (!table)
		return 0;
	memcpy(table, data, size);
	line = py_linetable_line(table, size, first, addr);
	if (line < -1 || (line >= 0 && line > (1 << 30)))
		abort();
	/* every offset of the table: same answers each time, never a crash */
	for (uint32_t a = 0; a < 2 * size + 4; a += 2)
		py_linetable_line(table, size, first, a);
	out = malloc(outlen);
	if (out) {
		n = py_str_to_utf8(kind, table, size / kind, out, outlen);
		if (n >= outlen || strlen(out) != n)
			abort();
		free(out);
	}
	free(table);
	return 0;
}
