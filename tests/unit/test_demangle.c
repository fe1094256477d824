// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of demangle.c: C++ and Rust names as a flame graph should show them. */
#include <criterion/criterion.h>
#include <string.h>
#include "symbols/demangle.h"

static char buf[256];

static const char *dm(const char *name)
{
	memset(buf, 'X', sizeof(buf));
	demangle(name, buf, sizeof(buf));
	return buf;
}

Test(demangle, cpp_names_lose_their_parameter_lists)
{
	cr_assert_str_eq(dm("_ZN3foo3barEv"), "foo::bar");
	cr_assert_str_eq(dm("_ZN3foo3barEi"), "foo::bar");
	cr_assert_str_eq(dm("_ZNK3foo3Bar3getEv"), "foo::Bar::get");
	cr_assert_str_eq(dm("_ZN3foo3bazIiEEvT_"), "foo::baz<int>");
}

Test(demangle, rust_legacy_drops_the_hash)
{
	cr_assert_str_eq(dm("_ZN4core3fmt5write17h0123456789abcdefE"), "core::fmt::write");
}

Test(demangle, rust_v0_is_demangled)
{
	cr_assert_str_eq(dm("_RNvCs1234_7mycrate3foo"), "mycrate::foo");
}

Test(demangle, unmangled_and_invalid_names_pass_unchanged)
{
	cr_assert_str_eq(dm("main"), "main");
	cr_assert_str_eq(dm("_Zgarbage"), "_Zgarbage");
	cr_assert_str_eq(dm("_R"), "_R");
	cr_assert_str_eq(dm("_"), "_");
	cr_assert_str_eq(dm(""), "");
}

Test(demangle, output_is_truncated_to_the_buffer)
{
	char small[8];

	demangle("_ZN3foo3barEv", small, sizeof(small));
	cr_assert_str_eq(small, "foo::ba");
	demangle("main_loop_forever", small, sizeof(small));
	cr_assert_str_eq(small, "main_lo");
}
