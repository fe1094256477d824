// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Requests served on an event loop: where server spans overlap on one thread, each request's time
 * is split from the thread's CPU and runq time stamped on every span event and from the context
 * each event was seen in.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "classify/peer.h"
#include "model/loopspans.h"

/* A span event of a loop thread: when, the thread's CPU and runq time then, and its context. */
struct loop_event {
	uint64_t ts, cpu, runq, ctx;
};

struct loop_thread {
	uint32_t tid;
	struct loop_event *ev;	/* in time order */
	size_t n, cap;
};

/* A client span that is a call of a request on a loop (its owner: the server span's seq). */
struct call_ref {
	uint32_t owner, seq;
};

struct loop_index {
	struct loop_thread *threads;	/* by tid */
	size_t nthreads;
	struct call_ref *calls;		/* by owner, then seq */
	size_t ncalls;
	uint32_t *owner;		/* by seq - 1: the request a client span is a call of, 0: none */
	uint32_t max_seq;		/* of the table it was built from */
};

struct server_ref {
	uint32_t tid, seq;
	uint64_t start, end;
};

static int cmp_server(const void *a, const void *b)
{
	const struct server_ref *x = a, *y = b;

	if (x->tid != y->tid)
		return (x->tid > y->tid) - (x->tid < y->tid);
	return (x->start > y->start) - (x->start < y->start);
}

static int cmp_thread(const void *a, const void *b)
{
	uint32_t x = ((const struct loop_thread *)a)->tid, y = ((const struct loop_thread *)b)->tid;

	return (x > y) - (x < y);
}

static int cmp_event(const void *a, const void *b)
{
	uint64_t x = ((const struct loop_event *)a)->ts, y = ((const struct loop_event *)b)->ts;

	return (x > y) - (x < y);
}

static int cmp_call(const void *a, const void *b)
{
	const struct call_ref *x = a, *y = b;

	if (x->owner != y->owner)
		return (x->owner > y->owner) - (x->owner < y->owner);
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static bool is_server(const struct span_rec *r)
{
	return r->begun && r->flags & SPAN_HTTP_SERVER;
}

static struct loop_thread *thread_of(const struct loop_index *ix, uint32_t tid)
{
	struct loop_thread key = { .tid = tid };

	return ix->nthreads ? bsearch(&key, ix->threads, ix->nthreads, sizeof(key), cmp_thread) : NULL;
}

/*
 * The threads where a server span began while another one begun there was still open (an event
 * loop), and those that answered requests read on another (the workers of a multi-thread runtime).
 */
static int find_loop_threads(const struct span_table *t, struct loop_index *ix)
{
	struct server_ref *v = calloc(t->max_seq ? t->max_seq : 1, sizeof(*v));
	size_t n = 0, i, j;

	if (!v)
		return -ENOMEM;
	for (uint32_t seq = 1; seq <= t->max_seq; seq++) {
		const struct span_rec *r = span_table__get(t, seq);

		if (r && is_server(r))
			v[n++] = (struct server_ref){ r->tid, seq, r->start_ns, r->ended ? r->end_ns : UINT64_MAX };
	}
	qsort(v, n, sizeof(*v), cmp_server);
	for (i = 0; i < n; i = j) {
		uint64_t open_until = 0;
		bool loop = false;

		for (j = i; j < n && v[j].tid == v[i].tid; j++) {
			loop |= j > i && v[j].start < open_until;
			if (v[j].end > open_until)
				open_until = v[j].end;
		}
		if (!loop)
			continue;
		ix->threads[ix->nthreads++] = (struct loop_thread){ .tid = v[i].tid };
	}
	free(v);
	/* a request answered on another thread than it was read on: both are workers of one runtime */
	for (uint32_t seq = 1; seq <= t->max_seq; seq++) {
		const struct span_rec *r = span_table__get(t, seq);

		if (r && is_server(r) && r->ended && r->end_tid != r->tid) {
			ix->threads[ix->nthreads++] = (struct loop_thread){ .tid = r->tid };
			ix->threads[ix->nthreads++] = (struct loop_thread){ .tid = r->end_tid };
		}
	}
	if (ix->nthreads) {
		size_t k = 0;

		qsort(ix->threads, ix->nthreads, sizeof(*ix->threads), cmp_thread);
		for (i = 0; i < ix->nthreads; i++)
			if (!k || ix->threads[k - 1].tid != ix->threads[i].tid)
				ix->threads[k++] = ix->threads[i];
		ix->nthreads = k;
	}
	return 0;
}

static int add_event(struct loop_index *ix, uint32_t tid, uint64_t ts, uint64_t cpu, uint64_t runq, uint64_t ctx)
{
	struct loop_thread *th = thread_of(ix, tid);

	if (!th || !cpu)	/* not a loop thread, or the thread was not tracked then */
		return 0;
	if (th->n == th->cap) {
		size_t cap = th->cap ? 2 * th->cap : 64;
		struct loop_event *ev = realloc(th->ev, cap * sizeof(*ev));

		if (!ev)
			return -ENOMEM;
		th->ev = ev;
		th->cap = cap;
	}
	th->ev[th->n++] = (struct loop_event){ ts, cpu, runq, ctx };
	return 0;
}

/* The loop request whose span id and trace are r's parent's, 0: none. */
static uint32_t owner_of(const struct span_table *t, const struct loop_index *ix, const struct span_rec *r)
{
	for (uint32_t seq = r->seq; seq-- > 1;) {
		const struct span_rec *s = span_table__get(t, seq);

		if (!s || !is_server(s) || memcmp(s->span_id, r->parent_id, sizeof(s->span_id)) ||
		    memcmp(s->trace_id, r->trace_id, sizeof(s->trace_id)))
			continue;
		return thread_of(ix, s->tid) && s->ended ? seq : 0;
	}
	return 0;
}

int loop_index__build(const struct span_table *t, struct loop_index **out)
{
	struct loop_index *ix = calloc(1, sizeof(*ix));
	int err = 0;

	*out = NULL;
	if (!ix)
		return -ENOMEM;
	ix->threads = calloc(2 * (size_t)t->max_seq + 2, sizeof(*ix->threads));	/* two per server span at most */
	ix->calls = calloc(t->max_seq ? t->max_seq : 1, sizeof(*ix->calls));
	ix->owner = calloc(t->max_seq ? t->max_seq : 1, sizeof(*ix->owner));
	ix->max_seq = t->max_seq;
	err = ix->threads && ix->calls && ix->owner ? find_loop_threads(t, ix) : -ENOMEM;
	for (uint32_t seq = 1; !err && ix->nthreads && seq <= t->max_seq; seq++) {
		const struct span_rec *r = span_table__get(t, seq);

		if (!r || !r->begun)
			continue;
		err = add_event(ix, r->tid, r->start_ns, r->begin_cpu, r->begin_runq, r->begin_ctx);
		if (!err && r->ended)
			err = add_event(ix, r->end_tid, r->end_ns, r->end_cpu, r->end_runq, r->end_ctx);
		if (!err && r->flags & SPAN_HTTP_CLIENT) {
			uint32_t owner = owner_of(t, ix, r);

			if (owner)
				ix->calls[ix->ncalls++] = (struct call_ref){ owner, seq };
			ix->owner[seq - 1] = owner;
		}
	}
	for (size_t i = 0; i < ix->nthreads; i++)
		if (ix->threads[i].n)
			qsort(ix->threads[i].ev, ix->threads[i].n, sizeof(struct loop_event), cmp_event);
	if (ix->ncalls)
		qsort(ix->calls, ix->ncalls, sizeof(*ix->calls), cmp_call);
	if (err) {
		loop_index__free(ix);
		return err;
	}
	*out = ix;
	return 0;
}

void loop_index__free(struct loop_index *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->nthreads; i++)
		free(ix->threads[i].ev);
	free(ix->threads);
	free(ix->calls);
	free(ix->owner);
	free(ix);
}

/* A call's interval within its request, and its peer. */
struct interval {
	uint64_t from, to;
	const struct span_rec *r;
};

static int cmp_interval(const void *a, const void *b)
{
	uint64_t x = ((const struct interval *)a)->from, y = ((const struct interval *)b)->from;

	return (x > y) - (x < y);
}

/* How much of [x, y) the calls v[0..n) (sorted by start) cover together. */
static uint64_t covered(const struct interval *v, size_t n, uint64_t x, uint64_t y)
{
	uint64_t sum = 0, at = x;

	for (size_t i = 0; i < n && at < y; i++) {
		uint64_t from = v[i].from > at ? v[i].from : at, to = v[i].to < y ? v[i].to : y;

		if (to > from) {
			sum += to - from;
			at = to;
		}
	}
	return sum;
}

static void add_peer(struct loop_breakdown *out, const struct span_rec *r, uint64_t ns)
{
	size_t k;

	for (k = 0; k < out->npeers && !peer_eq(&out->peers[k].peer, &r->peer); k++)
		;
	if (k == out->npeers) {
		if (k == LOOP_PEERS)
			return;	/* past the first few peers: its time stays in net, without a peer */
		out->peers[out->npeers++] = (struct loop_peer){ .peer = r->peer };
	}
	out->peers[k].ns += ns;
	out->peers[k].llm |= r->llm;
}

/* The first event of th past ts. */
static size_t first_after(const struct loop_thread *th, uint64_t ts)
{
	size_t lo = 0, hi = th->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (th->ev[mid].ts <= ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* What one thread did over a request's time, from its events: see split(). */
struct thread_share {
	double own, own_in_calls, other, runq;
};

/*
 * [from, to] on thread th, the calls v[0..n) (sorted, within it): its CPU in context ctx (own), the
 * part of it while a call was outstanding, its CPU in other contexts and its runq time while none
 * was. The CPU between two events goes to the context of the later one. cpu0 and runq0: the
 * thread's counters at from when it began the request; 0 for another thread (a multi-thread
 * runtime), whose interval that holds from is cut at from: its own CPU all after from (it ran
 * the request's code before the event), the rest pro rata.
 */
static void share(const struct loop_thread *th, uint64_t from, uint64_t to, uint64_t cpu0, uint64_t runq0,
		  uint64_t ctx, const struct interval *v, size_t n, struct thread_share *out)
{
	size_t i = first_after(th, from);
	uint64_t at = from, cpu = cpu0, runq = runq0, prev_ts = from;

	if (!cpu0) {
		if (!i)
			return;	/* nothing of the thread before: its first interval is unknown */
		cpu = th->ev[i - 1].cpu;
		runq = th->ev[i - 1].runq;
		prev_ts = th->ev[i - 1].ts;
	}
	for (; i < th->n && th->ev[i].ts <= to && at < to; i++) {
		const struct loop_event *e = &th->ev[i];
		uint64_t wall = e->ts - at, full = e->ts - prev_ts, d, q, own;
		double f, part = full ? (double)wall / full : 0;

		d = e->cpu > cpu ? e->cpu - cpu : 0;
		q = e->runq > runq ? e->runq - runq : 0;
		cpu = e->cpu > cpu ? e->cpu : cpu;
		runq = e->runq > runq ? e->runq : runq;
		prev_ts = at = e->ts;
		if (!wall)
			continue;
		own = ctx && e->ctx == ctx ? (d < wall ? d : wall) : 0;
		d = own ? own : (uint64_t)(d * part);
		d = d < wall ? d : wall;
		q = (uint64_t)(q * part);
		q = q < wall - d ? q : wall - d;
		f = (double)covered(v, n, e->ts - wall, e->ts) / wall;
		out->own += own;
		out->own_in_calls += own * f;
		out->other += (d - own) * (1 - f);
		out->runq += q * (1 - f);
	}
}

/*
 * [from, to] of a request whose code ran on the threads th[0..nth) (th[0] began it; its counters
 * then: cpu0, runq0) in context ctx, the calls v[0..n) (sorted, within it): its own CPU; the calls'
 * union, less its own CPU meanwhile, as net by peer; the rest, while no call was outstanding and
 * its code did not run, as queue as far as its threads ran other contexts, then runq, the rest as
 * blocked. One thread: what an event loop's request waits for. Several: the workers of a
 * multi-thread runtime, any of which runs its code when it is ready.
 */
static void split(const struct loop_thread *const *th, size_t nth, uint64_t from, uint64_t to, uint64_t cpu0,
		  uint64_t runq0, uint64_t ctx, const struct interval *v, size_t n, enum category blocked,
		  struct loop_breakdown *out)
{
	double ns[NR_CATEGORIES] = { 0 }, net, rest, sum = 0, most = 0;
	struct thread_share sh = { 0 };
	uint64_t left = to - from, union_ns = 0, covered_to = from, cov = covered(v, n, from, to), given;
	size_t i;
	int top = CAT_NET;

	for (i = 0; i < nth; i++)
		share(th[i], from, to, i ? 0 : cpu0, i ? 0 : runq0, ctx, v, n, &sh);
	/* own CPU of two threads at once (a call's task beside its request's) is no more than the time */
	if (sh.own - sh.own_in_calls > left - cov)
		sh.own = sh.own_in_calls + (left - cov);
	net = cov - sh.own_in_calls;
	rest = left - cov - (sh.own - sh.own_in_calls);
	ns[CAT_CPU] = sh.own;
	ns[CAT_NET] = net;
	ns[CAT_QUEUE] = sh.other < rest ? sh.other : rest;
	ns[CAT_RUNQ] = sh.runq < rest - ns[CAT_QUEUE] ? sh.runq : rest - ns[CAT_QUEUE];
	ns[blocked] += rest - ns[CAT_QUEUE] - ns[CAT_RUNQ];
	/* whole nanoseconds that sum to the span's duration: rounding goes to the largest */
	for (int c = 0; c < NR_CATEGORIES; c++) {
		out->ns[c] = ns[c] > 0 ? (uint64_t)(ns[c] + 0.5) : 0;
		sum += out->ns[c];
		if (ns[c] > most) {
			most = ns[c];
			top = c;
		}
	}
	if (sum > left && out->ns[top] >= sum - left)
		out->ns[top] -= sum - left;
	else if (sum < left)
		out->ns[top] += left - sum;
	/*
	 * net by peer: each call's part of the calls' union, the first one called first, in whole
	 * nanoseconds of net as rounded (their sum is net's, never a nanosecond past it)
	 */
	for (i = 0; i < n; i++) {
		uint64_t f = v[i].from > covered_to ? v[i].from : covered_to;

		if (v[i].to > f) {
			union_ns += v[i].to - f;
			covered_to = v[i].to;
		}
	}
	covered_to = from;
	for (i = 0, given = 0; i < n && union_ns; i++) {
		uint64_t f = v[i].from > covered_to ? v[i].from : covered_to, ns_peer;

		if (v[i].to <= f)
			continue;
		ns_peer = (uint64_t)((double)out->ns[CAT_NET] * (v[i].to - f) / union_ns);
		ns_peer = ns_peer < out->ns[CAT_NET] - given ? ns_peer : out->ns[CAT_NET] - given;
		add_peer(out, v[i].r, ns_peer);
		given += ns_peer;
		covered_to = v[i].to;
	}
}

/* Adds loop thread tid to th[0..*n) (at most max) once. */
static void add_thread(const struct loop_index *ix, uint32_t tid, const struct loop_thread **th, size_t *n,
		       size_t max)
{
	const struct loop_thread *t = thread_of(ix, tid);

	for (size_t i = 0; i < *n; i++)
		if (th[i] == t)
			return;
	if (t && *n < max)
		th[(*n)++] = t;
}

/*
 * The loop threads a span of context ctx ran on over [from, to]: the one it began on first, the
 * one it ended on, and any other with an event of that context meanwhile.
 */
static size_t threads_of(const struct loop_index *ix, const struct span_rec *r, uint64_t ctx,
			 const struct loop_thread **th, size_t max)
{
	size_t n = 0;

	add_thread(ix, r->tid, th, &n, max);
	if (!n)
		return 0;
	add_thread(ix, r->end_tid, th, &n, max);
	for (size_t k = 0; ctx && k < ix->nthreads; k++) {
		const struct loop_thread *t = &ix->threads[k];

		for (size_t i = first_after(t, r->start_ns); i < t->n && t->ev[i].ts <= r->end_ns; i++)
			if (t->ev[i].ctx == ctx) {
				add_thread(ix, t->tid, th, &n, max);
				break;
			}
	}
	return n;
}

#define LOOP_THREADS 16	/* threads a request's time is looked for on */

bool loop_index__breakdown(const struct loop_index *ix, const struct span_table *t, const struct span_rec *r,
			   enum category blocked, struct loop_breakdown *out)
{
	const struct loop_thread *th[LOOP_THREADS];
	const struct span_rec *s = r;
	struct interval *v;
	size_t n = 0, nth;

	memset(out, 0, sizeof(*out));
	if (!ix || !r->begun || !r->ended || r->end_ns < r->start_ns || !r->begin_cpu)
		return false;
	if (r->flags & SPAN_HTTP_CLIENT) {
		uint32_t owner = r->seq <= ix->max_seq ? ix->owner[r->seq - 1] : 0;

		s = owner ? span_table__get(t, owner) : NULL;
		nth = s ? threads_of(ix, r, r->begin_ctx, th, LOOP_THREADS) : 0;
		if (!nth)
			return false;
		out->call = true;
		split(th, nth, r->start_ns, r->end_ns, r->begin_cpu, r->begin_runq, r->begin_ctx,
		      &(struct interval){ r->start_ns, r->end_ns, r }, 1, blocked, out);
		return true;
	}
	if (!is_server(r) || !r->end_ctx)
		return false;
	nth = threads_of(ix, r, r->end_ctx, th, LOOP_THREADS);
	if (!nth)
		return false;
	v = malloc((ix->ncalls ? ix->ncalls : 1) * sizeof(*v));
	if (!v)
		return false;
	{
		struct call_ref key = { r->seq, 0 };
		size_t lo = 0, hi = ix->ncalls;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (cmp_call(&ix->calls[mid], &key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t i = lo; i < ix->ncalls && ix->calls[i].owner == r->seq; i++) {
			const struct span_rec *c = span_table__get(t, ix->calls[i].seq);
			uint64_t from = c->start_ns > r->start_ns ? c->start_ns : r->start_ns;
			uint64_t to = c->ended && c->end_ns < r->end_ns ? c->end_ns : r->end_ns;

			if (to > from)
				v[n++] = (struct interval){ from, to, c };
		}
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_interval);
	split(th, nth, r->start_ns, r->end_ns, r->begin_cpu, r->begin_runq, r->end_ctx, v, n, blocked, out);
	free(v);
	return true;
}
