// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * report.json's "memory" (--memory): bytes mapped, faulted in and released per process, thread,
 * span name and trace; RSS a point a second and its trend; the stacks that keep most; leak candidates.
 */
#include <stdlib.h>
#include "base/text.h"
#include "model/memgrowth.h"
#include "model/spangroups.h"
#include "model/spans.h"
#include "report/json.h"
#include "report/verdict.h"

#define TOP_MEM_STACKS	10
#define TOP_LEAKS	10

static json_t *str_json(const char *s)
{
	char buf[1024];

	utf8_sanitize(s, buf, sizeof(buf));
	return json_string(buf);
}

json_t *mem_bytes_json(const struct mem_bytes *m)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I}",
			 "mapped", (json_int_t)m->mapped,
			 "unmapped", (json_int_t)m->unmapped,
			 "faulted", (json_int_t)m->faulted,
			 "released", (json_int_t)m->released,
			 "kept", (json_int_t)mem_kept(m));
}

static json_t *frames_json(const struct sample *s)
{
	json_t *a = json_array();

	for (uint32_t i = 0; i < s->nframes; i++)	/* root first, as in the folded file */
		json_array_append_new(a, str_json(s->frames[i]));
	return a;
}

static json_t *span_name_json(const struct profile *p, const struct sample *s)
{
	const struct span_info *info = profile__span(p, s->span);

	return info ? str_json(info->rec->name) : json_null();
}

/* A stack of every thread and span together: its first sample names one of them. */
static json_t *stack_json(const struct profile *p, const struct mem_stack *st)
{
	const char *owner = mem_owner_frame(p, st->s);

	return json_pack("{s:o, s:I, s:o, s:o, s:o, s:o, s:o}",
			 "thread", str_json(st->s->comm),
			 "tid", (json_int_t)st->s->tid,
			 "span", span_name_json(p, st->s),
			 "samples", json_integer(st->nsamples),
			 "owner", owner ? str_json(owner) : json_null(),
			 "bytes", mem_bytes_json(&st->mem),
			 "frames", frames_json(st->s));
}

static json_t *top_stacks_json(const struct profile *p)
{
	struct mem_stack *top;
	ssize_t n = mem_top_stacks(p, &top);
	json_t *a = json_array();

	for (ssize_t i = 0; i < n && i < TOP_MEM_STACKS; i++)
		json_array_append_new(a, stack_json(p, &top[i]));
	if (n >= 0)
		free(top);
	return a;
}

static json_t *leaks_json(const struct profile *p)
{
	struct leak_candidate *v;
	ssize_t n = mem_leak_candidates(p, &v);
	json_t *a = json_array();

	for (ssize_t i = 0; i < n && i < TOP_LEAKS; i++) {
		json_t *o = stack_json(p, &v[i].st);

		json_object_set_new(o, "age_ns", json_integer(v[i].age_ns));
		json_object_set_new(o, "bytes_per_s", json_real(v[i].bytes_per_s));
		json_array_append_new(a, o);
	}
	if (n >= 0)
		free(v);
	return a;
}

static json_t *rss_json(const struct profile *p)
{
	json_t *points = json_array();
	struct rss_trend t;

	for (size_t i = 0; i < p->nrss; i++)	/* at_ns: CLOCK_MONOTONIC, as window_start_ns */
		json_array_append_new(points, json_pack("{s:I, s:I}", "at_ns", (json_int_t)p->rss[i].at_ns,
							"bytes", (json_int_t)p->rss[i].bytes));
	mem_rss_trend(p->rss, p->nrss, &t);
	return json_pack("{s:o, s:I, s:I, s:I, s:f, s:f, s:b}",
			 "points", points,
			 "first_bytes", (json_int_t)t.first_bytes,
			 "last_bytes", (json_int_t)t.last_bytes,
			 "max_bytes", (json_int_t)t.max_bytes,
			 "bytes_per_s", t.bytes_per_s,
			 "r2", t.r2,
			 "steady_growth", t.steady);
}

static json_t *entities_json(const struct profile *p)
{
	json_t *procs = json_array(), *threads = json_array(), *names = json_array(), *traces = json_array();
	struct span_group *g = NULL;
	struct trace_group *tg = NULL;
	size_t n;

	for (size_t i = 0; i < p->nprocs; i++)
		json_array_append_new(procs, json_pack("{s:I, s:o, s:o}", "pid", (json_int_t)p->procs[i].pid,
						       "comm", str_json(p->procs[i].comm),
						       "bytes", mem_bytes_json(&p->procs[i].mem)));
	for (size_t i = 0; i < p->nthreads; i++)
		json_array_append_new(threads, json_pack("{s:I, s:I, s:o, s:o}", "pid", (json_int_t)p->threads[i].pid,
							 "tid", (json_int_t)p->threads[i].tid,
							 "comm", str_json(p->threads[i].comm),
							 "bytes", mem_bytes_json(&p->threads[i].mem)));
	if (!span_groups__by_name(p, &g, &n))
		for (size_t i = 0; i < n; i++)	/* inclusive of the spans nested in them */
			json_array_append_new(names, json_pack("{s:o, s:I, s:o}", "name", str_json(g[i].name),
							       "count", (json_int_t)(g[i].count + g[i].unfinished),
							       "bytes", mem_bytes_json(&g[i].mem)));
	free(g);
	if (!span_groups__by_trace(p, &tg, &n))
		for (size_t i = 0; i < n; i++) {
			char hex[33];

			hex_id(tg[i].trace_id, sizeof(tg[i].trace_id), hex);
			json_array_append_new(traces, json_pack("{s:s, s:o}", "trace_id", hex,
								"bytes", mem_bytes_json(&tg[i].mem)));
		}
	free(tg);
	return json_pack("{s:o, s:o, s:o, s:o}", "processes", procs, "threads", threads, "spans", names,
			 "traces", traces);
}

json_t *memory_json(const struct profile *p)
{
	char verdict[1024];
	json_t *o;

	if (!p->memory)
		return json_null();
	verdict_memory(p, verdict, sizeof(verdict));
	o = json_pack("{s:I, s:o, s:I, s:o, s:o, s:o, s:o}",
		      "fault_sample_bytes", (json_int_t)MEM_FAULT_PERIOD,
		      "total", mem_bytes_json(&p->mem_total),
		      /* released from mappings the recording did not see made: nobody's to charge */
		      "released_unattributed", (json_int_t)p->mem_unknown_released,
		      "verdict", verdict[0] ? str_json(verdict) : json_null(),
		      "rss", rss_json(p),
		      "top_stacks", top_stacks_json(p),
		      "leak_candidates", leaks_json(p));
	if (o)
		json_object_update_new(o, entities_json(p));
	return o;
}
