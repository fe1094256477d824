// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of util.c: strict number parsing and bounded whole-file reads. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "helpers.h"
#include "base/util.h"

Test(parse_long, accepts_decimal_within_range)
{
	long v = 0;

	cr_assert_eq(parse_long("42", 0, 100, &v), 0);
	cr_assert_eq(v, 42);
	cr_assert_eq(parse_long("-7", -10, 10, &v), 0);
	cr_assert_eq(v, -7);
	cr_assert_eq(parse_long("0", 0, 0, &v), 0);
	cr_assert_eq(v, 0);
}

Test(parse_long, accepts_both_bounds)
{
	long v = 0;

	cr_assert_eq(parse_long("1", 1, 65535, &v), 0);
	cr_assert_eq(v, 1);
	cr_assert_eq(parse_long("65535", 1, 65535, &v), 0);
	cr_assert_eq(v, 65535);
	cr_assert_eq(parse_long("9223372036854775807", 0, LONG_MAX, &v), 0);
	cr_assert_eq(v, LONG_MAX);
}

Test(parse_long, rejects_what_is_not_a_whole_decimal_number)
{
	static const char *const bad[] = {
		"", "12abc", " 12", "\t12", "\n12", "12 ", "12\n", "0x10", "1e3", "1.5", "-", "+", "abc",
	};
	long v = 12345;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(parse_long(bad[i], LONG_MIN, LONG_MAX, &v), -EINVAL, "\"%s\"", bad[i]);
	cr_assert_eq(parse_long(NULL, LONG_MIN, LONG_MAX, &v), -EINVAL);
	cr_assert_eq(v, 12345, "out written on failure");
}

Test(parse_long, rejects_out_of_range_with_erange)
{
	long v = 12345;

	cr_assert_eq(parse_long("101", 0, 100, &v), -ERANGE);
	cr_assert_eq(parse_long("-1", 0, 100, &v), -ERANGE);
	cr_assert_eq(parse_long("0", 1, 100, &v), -ERANGE);
	cr_assert_eq(v, 12345, "out written on failure");
}

Test(parse_long, rejects_overflow_with_erange)
{
	long v = 12345;

	cr_assert_eq(parse_long("9223372036854775808", LONG_MIN, LONG_MAX, &v), -ERANGE);
	cr_assert_eq(parse_long("-9223372036854775809", LONG_MIN, LONG_MAX, &v), -ERANGE);
	cr_assert_eq(parse_long("99999999999999999999999", LONG_MIN, LONG_MAX, &v), -ERANGE);
	cr_assert_eq(v, 12345, "out written on failure");
}

static char *dir;

static void setup(void)
{
	dir = scratch_dir();
}

static void teardown(void)
{
	scratch_remove(dir);
}

TestSuite(read_file, .init = setup, .fini = teardown);

Test(read_file, returns_whole_content_nul_terminated)
{
	char *path = path_in(dir, "small"), *out = NULL;

	write_bytes(path, "hello\nworld\n", 12);
	cr_assert_eq(read_file(path, 1024, &out), 12);
	cr_assert_str_eq(out, "hello\nworld\n");
	free(out);
	free(path);
}

Test(read_file, reads_files_larger_than_one_buffer)
{
	size_t len = 100000;
	char *path = path_in(dir, "big"), *data = malloc(len), *out = NULL;

	cr_assert_not_null(data);
	for (size_t i = 0; i < len; i++)
		data[i] = 'a' + i % 26;
	write_bytes(path, data, len);
	cr_assert_eq(read_file(path, len, &out), (ssize_t)len, "exactly max bytes is allowed");
	cr_assert_eq(memcmp(out, data, len), 0);
	cr_assert_eq(out[len], '\0');
	free(out);
	free(data);
	free(path);
}

Test(read_file, empty_file_gives_empty_string)
{
	char *path = path_in(dir, "empty"), *out = NULL;

	write_bytes(path, "", 0);
	cr_assert_eq(read_file(path, 16, &out), 0);
	cr_assert_str_eq(out, "");
	free(out);
	free(path);
}

Test(read_file, refuses_more_than_max_with_efbig)
{
	char *path = path_in(dir, "eleven"), *out = NULL;

	write_bytes(path, "0123456789\n", 11);
	cr_assert_eq(read_file(path, 10, &out), -EFBIG);
	cr_assert_null(out, "out written on failure");
	free(path);
}

Test(read_file, missing_file_gives_enoent)
{
	char *path = path_in(dir, "missing"), *out = NULL;

	cr_assert_eq(read_file(path, 10, &out), -ENOENT);
	cr_assert_null(out);
	free(path);
}

/* /proc/PID/stat: a comm with spaces and parens, the flags (field 9) and the start time (22). */
Test(proc_stat_parse, reads_state_flags_and_start_past_an_odd_comm)
{
	const char *kthreadd = "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 19 0 0 18446744073709551615 0";
	const char *odd = "77 (a) b (c) R 1 77 77 0 -1 4194304 101 0 0 0 0 0 0 0 20 0 1 0 62091 3133440 393";
	unsigned long flags = 0;
	uint64_t ticks = 0;
	char state = 0;

	cr_assert_eq(proc_stat_parse(kthreadd, &state, &flags, &ticks), 0);
	cr_assert_eq(state, 'S');
	cr_assert_eq(flags, 2129984ul);
	cr_assert(flags & 0x00200000, "PF_KTHREAD");
	cr_assert_eq(ticks, 19);
	cr_assert_eq(proc_stat_parse(odd, &state, &flags, &ticks), 0);
	cr_assert_eq(state, 'R');
	cr_assert_eq(flags, 4194304ul);
	cr_assert_eq(ticks, 62091);
	cr_assert_eq(proc_stat_parse(odd, NULL, NULL, &ticks), 0);
}

Test(proc_stat_parse, refuses_a_truncated_line)
{
	unsigned long flags;
	uint64_t ticks;

	cr_assert_eq(proc_stat_parse("2 (kthreadd) S 0 0", NULL, &flags, &ticks), -EINVAL);
	cr_assert_eq(proc_stat_parse("2 (kthreadd) S 0 0 0 0 -1 5 0 0", NULL, NULL, &ticks), -EINVAL);
	cr_assert_eq(proc_stat_parse("no parens", NULL, NULL, &ticks), -EINVAL);
}
