// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of procmaps.c: parsing /proc/PID/maps text and finding the mapping of an address. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <unistd.h>
#include "target/procmaps.h"

static const char maps_text[] =
	"55d0c0a00000-55d0c0a02000 r--p 00000000 08:02 1048602                    /usr/bin/cat\n"
	"55d0c0a02000-55d0c0a07000 r-xp 00002000 08:02 1048602                    /usr/bin/cat\n"
	"55d0c0a07000-55d0c0a0a000 r--p 00007000 08:02 1048602                    /usr/bin/cat\n"
	"7f1e2a000000-7f1e2a021000 rw-p 00000000 00:00 0 \n"
	"7f1e2a200000-7f1e2a226000 r--p 00000000 fd:01 2097300    /tmp/lib dir/libx.so (deleted)\n"
	"7f1e2a226000-7f1e2a39b000 r-xp 00026000 fd:01 2097300    /tmp/lib dir/libx.so (deleted)\n"
	"7f1e2a400000-7f1e2a410000 rwxp 00000000 00:00 0 \n"
	"7f1e2a500000-7f1e2a501000 r-xp 0000a000 103:0a 42         /opt/My App/bin (x86)/run\n"
	"7ffd3e5fe000-7ffd3e600000 r-xp 00000000 00:00 0                          [vdso]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]";

static struct proc_maps maps;

static void parse_ok(const char *text)
{
	cr_assert_eq(proc_maps__parse(text, &maps), 0);
}

static void teardown(void)
{
	proc_maps__free(&maps);
}

TestSuite(procmaps, .fini = teardown);

Test(procmaps, keeps_only_executable_mappings_in_order)
{
	parse_ok(maps_text);
	cr_assert_eq(maps.n, 6);
	cr_assert_str_eq(maps.v[0].path, "/usr/bin/cat");
	cr_assert_str_eq(maps.v[1].path, "/tmp/lib dir/libx.so");
	cr_assert_str_eq(maps.v[2].path, "");
	cr_assert_str_eq(maps.v[3].path, "/opt/My App/bin (x86)/run");
	cr_assert_str_eq(maps.v[4].path, "[vdso]");
	cr_assert_str_eq(maps.v[5].path, "[vsyscall]");
	for (size_t i = 1; i < maps.n; i++)
		cr_assert_geq(maps.v[i].start, maps.v[i - 1].end);
}

Test(procmaps, parses_every_field)
{
	parse_ok(maps_text);
	cr_assert_eq(maps.v[0].start, 0x55d0c0a02000ull);
	cr_assert_eq(maps.v[0].end, 0x55d0c0a07000ull);
	cr_assert_eq(maps.v[0].offset, 0x2000);
	cr_assert_eq(maps.v[0].dev_major, 8);
	cr_assert_eq(maps.v[0].dev_minor, 2);
	cr_assert_eq(maps.v[0].inode, 1048602);
	cr_assert_eq(maps.v[0].deleted, 0);
	cr_assert_eq(maps.v[3].dev_major, 0x103, "device numbers are hex");
	cr_assert_eq(maps.v[3].dev_minor, 0xa);
	cr_assert_eq(maps.v[3].offset, 0xa000);
	cr_assert_eq(maps.v[5].start, 0xffffffffff600000ull);
	cr_assert_eq(maps.v[5].end, 0xffffffffff601000ull);
}

Test(procmaps, strips_deleted_suffix_and_flags_it)
{
	parse_ok(maps_text);
	cr_assert_str_eq(maps.v[1].path, "/tmp/lib dir/libx.so");
	cr_assert_eq(maps.v[1].deleted, 1);
	cr_assert_eq(maps.v[3].deleted, 0);
}

Test(procmaps, empty_text_and_blank_lines)
{
	parse_ok("");
	cr_assert_eq(maps.n, 0);
	cr_assert_null(proc_maps__find(&maps, 0x1000));
	parse_ok("\n1000-2000 r-xp 00000000 00:00 0\n\n");
	cr_assert_eq(maps.n, 1);
	cr_assert_str_eq(maps.v[0].path, "");
}

static void assert_rejected(const char *text)
{
	struct proc_maps m = { .v = (void *)1, .n = 77 };

	cr_assert_eq(proc_maps__parse(text, &m), -EINVAL, "accepted: %s", text);
	cr_assert_eq(m.n, 77, "out written on failure");
}

Test(procmaps, rejects_malformed_lines)
{
	assert_rejected("1000-2g00 r-xp 00000000 00:00 0 /bin/x\n");
	assert_rejected("1000 2000 r-xp 00000000 00:00 0 /bin/x\n");
	assert_rejected("-2000 r-xp 00000000 00:00 0 /bin/x\n");
	assert_rejected("1000-2000 r-xp 00000000 00:00\n");
	assert_rejected("1000-2000 r-xp 00000000\n");
	assert_rejected("1000-2000 r-xp\n");
	assert_rejected("1000-2000 r-x 00000000 00:00 0 /bin/x\n");
	assert_rejected("1000-2000 r-xp 0000z000 00:00 0 /bin/x\n");
	assert_rejected("1000-2000 r-xp 00000000 00:00 x /bin/x\n");
	assert_rejected("10000000000000000-10000000000000001 r-xp 00000000 00:00 0\n");
	assert_rejected("1000-2000 r-xp 00000000 100000000:00 0 /bin/x\n");
	assert_rejected("1000-2000 r-xp 00000000 00:00 99999999999999999999 /bin/x\n");
	/* one bad line spoils the whole text, executable or not */
	assert_rejected("1000-2000 r-xp 00000000 00:00 0 /bin/x\nzzzz\n");
	assert_rejected("1000-2000 r-xp 00000000 00:00 0 /bin/x\n3000-4000 r--p 00000000 00:00\n");
}

Test(procmaps, rejects_empty_or_inverted_ranges)
{
	assert_rejected("2000-1000 r-xp 00000000 00:00 0 /bin/x\n");
	assert_rejected("2000-2000 r-xp 00000000 00:00 0 /bin/x\n");
}

Test(procmaps, rejects_overlapping_or_unsorted_executable_ranges)
{
	assert_rejected("1000-3000 r-xp 00000000 00:00 0 /a\n"
			"2000-4000 r-xp 00000000 00:00 0 /b\n");
	assert_rejected("5000-6000 r-xp 00000000 00:00 0 /a\n"
			"1000-2000 r-xp 00000000 00:00 0 /b\n");
	/* touching ranges are fine: end is exclusive */
	parse_ok("1000-2000 r-xp 00000000 00:00 0 /a\n"
		 "2000-3000 r-xp 00000000 00:00 0 /b\n");
	cr_assert_eq(maps.n, 2);
}

Test(procmaps, find_uses_half_open_ranges)
{
	parse_ok("1000-2000 r-xp 00000000 00:00 0 /a\n"
		 "2000-3000 r-xp 00000000 00:00 0 /b\n"
		 "5000-6000 r-xp 00000000 00:00 0 /c\n");
	cr_assert_null(proc_maps__find(&maps, 0));
	cr_assert_null(proc_maps__find(&maps, 0xfff));
	cr_assert_str_eq(proc_maps__find(&maps, 0x1000)->path, "/a");
	cr_assert_str_eq(proc_maps__find(&maps, 0x1fff)->path, "/a");
	cr_assert_str_eq(proc_maps__find(&maps, 0x2000)->path, "/b");
	cr_assert_str_eq(proc_maps__find(&maps, 0x2fff)->path, "/b");
	cr_assert_null(proc_maps__find(&maps, 0x3000), "gap between mappings");
	cr_assert_null(proc_maps__find(&maps, 0x4fff));
	cr_assert_str_eq(proc_maps__find(&maps, 0x5000)->path, "/c");
	cr_assert_str_eq(proc_maps__find(&maps, 0x5fff)->path, "/c");
	cr_assert_null(proc_maps__find(&maps, 0x6000));
	cr_assert_null(proc_maps__find(&maps, UINT64_MAX));
}

Test(procmaps, find_ignores_non_executable_mappings)
{
	parse_ok(maps_text);
	cr_assert_null(proc_maps__find(&maps, 0x55d0c0a00000ull), "r--p mapping");
	cr_assert_str_eq(proc_maps__find(&maps, 0x55d0c0a02000ull)->path, "/usr/bin/cat");
	cr_assert_null(proc_maps__find(&maps, 0x7f1e2a000100ull), "rw-p anonymous mapping");
	cr_assert_str_eq(proc_maps__find(&maps, 0x7ffd3e5ff123ull)->path, "[vdso]");
}

Test(procmaps, reads_own_process_and_finds_own_code)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const struct map_entry *m;

	cr_assert_gt(n, 0);
	exe[n] = '\0';
	cr_assert_eq(proc_maps__read(getpid(), &maps), 0);
	m = proc_maps__find(&maps, (uint64_t)(uintptr_t)&parse_ok);
	cr_assert_not_null(m);
	cr_assert_str_eq(m->path, exe);
	cr_assert_eq(m->deleted, 0);
}

Test(procmaps, read_of_missing_process_fails)
{
	cr_assert_eq(proc_maps__read(INT_MAX, &maps), -ENOENT);
}

/* Each interpreter file once (its first executable mapping), by the prefix of its last component. */
Test(procmaps, next_named_takes_each_file_once_by_its_name)
{
	static const char *const names[] = { "python", "libpython", NULL };

	parse_ok("1000-2000 r-xp 00000000 08:01 1 /usr/bin/python3.11\n"
		 "2000-3000 r-xp 00001000 08:01 1 /usr/bin/python3.11\n"
		 "3000-4000 r-xp 00000000 08:01 2 /opt/python/lib/libc.so.6\n"
		 "4000-5000 r-xp 00000000 08:01 3 /usr/lib/libpython3.12.so.1.0\n");
	cr_assert_eq(proc_maps__next_named(&maps, 0, names), 0);
	cr_assert_eq(proc_maps__next_named(&maps, 1, names), 3, "a file's second mapping and a directory's name are no file");
	cr_assert_eq(proc_maps__next_named(&maps, 4, names), maps.n);
}
