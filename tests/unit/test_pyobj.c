// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of pyobj.c: lines from CPython 3.11 location tables, str data as UTF-8. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>
#include "python/pyobj.h"

/*
 * co_linetable of this function as CPython 3.11.2 compiled it (firstlineno 1), and the line of
 * each of its 44 code units as co_lines() gives them:
 *     def f(a, b):
 *         x = a + b
 *         if x > 10:
 *             y = [i * i for i in range(x)]
 *         else:
 *             y = None
 *
 *         return (x,
 *                 y)
 */
static const uint8_t table_f[] = {
	0x80, 0x00, 0xd8, 0x08, 0x09, 0x88, 0x41, 0x89, 0x05, 0x80, 0x41, 0xd8, 0x07, 0x08, 0x88, 0x32, 0x82,
	0x76, 0x80, 0x76, 0xd8, 0x0c, 0x25, 0xd0, 0x0c, 0x25, 0x9d, 0x45, 0xa0, 0x21, 0x99, 0x48, 0x9c, 0x48,
	0xd0, 0x0c, 0x25, 0xd1, 0x0c, 0x25, 0xd4, 0x0c, 0x25, 0x88, 0x01, 0x88, 0x01, 0xe0, 0x0c, 0x10, 0x88,
	0x01, 0xe0, 0x0c, 0x0d, 0xd8, 0x0c, 0x0d, 0xf0, 0x03, 0x01, 0x0c, 0x0f, 0xf0, 0x00, 0x01, 0x05, 0x0f,
};
static const int lines_f[] = {
	1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 6, 6, 8, 9, 8, 8,
};

Test(pyobj, lines_of_a_real_table)
{
	for (uint32_t unit = 0; unit < sizeof(lines_f) / sizeof(lines_f[0]); unit++)
		cr_expect_eq(py_linetable_line(table_f, sizeof(table_f), 1, unit * 2), lines_f[unit],
			     "code unit %u", unit);
	cr_expect_eq(py_linetable_line(table_f, sizeof(table_f), 1, 44 * 2), -1, "past the end");
	cr_expect_eq(py_linetable_line(table_f, sizeof(table_f), 100, 0), 100, "relative to firstlineno");
}

/* a jump of 299 lines: the long form's signed varint over two bytes (3.11.2's table) */
Test(pyobj, long_form_line_delta)
{
	static const uint8_t t[] = {
		0x80, 0x00, 0xd8, 0x08, 0x09, 0x80, 0x41, 0xf0, 0x5a, 0x09, 0x00, 0x09, 0x0a,
		0x80, 0x41, 0xd8, 0x0b, 0x0c, 0x88, 0x71, 0x89, 0x35, 0x80, 0x4c,
	};

	cr_expect_eq(py_linetable_line(t, sizeof(t), 1, 0), 1);
	cr_expect_eq(py_linetable_line(t, sizeof(t), 1, 2), 2);
	cr_expect_eq(py_linetable_line(t, sizeof(t), 1, 6), 303);
	cr_expect_eq(py_linetable_line(t, sizeof(t), 1, 10), 304);
	cr_expect_eq(py_linetable_line(t, sizeof(t), 1, 18), 304);
}

Test(pyobj, no_location_and_negative_deltas)
{
	/* one line (+0), no location (code 15), no columns with -3, one line +2 */
	static const uint8_t t[] = { 0xd0, 0x00, 0x00, 0xf8, 0xe8, 0x07, 0xe0, 0x01, 0x02 };

	cr_expect_eq(py_linetable_line(t, sizeof(t), 10, 0), 10);
	cr_expect_eq(py_linetable_line(t, sizeof(t), 10, 2), -1);
	cr_expect_eq(py_linetable_line(t, sizeof(t), 10, 4), 7);
	cr_expect_eq(py_linetable_line(t, sizeof(t), 10, 6), 9);
}

Test(pyobj, malformed_tables_give_no_line)
{
	static const uint8_t not_an_entry[] = { 0x00, 0x80 };
	static const uint8_t cut_varint[] = { 0xe8, 0x7f };	/* continuation past the end */
	uint8_t huge[64];

	cr_expect_eq(py_linetable_line(not_an_entry, sizeof(not_an_entry), 1, 0), -1);
	cr_expect_eq(py_linetable_line(cut_varint, sizeof(cut_varint), 1, 0), -1, "a line before the file");
	cr_expect_eq(py_linetable_line(NULL, 0, 1, 0), -1);
	/* varints of 6 bits a byte beyond 32 bits, and lines past any file */
	memset(huge, 0x7f, sizeof(huge));
	huge[0] = 0xf0;
	cr_expect_eq(py_linetable_line(huge, sizeof(huge), 1, 0), -1);
	cr_expect_eq(py_linetable_line(table_f, sizeof(table_f), 0x7fffffff, 4), -1);
}

Test(pyobj, str_state_bits)
{
	struct py_str_state s = py_str_state(1u << 6 | 1u << 5 | 1u << 2 | 3);

	cr_expect_eq(s.kind, 1);
	cr_expect(s.compact && s.ascii);
	s = py_str_state(4u << 2 | 1u << 5);
	cr_expect_eq(s.kind, 4);
	cr_expect(s.compact && !s.ascii);
}

Test(pyobj, str_kinds_to_utf8)
{
	static const uint8_t latin1[] = { 'c', 0xe9, 'l', 'e', 0xe8 };
	static const uint8_t ucs2[] = { 0x3b, 0x04, 0x4f, 0x04, 'x', 0 };
	static const uint8_t ucs4[] = { 0x00, 0xf6, 0x01, 0x00, 0x00, 0xd8, 0x00, 0x00, 0xff, 0xff, 0x11, 0x00 };
	char out[64];

	cr_expect_eq(py_str_to_utf8(1, latin1, sizeof(latin1), out, sizeof(out)), 7);
	cr_expect_str_eq(out, "c\xc3\xa9l" "e\xc3\xa8");
	py_str_to_utf8(2, ucs2, 3, out, sizeof(out));
	cr_expect_str_eq(out, "\xd0\xbb\xd1\x8fx");
	/* U+1F600, a lone surrogate and a code point past U+10FFFF: the last two replaced */
	py_str_to_utf8(4, ucs4, 3, out, sizeof(out));
	cr_expect_str_eq(out, "\xf0\x9f\x98\x80\xef\xbf\xbd\xef\xbf\xbd");
}

Test(pyobj, str_cut_at_a_character)
{
	static const uint8_t ucs2[] = { 0x3b, 0x04, 0x4f, 0x04 };
	char out[4];

	cr_expect_eq(py_str_to_utf8(2, ucs2, 2, out, sizeof(out)), 2);
	cr_expect_str_eq(out, "\xd0\xbb");
	cr_expect_eq(py_str_to_utf8(3, ucs2, 2, out, sizeof(out)), 0, "no such kind");
	cr_expect_str_eq(out, "");
}
