// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of perfmap.c: a JIT's perf map, written by the target and so not to be trusted. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include "helpers.h"
#include "symbols/perfmap.h"

static char *dir, *path;
static struct perf_map *m;

static void setup(void)
{
	dir = scratch_dir();
	path = path_in(dir, "perf-1.map");
}

static void teardown(void)
{
	perf_map__free(m);
	free(path);
	scratch_remove(dir);
}

TestSuite(perfmap, .init = setup, .fini = teardown);

static void load(const char *text)
{
	write_bytes(path, text, strlen(text));
	m = perf_map__load(path);
	cr_assert(m, "load: %s", strerror(errno));
}

Test(perfmap, names_ranges_with_spaces_in_names)
{
	load("7f0000001000 40 LazyCompile:~handler /srv/app.js:12\n"
	     "7f0000000000 100 Builtin:ArgumentsAdaptorTrampoline\n"
	     "7f0000002000 8 py::work:/app/agent.py\n");
	cr_assert_str_eq(perf_map__lookup(m, 0x7f0000000000), "Builtin:ArgumentsAdaptorTrampoline");
	cr_assert_str_eq(perf_map__lookup(m, 0x7f00000000ff), "Builtin:ArgumentsAdaptorTrampoline");
	cr_assert_null(perf_map__lookup(m, 0x7f0000000100), "past the end of the code");
	cr_assert_str_eq(perf_map__lookup(m, 0x7f000000103f), "LazyCompile:~handler /srv/app.js:12");
	cr_assert_null(perf_map__lookup(m, 0x7f0000001040));
	cr_assert_str_eq(perf_map__lookup(m, 0x7f0000002007), "py::work:/app/agent.py");
	cr_assert_null(perf_map__lookup(m, 0x7effffffffff));
	cr_assert_null(perf_map__lookup(m, UINT64_MAX));
}

Test(perfmap, last_written_entry_wins)
{
	load("1000 100 old\n"
	     "1000 100 new\n"
	     "1080 10 inner\n");
	cr_assert_str_eq(perf_map__lookup(m, 0x1000), "new");
	cr_assert_str_eq(perf_map__lookup(m, 0x1085), "inner");
	cr_assert_str_eq(perf_map__lookup(m, 0x10a0), "new", "the outer code around a later entry");
}

Test(perfmap, skips_malformed_lines)
{
	load("garbage\n"
	     "1000\n"
	     "1000 \n"
	     "1000 10\n"
	     "1000 10 \n"
	     "zz 10 bad_start\n"
	     "2000 0 empty_code\n"
	     "ffffffffffffff00 200 wraps_around\n"
	     "1ffffffffffffffff 10 overflows\n"
	     "3000 10 good\n"
	     "4000 10 no_newline_at_end");
	cr_assert_null(perf_map__lookup(m, 0x1000));
	cr_assert_null(perf_map__lookup(m, 0x2000));
	cr_assert_null(perf_map__lookup(m, 0xffffffffffffff80));
	cr_assert_str_eq(perf_map__lookup(m, 0x3000), "good");
	cr_assert_str_eq(perf_map__lookup(m, 0x4000), "no_newline_at_end");
}

Test(perfmap, caps_long_names)
{
	size_t n = 100000;
	char *text = malloc(n + 32), *name;

	cr_assert(text);
	strcpy(text, "5000 10 ");
	memset(text + 8, 'x', n);
	strcpy(text + 8 + n, "\n");
	load(text);
	name = (char *)perf_map__lookup(m, 0x5000);
	cr_assert(name);
	cr_assert_eq(strlen(name), 1024);
	free(text);
}

Test(perfmap, missing_file)
{
	cr_assert_null(perf_map__load("/nonexistent/perf-1.map"));
	cr_assert_eq(errno, ENOENT);
}
