// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Interpreter frames (Python, Ruby) of the threads blocked when recording starts: seed_threads
 * (offcpu.bpf.c) can take no stack of a thread that is not running, but a sleepable iterator can
 * read its memory (bpf_copy_from_user_task), and so its interpreter's frames. Run once after
 * seed_threads; loaded only for a Python or Ruby target.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "maps.bpf.h"
#include "interp.bpf.h"

SEC("iter.s/task")
int seed_py_stacks(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task;
	struct thread_stats *s;
	__u32 tid, id;

	if (!t || !is_target(t->tgid, t))
		return 0;
	tid = t->pid;
	s = bpf_map_lookup_elem(&threads, &tid);
	if (!s || s->state != TS_BLOCKED || !(s->open.wait.flags & WAIT_SEEDED))
		return 0;
	id = interp_stack_id_of(PY_SLOT_SEED, t->tgid, tid, t);
	/* still the wait seed_threads found: one that ended meanwhile took its own stacks */
	if (s->state == TS_BLOCKED && (s->open.wait.flags & WAIT_SEEDED))
		s->open.py_stack_id = id;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
