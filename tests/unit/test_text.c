// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of text.c: names from the target come out as valid UTF-8, and safe for terminals. */
#include <criterion/criterion.h>
#include <string.h>
#include "base/text.h"

static char buf[64];

static const char *utf8(const char *s, size_t len)
{
	memset(buf, 'X', sizeof(buf));
	utf8_sanitize(s, buf, len);
	return buf;
}

static const char *term(const char *s, size_t len)
{
	memset(buf, 'X', sizeof(buf));
	term_sanitize(s, buf, len);
	return buf;
}

Test(utf8_sanitize, valid_text_passes_unchanged)
{
	cr_assert_str_eq(utf8("plain ascii_fn::name", sizeof(buf)), "plain ascii_fn::name");
	cr_assert_str_eq(utf8("caf\xc3\xa9", sizeof(buf)), "caf\xc3\xa9");			/* 2 bytes */
	cr_assert_str_eq(utf8("\xe2\x82\xac 5", sizeof(buf)), "\xe2\x82\xac 5");		/* 3 bytes */
	cr_assert_str_eq(utf8("\xf0\x9f\x94\xa5!", sizeof(buf)), "\xf0\x9f\x94\xa5!");	/* 4 bytes */
	cr_assert_str_eq(utf8("\xf4\x8f\xbf\xbf", sizeof(buf)), "\xf4\x8f\xbf\xbf");	/* U+10FFFF */
	cr_assert_str_eq(utf8("", sizeof(buf)), "");
}

Test(utf8_sanitize, invalid_bytes_become_question_marks)
{
	cr_assert_str_eq(utf8("a\xff" "b", sizeof(buf)), "a?b");
	cr_assert_str_eq(utf8("a\x80" "b", sizeof(buf)), "a?b", "lone continuation byte");
	cr_assert_str_eq(utf8("a\xc3" "b", sizeof(buf)), "a?b", "lead byte without continuation");
	cr_assert_str_eq(utf8("a\xe2\x82", sizeof(buf)), "a??", "sequence cut by the end");
}

Test(utf8_sanitize, overlongs_surrogates_and_out_of_range_are_rejected)
{
	cr_assert_str_eq(utf8("\xc0\xaf", sizeof(buf)), "??", "overlong '/'");
	cr_assert_str_eq(utf8("\xe0\x80\xaf", sizeof(buf)), "???", "3-byte overlong");
	cr_assert_str_eq(utf8("\xf0\x80\x80\xaf", sizeof(buf)), "????", "4-byte overlong");
	cr_assert_str_eq(utf8("\xed\xa0\x80", sizeof(buf)), "???", "surrogate U+D800");
	cr_assert_str_eq(utf8("\xf4\x90\x80\x80", sizeof(buf)), "????", "U+110000");
	cr_assert_str_eq(utf8("\xf5\x80\x80\x80", sizeof(buf)), "????");
}

Test(utf8_sanitize, truncation_never_splits_a_character)
{
	cr_assert_str_eq(utf8("a\xc3\xa9", 3), "a", "2-byte char needs 3 bytes with the NUL");
	cr_assert_str_eq(utf8("a\xc3\xa9", 4), "a\xc3\xa9");
	cr_assert_str_eq(utf8("\xf0\x9f\x94\xa5", 4), "");
	cr_assert_str_eq(utf8("\xf0\x9f\x94\xa5", 5), "\xf0\x9f\x94\xa5");
	cr_assert_str_eq(utf8("abcdef", 4), "abc");
	cr_assert_str_eq(utf8("ab\xff", 3), "ab");
}

Test(utf8_sanitize, len_one_gives_empty_string_and_len_zero_writes_nothing)
{
	cr_assert_str_eq(utf8("abc", 1), "");
	utf8("abc", 0);
	cr_assert_eq(buf[0], 'X');
}

Test(term_sanitize, control_characters_become_question_marks)
{
	cr_assert_str_eq(term("\x1b[2Jname", sizeof(buf)), "?[2Jname");
	cr_assert_str_eq(term("a\nb\tc\rd\x7f" "e", sizeof(buf)), "a?b?c?d?e");
	cr_assert_str_eq(term("bad\xff\x1b", sizeof(buf)), "bad??");
}

Test(term_sanitize, printable_utf8_passes_unchanged)
{
	cr_assert_str_eq(term("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5", sizeof(buf)),
			 "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5");
	cr_assert_str_eq(term("abcdef", 4), "abc");
}

Test(term_sanitize, c1_control_characters_become_one_question_mark_each)
{
	/* U+009B is CSI: the Linux console reads "\xc2\x9b" "2J" as clear-screen even in UTF-8 */
	cr_assert_str_eq(term("a\xc2\x9b" "2Jb", sizeof(buf)), "a?2Jb");
	cr_assert_str_eq(term("\xc2\x80\xc2\x9f", sizeof(buf)), "??");
	cr_assert_str_eq(term("\xc2\xa0\xc2\xa9", sizeof(buf)), "\xc2\xa0\xc2\xa9", "U+00A0 and up print");
}

Test(term_sanitize, len_zero_writes_nothing)
{
	memset(buf, '\x1b', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	term_sanitize("abc", buf, 0);
	cr_assert_eq(buf[0], '\x1b');
	cr_assert_str_eq(term("abc", 1), "");
}
