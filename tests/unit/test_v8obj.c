// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests of v8obj.c and v8merge.c: ScopeInfo slots as V8 11 lays them out (flags, parameter
 * count, context locals' count, then the locals' names and infos, the function's name, its
 * positions), hostile counts refused; lines counted in a source; script names shortened; and
 * JavaScript frames put in place of the native frames they ran at.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include "node/v8obj.h"
#include "node/v8merge.h"

#define SMI(v) ((uint64_t)(uint32_t)(v) << 32)
#define NAME_PTR 0x10001ull	/* a tagged pointer: the string of this test */
#define OTHER_PTR 0x20001ull	/* a tagged pointer to no string */

static bool is_string(uint64_t tagged, void *ctx)
{
	(void)ctx;
	return tagged == NAME_PTR;
}

Test(v8obj, scope_info_name_and_positions)
{
	/* two context locals: their names and infos in slots 4..7; a non-string object; the name; positions */
	uint64_t slots[16] = { SMI(0x1234), SMI(1), SMI(2), SMI(0), OTHER_PTR, SMI(5), OTHER_PTR, SMI(6),
			       OTHER_PTR, NAME_PTR, SMI(73), SMI(190), SMI(0) };
	struct v8_scope s;

	cr_assert_eq(v8_scope_parse(slots, 16, 4, 2, is_string, NULL, &s), 0);
	cr_expect_eq(s.name_slot, 9);
	cr_expect_eq(s.start, 73);
	cr_expect_eq(s.end, 190);
}

Test(v8obj, scope_info_hostile_counts)
{
	uint64_t slots[16] = { 0 };
	struct v8_scope s;

	slots[2] = SMI(100);	/* more context locals than slots */
	cr_expect_eq(v8_scope_parse(slots, 16, 4, 2, is_string, NULL, &s), -EINVAL);
	slots[2] = SMI(-1);
	cr_expect_eq(v8_scope_parse(slots, 16, 4, 2, is_string, NULL, &s), -EINVAL);
	slots[2] = OTHER_PTR;	/* no Smi */
	cr_expect_eq(v8_scope_parse(slots, 16, 4, 2, is_string, NULL, &s), -EINVAL);
	cr_expect_eq(v8_scope_parse(slots, 16, 4, 20, is_string, NULL, &s), -EINVAL);
	slots[2] = SMI(0);	/* nothing to find: no name, no positions */
	cr_assert_eq(v8_scope_parse(slots, 16, 4, 2, is_string, NULL, &s), 0);
	cr_expect_eq(s.name_slot, -1);
	cr_expect_eq(s.start, 0);
}

Test(v8obj, lines_and_script_names)
{
	const char src[] = "// a\n\nfunction planSteps(n) {\n";

	cr_expect_eq(v8_line_of(src, sizeof(src) - 1, 0), 1);
	cr_expect_eq(v8_line_of(src, sizeof(src) - 1, 6), 3);	/* "function" */
	cr_expect_eq(v8_line_of(src, 3, 6), 1);		/* only what was read is counted */
	cr_expect_str_eq(v8_script_base("file:///srv/agent/agent.mjs"), "agent.mjs");
	cr_expect_str_eq(v8_script_base("node:internal/modules/esm/module_job"), "module_job");
	cr_expect_str_eq(v8_script_base("agent.js"), "agent.js");
	cr_expect_str_eq(v8_script_base("dir/"), "dir/");
}

Test(v8merge, frames_in_place_of_their_pcs)
{
	/* leaf first: sin, planSteps' JIT code, an unwinder's guess, agentLoop's, the entry trampoline */
	const uint64_t pcs[] = { 0x55550000a000, 0x7f0000001234, 0x7f0000009999, 0x7f0000005678, 0x55550000b000 };
	const struct py_frame js[] = { { 0x111, 0x00001234, 0 }, { 0x222, 0x00005678, 0 }, { 0x333, 0xdead, 0 } };
	const struct py_frame leaf[] = { { 0x111, 0, 0 }, { 0x222, 0x00005678, 0 } };
	int32_t at[5];

	cr_assert_eq(v8_merge(pcs, 5, js, 3, at), 2);	/* the third's native frame is not in the stack */
	cr_expect_eq(at[0], -1);
	cr_expect_eq(at[1], 0);
	cr_expect_eq(at[2], -1);
	cr_expect_eq(at[3], 1);
	cr_expect_eq(at[4], -1);
	/* the leaf's pc is not stored: it is native frame 0 */
	cr_expect_eq(v8_merge(pcs, 5, leaf, 2, at), 2);
	cr_expect_eq(at[0], 0);
	cr_expect_eq(at[3], 1);
	cr_expect_eq(at[1], -1);
	/* out of order: a frame is matched only after the one below it */
	const struct py_frame swapped[] = { { 0x222, 0x00005678, 0 }, { 0x111, 0x00001234, 0 } };
	cr_expect_eq(v8_merge(pcs, 5, swapped, 2, at), 1);
	cr_expect_eq(at[1], -1);
	cr_expect_eq(at[3], 0);
}
