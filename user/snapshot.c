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
#include "snapshot.h"

#define GROW(arr, n, cap)                                                          \
	({                                                                         \
		int __err = 0;                                                     \
		if ((n) == (cap)) {                                                \
			size_t __cap = (cap) ? (cap) * 2 : 256;                    \
			void *__p = realloc((arr), __cap * sizeof(*(arr)));        \
			if (__p) {                                                 \
				(arr) = __p;                                       \
				(cap) = __cap;                                     \
			} else {                                                   \
				__err = -ENOMEM;                                   \
			}                                                          \
		}                                                                  \
		__err;                                                             \
	})

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

static int cmp_thread(const void *a, const void *b)
{
	uint32_t x = ((const struct snap_thread *)a)->tid, y = ((const struct snap_thread *)b)->tid;

	return (x > y) - (x < y);
}

static int read_samples(const struct kernel_maps *maps, pid_t pid, struct snapshot *s)
{
	struct sample_key key, next, *prev = NULL;
	size_t cap = 0;
	uint64_t count;

	while (bpf_map_get_next_key(maps->samples_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(maps->samples_fd, &key, &count) || key.pid != (__u32)pid)
			continue;
		if (GROW(s->samples, s->nsamples, cap))
			return -ENOMEM;
		s->samples[s->nsamples++] = (struct snap_sample){ key, count };
	}
	qsort(s->samples, s->nsamples, sizeof(*s->samples), cmp_sample);
	return 0;
}

static int read_waits(const struct kernel_maps *maps, pid_t pid, struct snapshot *s, size_t *cap)
{
	struct offcpu_key key, next, *prev = NULL;
	struct offcpu_val val;

	while (bpf_map_get_next_key(maps->offcpu_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(maps->offcpu_fd, &key, &val) || key.pid != (__u32)pid)
			continue;
		if (GROW(s->waits, s->nwaits, *cap))
			return -ENOMEM;
		s->waits[s->nwaits++] = (struct snap_wait){ key, val };
	}
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

	w = bsearch(&probe, s->waits, nsorted, sizeof(probe), cmp_wait);
	if (w) {
		w->val.ns += ns;
		return 0;
	}
	if (GROW(s->waits, s->nwaits, *cap))
		return -ENOMEM;
	probe.val.ns = ns;
	s->waits[s->nwaits++] = probe;
	return 0;
}

static int read_threads(const struct kernel_maps *maps, struct snapshot *s, size_t *wait_cap)
{
	__u32 tid, next, *prev = NULL;
	size_t cap = 0, nsorted = s->nwaits;
	struct thread_stats st;
	int err;

	qsort(s->waits, s->nwaits, sizeof(*s->waits), cmp_wait);
	while (bpf_map_get_next_key(maps->threads_fd, prev, &next) == 0) {
		struct snap_thread *t;
		uint64_t end;

		tid = next;
		prev = &tid;
		if (bpf_map_lookup_elem(maps->threads_fd, &tid, &st))
			continue;
		if (GROW(s->threads, s->nthreads, cap))
			return -ENOMEM;
		t = &s->threads[s->nthreads++];
		memset(t, 0, sizeof(*t));
		t->tid = tid;
		memcpy(t->comm, st.open.comm, sizeof(t->comm));
		t->comm[sizeof(t->comm) - 1] = '\0';
		t->exited = st.state == TS_DEAD;
		/*
		 * Close the state the thread is in at the snapshot's time; one that changed state
		 * since (the maps are read while programs run) is accounted up to that change.
		 */
		end = t->exited || st.last_ns > s->at_ns ? st.last_ns : s->at_ns;
		t->wall_ns = end > st.first_ns ? end - st.first_ns : 0;
		t->cpu_ns = st.cpu_ns;
		if (st.state == TS_RUNNING) {
			t->cpu_ns += end - st.last_ns;
		} else if (st.state != TS_DEAD) {
			err = close_wait(s, nsorted, wait_cap, &st.open, end - st.last_ns);
			if (err)
				return err;
		}
	}
	qsort(s->threads, s->nthreads, sizeof(*s->threads), cmp_thread);
	return 0;
}

static int read_span_cpu(int fd, struct snapshot *s)
{
	__u32 seq, next, *prev = NULL;
	size_t cap = 0;
	__u64 ns;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		seq = next;
		prev = &seq;
		if (bpf_map_lookup_elem(fd, &seq, &ns))
			continue;
		if (GROW(s->span_cpu, s->nspan_cpu, cap))
			return -ENOMEM;
		s->span_cpu[s->nspan_cpu++] = (struct span_cpu){ seq, ns };
	}
	qsort(s->span_cpu, s->nspan_cpu, sizeof(*s->span_cpu), cmp_span_cpu);
	return 0;
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
	size_t wait_cap = 0;
	int err;

	memset(s, 0, sizeof(*s));
	s->at_ns = now_ns;
	err = read_samples(maps, pid, s) ?: read_waits(maps, pid, s, &wait_cap) ?:
	      read_threads(maps, s, &wait_cap) ?: read_span_cpu(maps->span_cpu_fd, s) ?:
	      read_counters(maps->counters_fd, s);
	if (err) {
		snapshot__free(s);
		return err;
	}
	qsort(s->waits, s->nwaits, sizeof(*s->waits), cmp_wait);
	return 0;
}

void snapshot__free(struct snapshot *s)
{
	free(s->samples);
	free(s->waits);
	free(s->threads);
	free(s->span_cpu);
	memset(s, 0, sizeof(*s));
}

struct stacks {
	uint64_t user[MAX_STACK_DEPTH], kern[MAX_STACK_DEPTH];
};

/* Reads stack id into ips (leaf first); returns the depth, 0 when the id is an error or gone. */
static size_t read_stack(int fd, __s32 id, uint64_t *ips)
{
	size_t n = 0;

	if (id < 0 || bpf_map_lookup_elem(fd, &id, ips))
		return 0;
	while (n < MAX_STACK_DEPTH && ips[n])
		n++;
	return n;
}

static int add(struct sample_set *set, int stacks_fd, struct sample *s, __s32 user_id, __s32 kern_id)
{
	static struct stacks st;

	s->user_err = user_id < 0 ? user_id : 0;
	s->kern_err = kern_id < 0 ? kern_id : 0;
	return profile__add(set, s, st.user, read_stack(stacks_fd, user_id, st.user), st.kern,
			    read_stack(stacks_fd, kern_id, st.kern));
}

int snapshot__diff(const struct snapshot *cur, const struct snapshot *prev, int stacks_fd, struct profile *prof)
{
	int err;

	for (size_t i = 0; i < cur->nsamples; i++) {
		const struct snap_sample *c = &cur->samples[i], *p = NULL;
		struct sample s = { .category = CAT_CPU, .tid = c->key.tid, .span = c->key.span };

		if (prev)
			p = bsearch(c, prev->samples, prev->nsamples, sizeof(*c), cmp_sample);
		s.count = c->count - (p ? p->count : 0);
		if (!s.count)
			continue;
		memcpy(s.comm, c->key.comm, sizeof(s.comm));
		err = add(&prof->oncpu, stacks_fd, &s, c->key.user_stack_id, c->key.kern_stack_id);
		if (err)
			return err;
	}
	for (size_t i = 0; i < cur->nwaits; i++) {
		const struct snap_wait *c = &cur->waits[i], *p = NULL;
		struct sample s = {
			.tid = c->key.tid,
			.category = classify_wait(&c->key.wait),
			.wait = c->key.wait,
			.waker_tid = c->key.waker_tid,
			.span = c->key.span,
		};

		if (prev)
			p = bsearch(c, prev->waits, prev->nwaits, sizeof(*c), cmp_wait);
		s.count = c->val.ns - (p ? p->val.ns : 0);
		s.intervals = c->val.count - (p ? p->val.count : 0);
		if (!s.count)
			continue;
		memcpy(s.comm, c->key.comm, sizeof(s.comm));
		err = add(&prof->offcpu, stacks_fd, &s, c->key.user_stack_id, c->key.kern_stack_id);
		if (err)
			return err;
	}
	for (size_t i = 0; i < cur->nthreads; i++) {
		const struct snap_thread *c = &cur->threads[i], *p = NULL;
		struct thread_info *t;

		if (prev)
			p = bsearch(c, prev->threads, prev->nthreads, sizeof(*c), cmp_thread);
		if (p && p->exited)
			continue;	/* gone before this interval */
		t = profile__thread(prof, c->tid);
		if (!t)
			return -ENOMEM;
		memcpy(t->comm, c->comm, sizeof(t->comm));
		t->exited = c->exited;
		t->wall_ns = c->wall_ns - (p ? p->wall_ns : 0);
		t->ns[CAT_CPU] = c->cpu_ns - (p ? p->cpu_ns : 0);
	}
	for (size_t i = 0; i < cur->nspan_cpu; i++) {
		const struct span_cpu *c = &cur->span_cpu[i], *p = NULL;
		uint64_t ns;

		if (prev)
			p = bsearch(c, prev->span_cpu, prev->nspan_cpu, sizeof(*c), cmp_span_cpu);
		ns = c->ns - (p ? p->ns : 0);
		if (ns && (err = profile__add_span_cpu(prof, c->seq, ns)))
			return err;
	}
	for (int c = 0; c < NR_COUNTERS; c++)
		prof->counters[c] = cur->counters[c] - (prev ? prev->counters[c] : 0);
	prof->window_start_ns = prev ? prev->at_ns : 0;
	prof->window_end_ns = cur->at_ns;
	return 0;
}
