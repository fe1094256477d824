// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* --memory seen from userspace: memory events into the ledger, RSS once a second, both into the profile. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "base/log.h"
#include "base/vec.h"
#include "capture/memory.h"
#include "capture/pystacks.h"
#include "capture/stackcache.h"
#include "model/memledger.h"
#include "target/procfs.h"

struct mem_capture {
	struct ring_buffer *rb;
	struct mem_ledger *ledger;
	struct rss_point *rss;
	size_t nrss;
	uint64_t lost;		/* events the ledger had no memory for */
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct mem_capture *m = ctx;

	if (size < sizeof(struct mem_event))
		return 0;
	if (mem_ledger__add(m->ledger, data))
		m->lost++;
	return 0;
}

struct mem_capture *mem_capture__new(int ring_fd)
{
	struct mem_capture *m = calloc(1, sizeof(*m));
	int err = -ENOMEM;

	if (!m || !(m->ledger = mem_ledger__new()))
		goto fail;
	m->rb = ring_buffer__new(ring_fd, on_event, m, NULL);
	if (!m->rb) {
		err = -errno;
		pr_warn("memory ring buffer: %s\n", strerror(-err));
		goto fail;
	}
	return m;
fail:
	mem_capture__free(m);
	errno = -err;
	return NULL;
}

void mem_capture__drain(struct mem_capture *m)
{
	if (m)
		ring_buffer__consume(m->rb);
}

void mem_capture__sample_rss(struct mem_capture *m, const pid_t *pids, size_t n, uint64_t at_ns)
{
	unsigned long long sum = 0, bytes;
	size_t seen = 0;

	if (!m)
		return;
	for (size_t i = 0; i < n; i++)
		if (!proc_rss(pids[i], &bytes)) {
			sum += bytes;
			seen++;
		}
	if (seen && !VEC_GROW_N(m->rss, m->nrss))	/* no process left: no point, rather than a false 0 */
		m->rss[m->nrss++] = (struct rss_point){ at_ns, sum };
}

int mem_capture__profile(struct mem_capture *m, struct stack_cache *stacks, struct py_stacks *py,
			 struct profile *prof)
{
	const struct mem_account *acc;
	size_t n;
	int err = 0;

	prof->memory = true;
	mem_capture__drain(m);
	if (m->lost)
		pr_warn("memory: %llu events lost (out of memory): growth may be missing\n", (unsigned long long)m->lost);
	acc = mem_ledger__accounts(m->ledger, &n);
	for (size_t i = 0; i < n && !err; i++) {
		const struct sample_key *k = &acc[i].key;
		const struct py_stack *ps = py ? py_stacks__get(py, k->py_stack_id) : NULL;
		const uint64_t *user = NULL;
		size_t nuser = stack_cache__get(stacks, k->user_stack_id, &user);
		struct sample s = {
			.pid = k->pid, .tid = k->tid, .gen = k->gen, .span = k->span, .category = CAT_CPU,
			.mem = { acc[i].mapped, acc[i].unmapped, acc[i].faulted, acc[i].released },
			.grew_first_ns = acc[i].first_ns, .grew_last_ns = acc[i].last_ns,
			.user_err = k->user_stack_id < 0 ? k->user_stack_id : 0,
			.kern_err = -EFAULT,	/* no kernel frames: who wanted the memory is in user code */
		};

		s.count = mem_kept(&s.mem);
		memcpy(s.comm, k->comm, sizeof(s.comm));
		if (ps) {
			s.py = (struct py_frame *)ps->frames;	/* profile__add copies them */
			s.npy = ps->nframes;
			s.py_flags = ps->flags;
		}
		err = profile__add(&prof->mem, &s, user, nuser, NULL, 0);
	}
	prof->mem_unknown_released = mem_ledger__unknown_released(m->ledger);
	for (size_t i = 0; i < m->nrss && !err; i++)
		err = profile__add_rss(prof, m->rss[i].at_ns, m->rss[i].bytes);
	return err;
}

void mem_capture__free(struct mem_capture *m)
{
	if (!m)
		return;
	ring_buffer__free(m->rb);
	mem_ledger__free(m->ledger);
	free(m->rss);
	free(m);
}
