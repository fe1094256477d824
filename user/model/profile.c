// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The model: what one recording measured, as drained from the kernel, summed per thread, process and span. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/vec.h"
#include "model/profile.h"
#include "model/spans.h"

void profile__init(struct profile *p)
{
	memset(p, 0, sizeof(*p));
}

static void sample__free(struct sample *s)
{
	free(s->user);
	free(s->kern);
	free(s->py);
	for (uint32_t i = 0; i < s->nframes; i++)
		free(s->frames[i]);
	free(s->frames);
	free(s->origins);
}

static void set__free(struct sample_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		sample__free(&set->v[i]);
	free(set->v);
	memset(set, 0, sizeof(*set));
}

void profile__free(struct profile *p)
{
	set__free(&p->oncpu);
	set__free(&p->offcpu);
	set__free(&p->mem);
	free(p->rss);
	p->rss = NULL;
	p->nrss = 0;
	free(p->threads);
	free(p->procs);
	free(p->thread_index.slots);
	free(p->proc_index.slots);
	memset(&p->thread_index, 0, sizeof(p->thread_index));
	memset(&p->proc_index, 0, sizeof(p->proc_index));
	free(p->cgroup);
	p->procs = NULL;
	p->cgroup = NULL;
	p->nprocs = 0;
	free(p->span_cpu);
	free(p->spans);
	p->threads = NULL;
	p->span_cpu = NULL;
	p->spans = NULL;
	p->nthreads = p->nspan_cpu = p->nspans = 0;
	for (size_t i = 0; i < p->nmappings; i++) {
		free(p->mappings[i].path);
		free(p->mappings[i].build_id);
	}
	free(p->mappings);
	p->mappings = NULL;
	p->nmappings = 0;
}

int profile__add_rss(struct profile *p, uint64_t at_ns, uint64_t bytes)
{
	if (VEC_GROW_N(p->rss, p->nrss))
		return -ENOMEM;
	p->rss[p->nrss++] = (struct rss_point){ at_ns, bytes };
	return 0;
}

uint64_t mem_kept(const struct mem_bytes *m)
{
	return m->faulted > m->released ? m->faulted - m->released : 0;
}

void mem_bytes__add(struct mem_bytes *into, const struct mem_bytes *m)
{
	into->mapped += m->mapped;
	into->unmapped += m->unmapped;
	into->faulted += m->faulted;
	into->released += m->released;
}

int profile__add_span_cpu(struct profile *p, uint32_t seq, uint64_t ns)
{
	if (VEC_GROW_N(p->span_cpu, p->nspan_cpu))
		return -ENOMEM;
	p->span_cpu[p->nspan_cpu++] = (struct span_cpu){ seq, ns };
	return 0;
}

static uint64_t *dup_ips(const uint64_t *ips, size_t n)
{
	uint64_t *v = malloc((n ? n : 1) * sizeof(*v));

	if (v && n)
		memcpy(v, ips, n * sizeof(*v));
	return v;
}

int profile__add(struct sample_set *set, const struct sample *tmpl, const uint64_t *user, size_t nuser,
		 const uint64_t *kern, size_t nkern)
{
	struct sample *s;

	if (VEC_GROW(set->v, set->n, set->cap))
		return -ENOMEM;
	s = &set->v[set->n];
	*s = *tmpl;
	s->comm[sizeof(s->comm) - 1] = '\0';
	s->frames = NULL;
	s->origins = NULL;
	s->nframes = 0;
	s->user = dup_ips(user, nuser);
	s->kern = dup_ips(kern, nkern);
	s->py = malloc((tmpl->npy ?: 1) * sizeof(*s->py));
	if (s->py && tmpl->npy)
		memcpy(s->py, tmpl->py, tmpl->npy * sizeof(*s->py));
	if (!s->user || !s->kern || !s->py) {
		sample__free(s);
		return -ENOMEM;
	}
	s->nuser = nuser;
	s->nkern = nkern;
	set->n++;
	set->total += s->count;
	return 0;
}

/*
 * Threads and processes are looked up once per sample and wait: a recording that follows
 * thousands of children would spend its end in linear searches. The index is by id; sorting
 * the array (profile__finish) drops it, to be rebuilt at the next lookup.
 */
static uint32_t *index_find(const struct id_index *ix, uint32_t id, const char *arr, size_t elem, size_t off)
{
	size_t mask = ix->cap - 1;

	for (size_t i = (id * 2654435761u) & mask;; i = (i + 1) & mask) {	/* Knuth's multiplicative hash */
		uint32_t *slot = &ix->slots[i];

		if (!*slot || *(const uint32_t *)(arr + (*slot - 1) * elem + off) == id)
			return slot;
	}
}

/* Room for one more of the n elements of arr: rebuilt, four times their number, when half full. 0 or -ENOMEM. */
static int index_reserve(struct id_index *ix, size_t n, const char *arr, size_t elem, size_t off)
{
	size_t cap = 16;
	uint32_t *slots;

	if (ix->cap >= 2 * (n + 1))
		return 0;
	while (cap < 4 * (n + 1))
		cap *= 2;
	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	free(ix->slots);
	ix->slots = slots;
	ix->cap = cap;
	for (size_t i = 0; i < n; i++)
		*index_find(ix, *(const uint32_t *)(arr + i * elem + off), arr, elem, off) = i + 1;
	return 0;
}

static void index_drop(struct id_index *ix)
{
	free(ix->slots);
	ix->slots = NULL;
	ix->cap = 0;
}

struct thread_info *profile__thread(struct profile *p, uint32_t tid)
{
	const size_t off = offsetof(struct thread_info, tid);
	struct thread_info *t;
	uint32_t *slot;

	if (index_reserve(&p->thread_index, p->nthreads, (const char *)p->threads, sizeof(*t), off))
		return NULL;
	slot = index_find(&p->thread_index, tid, (const char *)p->threads, sizeof(*t), off);
	if (*slot)
		return &p->threads[*slot - 1];
	if (VEC_GROW_N(p->threads, p->nthreads))
		return NULL;
	t = &p->threads[p->nthreads++];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	*slot = p->nthreads;
	return t;
}

struct process_info *profile__process(struct profile *p, uint32_t pid)
{
	const size_t off = offsetof(struct process_info, pid);
	struct process_info *v;
	uint32_t *slot;

	if (index_reserve(&p->proc_index, p->nprocs, (const char *)p->procs, sizeof(*v), off))
		return NULL;
	slot = index_find(&p->proc_index, pid, (const char *)p->procs, sizeof(*v), off);
	if (*slot)
		return &p->procs[*slot - 1];
	if (VEC_GROW_N(p->procs, p->nprocs))
		return NULL;
	v = &p->procs[p->nprocs++];
	memset(v, 0, sizeof(*v));
	v->pid = pid;
	*slot = p->nprocs;
	return v;
}

void profile__title(const struct profile *p, char *buf, size_t len)
{
	const char *slash = p->cgroup ? strrchr(p->cgroup, '/') : NULL;

	if (p->cgroup)
		snprintf(buf, len, "cgroup %s", slash && slash[1] ? slash + 1 : p->cgroup);
	else
		snprintf(buf, len, "%s (PID %d)", p->comm, p->pid);
}

static int cmp_process(const void *a, const void *b)
{
	const struct process_info *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* Each thread's time into its process's, then the processes' classes. */
static int finish_processes(struct profile *p)
{
	for (size_t i = 0; i < p->nthreads; i++) {
		const struct thread_info *t = &p->threads[i];
		struct process_info *proc = profile__process(p, t->pid);

		if (!proc)
			return -ENOMEM;
		for (int c = 0; c < NR_CATEGORIES; c++)
			proc->ns[c] += t->ns[c];
		proc->samples += t->samples;
		mem_bytes__add(&proc->mem, &t->mem);
		proc->exited = (proc->exited || !proc->nthreads) && t->exited;	/* all of them */
		proc->nthreads++;
		if (!proc->comm[0] && t->tid == t->pid)	/* the main thread names the process */
			memcpy(proc->comm, t->comm, sizeof(proc->comm));
	}
	for (size_t i = 0; i < p->nprocs; i++)
		p->procs[i].class = classify_breakdown(p->procs[i].ns, p->duration_ns);
	if (p->nprocs)
		qsort(p->procs, p->nprocs, sizeof(*p->procs), cmp_process);
	index_drop(&p->proc_index);	/* positions changed */
	return 0;
}

static int cmp_thread(const void *a, const void *b)
{
	const struct thread_info *x = a, *y = b;

	return (x->tid > y->tid) - (x->tid < y->tid);
}

static int cmp_span_cpu(const void *a, const void *b)
{
	uint32_t x = ((const struct span_cpu *)a)->seq, y = ((const struct span_cpu *)b)->seq;

	return (x > y) - (x < y);
}

static int cmp_span_info(const void *a, const void *b)
{
	uint32_t x = ((const struct span_info *)a)->rec->seq, y = ((const struct span_info *)b)->rec->seq;

	return (x > y) - (x < y);
}

const struct span_info *profile__span(const struct profile *p, uint32_t seq)
{
	struct span_rec rec = { .seq = seq };
	struct span_info key = { .rec = &rec };

	return seq ? bsearch(&key, p->spans, p->nspans, sizeof(key), cmp_span_info) : NULL;
}

/* What thread tid waits in most when it is off CPU (not runnable): a loop thread's time off CPU in a request. */
static enum category blocked_in(const struct profile *p, uint32_t tid)
{
	struct thread_info key = { .tid = tid };
	const struct thread_info *t = p->nthreads ? bsearch(&key, p->threads, p->nthreads, sizeof(key), cmp_thread) : NULL;
	enum category best = CAT_IDLE;

	for (int c = CAT_LOCK; t && c <= CAT_OTHER; c++)
		if (t->ns[c] > t->ns[best])
			best = c;
	return best;
}

/*
 * Requests on an event loop and their calls: their breakdowns from loopspans.c. In an interval of
 * top, a span begun before it keeps its interval's share of each category.
 */
static int loop_breakdowns(struct profile *p, const struct span_table *table)
{
	struct loop_index *ix;
	int err = loop_index__build(table, &ix);

	for (size_t i = 0; !err && i < p->nspans; i++) {
		struct span_info *info = &p->spans[i];
		uint64_t duration = info->rec->end_ns - info->rec->start_ns;
		struct loop_breakdown b;

		if (info->unfinished ||
		    !loop_index__breakdown(ix, table, info->rec, blocked_in(p, info->rec->tid), &b))
			continue;
		info->on_loop = true;
		for (int c = 0; c < NR_CATEGORIES; c++) {
			info->ns[c] = duration && info->wall_ns < duration ?
					      (uint64_t)((double)b.ns[c] * info->wall_ns / duration) : b.ns[c];
			info->self_ns[c] = b.call ? 0 : info->ns[c];
		}
		memcpy(info->peers, b.peers, sizeof(b.peers));
		info->npeers = b.npeers;
	}
	loop_index__free(ix);
	return err;
}

/* Adds ns waited on peer to a span's net by peer; past LOOP_PEERS peers it stays in net without one. */
static void span_peer_add(struct span_info *info, const struct net_peer *peer, uint64_t ns, bool llm)
{
	size_t k;

	for (k = 0; k < info->npeers && !peer_eq(&info->peers[k].peer, peer); k++)
		;
	if (k == info->npeers) {
		if (k == LOOP_PEERS)
			return;
		info->peers[info->npeers++] = (struct loop_peer){ .peer = *peer };
	}
	info->peers[k].ns += ns;
	info->peers[k].llm |= llm;
}

/*
 * The peer a net wait stamped with span info waited on: the socket's other end as the kernel
 * read it, else, in an HTTP client span, the connection of that call (a poll on a set, a wait the
 * kernel could not name). NULL: not known.
 */
static const struct net_peer *wait_peer(const struct sample *s, const struct span_info *info)
{
	if (peer_known(&s->peer))
		return &s->peer;
	if (info && info->rec->flags & SPAN_HTTP_CLIENT && peer_known(&info->rec->peer))
		return &info->rec->peer;
	return NULL;
}

/* The spans of the table alive in the window, with their breakdowns. */
static int finish_spans(struct profile *p, const struct span_table *table)
{
	uint64_t ws = p->window_start_ns, we = p->window_end_ns;
	int err;

	for (uint32_t seq = 1; seq <= table->max_seq; seq++) {
		const struct span_rec *r = span_table__get(table, seq);
		struct span_info *info;
		struct span_cpu key = { .seq = seq }, *cpu;
		uint64_t from, to;

		if (!r || !r->begun || r->start_ns >= we || (r->ended && r->end_ns <= ws))
			continue;
		if (VEC_GROW_N(p->spans, p->nspans))
			return -ENOMEM;
		info = &p->spans[p->nspans++];
		memset(info, 0, sizeof(*info));
		info->rec = r;
		info->unfinished = !r->ended;	/* one ended past the window was still seen whole */
		/* record: the whole span, counted from its begin on; top: its part of the interval */
		from = p->clip_spans && r->start_ns < ws ? ws : r->start_ns;
		to = info->unfinished ? we : r->end_ns;
		info->wall_ns = to > from ? to - from : 0;
		/* span_cpu is NULL when no span ran on a CPU: bsearch must not get it */
		cpu = p->nspan_cpu ? bsearch(&key, p->span_cpu, p->nspan_cpu, sizeof(key), cmp_span_cpu) : NULL;
		info->self_ns[CAT_CPU] = cpu ? cpu->ns : 0;
	}
	for (size_t i = 0; i < p->offcpu.n; i++) {
		const struct sample *s = &p->offcpu.v[i];
		struct span_info *info = (struct span_info *)profile__span(p, s->span);

		const struct net_peer *peer = wait_peer(s, info);

		if (!info)
			continue;
		info->self_ns[s->category] += s->count;
		/* a span's net by peer, before nested spans add theirs (a loop's are its calls', below) */
		if (s->category == CAT_NET && peer)
			span_peer_add(info, peer, s->count,
				      info->rec->flags & SPAN_HTTP_CLIENT && info->rec->llm && peer_eq(peer, &info->rec->peer));
	}
	for (size_t i = 0; i < p->mem.n; i++) {
		const struct sample *s = &p->mem.v[i];
		struct span_info *info = (struct span_info *)profile__span(p, s->span);

		if (info)
			mem_bytes__add(&info->self_mem, &s->mem);
	}
	err = loop_breakdowns(p, table);
	if (err)
		return err;
	/*
	 * Nested spans began later: from the last, each adds its total to its outer span's, when it
	 * ended within it (an outer span ended by another thread does not own what followed). On an
	 * event loop the span a span began in is another request's as often as not: neither adds.
	 */
	for (size_t i = p->nspans; i-- > 0;) {
		struct span_info *info = &p->spans[i];
		struct span_info *outer = (struct span_info *)profile__span(p, info->rec->outer);

		for (int c = 0; !info->on_loop && c < NR_CATEGORIES; c++)
			info->ns[c] += info->self_ns[c];
		mem_bytes__add(&info->mem, &info->self_mem);
		if (outer && !info->on_loop && !outer->on_loop &&
		    (outer->unfinished || (!info->unfinished && info->rec->end_ns <= outer->rec->end_ns))) {
			for (int c = 0; c < NR_CATEGORIES; c++)
				outer->ns[c] += info->ns[c];
			for (size_t k = 0; k < info->npeers; k++)
				span_peer_add(outer, &info->peers[k].peer, info->peers[k].ns, info->peers[k].llm);
			mem_bytes__add(&outer->mem, &info->mem);
		}
		info->class = classify_breakdown(info->ns, info->wall_ns);
	}
	return 0;
}

int profile__finish(struct profile *p, const struct span_table *spans)
{
	for (size_t i = 0; i < p->oncpu.n; i++) {
		struct sample *s = &p->oncpu.v[i];
		struct thread_info *t = profile__thread(p, s->tid);

		if (!t)
			return -ENOMEM;
		t->pid = t->pid ?: s->pid;
		t->samples += s->count;
		if (!t->comm[0])
			memcpy(t->comm, s->comm, sizeof(t->comm));
	}
	for (size_t i = 0; i < p->offcpu.n; i++) {
		struct sample *s = &p->offcpu.v[i];
		struct thread_info *t = profile__thread(p, s->tid);

		if (!t)
			return -ENOMEM;
		t->pid = t->pid ?: s->pid;
		t->ns[s->category] += s->count;
	}
	memset(&p->mem_total, 0, sizeof(p->mem_total));
	for (size_t i = 0; i < p->mem.n; i++) {
		struct sample *s = &p->mem.v[i];
		struct thread_info *t = profile__thread(p, s->tid);

		if (!t)
			return -ENOMEM;
		t->pid = t->pid ?: s->pid;
		if (!t->comm[0])
			memcpy(t->comm, s->comm, sizeof(t->comm));
		mem_bytes__add(&t->mem, &s->mem);
		mem_bytes__add(&p->mem_total, &s->mem);
	}
	if (p->nthreads)	/* an interval of top may have none, and no array */
		qsort(p->threads, p->nthreads, sizeof(*p->threads), cmp_thread);
	index_drop(&p->thread_index);	/* positions changed */
	memset(p->ns, 0, sizeof(p->ns));
	for (size_t i = 0; i < p->nthreads; i++) {
		struct thread_info *t = &p->threads[i];

		for (int c = 0; c < NR_CATEGORIES; c++)
			p->ns[c] += t->ns[c];
		t->class = classify_breakdown(t->ns, t->wall_ns);
	}
	p->class = classify_breakdown(p->ns, p->duration_ns);
	return finish_processes(p) ?: (spans ? finish_spans(p, spans) : 0);
}
