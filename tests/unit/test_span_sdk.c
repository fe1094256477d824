// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The span SDK's W3C traceparent parsing, built into the test from its source. */
#include <criterion/criterion.h>
#include <errno.h>
#include "../../sdk/agentprof_span.c"

#define TRACE "4bf92f3577b34da6a3ce929d0e0e4736"
#define PARENT "00f067aa0ba902b7"

Test(span_sdk, accepts_w3c_traceparents)
{
	cr_assert_eq(agentprof_span_begin_traceparent("00-" TRACE "-" PARENT "-01", "ok"), 0);
	cr_assert_eq(agentprof_span_begin_traceparent("00-" TRACE "-" PARENT "-00", "unsampled"), 0);
	cr_assert_eq(agentprof_span_begin_traceparent("cc-" TRACE "-" PARENT "-01", "future version"), 0);
	cr_assert_eq(tp_depth, 3, "each begun span can be ended by agentprof_span_end(NULL, NULL)");
	agentprof_span_end(NULL, NULL);
	agentprof_span_end(NULL, NULL);
	agentprof_span_end(NULL, NULL);
	cr_assert_eq(tp_depth, 0);
	agentprof_span_end(NULL, NULL);	/* nothing open: nothing happens */
	cr_assert_eq(tp_depth, 0);
}

Test(span_sdk, rejects_malformed_traceparents)
{
	const char *bad[] = {
		NULL,
		"",
		"00-" TRACE "-" PARENT,				/* no flags */
		"00-" TRACE "-" PARENT "-01-",			/* too long */
		"00-" TRACE "-" PARENT "-1",			/* short flags */
		"00-4BF92F3577B34DA6A3CE929D0E0E4736-" PARENT "-01",	/* uppercase */
		"00-00000000000000000000000000000000-" PARENT "-01",	/* zero trace id */
		"00-" TRACE "-0000000000000000-01",		/* zero parent id */
		"ff-" TRACE "-" PARENT "-01",			/* version ff */
		"00_" TRACE "_" PARENT "_01",			/* separators */
		"0x-" TRACE "-" PARENT "-01",
		"00-" TRACE "-" PARENT "-0g",
		"00-4bf92f3577b34da6a3ce929d0e0e473-" PARENT "0-01",	/* misplaced dash */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(agentprof_span_begin_traceparent(bad[i], "x"), -EINVAL, "accepted '%s'",
			     bad[i] ? bad[i] : "(null)");
	cr_assert_eq(tp_depth, 0, "nothing begun");
}

Test(span_sdk, more_open_than_tracked_still_begins)
{
	for (int i = 0; i < TP_DEPTH + 4; i++)
		cr_assert_eq(agentprof_span_begin_traceparent("00-" TRACE "-" PARENT "-01", "deep"), 0);
	cr_assert_eq(tp_depth, TP_DEPTH);
}
