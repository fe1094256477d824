// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of ksyms.c: loading a kallsyms-format file and naming kernel addresses. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include "helpers.h"
#include "symbols/ksyms.h"

static char *dir, *path;
static struct ksyms *ks;

static void setup(void)
{
	dir = scratch_dir();
	path = path_in(dir, "kallsyms");
}

static void teardown(void)
{
	ksyms__free(ks);
	free(path);
	scratch_remove(dir);
}

TestSuite(ksyms, .init = setup, .fini = teardown);

/* Deliberately unsorted, with data symbols between the functions. */
static const char kallsyms[] =
	"ffffffff81002000 T do_syscall_64\n"
	"ffffffff81000000 T _stext\n"
	"ffffffff81001000 t local_helper\n"
	"ffffffff81001800 D some_data\n"
	"ffffffff81001900 b some_bss\n"
	"ffffffff81001a00 r some_rodata\n"
	"ffffffff81003000 W weak_fn\n"
	"ffffffffc0000000 t mod_fn\t[mymod]\n"
	"garbage line\n";

static void load(const char *text)
{
	write_bytes(path, text, strlen(text));
	ks = ksyms__load(path);
	cr_assert_not_null(ks, "ksyms__load: %s", strerror(errno));
}

Test(ksyms, names_the_function_containing_an_address)
{
	load(kallsyms);
	cr_assert_str_eq(ksyms__lookup(ks, 0xffffffff81000000ull), "_stext");
	cr_assert_str_eq(ksyms__lookup(ks, 0xffffffff81000fffull), "_stext");
	cr_assert_str_eq(ksyms__lookup(ks, 0xffffffff81001000ull), "local_helper");
	cr_assert_str_eq(ksyms__lookup(ks, 0xffffffff81002010ull), "do_syscall_64");
	cr_assert_str_eq(ksyms__lookup(ks, 0xffffffff81003000ull), "weak_fn");
	cr_assert_str_eq(ksyms__lookup(ks, 0xffffffffc0000040ull), "mod_fn");
}

Test(ksyms, ignores_data_symbols)
{
	load(kallsyms);
	cr_assert_str_eq(ksyms__lookup(ks, 0xffffffff81001800ull), "local_helper");
	cr_assert_str_eq(ksyms__lookup(ks, 0xffffffff81001900ull), "local_helper");
	cr_assert_str_eq(ksyms__lookup(ks, 0xffffffff81001a00ull), "local_helper");
}

Test(ksyms, address_below_first_symbol_has_no_name)
{
	load(kallsyms);
	cr_assert_null(ksyms__lookup(ks, 0xffffffff80ffffffull));
	cr_assert_null(ksyms__lookup(ks, 0));
}

Test(ksyms, hidden_addresses_fail_with_eperm)
{
	static const char hidden[] = "0000000000000000 T _stext\n"
				     "0000000000000000 T do_syscall_64\n"
				     "0000000000000000 D some_data\n";

	write_bytes(path, hidden, strlen(hidden));
	errno = 0;
	cr_assert_null(ksyms__load(path));
	cr_assert_eq(errno, EPERM);
}

Test(ksyms, missing_file_fails_with_enoent)
{
	errno = 0;
	cr_assert_null(ksyms__load("/nonexistent/kallsyms"));
	cr_assert_eq(errno, ENOENT);
}
