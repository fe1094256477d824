// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What memory did over a recording: RSS's trend, stacks summed by frames, leak candidates, owners. */
#include <criterion/criterion.h>
#include <string.h>
#include "model/memgrowth.h"

#define MB 1000000ull
#define S 1000000000ull

Test(memgrowth, rss_that_climbs_a_line_grows_steadily)
{
	struct rss_point v[10];
	struct rss_trend t;

	for (int i = 0; i < 10; i++)
		v[i] = (struct rss_point){ 100 * S + i * S, 50 * MB + i * 3 * MB + (i % 2) * MB / 2 };
	mem_rss_trend(v, 10, &t);
	cr_assert(t.steady);
	cr_assert_float_eq(t.bytes_per_s, 3.0 * MB, 0.1 * MB);
	cr_assert_gt(t.r2, 0.99);
	cr_assert_eq(t.first_bytes, 50 * MB);
}

Test(memgrowth, rss_that_saws_or_barely_moves_does_not)
{
	struct rss_point saw[10], flat[10];
	struct rss_trend t;

	for (int i = 0; i < 10; i++) {
		saw[i] = (struct rss_point){ i * S, (i % 2 ? 90 : 50) * MB + i * MB / 10 };
		flat[i] = (struct rss_point){ i * S, 50 * MB + i * 100000 };
	}
	mem_rss_trend(saw, 10, &t);
	cr_assert_not(t.steady, "r2 %f", t.r2);
	mem_rss_trend(flat, 10, &t);
	cr_assert_not(t.steady, "grew under MEM_STEADY_MIN_BYTES");
	mem_rss_trend(flat, 2, &t);
	cr_assert_not(t.steady, "two points are no trend");
}

static char *grow_frames[] = { "main", "grow_history", "malloc" };
static char *churn_frames[] = { "main", "churn", "malloc" };
static struct profile_mapping maps[] = { { .path = "/usr/lib/x86_64-linux-gnu/libc.so.6" }, { .path = "/srv/agent" } };
static struct frame_origin origins[] = { { 0x1000, 1, false }, { 0x1100, 1, false }, { 0x2000, 0, false } };

static struct sample mem_sample(uint32_t tid, uint32_t span, char **frames, uint64_t faulted, uint64_t released,
				uint64_t first, uint64_t last)
{
	return (struct sample){ .tid = tid, .span = span, .frames = frames, .origins = origins, .nframes = 3,
				.mem = { .faulted = faulted, .released = released }, .count = faulted - released,
				.grew_first_ns = first, .grew_last_ns = last };
}

Test(memgrowth, a_stack_is_summed_over_threads_and_spans_and_owned_by_the_programs_frame)
{
	struct sample v[] = {
		mem_sample(1, 1, grow_frames, 2 * MB, 0, 1 * S, 2 * S),
		mem_sample(1, 2, grow_frames, 2 * MB, 0, 3 * S, 4 * S),	/* the same stack in the next request */
		mem_sample(2, 3, churn_frames, 8 * MB, 8 * MB, 1 * S, 4 * S),
		mem_sample(2, 4, churn_frames, 2 * MB, 1 * MB, 1 * S, 4 * S),
	};
	struct profile p = { .mem = { .v = v, .n = 4 }, .mappings = maps, .nmappings = 2, .window_end_ns = 5 * S };
	struct leak_candidate *leaks;
	struct mem_stack *top;
	ssize_t n;

	n = mem_top_stacks(&p, &top);
	cr_assert_eq(n, 2);
	cr_assert_eq(top[0].kept, 4 * MB);
	cr_assert_eq(top[0].nsamples, 2);
	cr_assert_eq(top[0].first_ns, 1 * S);
	cr_assert_eq(top[0].last_ns, 4 * S);
	cr_assert_str_eq(mem_owner_frame(&p, top[0].s), "grow_history", "libc's malloc owns nothing");
	cr_assert_eq(top[1].kept, 1 * MB);
	free(top);
	cr_assert_eq(mem_kept_under(&p, "grow_history"), 4 * MB);

	n = mem_leak_candidates(&p, &leaks);
	cr_assert_eq(n, 1, "churn gave back most of what it faulted in");
	cr_assert_str_eq(leaks[0].st.s->frames[1], "grow_history");
	cr_assert_eq(leaks[0].age_ns, 4 * S);
	cr_assert_float_eq(leaks[0].bytes_per_s, 4.0 * MB / 3, 1);
	free(leaks);
}
