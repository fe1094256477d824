// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Drains what the kernel aggregated (samples, waits, per-thread state, counters) into the model. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "collect.h"
#include "log.h"

struct stacks {
	uint64_t user[MAX_STACK_DEPTH], kern[MAX_STACK_DEPTH];
	size_t nuser, nkern;
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
	st.nuser = read_stack(stacks_fd, user_id, st.user);
	st.nkern = read_stack(stacks_fd, kern_id, st.kern);
	return profile__add(set, s, st.user, st.nuser, st.kern, st.nkern);
}

static int collect_oncpu(const struct kernel_maps *maps, struct profile *prof)
{
	struct sample_key key, next, *prev = NULL;
	uint64_t count;
	int err;

	while (bpf_map_get_next_key(maps->samples_fd, prev, &next) == 0) {
		struct sample s = { .category = CAT_CPU };

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(maps->samples_fd, &key, &count) || key.pid != (__u32)prof->pid)
			continue;
		s.tid = key.tid;
		s.count = count;
		memcpy(s.comm, key.comm, sizeof(s.comm));
		err = add(&prof->oncpu, maps->stacks_fd, &s, key.user_stack_id, key.kern_stack_id);
		if (err)
			return err;
	}
	return 0;
}

static int add_wait(struct profile *prof, int stacks_fd, const struct offcpu_key *key, uint64_t ns,
		    uint64_t intervals)
{
	struct sample s = {
		.tid = key->tid,
		.count = ns,
		.intervals = intervals,
		.category = classify_wait(&key->wait),
		.wait = key->wait,
		.waker_tid = key->waker_tid,
	};

	memcpy(s.comm, key->comm, sizeof(s.comm));
	return add(&prof->offcpu, stacks_fd, &s, key->user_stack_id, key->kern_stack_id);
}

static int collect_offcpu(const struct kernel_maps *maps, struct profile *prof)
{
	struct offcpu_key key, next, *prev = NULL;
	struct offcpu_val val;
	int err;

	while (bpf_map_get_next_key(maps->offcpu_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(maps->offcpu_fd, &key, &val) || key.pid != (__u32)prof->pid)
			continue;
		err = add_wait(prof, maps->stacks_fd, &key, val.ns, val.count);
		if (err)
			return err;
	}
	return 0;
}

/* Per-thread CPU time and wall time, closing each thread's state at end_ns. */
static int collect_threads(const struct kernel_maps *maps, uint64_t end_ns, struct profile *prof)
{
	__u32 tid, next, *prev = NULL;
	struct thread_stats st;
	int err;

	while (bpf_map_get_next_key(maps->threads_fd, prev, &next) == 0) {
		struct thread_info *t;
		uint64_t end;

		tid = next;
		prev = &tid;
		if (bpf_map_lookup_elem(maps->threads_fd, &tid, &st) || st.last_ns > end_ns)
			continue;
		t = profile__thread(prof, tid);
		if (!t)
			return -ENOMEM;
		memcpy(t->comm, st.open.comm, sizeof(t->comm));
		t->comm[sizeof(t->comm) - 1] = '\0';
		t->exited = st.state == TS_DEAD;
		end = t->exited ? st.last_ns : end_ns;
		t->wall_ns = end > st.first_ns ? end - st.first_ns : 0;
		t->ns[CAT_CPU] = st.cpu_ns;
		if (st.state == TS_RUNNING) {
			t->ns[CAT_CPU] += end_ns - st.last_ns;
		} else if (st.state != TS_DEAD) {
			err = add_wait(prof, maps->stacks_fd, &st.open, end_ns - st.last_ns, 1);
			if (err)
				return err;
		}
	}
	return 0;
}

static int read_counters(int fd, struct profile *prof)
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
			prof->counters[c] += vals[cpu];
	}
	free(vals);
	return 0;
}

int collect(const struct kernel_maps *maps, uint64_t end_ns, struct profile *prof)
{
	int err;

	err = collect_oncpu(maps, prof) ?: collect_offcpu(maps, prof) ?:
	      collect_threads(maps, end_ns, prof) ?: read_counters(maps->counters_fd, prof);
	if (!err)
		profile__finish(prof);
	return err;
}
