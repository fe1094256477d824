// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A snapshot of what the kernel aggregated, with every thread's open state closed at the moment
 * it was taken, so that the difference of two snapshots is exactly what happened in between.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "capture/snapshot.h"
#include "capture/pystacks.h"
#include "model/spans.h"
#include "capture/stackcache.h"
#include "base/vec.h"

static int cmp_sample(const void *a, const void *b)
{
	return memcmp(&((const struct snap_sample *)a)->key, &((const struct snap_sample *)b)->key,
		      sizeof(struct sample_key));
}

static int cmp_wait(const void *a, const void *b)
{
	return memcmp(&((const struct snap_wait *)a)->key, &((const struct snap_wait *)b)->key,
		      sizeof(struct offcpu_key));
}

static int cmp_span_cpu(const void *a, const void *b)
{
	uint32_t x = ((const struct span_cpu *)a)->seq, y = ((const struct span_cpu *)b)->seq;

	return (x > y) - (x < y);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static int cmp_thread(const void *a, const void *b)
{
	uint32_t x = ((const struct snap_thread *)a)->tid, y = ((const struct snap_thread *)b)->tid;

	return (x > y) - (x < y);
}

#define BATCH 1024	/* entries per bpf syscall: top reads every map every second */

typedef int (*entry_fn)(const void *key, const void *value, void *ctx);

/* Where the kernel has no batch lookups for the map: one entry, two syscalls, at a time. */
static int for_each_slow(int fd, size_t key_size, char *key, char *value, entry_fn fn, void *ctx)
{
	char *next = malloc(key_size);
	void *prev = NULL;
	int err = 0;

	if (!next)
		return -ENOMEM;
	while (!err && bpf_map_get_next_key(fd, prev, next) == 0) {
		memcpy(key, next, key_size);
		prev = key;
		if (bpf_map_lookup_elem(fd, key, value) == 0)
			err = fn(key, value, ctx);
	}
	free(next);
	return err;
}

/* Calls fn for every entry of a hash map (entries may change meanwhile: the programs run). */
static int map_for_each(int fd, size_t key_size, size_t value_size, entry_fn fn, void *ctx)
{
	char *keys = malloc(BATCH * key_size), *values = malloc(BATCH * value_size);
	__u64 in = 0, out = 0;
	bool first = true;
	int err = 0;

	if (!keys || !values) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		__u32 n = BATCH;
		int ret = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, values, &n, NULL);

		if (ret < 0 && ret != -ENOENT) {
			if (first)	/* no batch operations here: the slow way */
				err = for_each_slow(fd, key_size, keys, values, fn, ctx);
			else
				err = ret;
			break;
		}
		for (__u32 i = 0; i < n && !err; i++)
			err = fn(keys + i * key_size, values + i * value_size, ctx);
		if (err || ret == -ENOENT)	/* -ENOENT: that was the last batch */
			break;
		in = out;
		first = false;
	}
out:
	free(keys);
	free(values);
	return err;
}

struct reader {
	struct snapshot *s;
	pid_t pid;
	size_t cap, wait_cap, nsorted, span_cap, nspan_sorted, held_cap;
};

static int add_sample(const void *key, const void *value, void *ctx)
{
	const struct sample_key *k = key;
	struct reader *r = ctx;

	if (r->pid && k->pid != (__u32)r->pid)
		return 0;
	if (VEC_GROW(r->s->samples, r->s->nsamples, r->cap))
		return -ENOMEM;
	r->s->samples[r->s->nsamples++] = (struct snap_sample){ *k, *(const __u64 *)value };
	return 0;
}

static int read_samples(const struct kernel_maps *maps, pid_t pid, struct snapshot *s)
{
	struct reader r = { .s = s, .pid = pid };
	int err = map_for_each(maps->samples_fd, sizeof(struct sample_key), sizeof(__u64), add_sample, &r);

	if (s->nsamples)	/* empty arrays are NULL, and qsort and bsearch take none */
		qsort(s->samples, s->nsamples, sizeof(*s->samples), cmp_sample);
	return err;
}

static int add_wait(const void *key, const void *value, void *ctx)
{
	const struct offcpu_key *k = key;
	struct reader *r = ctx;

	if (r->pid && k->pid != (__u32)r->pid)
		return 0;
	if (VEC_GROW(r->s->waits, r->s->nwaits, r->wait_cap))
		return -ENOMEM;
	r->s->waits[r->s->nwaits++] = (struct snap_wait){ *k, *(const struct offcpu_val *)value };
	return 0;
}

/*
 * Adds the open part of a wait to its entry, as if it ended now. s->waits[0..nsorted) is sorted;
 * a wait with no entry yet (its first interval is still going on) is appended.
 */
static int close_wait(struct snapshot *s, size_t nsorted, size_t *cap, const struct offcpu_key *key,
		      uint64_t ns)
{
	struct snap_wait probe = { .key = *key }, *w;

	w = nsorted ? bsearch(&probe, s->waits, nsorted, sizeof(probe), cmp_wait) : NULL;
	if (w) {
		w->val.ns += ns;
		return 0;
	}
	if (VEC_GROW(s->waits, s->nwaits, *cap))
		return -ENOMEM;
	probe.val.ns = ns;
	s->waits[s->nwaits++] = probe;
	return 0;
}

/* The running thread's open CPU time belongs to its active span too (span_cpu sorted by seq). */
static int add_running_span_cpu(struct snapshot *s, struct reader *r, const struct thread_stats *st, uint64_t ns)
{
	struct span_cpu key = { 0 }, *found;

	if (!st->span_depth || st->span_depth > MAX_SPAN_DEPTH || !ns)
		return 0;
	key.seq = st->spans[st->span_depth - 1] & ~SPAN_SERVER_BIT;
	found = r->nspan_sorted ? bsearch(&key, s->span_cpu, r->nspan_sorted, sizeof(key), cmp_span_cpu) : NULL;
	if (found) {
		found->ns += ns;
		return 0;
	}
	if (VEC_GROW(s->span_cpu, s->nspan_cpu, r->span_cap))
		return -ENOMEM;
	s->span_cpu[s->nspan_cpu++] = (struct span_cpu){ key.seq, ns };
	return 0;
}

/* The spans a live thread's open state is in: its stack, and the one its wait is keyed by. */
static int add_held(struct snapshot *s, struct reader *r, const struct thread_stats *st)
{
	uint32_t depth = st->span_depth < MAX_SPAN_DEPTH ? st->span_depth : MAX_SPAN_DEPTH;

	for (uint32_t i = 0; i <= depth; i++) {
		uint32_t seq = i < depth ? st->spans[i] & ~SPAN_SERVER_BIT : st->open.span;

		if (!seq)
			continue;
		if (VEC_GROW(s->held, s->nheld, r->held_cap))
			return -ENOMEM;
		s->held[s->nheld++] = seq;
	}
	return 0;
}

/*
 * A blocked thread woken and not yet running (struct thread_stats' wake_ns): blocked until its
 * waking, then waiting for a CPU under the key its switch-in will use (offcpu.bpf.c's woken()).
 */
static int close_woken(struct snapshot *s, struct reader *r, const struct thread_stats *st, uint64_t end)
{
	uint64_t at = st->wake_ns < end ? st->wake_ns : end;
	struct offcpu_key runq = st->open;
	int err = 0;

	if (at > st->last_ns)
		err = close_wait(s, r->nsorted, &r->wait_cap, &st->open, at - st->last_ns);
	else
		at = st->last_ns;
	runq.waker_tid = 0;
	runq.waker_stack_id = NO_STACK;
	runq.wait.flags |= WAIT_RUNQ;
	memset(&runq.peer, 0, sizeof(runq.peer));
	return err ?: close_wait(s, r->nsorted, &r->wait_cap, &runq, end - at);
}

static int add_thread(const void *key, const void *value, void *ctx)
{
	const struct thread_stats *st = value;
	struct reader *r = ctx;
	struct snapshot *s = r->s;
	struct snap_thread *t;
	uint64_t end;

	if (r->pid && st->open.pid != (__u32)r->pid)
		return 0;
	if (VEC_GROW(s->threads, s->nthreads, r->cap))
		return -ENOMEM;
	t = &s->threads[s->nthreads++];
	memset(t, 0, sizeof(*t));
	t->tid = *(const __u32 *)key;
	t->pid = st->open.pid;
	memcpy(t->comm, st->open.comm, sizeof(t->comm));
	t->comm[sizeof(t->comm) - 1] = '\0';
	t->exited = st->state == TS_DEAD;
	t->first_ns = st->first_ns;
	t->exit_ns = t->exited ? st->last_ns : 0;
	/*
	 * Close the state the thread is in at the snapshot's time; one that changed state since (the
	 * maps are read while programs run) is accounted up to that change.
	 */
	end = t->exited || st->last_ns > s->at_ns ? st->last_ns : s->at_ns;
	t->wall_ns = end > st->first_ns ? end - st->first_ns : 0;
	t->cpu_ns = st->cpu_ns;
	if (st->state != TS_DEAD && add_held(s, r, st))
		return -ENOMEM;
	if (st->state == TS_RUNNING) {
		t->cpu_ns += end - st->last_ns;
		return add_running_span_cpu(s, r, st, end - st->last_ns);
	} else if (st->state == TS_BLOCKED && st->wake_ns)
		return close_woken(s, r, st, end);
	else if (st->state != TS_DEAD)
		return close_wait(s, r->nsorted, &r->wait_cap, &st->open, end - st->last_ns);
	return 0;
}

static int read_waits_and_threads(const struct kernel_maps *maps, pid_t pid, struct snapshot *s)
{
	struct reader r = { .s = s, .pid = pid, .span_cap = s->nspan_cpu, .nspan_sorted = s->nspan_cpu };
	int err = map_for_each(maps->offcpu_fd, sizeof(struct offcpu_key), sizeof(struct offcpu_val), add_wait, &r);

	if (err)
		return err;
	if (s->nwaits)
		qsort(s->waits, s->nwaits, sizeof(*s->waits), cmp_wait);
	r.nsorted = s->nwaits;
	err = map_for_each(maps->threads_fd, sizeof(__u32), sizeof(struct thread_stats), add_thread, &r);
	if (s->nthreads)
		qsort(s->threads, s->nthreads, sizeof(*s->threads), cmp_thread);
	if (s->nwaits)	/* with the appended ones */
		qsort(s->waits, s->nwaits, sizeof(*s->waits), cmp_wait);
	if (s->nspan_cpu)
		qsort(s->span_cpu, s->nspan_cpu, sizeof(*s->span_cpu), cmp_span_cpu);
	if (s->nheld)
		qsort(s->held, s->nheld, sizeof(*s->held), cmp_u32);
	return err;
}

static int add_span_cpu(const void *key, const void *value, void *ctx)
{
	struct reader *r = ctx;

	if (VEC_GROW(r->s->span_cpu, r->s->nspan_cpu, r->cap))
		return -ENOMEM;
	r->s->span_cpu[r->s->nspan_cpu++] = (struct span_cpu){ *(const __u32 *)key, *(const __u64 *)value };
	return 0;
}

static int read_span_cpu(int fd, struct snapshot *s)
{
	struct reader r = { .s = s };
	int err = map_for_each(fd, sizeof(__u32), sizeof(__u64), add_span_cpu, &r);

	if (s->nspan_cpu)
		qsort(s->span_cpu, s->nspan_cpu, sizeof(*s->span_cpu), cmp_span_cpu);
	return err;
}

static int read_counters(int fd, struct snapshot *s)
{
	int ncpus = libbpf_num_possible_cpus();
	uint64_t *vals;

	if (ncpus <= 0)
		return ncpus ?: -EINVAL;
	vals = calloc(ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (__u32 c = 0; c < NR_COUNTERS; c++) {
		if (bpf_map_lookup_elem(fd, &c, vals))
			continue;
		for (int cpu = 0; cpu < ncpus; cpu++)
			s->counters[c] += vals[cpu];
	}
	free(vals);
	return 0;
}

int snapshot__read(const struct kernel_maps *maps, pid_t pid, uint64_t now_ns, struct snapshot *s)
{
	int err;

	memset(s, 0, sizeof(*s));
	s->at_ns = now_ns;
	err = read_samples(maps, pid, s) ?: read_span_cpu(maps->span_cpu_fd, s) ?:
	      read_waits_and_threads(maps, pid, s) ?: read_counters(maps->counters_fd, s);
	if (err)
		snapshot__free(s);
	return err;
}

struct pid_set {
	pid_t *v;
	size_t n, cap;
};

static int add_pid(const void *key, const void *value, void *ctx)
{
	const struct thread_stats *st = value;
	struct pid_set *set = ctx;

	(void)key;
	if (st->state == TS_DEAD)
		return 0;	/* a thread that exited, waiting to be retired, follows nothing */
	for (size_t i = 0; i < set->n; i++)
		if (set->v[i] == (pid_t)st->open.pid)
			return 0;
	if (VEC_GROW(set->v, set->n, set->cap))
		return -ENOMEM;
	set->v[set->n++] = st->open.pid;
	return 0;
}

ssize_t snapshot__pids(const struct kernel_maps *maps, pid_t **pids)
{
	struct pid_set set = {};
	int err = map_for_each(maps->threads_fd, sizeof(__u32), sizeof(struct thread_stats), add_pid, &set);

	if (err) {
		free(set.v);
		return err;
	}
	*pids = set.v;
	return set.n;
}

static void delete_keys(int fd, const void *keys, size_t key_size, __u32 n);

static int exited_before(const void *key, const void *value, void *ctx)
{
	const struct thread_stats *st = value;

	(void)key;
	return st->state == TS_DEAD && st->last_ns < *(const uint64_t *)ctx;	/* 1 stops the walk */
}

int snapshot__any_exited(const struct kernel_maps *maps, uint64_t before_ns)
{
	return map_for_each(maps->threads_fd, sizeof(__u32), sizeof(struct thread_stats), exited_before, &before_ns);
}

/* A thread by (tid, pid): the owner of the samples and waits that carry both. */
struct owner {
	uint32_t tid, pid;
};

static int cmp_owner(const void *a, const void *b)
{
	const struct owner *x = a, *y = b;

	if (x->tid != y->tid)
		return (x->tid > y->tid) - (x->tid < y->tid);
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static bool owned(const struct owner *v, size_t n, uint32_t pid, uint32_t tid)
{
	struct owner key = { tid, pid };

	return n && bsearch(&key, v, n, sizeof(key), cmp_owner);
}

/*
 * Splits arr[0..n), order kept: the entries e for which pred(e) holds are copied to a new array
 * taken (ntaken of them; NULL when none), the others stay at the front (n of them after).
 */
#define TAKE_IF(arr, n, taken, ntaken, pred)                                                    \
	({                                                                                      \
		size_t __kept = 0, __k = 0;                                                     \
		int __err = 0;                                                                  \
		for (size_t i = 0; i < (n); i++)                                                \
			__k += pred((arr)[i]);                                                  \
		(taken) = __k ? malloc(__k * sizeof(*(arr))) : NULL;                            \
		(ntaken) = 0;                                                                   \
		if (__k && !(taken))                                                            \
			__err = -ENOMEM;                                                        \
		for (size_t i = 0; !__err && __k && i < (n); i++) {                             \
			if (pred((arr)[i]))                                                     \
				(taken)[(ntaken)++] = (arr)[i];                                 \
			else                                                                    \
				(arr)[__kept++] = (arr)[i];                                     \
		}                                                                               \
		if (!__err && __k)                                                              \
			(n) = __kept;                                                           \
		__err;                                                                          \
	})

#define KEY_OWNED(e) owned(owners, nowners, (e).key.pid, (e).key.tid)
#define THREAD_OWNED(e) owned(owners, nowners, (e).pid, (e).tid)

static int take(struct snapshot *s, const struct owner *owners, size_t nowners, struct snapshot *out)
{
	int err;

	memset(out, 0, sizeof(*out));
	out->at_ns = s->at_ns;
	if (!nowners)
		return 0;
	err = TAKE_IF(s->samples, s->nsamples, out->samples, out->nsamples, KEY_OWNED);
	err = err ?: TAKE_IF(s->waits, s->nwaits, out->waits, out->nwaits, KEY_OWNED);
	err = err ?: TAKE_IF(s->threads, s->nthreads, out->threads, out->nthreads, THREAD_OWNED);
	if (err) {
		snapshot__merge(s, out);	/* puts back what was taken, as far as memory allows */
		snapshot__free(out);
	}
	return err;
}

int snapshot__take_exited(struct snapshot *s, uint64_t before_ns, struct snapshot *out)
{
	struct owner *owners = malloc((s->nthreads ?: 1) * sizeof(*owners));
	size_t n = 0;
	int err;

	if (!owners)
		return -ENOMEM;
	for (size_t i = 0; i < s->nthreads; i++)
		if (s->threads[i].exited && s->threads[i].exit_ns < before_ns)
			owners[n++] = (struct owner){ s->threads[i].tid, s->threads[i].pid };
	if (n)
		qsort(owners, n, sizeof(*owners), cmp_owner);
	err = take(s, owners, n, out);
	free(owners);
	return err;
}

int snapshot__take_owned(struct snapshot *s, const struct snapshot *who, struct snapshot *out)
{
	struct owner *owners = malloc((who->nthreads ?: 1) * sizeof(*owners));
	int err;

	if (!owners)
		return -ENOMEM;
	for (size_t i = 0; i < who->nthreads; i++)
		owners[i] = (struct owner){ who->threads[i].tid, who->threads[i].pid };
	if (who->nthreads)
		qsort(owners, who->nthreads, sizeof(*owners), cmp_owner);
	err = take(s, owners, who->nthreads, out);
	free(owners);
	return err;
}

/*
 * Merges the sorted arrays a[0..na) and b[0..nb) into a (reallocated), sorted; equal keys (by
 * cmp) are combined by sum(into, from) when combine, kept side by side otherwise.
 */
#define MERGE(a, na, b, nb, cmp, combine, sum)                                                 \
	({                                                                                     \
		__typeof__(a) __m = (nb) ? malloc(((na) + (nb)) * sizeof(*(a))) : NULL;        \
		size_t __i = 0, __j = 0, __n = 0;                                              \
		int __err = (nb) && !__m ? -ENOMEM : 0;                                        \
		while (!__err && (nb) && (__i < (na) || __j < (nb))) {                          \
			int __c = __i == (na) ? 1 : __j == (nb) ? -1 : cmp(&(a)[__i], &(b)[__j]); \
			if (__c < 0) {                                                         \
				__m[__n++] = (a)[__i++];                                       \
			} else if (__c > 0 || !(combine)) {                                    \
				__m[__n++] = (b)[__j++];                                       \
			} else {                                                               \
				__m[__n] = (a)[__i++];                                         \
				sum(&__m[__n], &(b)[__j++]);                                   \
				__n++;                                                         \
			}                                                                      \
		}                                                                              \
		if (!__err && (nb)) {                                                          \
			free(a);                                                               \
			(a) = __m;                                                             \
			(na) = __n;                                                            \
		}                                                                              \
		__err;                                                                         \
	})

static void sum_sample(struct snap_sample *into, const struct snap_sample *from)
{
	into->count += from->count;
}

static void sum_wait(struct snap_wait *into, const struct snap_wait *from)
{
	into->val.ns += from->val.ns;
	into->val.count += from->val.count;
}

static void sum_span_cpu(struct span_cpu *into, const struct span_cpu *from)
{
	into->ns += from->ns;
}

static void no_sum(struct snap_thread *into, const struct snap_thread *from)
{
	(void)into;
	(void)from;
}

int snapshot__merge(struct snapshot *into, const struct snapshot *add)
{
	return MERGE(into->samples, into->nsamples, add->samples, add->nsamples, cmp_sample, true, sum_sample) ?:
	       MERGE(into->waits, into->nwaits, add->waits, add->nwaits, cmp_wait, true, sum_wait) ?:
	       MERGE(into->threads, into->nthreads, add->threads, add->nthreads, cmp_thread, false, no_sum) ?:
	       MERGE(into->span_cpu, into->nspan_cpu, add->span_cpu, add->nspan_cpu, cmp_span_cpu, true, sum_span_cpu);
}

/* Deletes the keys of n entries of arr (a key field each) from the map: in one call if memory allows. */
#define DELETE_KEYS(fd, arr, n)                                                                 \
	({                                                                                      \
		__typeof__((arr)[0].key) *__keys = malloc(((n) ?: 1) * sizeof(*__keys));       \
		for (size_t i = 0; __keys && i < (n); i++)                                      \
			__keys[i] = (arr)[i].key;                                               \
		if (__keys)                                                                     \
			delete_keys((fd), __keys, sizeof(*__keys), (n));                        \
		for (size_t i = 0; !__keys && i < (n); i++)                                     \
			bpf_map_delete_elem((fd), &(arr)[i].key);                               \
		free(__keys);                                                                   \
	})

void snapshot__delete(const struct snapshot *gone, const struct kernel_maps *maps)
{

	for (size_t i = 0; i < gone->nthreads; i++) {
		const struct snap_thread *t = &gone->threads[i];
		struct thread_stats st;

		/* a hash map entry read and deleted in one step: a new thread's is put back */
		if (!bpf_map_lookup_and_delete_elem(maps->threads_fd, &t->tid, &st) &&
		    (st.state != TS_DEAD || st.first_ns != t->first_ns))
			bpf_map_update_elem(maps->threads_fd, &t->tid, &st, BPF_NOEXIST);
	}
	/* each key kept in userspace must leave the map, or the next snapshot counts it twice */
	DELETE_KEYS(maps->samples_fd, gone->samples, gone->nsamples);
	DELETE_KEYS(maps->offcpu_fd, gone->waits, gone->nwaits);
	for (size_t i = 0; i < gone->nspan_cpu; i++)
		bpf_map_delete_elem(maps->span_cpu_fd, &gone->span_cpu[i].seq);
}

void snapshot__free(struct snapshot *s)
{
	free(s->samples);
	free(s->waits);
	free(s->threads);
	free(s->span_cpu);
	free(s->held);
	memset(s, 0, sizeof(*s));
}

static int add(struct sample_set *set, struct stack_cache *stacks, struct py_stacks *py, struct sample *s,
	       __s32 user_id, __s32 kern_id, __u32 py_id)
{
	const uint64_t *user = NULL, *kern = NULL;
	size_t nuser = stack_cache__get(stacks, user_id, &user), nkern = stack_cache__get(stacks, kern_id, &kern);
	const struct py_stack *ps = py ? py_stacks__get(py, py_id) : NULL;

	if (ps) {
		s->py = (struct py_frame *)ps->frames;	/* profile__add copies them */
		s->npy = ps->nframes;
		s->py_flags = ps->flags;
	}

	s->user_err = user_id < 0 ? user_id : 0;
	s->kern_err = kern_id < 0 ? kern_id : 0;
	return profile__add(set, s, user, nuser, kern, nkern);
}

/*
 * cur - prev, never below zero: a map entry read while the kernel updates it, or a wait whose
 * key gained its waker after an earlier snapshot counted part of it, must not wrap around.
 */
static uint64_t delta(uint64_t cur, uint64_t prev)
{
	return cur > prev ? cur - prev : 0;
}

int snapshot__diff(const struct snapshot *cur, const struct snapshot *prev, struct stack_cache *stacks,
		   struct py_stacks *py, struct profile *prof)
{
	int err;

	for (size_t i = 0; i < cur->nsamples; i++) {
		const struct snap_sample *c = &cur->samples[i], *p = NULL;
		struct sample s = { .category = CAT_CPU, .pid = c->key.pid, .tid = c->key.tid, .gen = c->key.gen,
				    .span = c->key.span };

		if (prev && prev->nsamples)
			p = bsearch(c, prev->samples, prev->nsamples, sizeof(*c), cmp_sample);
		s.count = delta(c->count, p ? p->count : 0);
		if (!s.count)
			continue;
		memcpy(s.comm, c->key.comm, sizeof(s.comm));
		err = add(&prof->oncpu, stacks, py, &s, c->key.user_stack_id, c->key.kern_stack_id, c->key.py_stack_id);
		if (err)
			return err;
	}
	for (size_t i = 0; i < cur->nwaits; i++) {
		const struct snap_wait *c = &cur->waits[i], *p = NULL;
		struct sample s = {
			.pid = c->key.pid,
			.tid = c->key.tid,
			.gen = c->key.gen,
			.category = classify_wait(&c->key.wait),
			.wait = c->key.wait,
			.waker_tid = c->key.waker_tid,
			.span = c->key.span,
			.peer = c->key.peer,
		};

		if (prev && prev->nwaits)
			p = bsearch(c, prev->waits, prev->nwaits, sizeof(*c), cmp_wait);
		s.count = delta(c->val.ns, p ? p->val.ns : 0);
		s.intervals = delta(c->val.count, p ? p->val.count : 0);
		if (!s.count)
			continue;
		memcpy(s.comm, c->key.comm, sizeof(s.comm));
		err = add(&prof->offcpu, stacks, py, &s, c->key.user_stack_id, c->key.kern_stack_id, c->key.py_stack_id);
		if (err)
			return err;
	}
	for (size_t i = 0; i < cur->nthreads; i++) {
		const struct snap_thread *c = &cur->threads[i], *p = NULL;
		struct thread_info *t;

		if (prev && prev->nthreads)
			p = bsearch(c, prev->threads, prev->nthreads, sizeof(*c), cmp_thread);
		if (p && p->exited)
			continue;	/* gone before this interval */
		t = profile__thread(prof, c->tid);
		if (!t)
			return -ENOMEM;
		memcpy(t->comm, c->comm, sizeof(t->comm));
		t->pid = c->pid;
		t->exited = c->exited;
		/* += : a tid that a later thread took again (a child on a reused PID) holds both lives */
		t->wall_ns += delta(c->wall_ns, p ? p->wall_ns : 0);
		t->ns[CAT_CPU] += delta(c->cpu_ns, p ? p->cpu_ns : 0);
	}
	for (size_t i = 0; i < cur->nspan_cpu; i++) {
		const struct span_cpu *c = &cur->span_cpu[i], *p = NULL;
		uint64_t ns;

		if (prev && prev->nspan_cpu)
			p = bsearch(c, prev->span_cpu, prev->nspan_cpu, sizeof(*c), cmp_span_cpu);
		ns = delta(c->ns, p ? p->ns : 0);
		if (ns && (err = profile__add_span_cpu(prof, c->seq, ns)))
			return err;
	}
	for (int c = 0; c < NR_COUNTERS; c++)
		prof->counters[c] = delta(cur->counters[c], prev ? prev->counters[c] : 0);
	prof->window_start_ns = prev ? prev->at_ns : 0;
	prof->window_end_ns = cur->at_ns;
	return 0;
}

/* A span that ended before before_ns: its entries will not change any more. */
static bool span_done(const struct span_table *t, uint32_t seq, uint64_t before_ns)
{
	const struct span_rec *r = span_table__get(t, seq);

	return seq && r && r->ended && r->end_ns < before_ns;
}

/* Deletes keys[0..n) from the map, in one call where the kernel can. */
static void delete_keys(int fd, const void *keys, size_t key_size, __u32 n)
{
	__u32 count = n;

	if (!n || bpf_map_delete_batch(fd, keys, &count, NULL) == 0)
		return;
	for (__u32 i = 0; i < n; i++)
		bpf_map_delete_elem(fd, (const char *)keys + i * key_size);
}

static bool held(const struct snapshot *s, uint32_t seq)
{
	return s->nheld && bsearch(&seq, s->held, s->nheld, sizeof(seq), cmp_u32);
}

#define SAMPLE_DONE(e) (span_done(spans, (e).key.span, before_ns) && !held(s, (e).key.span))
#define SPAN_CPU_DONE(e) (span_done(spans, (e).seq, before_ns) && !held(s, (e).seq))

int snapshot__take_spans(struct snapshot *s, const struct span_table *spans, uint64_t before_ns, struct snapshot *out)
{
	int err;

	memset(out, 0, sizeof(*out));
	out->at_ns = s->at_ns;
	err = TAKE_IF(s->samples, s->nsamples, out->samples, out->nsamples, SAMPLE_DONE);
	err = err ?: TAKE_IF(s->waits, s->nwaits, out->waits, out->nwaits, SAMPLE_DONE);
	err = err ?: TAKE_IF(s->span_cpu, s->nspan_cpu, out->span_cpu, out->nspan_cpu, SPAN_CPU_DONE);
	if (err) {
		snapshot__merge(s, out);	/* puts back what was taken, as far as memory allows */
		snapshot__free(out);
	}
	return err;
}
