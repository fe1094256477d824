// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of pymerge.c: Python frames in place of the eval loop's native frames. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include "python/pymerge.h"

#define E PY_FRAME_ENTRY

/* The merged stack, root first, as text: native frames by index ("n0"), Python ones ("p0"). */
static void merge(const bool *is_eval, size_t n, const uint32_t *flags, size_t npy, char *out, size_t len)
{
	struct py_frame py[16] = {};
	struct merged_frame m[32];
	size_t w, k, at = 0;

	for (k = 0; k < npy; k++)
		py[k] = (struct py_frame){ 0x1000 + k, 0, flags[k] };
	w = py_merge(is_eval, n, py, npy, m);
	cr_assert_leq(w, n + npy);
	out[0] = '\0';
	for (k = 0; k < w; k++)
		at += snprintf(out + at, len - at, "%s%c%u", k ? ";" : "", m[k].python ? 'p' : 'n', m[k].index);
}

Test(pymerge, each_eval_frame_gets_its_evaluation)
{
	/* leaf first: n0 (a C function), n1 eval, n2 a C call into Python, n3 eval, n4 main */
	bool is_eval[] = { false, true, false, true, false };
	uint32_t flags[] = { 0, 0, E, 0, E };	/* two evaluations: p0..p2 innermost, p3..p4 */
	char out[256];

	merge(is_eval, 5, flags, 5, out, sizeof(out));
	cr_expect_str_eq(out, "n4;p4;p3;n2;p2;p1;p0;n0");
}

Test(pymerge, a_truncated_native_stack_keeps_the_python_chain_at_the_root)
{
	/* frame pointers gave up after the eval frame: the outer evaluation has no native frame */
	bool is_eval[] = { true, false };
	uint32_t flags[] = { 0, E, 0, E };
	char out[256];

	merge(is_eval, 2, flags, 4, out, sizeof(out));
	cr_expect_str_eq(out, "p3;p2;n1;p1;p0");
	/* no eval frame at all (the leaf in a C function, nothing unwound): all at the root */
	is_eval[0] = false;
	merge(is_eval, 2, flags, 4, out, sizeof(out));
	cr_expect_str_eq(out, "p3;p2;p1;p0;n1;n0");
}

Test(pymerge, more_eval_frames_than_evaluations_stay_native)
{
	bool is_eval[] = { true, true, true };
	uint32_t flags[] = { E, 0 };	/* a truncated Python stack: the last run has no entry */
	char out[256];

	merge(is_eval, 3, flags, 2, out, sizeof(out));
	cr_expect_str_eq(out, "n2;p1;p0");
	merge(is_eval, 3, flags, 0, out, sizeof(out));
	cr_expect_str_eq(out, "n2;n1;n0");
}

Test(pymerge, no_native_stack)
{
	uint32_t flags[] = { 0, E };
	char out[256];

	merge(NULL, 0, flags, 2, out, sizeof(out));
	cr_expect_str_eq(out, "p1;p0");
}
