// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of compare/: recordings read back, compared, judged; --fail-on rules parsed and checked. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "helpers.h"
#include "compare/diff.h"
#include "compare/failon.h"
#include "compare/recording.h"

/* A span of n durations around ms (spread over +-10%) on a recording built in the test. */
static void add_span(struct recording *r, const char *name, size_t n, double ms)
{
	struct rec_span *s;

	r->spans = realloc(r->spans, (r->nspans + 1) * sizeof(*r->spans));
	s = &r->spans[r->nspans++];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	s->count = n;
	s->dur_ns = calloc(n, sizeof(double));
	for (size_t i = 0; i < n; i++)
		s->dur_ns[i] = ms * 1e6 * (0.9 + 0.2 * i / (n > 1 ? n - 1 : 1));
	s->p50_ns = s->dur_ns[(n * 50 + 99) / 100 - 1];
	s->p95_ns = s->dur_ns[(n * 95 + 99) / 100 - 1];
	s->p99_ns = s->dur_ns[(n * 99 + 99) / 100 - 1];
	s->ns[CAT_SLEEP] = n * ms * 1e6;
}

static void add_stack(struct rec_stacks *st, const char *stack, uint64_t count)
{
	st->v = realloc(st->v, (st->n + 1) * sizeof(*st->v));
	st->v[st->n++] = (struct rec_stack){ strdup(stack), count };
	st->total += count;
	st->present = true;
}

static void add_thread(struct recording *r, const char *name, double cpu_s, double lock_s, double runq_s)
{
	struct rec_thread *t;

	r->threads = realloc(r->threads, (r->nthreads + 1) * sizeof(*r->threads));
	t = &r->threads[r->nthreads++];
	memset(t, 0, sizeof(*t));
	t->name = strdup(name);
	t->ns[CAT_CPU] = cpu_s * 1e9;
	t->ns[CAT_LOCK] = lock_s * 1e9;
	t->ns[CAT_RUNQ] = runq_s * 1e9;
}

static void init(struct recording *r, const char *comm)
{
	memset(r, 0, sizeof(*r));
	r->path = strdup(comm);
	r->comm = strdup(comm);
	r->duration_ns = 3000000000ull;
	r->cpu.present = r->offcpu.present = true;
}

static const struct span_diff *span(const struct diff *d, const char *name)
{
	for (size_t i = 0; i < d->nspans; i++)
		if (!strcmp(d->spans[i].name, name))
			return &d->spans[i];
	cr_assert_fail("no span %s", name);
	return NULL;
}

static const struct share_diff *share(const struct share_diff *v, size_t n, const char *name, const char *kind)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name) && !strcmp(v[i].kind, kind))
			return &v[i];
	return NULL;
}

Test(diff_compare, span_that_grew_20_percent_is_flagged_unchanged_one_not)
{
	struct recording a, b;
	struct diff d;

	init(&a, "agent");
	init(&b, "agent");
	add_span(&a, "llm", 50, 20);
	add_span(&b, "llm", 50, 24);
	add_span(&a, "plan", 50, 4);
	add_span(&b, "plan", 50, 4);
	add_span(&a, "rare", 5, 4);	/* too few to say, however different */
	add_span(&b, "rare", 5, 40);
	add_span(&b, "new", 20, 1);
	cr_assert_eq(diff__compute(&a, &b, &DIFF_OPTS_DEFAULT, &d), 0);
	cr_assert_eq(span(&d, "llm")->change, CHANGE_GREW);
	cr_assert_lt(span(&d, "llm")->p_adj, 1e-6);
	cr_assert_float_eq(span(&d, "llm")->rel[Q50], 0.2, 1e-9);
	cr_assert_eq(span(&d, "plan")->change, CHANGE_NONE);
	cr_assert_eq(span(&d, "rare")->change, CHANGE_NONE);
	cr_assert(!span(&d, "rare")->tested);
	cr_assert_str_eq(span(&d, "rare")->untested, "too few spans to say");
	cr_assert_eq(span(&d, "new")->change, CHANGE_APPEARED);
	/* where the time went: the mean per span, per category */
	cr_assert_float_eq(span(&d, "llm")->mean_ns[1][CAT_SLEEP], 24e6, 1);
	diff__free(&d);
	recording__free(&a);
	recording__free(&b);
}

Test(diff_compare, significant_but_tiny_change_is_not_flagged)
{
	/* 1% longer: Mann-Whitney sees it in 400 spans each, the minimum effect (5%) does not */
	struct recording a, b;
	struct diff d;

	init(&a, "agent");
	init(&b, "agent");
	add_span(&a, "llm", 400, 20);
	add_span(&b, "llm", 400, 20.2);
	cr_assert_eq(diff__compute(&a, &b, &DIFF_OPTS_DEFAULT, &d), 0);
	cr_assert_lt(span(&d, "llm")->p, 0.05);
	cr_assert_eq(span(&d, "llm")->change, CHANGE_NONE);
	diff__free(&d);
	recording__free(&a);
	recording__free(&b);
}

Test(diff_compare, a_tail_that_moved_alone_is_the_tails_verdict)
{
	/* a tenth of the spans twice as long, the median where it was: the p95 grew, the median did not */
	struct recording a, b;
	struct diff d;

	init(&a, "agent");
	init(&b, "agent");
	add_span(&a, "plan", 200, 4);
	add_span(&b, "plan", 200, 4);
	add_span(&a, "few", 60, 4);	/* 3 spans beyond the p95: too few to say */
	add_span(&b, "few", 60, 4);
	for (size_t i = 54; i < 60; i++)
		b.spans[1].dur_ns[i] *= 2;
	for (size_t i = 180; i < 200; i++)
		b.spans[0].dur_ns[i] *= 2;
	b.spans[0].p95_ns = b.spans[0].dur_ns[189];
	b.spans[0].p99_ns = b.spans[0].dur_ns[197];
	cr_assert_eq(diff__compute(&a, &b, &DIFF_OPTS_DEFAULT, &d), 0);
	cr_assert_gt(span(&d, "plan")->rel[Q95], 0.5);
	cr_assert_eq(span(&d, "plan")->change, CHANGE_NONE);
	cr_assert_eq(span(&d, "plan")->tail[Q95].change, CHANGE_GREW);
	cr_assert_lt(span(&d, "plan")->tail[Q95].p_adj, 1e-5);
	/* 2 spans beyond the p99 of 200: a p99 needs 400 spans a side to be said */
	cr_assert(!span(&d, "plan")->tail[Q99].tested);
	cr_assert(!span(&d, "few")->tail[Q95].tested);
	cr_assert_str_eq(span(&d, "few")->tail[Q95].untested, "too few spans beyond it to say");
	cr_assert_eq(span(&d, "few")->tail[Q95].change, CHANGE_NONE);
	diff__free(&d);
	recording__free(&a);
	recording__free(&b);
}

Test(diff_compare, an_unchanged_tail_is_not_flagged)
{
	/* the same tail on both sides, its spans in another order: nothing */
	struct recording a, b;
	struct diff d;

	init(&a, "agent");
	init(&b, "agent");
	add_span(&a, "plan", 200, 4);
	add_span(&b, "plan", 200, 4);
	for (size_t i = 180; i < 200; i++) {
		a.spans[0].dur_ns[i] *= 2;
		b.spans[0].dur_ns[i] *= 2.01;
	}
	cr_assert_eq(diff__compute(&a, &b, &DIFF_OPTS_DEFAULT, &d), 0);
	cr_assert_eq(span(&d, "plan")->tail[Q95].change, CHANGE_NONE);
	cr_assert_eq(span(&d, "plan")->tail[Q99].change, CHANGE_NONE);
	diff__free(&d);
	recording__free(&a);
	recording__free(&b);
}

static void cpu_recording(struct recording *r, uint64_t f, uint64_t g, uint64_t scale)
{
	init(r, "agent");
	add_stack(&r->cpu, "worker;start_thread;main_loop;f", f * scale);
	add_stack(&r->cpu, "worker;start_thread;main_loop;g", g * scale);
	add_stack(&r->cpu, "worker;[span llm];start_thread;main_loop;g;h", 10 * scale);
	r->samples = r->cpu.total;
}

Test(diff_compare, function_shares)
{
	struct recording a, b;
	const struct share_diff *s;
	struct diff d;

	cpu_recording(&a, 500, 490, 1);
	cpu_recording(&b, 700, 290, 1);
	/* samples in the kernel are the machine's as much as the program's: not in the shares */
	add_stack(&b.cpu, "worker;start_thread;main_loop;f;write;ksys_write_[k]", 5000);
	cr_assert_eq(diff__compute(&a, &b, &DIFF_OPTS_DEFAULT, &d), 0);
	cr_assert_null(share(d.functions, d.nfunctions, "ksys_write_[k]", "self"));
	cr_assert_null(share(d.functions, d.nfunctions, "write", "total"));
	s = share(d.functions, d.nfunctions, "f", "total");
	cr_assert(s);
	cr_assert_float_eq(s->share[0], 0.5, 1e-12);
	cr_assert_float_eq(s->share[1], 0.7, 1e-12);
	cr_assert_eq(s->change, CHANGE_GREW);
	cr_assert_eq(share(d.functions, d.nfunctions, "f", "self")->change, CHANGE_GREW);
	cr_assert_eq(share(d.functions, d.nfunctions, "g", "total")->change, CHANGE_SHRANK);
	/* once per stack: every sample is in main_loop, none twice; the thread and span frames are no functions */
	cr_assert_float_eq(share(d.functions, d.nfunctions, "main_loop", "total")->share[1], 1, 1e-12);
	cr_assert_eq(share(d.functions, d.nfunctions, "main_loop", "total")->change, CHANGE_NONE);
	cr_assert_null(share(d.functions, d.nfunctions, "worker", "total"));
	cr_assert_null(share(d.functions, d.nfunctions, "[span llm]", "total"));
	/* h is 1% of the samples on both sides: tested, unchanged */
	cr_assert_eq(share(d.functions, d.nfunctions, "h", "self")->change, CHANGE_NONE);
	diff__free(&d);
	recording__free(&a);
	recording__free(&b);
}

Test(diff_compare, too_few_samples_say_nothing)
{
	/* the same 50% -> 70% on 10 samples a side: nothing is tested */
	struct recording a, b;
	struct diff d;

	cpu_recording(&a, 5, 4, 1);
	cpu_recording(&b, 7, 2, 1);
	cr_assert_eq(diff__compute(&a, &b, &DIFF_OPTS_DEFAULT, &d), 0);
	for (size_t i = 0; i < d.nfunctions; i++) {
		cr_assert(!d.functions[i].tested, "%s", d.functions[i].name);
		cr_assert_eq(d.functions[i].change, CHANGE_NONE);
	}
	diff__free(&d);
	recording__free(&a);
	recording__free(&b);
}

Test(diff_compare, lock_wait_that_appeared)
{
	struct recording a, b;
	const struct share_diff *s;
	struct diff d;

	init(&a, "agent");
	init(&b, "agent");
	/*
	 * A worker sleeps 2 s, and runs 1 s (0.5 s of runq aside); after, on a loaded machine (2 s
	 * of runq), half of its running is waiting for a lock: 0.5 s of the 3 s not in runq
	 */
	add_thread(&a, "worker", 1, 0, 0.5);
	add_thread(&b, "worker", 0.5, 0.5, 2);
	a.threads[0].ns[CAT_SLEEP] = b.threads[0].ns[CAT_SLEEP] = 2000000000ull;
	/* another thread that got less CPU on the loaded machine: runq is not its program's */
	add_thread(&a, "busy", 2, 0, 1);
	add_thread(&b, "busy", 1, 0, 2);
	add_stack(&a.offcpu, "worker;[sleep];start_thread;worker;nanosleep;hrtimer_nanosleep_[k]", 2000000);
	add_stack(&b.offcpu, "worker;[sleep];start_thread;worker;nanosleep;hrtimer_nanosleep_[k]", 2000000);
	add_stack(&b.offcpu, "worker;[lock];start_thread;worker;take_lock;futex_wait_[k]", 500000);
	add_stack(&b.offcpu, "worker;[runq];start_thread;worker", 9000000);
	add_stack(&b.offcpu, "worker;[sleep];[since before recording]", 1000000);
	cr_assert_eq(diff__compute(&a, &b, &DIFF_OPTS_DEFAULT, &d), 0);
	s = share(d.categories, d.ncategories, "lock", "category");
	cr_assert(s);
	cr_assert_str_eq(s->thread, "worker");
	cr_assert_eq(s->change, CHANGE_APPEARED);
	cr_assert_float_eq(s->share[1], 0.5 / 3, 1e-9);
	cr_assert_null(share(d.categories, d.ncategories, "runq", "category"), "runq is the machine's load");
	for (size_t i = 0; i < d.ncategories; i++)
		if (!strcmp(d.categories[i].thread, "busy"))
			cr_assert_eq(d.categories[i].change, CHANGE_NONE, "busy: %s", d.categories[i].name);
	s = share(d.waits, d.nwaits, "lock;take_lock", "wait");
	cr_assert(s);
	cr_assert_eq(s->change, CHANGE_APPEARED);
	/* a share of the worker's time, runq aside; kernel frames are the category's business */
	cr_assert_str_eq(s->thread, "worker");
	cr_assert_float_eq(s->share[1], 0.5 / 3, 1e-9);
	cr_assert_null(share(d.waits, d.nwaits, "lock;futex_wait_[k]", "wait"));
	cr_assert_null(share(d.waits, d.nwaits, "runq;worker", "wait"));
	cr_assert_null(share(d.waits, d.nwaits, "sleep;[since before recording]", "wait"));
	diff__free(&d);
	recording__free(&a);
	recording__free(&b);
}

Test(diff_compare, folded_lines)
{
	size_t len;
	uint64_t n;

	cr_assert_eq(folded_line_parse("a;b c 12", 8, &len, &n), 0);
	cr_assert_eq(len, 5);
	cr_assert_eq(n, 12);
	cr_assert_eq(folded_line_parse("a;b 12x", 7, &len, &n), -EINVAL);
	cr_assert_eq(folded_line_parse("a;b", 3, &len, &n), -EINVAL);
	cr_assert_eq(folded_line_parse("12", 2, &len, &n), -EINVAL);
	cr_assert_eq(folded_line_parse("a 123456789012345678901", 23, &len, &n), -EINVAL);
	cr_assert(frame_is_group("[span llm]", 10));
	cr_assert(frame_is_group("[trace 4bf9]", 12));
	cr_assert(!frame_is_group("[unknown]", 9));
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char *p = path_in(dir, name);

	write_bytes(p, text, strlen(text));
	free(p);
}

#define REPORT(comm, samples, extra)                                                          \
	"{\"pid\": 7, \"comm\": \"" comm "\", \"duration_ns\": 3000000000, \"samples\": " #samples \
	", \"frequency_hz\": 99, \"breakdown_ns\": {\"cpu\": 2000000000, \"sleep\": 1000000000}, " \
	"\"threads\": [{\"comm\": \"t\", \"breakdown_ns\": {\"cpu\": 2000000000}}, "                \
	"{\"comm\": \"t\", \"breakdown_ns\": {\"sleep\": 1000000000}}], "                                \
	"\"spans\": [{\"name\": \"llm\", \"count\": 2, \"p50_ns\": 10, \"p95_ns\": 20, \"p99_ns\": 20}]" extra "}\n"
#define SPANS                                                                                  \
	"{\"name\": \"llm\", \"duration_ns\": 10, \"unfinished\": false, \"breakdown_ns\": {\"sleep\": 10}}\n" \
	"{\"name\": \"llm\", \"duration_ns\": 20, \"unfinished\": false, \"breakdown_ns\": {\"sleep\": 20}}\n" \
	"{\"name\": \"llm\", \"duration_ns\": 99, \"unfinished\": true, \"breakdown_ns\": {\"sleep\": 99}}\n"

static char *recording_dir(const char *report, const char *spans, const char *cpu)
{
	char *dir = scratch_dir();

	if (report)
		write_file(dir, "report.json", report);
	if (spans)
		write_file(dir, "spans.jsonl", spans);
	if (cpu)
		write_file(dir, "cpu.folded", cpu);
	write_file(dir, "offcpu.folded", "t;[sleep];main;nanosleep 1000000\n");
	return dir;
}

Test(diff_compare, reads_a_directory_and_its_baseline)
{
	char *dir = recording_dir(REPORT("agent", 3, ""), SPANS, "t;main;f 2\nt;main;g 1\nt;main;f 0\n");
	struct recording r, back;
	char *base;
	json_t *j;

	cr_assert_eq(recording__load(&r, dir), 0);
	cr_assert_eq(r.kind, REC_DIR);
	cr_assert_str_eq(r.comm, "agent");
	cr_assert_eq(r.nspans, 1);
	cr_assert_eq(r.spans[0].count, 2, "the unfinished span is not compared");
	cr_assert_float_eq(r.spans[0].p95_ns, 20, 1e-9);
	cr_assert_eq(r.spans[0].ns[CAT_SLEEP], 30);
	cr_assert_eq(r.cpu.n, 2, "identical stacks merged");
	cr_assert_eq(r.cpu.total, 3);
	cr_assert_eq(r.offcpu.total, 1000000);
	cr_assert_eq(r.cat_ns[CAT_CPU], 2000000000ull);
	cr_assert_eq(r.nthreads, 1, "threads of one name add up");
	cr_assert_eq(r.threads[0].ns[CAT_SLEEP], 1000000000ull);
	/* the baseline holds the same */
	j = recording__baseline_json(&r);
	base = path_in(dir, "baseline.json");
	cr_assert_eq(json_dump_file(j, base, 0), 0);
	json_decref(j);
	cr_assert_eq(recording__load(&back, base), 0);
	cr_assert_eq(back.kind, REC_BASELINE);
	cr_assert_eq(back.spans[0].count, 2);
	cr_assert_float_eq(back.spans[0].dur_ns[1], 20, 1e-9);
	cr_assert_eq(back.cpu.total, 3);
	cr_assert_eq(back.offcpu.total, 1000000);
	cr_assert_eq(back.cat_ns[CAT_SLEEP], 1000000000ull);
	cr_assert_eq(back.nthreads, 1);
	cr_assert_eq(back.threads[0].ns[CAT_CPU], 2000000000ull);
	recording__free(&back);
	/* a report.json alone: quantiles, no durations, no stacks */
	free(base);
	base = path_in(dir, "report.json");
	cr_assert_eq(recording__load(&back, base), 0);
	cr_assert_eq(back.kind, REC_REPORT);
	cr_assert_null(back.spans[0].dur_ns);
	cr_assert_float_eq(back.spans[0].p95_ns, 20, 1e-9);
	cr_assert(!back.cpu.present);
	recording__free(&back);
	free(base);
	recording__free(&r);
	scratch_remove(dir);
}

/*
 * A trace: a request from a caller elsewhere (its parent is none of the recording's), its LLM call
 * (named LLM as given), a tool call, and a span after the request, of no parent, in the same trace.
 */
#define TRACE(t, llm, end, dur)                                                                                 \
	"{\"trace_id\": \"" t "\", \"span_id\": \"00000000000000a1\", \"parent_span_id\": \"ffffffffffffffff\", " \
	"\"name\": \"http POST /task\", \"start_ns\": 1000, \"end_ns\": " #end ", \"duration_ns\": " #dur ", "   \
	"\"breakdown_ns\": {\"runq\": 5}}\n"                                                                      \
	"{\"trace_id\": \"" t "\", \"span_id\": \"00000000000000b2\", \"parent_span_id\": \"00000000000000a1\", " \
	"\"name\": \"" llm "\", \"start_ns\": 1010, \"end_ns\": 1070, \"duration_ns\": 60, \"llm\": true, "      \
	"\"host\": \"api.x.com\", \"peer\": \"10.0.0.7:443\"}\n"                                                  \
	"{\"trace_id\": \"" t "\", \"span_id\": \"00000000000000c3\", \"parent_span_id\": \"00000000000000a1\", " \
	"\"name\": \"GET /search\", \"start_ns\": 1075, \"end_ns\": 1095, \"duration_ns\": 20, \"llm\": false}\n" \
	"{\"trace_id\": \"" t "\", \"span_id\": \"00000000000000d4\", \"parent_span_id\": null, "                 \
	"\"name\": \"log\", \"start_ns\": 1200, \"end_ns\": 1300, \"duration_ns\": 100}\n"

static const struct rec_span *group(const struct recording *r, const char *name)
{
	for (size_t i = 0; i < r->nspans; i++)
		if (!strcmp(r->spans[i].name, name))
			return &r->spans[i];
	return NULL;
}

Test(diff_compare, traces_by_their_root_and_llm_calls_by_endpoint)
{
	char *dir = recording_dir(REPORT("agent", 3, ""),
				  TRACE("0af7651916cd43dd8448eb211c80319c", "chat gpt-x", 1100, 100)
				  TRACE("1af7651916cd43dd8448eb211c80319c", "POST /v1/chat/completions", 1150, 150)
				  TRACE("2af7651916cd43dd8448eb211c80319c", "POST /v1/chat/completions", 1150, 150)
				  "{\"name\": \"alone\", \"trace_id\": \"3af7651916cd43dd8448eb211c80319c\", "
				  "\"span_id\": \"00000000000000e5\", \"duration_ns\": 7}\n"
				  "{\"name\": \"loop\", \"duration_ns\": 7, \"peer\": \"10.0.0.8:443\", \"llm\": true}\n"
				  "{\"name\": \"single\", \"trace_id\": \"4af7651916cd43dd8448eb211c80319c\", "
				  "\"span_id\": \"00000000000000f6\", \"duration_ns\": 9}\n"
				  "{\"name\": \"step\", \"trace_id\": \"4af7651916cd43dd8448eb211c80319c\", "
				  "\"span_id\": \"00000000000000f7\", \"parent_span_id\": \"00000000000000f6\", \"duration_ns\": 3}\n",
				  "t;main;f 3\n");
	const struct rec_span *trace, *llm;
	struct recording r;

	cr_assert_eq(recording__load(&r, dir), 0);
	trace = group(&r, "[trace] http POST /task");
	llm = group(&r, "[llm] api.x.com");
	cr_assert(trace && llm, "%zu groups", r.nspans);
	cr_expect_eq(trace->count, 3, "one per trace, by its first root");
	cr_expect_float_eq(trace->wall_ns[0], 200, 1e-9, "its roots' durations: the request and the log");
	cr_expect_float_eq(trace->dur_ns[0], 195, 1e-9, "less their runq");
	cr_expect_eq(llm->count, 3, "every LLM call to the host, whatever its name");
	cr_expect_null(group(&r, "[trace] POST /v1/chat/completions"), "a child is no root");
	cr_expect_null(group(&r, "[trace] log"), "the first root names the trace");
	cr_expect_null(group(&r, "[trace] alone"), "a trace of one span is its span");
	cr_expect_null(group(&r, "[trace] single"), "each span of the name its trace's one root: the name says it");
	cr_expect_null(group(&r, "[llm] 10.0.0.8:443"), "calls of one name only: the name says it");
	recording__free(&r);
	scratch_remove(dir);
}

/* A request that waits on an LLM API (llm_ms), a database and a peer it cannot name, and computes. */
#define PARTS_SPAN(llm_ms)                                                                                       \
	"{\"name\": \"task\", \"duration_ns\": " #llm_ms "000000, \"breakdown_ns\": {\"cpu\": 1000000, \"net\": " \
	#llm_ms "000000}, \"net_peers\": [{\"peer\": \"10.0.0.7:443\", \"wait_ns\": " #llm_ms "000000, \"llm\": true, " \
	"\"host\": \"api.x.com\"}]}\n"                                                                              \
	"{\"name\": \"query\", \"duration_ns\": 9000000, \"breakdown_ns\": {\"net\": 9000000}, \"net_peers\": "       \
	"[{\"peer\": \"10.0.0.9:5432\", \"wait_ns\": 6000000, \"llm\": false, \"host\": null}]}\n"

static char *repeat(const char *line, int n)
{
	size_t len = strlen(line);
	char *s = malloc(len * n + 1);

	for (int i = 0; i < n; i++)
		memcpy(s + i * len, line, len);
	s[len * n] = 0;
	return s;
}

static const struct part_diff *part(const struct span_diff *s, const char *name)
{
	for (size_t i = 0; i < s->nparts; i++)
		if (!strcmp(s->parts[i].name, name))
			return &s->parts[i];
	cr_assert_fail("%s has no part %s", s->name, name);
	return NULL;
}

Test(diff_compare, where_the_time_moved_net_by_peer)
{
	char *sa = repeat(PARTS_SPAN(200), 20), *sb = repeat(PARTS_SPAN(260), 20), *base;
	char *da = recording_dir(REPORT("agent", 3, ""), sa, "t;main;f 3\n");
	char *db = recording_dir(REPORT("agent", 3, ""), sb, "t;main;f 3\n");
	struct recording a, b, back;
	const struct rec_span *q;
	struct fail_rule rule;
	struct diff d;
	char line[512];
	json_t *j;

	cr_assert_eq(recording__load(&a, da), 0);
	cr_assert_eq(recording__load(&b, db), 0);
	/* a span's net split by its peers, what no peer is known for left in net */
	q = group(&a, "query");
	cr_assert_eq(q->nparts, 2);
	cr_expect_str_eq(q->parts[0].name, "net");
	cr_expect_float_eq(q->parts[0].sum_ns, 20 * 3e6, 1);
	cr_expect_str_eq(q->parts[1].name, "net:10.0.0.9:5432");
	cr_expect_float_eq(q->parts[1].ns[19], 6e6, 1);
	cr_expect_str_eq(group(&a, "task")->parts[1].name, "llm:api.x.com", "an LLM API by its host");

	cr_assert_eq(diff__compute(&a, &b, &DIFF_OPTS_DEFAULT, &d), 0);
	cr_expect_eq(part(span(&d, "task"), "llm:api.x.com")->change, CHANGE_GREW);
	cr_expect_float_eq(part(span(&d, "task"), "llm:api.x.com")->mean_ns[1], 260e6, 1);
	cr_expect_eq(part(span(&d, "task"), "cpu")->change, CHANGE_NONE);
	cr_expect_eq(part(span(&d, "query"), "net:10.0.0.9:5432")->change, CHANGE_NONE);
	/* --fail-on a category: an LLM API by its host, any of them, net on a peer */
	fail_rule_parse("category=llm:api.x.com:20%", &rule);
	cr_expect(fail_rule_check(&rule, &d, line, sizeof(line)));
	cr_expect(strstr(line, "category 'llm:api.x.com' of span 'task' grew +30.0% (200.00 ms -> 260.00 ms a span"), "%s",
		  line);
	fail_rule_parse("category=llm:20%", &rule);
	cr_expect(fail_rule_check(&rule, &d, line, sizeof(line)));
	fail_rule_parse("category=llm:40%", &rule);
	cr_expect(!fail_rule_check(&rule, &d, line, sizeof(line)));
	fail_rule_parse("category=net:10.0.0.9:5432:1%", &rule);
	cr_expect(!fail_rule_check(&rule, &d, line, sizeof(line)));
	diff__free(&d);

	/* a baseline keeps them span by span */
	j = recording__baseline_json(&a);
	base = path_in(da, "baseline.json");
	cr_assert_eq(json_dump_file(j, base, 0), 0);
	json_decref(j);
	cr_assert_eq(recording__load(&back, base), 0);
	q = group(&back, "task");
	cr_assert(q && q->nparts == 2 && q->parts[1].ns);
	cr_expect_float_eq(q->parts[1].ns[3], 200e6, 1);
	cr_assert_eq(diff__compute(&back, &b, &DIFF_OPTS_DEFAULT, &d), 0);
	cr_expect_eq(part(span(&d, "task"), "llm:api.x.com")->change, CHANGE_GREW);
	diff__free(&d);
	recording__free(&back);
	free(base);
	recording__free(&a);
	recording__free(&b);
	scratch_remove(da);
	scratch_remove(db);
	free(sa);
	free(sb);
}

Test(diff_compare, an_older_recording_compares_net_whole)
{
	/* spans.jsonl without net_peers (an older agentprof's): the other side's peers go back into net */
	char *sa = repeat("{\"name\": \"task\", \"duration_ns\": 200000000, \"breakdown_ns\": {\"net\": 200000000}}\n", 20);
	char *sb = repeat(PARTS_SPAN(200), 20);
	char *da = recording_dir(REPORT("agent", 3, ""), sa, "t;main;f 3\n");
	char *db = recording_dir(REPORT("agent", 3, ""), sb, "t;main;f 3\n");
	struct recording a, b;
	struct diff d;

	cr_assert_eq(recording__load(&a, da), 0);
	cr_assert_eq(recording__load(&b, db), 0);
	cr_assert(!a.net_by_peer);
	cr_assert(b.net_by_peer);
	diff__check(&a, &b);
	cr_assert_eq(diff__compute(&a, &b, &DIFF_OPTS_DEFAULT, &d), 0);
	cr_expect_eq(span(&d, "task")->nparts, 2, "cpu and net, no llm:api.x.com");
	cr_expect_float_eq(part(span(&d, "task"), "net")->mean_ns[1], 200e6, 1);
	cr_expect_eq(part(span(&d, "task"), "net")->change, CHANGE_NONE, "not a net that appeared");
	diff__free(&d);
	recording__free(&a);
	recording__free(&b);
	scratch_remove(da);
	scratch_remove(db);
	free(sa);
	free(sb);
}

Test(diff_compare, refuses_truncated_foreign_and_empty_input)
{
	struct { const char *report, *spans, *cpu; int err; } cases[] = {
		{ NULL, SPANS, "t;f 1\n", -EINVAL },				/* no report.json */
		{ "{\"pid\": 7, \"comm\": \"ag", SPANS, "t;f 1\n", -EINVAL },	/* truncated */
		{ "{\"hello\": 1}\n", SPANS, "t;f 1\n", -EINVAL },		/* not ours */
		{ REPORT("agent", 1, ", \"version\": 2"), SPANS, "t;f 1\n", -EINVAL },
		{ REPORT("agent", 1, ""), SPANS "{\"name\": \"llm\", \"dura", "t;f 1\n", -EINVAL },
		{ REPORT("agent", 1, ""), SPANS, "t;f 1\nt;g", -EINVAL },	/* a cut folded line */
		{ REPORT("agent", 1, ""), SPANS, NULL, -ENOENT },
		{ "{\"comm\": \"a\", \"duration_ns\": 1, \"samples\": 0, \"breakdown_ns\": {}, \"threads\": [], \"spans\": []}\n", "", "",
		  -ENODATA },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *dir = recording_dir(cases[i].report, cases[i].spans, cases[i].cpu);
		struct recording r;

		if (cases[i].err == -ENODATA)
			write_file(dir, "offcpu.folded", "");
		cr_expect_eq(recording__load(&r, dir), cases[i].err, "case %zu", i);
		recording__free(&r);
		scratch_remove(dir);
	}
}

Test(diff_compare, fail_on_syntax)
{
	struct fail_rule r;

	cr_assert_eq(fail_rule_parse("p95=10%", &r), 0);
	cr_assert_eq(r.metric, FAIL_P95);
	cr_assert_str_eq(r.name, "");
	cr_assert_float_eq(r.threshold, 0.10, 1e-12);
	cr_assert_eq(fail_rule_parse("p50=llm POST /v1/chat:2.5%", &r), 0);
	cr_assert_str_eq(r.name, "llm POST /v1/chat");
	cr_assert_float_eq(r.threshold, 0.025, 1e-12);
	cr_assert_eq(fail_rule_parse("category=lock:20%", &r), 0);
	cr_assert_eq(r.metric, FAIL_CATEGORY);
	cr_assert_str_eq(r.name, "lock");
	cr_assert_eq(fail_rule_parse("function=ns::f:30%", &r), 0);
	cr_assert_str_eq(r.name, "ns::f");
	cr_assert_eq(fail_rule_parse("category=llm:api.openai.com:20%", &r), 0);
	cr_assert_str_eq(r.name, "llm:api.openai.com");
	cr_assert_eq(fail_rule_parse("category=net:10.0.0.7:443:20%", &r), 0);
	cr_assert_str_eq(r.name, "net:10.0.0.7:443");
	cr_assert_eq(fail_rule_parse("category=llm:5%", &r), 0);
	cr_assert_str_eq(r.name, "llm");
	const char *bad[] = { "p95", "p95=10", "p95=ten%", "p95=10%%", "p96=10%", "category=runq:10%",
			      "category=locks:10%", "category=net::10%", "category=llms:10%", "p95=:10%", "p95=0%", "p95=-5%", "=10%", "p95=10% " };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(fail_rule_parse(bad[i], &r), -EINVAL, "%s", bad[i]);
}

Test(diff_compare, fail_on_check)
{
	struct recording a, b;
	struct fail_rule r;
	struct diff d;
	char line[512];

	init(&a, "agent");
	init(&b, "agent");
	/* 100 spans a side: 10 above the pooled p95, enough to test it (50 would leave 5) */
	add_span(&a, "llm", 100, 20);
	add_span(&b, "llm", 100, 24);
	add_thread(&a, "worker", 3, 0, 0);
	add_thread(&b, "worker", 2.5, 0.5, 0);
	cr_assert_eq(diff__compute(&a, &b, &DIFF_OPTS_DEFAULT, &d), 0);
	fail_rule_parse("p95=10%", &r);
	cr_assert(fail_rule_check(&r, &d, line, sizeof(line)));
	cr_assert(strstr(line, "p95 of span 'llm' grew +20.0%"), "%s", line);
	fail_rule_parse("p95=llm:25%", &r);
	cr_assert(!fail_rule_check(&r, &d, line, sizeof(line)));
	fail_rule_parse("p95=plan:10%", &r);
	cr_assert(!fail_rule_check(&r, &d, line, sizeof(line)));
	fail_rule_parse("category=lock:20%", &r);
	cr_assert(fail_rule_check(&r, &d, line, sizeof(line)));
	cr_assert(strstr(line, "category 'lock' of thread 'worker' appeared"), "%s", line);
	fail_rule_parse("category=cpu:20%", &r);
	cr_assert(!fail_rule_check(&r, &d, line, sizeof(line)), "cpu shrank");
	fail_rule_parse("function=5%", &r);
	cr_assert(!fail_rule_check(&r, &d, line, sizeof(line)));
	diff__free(&d);
	recording__free(&a);
	recording__free(&b);
}
