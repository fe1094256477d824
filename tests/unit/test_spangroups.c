// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Span groups: per name and per trace, from spans built by hand (the model, before any format). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "model/spangroups.h"
#include "model/spans.h"

#define MS 1000000ull

static struct span_rec recs[8];
static struct span_info infos[8];
static struct profile p;

/* Span seq (1-based) of trace t named name, from start to end ms, its time ns per category. */
static void span(uint32_t seq, uint8_t t, const char *name, uint64_t start, uint64_t end, uint64_t cpu,
		 uint64_t net, bool unfinished)
{
	struct span_rec *r = &recs[seq - 1];
	struct span_info *s = &infos[seq - 1];

	r->seq = seq;
	r->trace_id[15] = t;
	strcpy(r->name, name);
	r->start_ns = start * MS;
	r->end_ns = end * MS;
	s->rec = r;
	s->wall_ns = (end - start) * MS;
	s->ns[CAT_CPU] = s->self_ns[CAT_CPU] = cpu * MS;
	s->ns[CAT_NET] = s->self_ns[CAT_NET] = net * MS;
	s->unfinished = unfinished;
	p.nspans = seq > p.nspans ? seq : p.nspans;
}

static void setup(void)
{
	memset(recs, 0, sizeof(recs));
	memset(infos, 0, sizeof(infos));
	memset(&p, 0, sizeof(p));
	p.spans = infos;
	p.window_end_ns = 1000 * MS;
	span(1, 2, "tool", 0, 10, 9, 1, false);
	span(2, 1, "llm", 10, 110, 2, 98, false);
	span(3, 1, "tool", 110, 130, 20, 0, false);
	span(4, 2, "llm", 130, 170, 1, 39, false);
	span(5, 1, "tool", 900, 1000, 100, 0, true);
}

TestSuite(spangroups, .init = setup);

Test(spangroups, by_name_counts_percentiles_and_class)
{
	struct span_group *g;
	size_t n;

	cr_assert_eq(span_groups__by_name(&p, &g, &n), 0);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(g[0].name, "llm");
	cr_assert_eq(g[0].count, 2);
	cr_assert_eq(g[0].unfinished, 0);
	cr_assert_eq(g[0].p50_ns, 40 * MS, "the lower of two, nearest rank");
	cr_assert_eq(g[0].p95_ns, 100 * MS);
	cr_assert_eq(g[0].ns[CAT_NET], 137 * MS);
	cr_assert_eq(g[0].class, CAT_NET);
	cr_assert_str_eq(g[1].name, "tool");
	cr_assert_eq(g[1].count, 2, "the unfinished span is no finished one");
	cr_assert_eq(g[1].unfinished, 1);
	cr_assert_eq(g[1].p99_ns, 20 * MS, "percentiles of the finished ones only");
	cr_assert_eq(g[1].ns[CAT_CPU], 129 * MS, "its time counts, finished or not");
	cr_assert_eq(g[1].wall_ns, 130 * MS);
	cr_assert_eq(g[1].class, CAT_CPU);
	free(g);
}

Test(spangroups, by_trace_spans_from_first_start_to_last_end)
{
	struct trace_group *g;
	size_t n;

	cr_assert_eq(span_groups__by_trace(&p, &g, &n), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(g[0].trace_id[15], 1);
	cr_assert_eq(g[0].span_count, 3);
	cr_assert_eq(g[0].duration_ns, 990 * MS, "an unfinished span lasts to the window's end");
	cr_assert_eq(g[0].ns[CAT_CPU], 122 * MS);
	cr_assert_eq(g[1].trace_id[15], 2);
	cr_assert_eq(g[1].duration_ns, 170 * MS);
	cr_assert_eq(g[1].ns[CAT_NET], 40 * MS);
	cr_assert_eq(g[1].class, CAT_NET);
	free(g);
}

Test(spangroups, no_spans_no_groups)
{
	struct span_group *g;
	struct trace_group *t;
	size_t n = 1;

	p.nspans = 0;
	cr_assert_eq(span_groups__by_name(&p, &g, &n), 0);
	cr_assert_eq(n, 0);
	free(g);
	cr_assert_eq(span_groups__by_trace(&p, &t, &n), 0);
	cr_assert_eq(n, 0);
	free(t);
}
