// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of rboffsets.c: 3.1's table checked against the installed ruby3.1 (no internal headers
 * are installed: tests/unit/rblayout.rb measures the offsets in a live ruby3.1 with Fiddle), and
 * ruby_version strings parsed strictly.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "helpers.h"
#include "ruby/rboffsets.h"

/* The offset rblayout.rb measured for field, -1 when it printed none. */
static long measured(const char *out, const char *field)
{
	size_t n = strlen(field);

	for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, field, n) && l[n] == ' ')
			return strtol(l + n + 1, NULL, 10);
	return -1;
}

Test(rboffsets, table_31_matches_the_installed_ruby)
{
	struct rb_offsets o;
	char *out, *v;
	uint32_t version;

	require_tool("ruby3.1", "ruby3.1");
	v = run_output("ruby3.1 -e 'print RUBY_VERSION'");
	cr_assert_eq(rb_version_parse(v, strlen(v), &version), 0, "RUBY_VERSION %s", v);
	free(v);
	cr_assert_eq(rb_offsets__for_version(version, &o), 0);
	cr_assert_eq(o.version, version);
	out = run_output("ruby3.1 tests/unit/rblayout.rb");
	cr_expect_eq(measured(out, "vm_main_ractor"), o.bpf.vm_main_ractor, "%s", out);
	cr_expect_eq(measured(out, "ractor_threads"), o.bpf.ractor_threads, "%s", out);
	cr_expect_eq(measured(out, "thread_tid"), o.bpf.thread_tid, "%s", out);
	cr_expect_eq(measured(out, "thread_ec"), o.bpf.thread_ec, "%s", out);
	cr_expect_eq(measured(out, "thread_status"), o.bpf.thread_status, "%s", out);
	cr_expect_eq(measured(out, "ec_vm_stack"), o.bpf.ec_vm_stack, "%s", out);
	cr_expect_eq(measured(out, "ec_vm_stack_size"), o.bpf.ec_vm_stack_size, "%s", out);
	cr_expect_eq(measured(out, "ec_cfp"), o.bpf.ec_cfp, "%s", out);
	cr_expect_eq(measured(out, "cfp_size"), o.bpf.cfp_size, "%s", out);
	cr_expect_eq(measured(out, "cfp_iseq"), o.bpf.cfp_iseq, "%s", out);
	cr_expect_eq(measured(out, "body_label"), o.body_label, "%s", out);
	cr_expect_eq(measured(out, "body_first_lineno"), o.body_first_lineno, "%s", out);
	/* the BPF side reads these from the first RB_EC_READ / RB_CFP_READ bytes */
	cr_expect_leq(o.bpf.ec_cfp, RB_EC_READ - 8);
	cr_expect_leq(o.bpf.cfp_ep, RB_CFP_READ - 8);
	free(out);
}

Test(rboffsets, other_versions_are_not_in_the_table)
{
	struct rb_offsets o;

	cr_expect_eq(rb_offsets__for_version(RB_VERSION(3, 1, 7), &o), 0);
	cr_expect_eq(rb_offsets__for_version(RB_VERSION(3, 0, 6), &o), -ENOTSUP);
	cr_expect_eq(rb_offsets__for_version(RB_VERSION(3, 2, 2), &o), -ENOTSUP);
	cr_expect_eq(rb_offsets__for_version(RB_VERSION(2, 1, 0), &o), -ENOTSUP);
}

Test(rboffsets, versions_parse_strictly)
{
	const char *bad[] = { "", "3", "3.1", "3.1.", ".1.2", "3..2", "3.1.2.4", "3.1.2a", "3.1.2 ", "3.1.256",
			      "3.1000.2", "x.y.z" };
	uint32_t v;

	cr_assert_eq(rb_version_parse("3.1.2", 5, &v), 0);
	cr_expect_eq(v, RB_VERSION(3, 1, 2));
	cr_assert_eq(rb_version_parse("3.4.10\0garbage", 14, &v), 0);	/* a C string in a larger read */
	cr_expect_eq(v, RB_VERSION(3, 4, 10));
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		cr_expect_eq(rb_version_parse(bad[i], strlen(bad[i]), &v), -EINVAL, "%s", bad[i]);
}
