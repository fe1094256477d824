// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of v8offsets.c: the offsets taken from a symbol table of v8dbg_ ints (the values of
 * node 20's V8 11.3 for the ones checked), a missing symbol or a value a walker cannot use refused.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include "node/v8offsets.h"

struct sym {
	const char *name;
	int32_t value;
};

struct table {
	const struct sym *v;
	size_t n;
	const char *missing;	/* a name looked up as absent */
	const char *override;	/* a name given override_value instead */
	int32_t override_value;
};

static int lookup(const char *name, int32_t *value, void *ctx)
{
	const struct table *t = ctx;

	if (t->missing && !strcmp(name, t->missing))
		return -ENOENT;
	if (t->override && !strcmp(name, t->override)) {
		*value = t->override_value;
		return 0;
	}
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].name, name)) {
			*value = t->v[i].value;
			return 0;
		}
	*value = 7;	/* the ones this test does not check */
	return 0;
}

static const struct sym node20[] = {
	{ "v8dbg_off_fp_function", -16 }, { "v8dbg_off_fp_context", -8 },
	{ "v8dbg_class_JSFunction__shared__SharedFunctionInfo", 24 },
	{ "v8dbg_class_HeapObject__map__Map", 0 }, { "v8dbg_class_Map__instance_type__uint16_t", 12 },
	{ "v8dbg_type_SharedFunctionInfo__SHARED_FUNCTION_INFO_TYPE", 180 },
	{ "v8dbg_scopeinfo_idx_first_vars", 4 }, { "v8dbg_scopeinfo_idx_ncontextlocals", 2 },
};

Test(v8offsets, from_the_symbol_table)
{
	struct table t = { .v = node20, .n = sizeof(node20) / sizeof(node20[0]) };
	struct v8_offsets o;

	cr_assert_eq(v8_offsets__parse(lookup, &t, &o), 0);
	cr_expect_eq(o.bpf.fp_function, -16);
	cr_expect_eq(o.bpf.fp_context, -8);
	cr_expect_eq(o.bpf.function_shared, 24);
	cr_expect_eq(o.heap_map, 0);
	cr_expect_eq(o.map_type, 12);
	cr_expect_eq(o.type_sfi, 180);
	cr_expect_eq(o.scope_first_vars, 4);
	cr_expect_eq(o.scope_ncontext_locals, 2);
	cr_expect_eq(o.string_length, 7);
}

Test(v8offsets, missing_or_unusable_refused)
{
	struct table t = { .v = node20, .n = sizeof(node20) / sizeof(node20[0]) };
	struct v8_offsets o;

	t.missing = "v8dbg_class_SharedFunctionInfo__name_or_scope_info__Object";
	cr_expect_eq(v8_offsets__parse(lookup, &t, &o), -ENOTSUP);
	t.missing = NULL;
	t.override = "v8dbg_off_fp_function";	/* above the frame pointer: not a JavaScript frame's slot */
	t.override_value = 16;
	cr_expect_eq(v8_offsets__parse(lookup, &t, &o), -ENOTSUP);
	t.override = "v8dbg_class_JSFunction__shared__SharedFunctionInfo";
	t.override_value = 70000;
	cr_expect_eq(v8_offsets__parse(lookup, &t, &o), -ENOTSUP);
	t.override = "v8dbg_scopeinfo_idx_ncontextlocals";
	t.override_value = 40;
	cr_expect_eq(v8_offsets__parse(lookup, &t, &o), -ENOTSUP);
}
