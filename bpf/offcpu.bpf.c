// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Off-CPU time: a state machine per thread driven by sched_switch / sched_waking /
 * sched_wakeup_new, so that every ns of a thread is either on CPU or in one wait, aggregated in
 * the kernel by (thread, stacks, waker, wait signature) with weight = ns. A task iterator seeds
 * the state of the threads that exist when recording starts. tp_btf programs, with raw_tp twins
 * for kernels without BTF-typed tracepoints (the loader switches the unneeded set off).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "maps.bpf.h"
#include "stacks.bpf.h"
#include "interp.bpf.h"
#include "task.bpf.h"
#include "ustack.bpf.h"
#include "sites.bpf.h"

#define TASK_RUNNING	0
#define TASK_DEAD	0x80

/*
 * A task_struct field: a plain load through a tp_btf argument (a BTF pointer the verifier
 * guards), bpf_probe_read_kernel through a raw_tp one (a plain number). btf is a constant at
 * every call site, so each program keeps one branch.
 */
#define TASK_FIELD(btf, t, f) ((btf) ? (t)->f : BPF_CORE_READ(t, f))

/*
 * Closes whatever the thread was doing until now. Its CPU goes to its innermost span: on an event
 * loop, whose requests are off its stack, to none (a loop's requests are split from their span
 * events' stamps, user/model/loopspans.c). current_span() here took sched_switch past the
 * verifier's 1M instructions with every option on.
 */
static __always_inline void close_state(struct thread_stats *s, __u64 now)
{
	if (now < s->last_ns)
		return;	/* seeded by the iterator after this event read the clock */
	if (s->state == TS_RUNNING) {
		s->cpu_ns += now - s->last_ns;
		add_span_cpu(active_span(s), now - s->last_ns);
	} else if (s->state == TS_RUNNABLE || s->state == TS_BLOCKED)
		add_offcpu(&s->open, now - s->last_ns);
	s->last_ns = now;
}

static __always_inline bool same_wait(const struct wait_sig *a, const struct wait_sig *b)
{
	/* WAIT_GVL is found after this comparison: a futex wait on the GVL or off it, the same stacks */
	return a->syscall == b->syscall && a->fd_kind == b->fd_kind && a->futex_op == b->futex_op &&
	       ((a->flags ^ b->flags) & ~(WAIT_RUNQ | WAIT_GVL)) == 0;
}

/*
 * Generations are numbered across the recording, not per process: userspace retires the entry of
 * a process that exited, and a child that later takes its PID must not get one of its numbers.
 */
__u32 last_gen = 0;

static __always_inline __u32 next_gen(void)
{
	return __sync_fetch_and_add(&last_gen, 1) + 1;
}

/* The generation of a process of the recording (0 when it has no entry). */
static __always_inline __u32 proc_gen(__u32 tgid)
{
	struct proc_info *p = bpf_map_lookup_elem(&procs, &tgid);

	return p ? p->gen : 0;
}

static __always_inline void new_thread(struct task_struct *t, __u32 state, struct wait_sig *w,
				       struct net_peer *peer, __u64 now, bool seeded)
{
	__u32 tgid = BPF_CORE_READ(t, tgid);
	struct thread_stats s = {
		.first_ns = now,
		.last_ns = now,
		.state = state,
		.open = {
			.pid = tgid,
			.tid = BPF_CORE_READ(t, pid),
			.user_stack_id = NO_STACK,
			.kern_stack_id = NO_STACK,
			.waker_stack_id = NO_STACK,
			.gen = proc_gen(tgid),
		},
	};

	if (w)
		s.open.wait = *w;
	if (peer)
		s.open.peer = *peer;
	if (seeded)
		s.open.wait.flags |= WAIT_SEEDED;
	bpf_probe_read_kernel_str(s.open.comm, sizeof(s.open.comm), &t->comm);
	/* a new thread may reuse the tid of one that died in this recording: it starts afresh */
	if (bpf_map_update_elem(&threads, &s.open.tid, &s, seeded ? BPF_NOEXIST : BPF_ANY) == -E2BIG)
		count(CNT_THREAD_MAP_FULL);
}

/*
 * The kernel and user stacks of the thread switching out (current) in wait w, into s->open. A
 * blocked thread's are its place's (sites.bpf.h) where it blocked there before; a preempted
 * thread's place changes at every preemption: walked, by frame pointers. Not inlined: the
 * walks' frame is not added to switch_out's, which is near the verifier's 512 bytes.
 */
static __noinline void switch_stacks(void *ctx, struct thread_stats *s, __u32 tid, const struct wait_sig *w,
				     __u64 now)
{
	bool blocked = s->state == TS_BLOCKED;
	__u64 h = blocked ? site_hash(tid, s->open.gen, w) : 0;
	struct block_site *site = h ? bpf_map_lookup_elem(&block_sites, &h) : NULL;
	__s32 user = -1, kern, sent = -1;

	if (site_reuse(site, &s->open.user_stack_id, &s->open.kern_stack_id))
		return;
	if (site)
		sent = site->user_stack_id;	/* DWARF: the copy sent from this place already */
	kern = stack_id(ctx, 0, STACK_SLOT_SWITCH);
	if (blocked && dwarf_user_stacks)
		user = sent >= USER_STACK_TOKEN_BASE ? sent : send_place_stack(s->open.pid, tid, now);
	if (user < 0)
		user = stack_id(ctx, BPF_F_USER_STACK, STACK_SLOT_SWITCH);
	s->open.user_stack_id = user;
	s->open.kern_stack_id = kern;
	site_keep(h, user, kern);
}

/*
 * seed_on_sight: a running thread the scheduler shows for the first time. Not inlined: the
 * switch programs do not carry a thread_stats on their own stack.
 */
static __noinline void seen_thread(struct task_struct *t, __u64 now)
{
	new_thread(t, TS_RUNNING, NULL, NULL, now, false);
}

/*
 * A waking of the wait a thread blocks in can come before its switch-out (on another CPU, once
 * the thread has set its state); one from before the thread last ran (last_ns, before this
 * switch closes it) is of a wait that never blocked, and is forgotten. A waking at this moment
 * wins over the forgetting. Global, so verified once on its own: in switch_out, its branches
 * multiplied what the verifier explores after them.
 */
__noinline int forget_waking(struct thread_stats *s)
{
	__u64 wake;

	if (!s)
		return 0;
	wake = s->wake_ns;
	if (wake && wake < s->last_ns)
		__sync_val_compare_and_swap(&s->wake_ns, wake, 0);
	return 0;
}

static __always_inline void switch_out(void *ctx, bool btf, bool preempt, struct task_struct *prev, __u64 now)
{
	__u32 tid = TASK_FIELD(btf, prev, pid);
	struct thread_stats *s = bpf_map_lookup_elem(&threads, &tid);
	struct wait_sig w = {};
	struct net_peer peer = {};
	struct stack_memo *memo;
	unsigned int state;

	if (!s && seed_on_sight) {
		seen_thread(prev, now);
		s = bpf_map_lookup_elem(&threads, &tid);
	}
	if (!s || s->state == TS_DEAD)
		return;	/* not seeded yet (the iterator will see it), or closed at its exit */
	forget_waking(s);
	close_state(s, now);
	state = TASK_FIELD(btf, prev, __state);
	if (state & TASK_DEAD) {
		s->state = TS_DEAD;
		return;
	}
	if (preempt || state == TASK_RUNNING) {
		w.syscall = -1;
		w.flags = WAIT_RUNQ;
		s->state = TS_RUNNABLE;
	} else {
		/* current is prev at sched_switch: its own registers and memory */
		read_wait_sig(bpf_get_current_task_btf(), true, s->in_klock, &w, &peer);
		s->state = TS_BLOCKED;
	}
	/*
	 * Stacks cost most of this program (two unwinds). A thread that blocks again in the same
	 * wait within STACK_REUSE_US (a request loop, a ping-pong) keeps the stacks it was last
	 * seen with at that kind of switch: its time stays exact per category, its stacks are
	 * sampled at most every STACK_REUSE_US per kind. Past that, a blocked thread's stacks are
	 * those of the place it blocks in, when it blocked there before (switch_stacks).
	 */
	memo = s->state == TS_BLOCKED ? &s->memo[MEMO_BLOCKED] : &s->memo[MEMO_PREEMPTED];
	if (!same_wait(&w, &memo->wait) || now - memo->ns > STACK_REUSE_US * 1000ull) {
		char comm[TASK_COMM_LEN];

		switch_stacks(ctx, s, tid, &w, now);
		s->open.py_stack_id = interp_stack_id(PY_SLOT_OFFCPU);
		memo->ns = now;
		memo->wait = w;
		memo->user_stack_id = s->open.user_stack_id;
		memo->kern_stack_id = s->open.kern_stack_id;
		memo->py_stack_id = s->open.py_stack_id;
		/* two plain stores: a reader of the map never sees the helper's zero-fill half done */
		bpf_get_current_comm(comm, sizeof(comm));
		__builtin_memcpy(s->open.comm, comm, sizeof(comm));
	} else {
		s->open.user_stack_id = memo->user_stack_id;
		s->open.kern_stack_id = memo->kern_stack_id;
		s->open.py_stack_id = memo->py_stack_id;
	}
	/* after the stacks: their walk found the thread's rb_thread_t, if it runs Ruby */
	if (w.syscall == NR_futex && rb_frames) {
		struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

		if (rb_waits_for_gvl(s->open.pid, tid, regs->di))
			w.flags |= WAIT_GVL;
	}
	s->open.wait = w;
	s->open.peer = peer;
	s->open.waker_stack_id = NO_STACK;
	s->open.waker_tid = 0;
	apply_ended_elsewhere(s);
	s->open.span = current_span(s);
}

/*
 * The blocked part of a woken wait, up to at. Global, so verified once on its own: inlined, its
 * branches were explored again after each of switch_out's paths, past the verifier's limit.
 */
__noinline int close_blocked(struct thread_stats *s, __u64 at)
{
	if (!s || at <= s->last_ns)
		return 0;
	add_offcpu(&s->open, at - s->last_ns);
	s->last_ns = at;
	return 0;
}

/*
 * Blocked -> runnable at the time of its waking (s->wake_ns, up to now): the blocked part of the
 * wait is closed, and it waits for a CPU from then on, under the same stacks, in one runq key (not
 * one per peer or waker).
 */
static __always_inline void woken(struct thread_stats *s, __u64 now)
{
	__u64 at = s->wake_ns < now ? s->wake_ns : now;

	s->wake_ns = 0;
	close_blocked(s, at);
	s->open.waker_tid = 0;
	s->open.waker_stack_id = NO_STACK;
	s->open.wait.flags |= WAIT_RUNQ;
	__builtin_memset(&s->open.peer, 0, sizeof(s->open.peer));
	s->state = TS_RUNNABLE;
}

static __always_inline void switch_in(bool btf, struct task_struct *next, __u64 now)
{
	__u32 tid = TASK_FIELD(btf, next, pid);
	struct thread_stats *s = bpf_map_lookup_elem(&threads, &tid);

	if (!s && seed_on_sight) {
		seen_thread(next, now);
		s = bpf_map_lookup_elem(&threads, &tid);
	}
	if (!s || s->state == TS_DEAD)
		return;	/* preempted between its exit and its last switch: it stays dead */
	if (s->state == TS_BLOCKED && s->wake_ns)
		woken(s, now);	/* else its waking went unseen: all of it was blocked */
	/* a runnable thread's wait ends here: runq_ns (span events' stamp) adds up here alone, one branch */
	s->runq_ns += s->state == TS_RUNNABLE && now > s->last_ns ? now - s->last_ns : 0;
	close_state(s, now);
	s->state = TS_RUNNING;
}

static __always_inline int on_switch(void *ctx, bool btf, bool preempt, struct task_struct *prev,
				     struct task_struct *next)
{
	__u64 now;
	bool out = is_target(TASK_FIELD(btf, prev, tgid), prev), in = is_target(TASK_FIELD(btf, next, tgid), next);

	if (!out && !in)
		return 0;
	now = bpf_ktime_get_ns();
	if (out)
		switch_out(ctx, btf, preempt, prev, now);
	if (in)
		switch_in(btf, next, now);
	return 0;
}

/*
 * A blocked thread is woken (sched_waking runs in the waker's context; sched_wakeup may run later,
 * on the wakee's CPU, with anything as current): its wait becomes a wait for a CPU from now on,
 * which its switch-in accounts (woken()), so that sched_wakeup needs no program. The waking can
 * come before the wakee's own sched_switch has seen it block (the waker matches the state the
 * wakee set before it called schedule()): the time is kept for that switch to find (an earlier
 * attempt ended the wait here, and the thread then stayed "blocked" through its runq time: about
 * one run in five of the churn test charged a child wrongly). A thread of the target that
 * releases a lock is its waker, with its stack.
 */
static __always_inline int on_waking(void *ctx, bool btf, struct task_struct *p)
{
	__u64 waker;
	struct thread_stats *s;
	__u32 tid;

	if (!is_target(TASK_FIELD(btf, p, tgid), p))
		return 0;
	tid = TASK_FIELD(btf, p, pid);
	s = bpf_map_lookup_elem(&threads, &tid);
	if (!s || s->state == TS_DEAD || s->state == TS_RUNNABLE)
		return 0;
	s->wake_ns = bpf_ktime_get_ns();
	waker = bpf_get_current_pid_tgid();
	/* who released a lock is worth a stack; who answered a socket is the kernel */
	if (s->state != TS_BLOCKED || (__u32)waker == tid || !is_target(waker >> 32, NULL) ||
	    (s->open.wait.syscall != NR_futex && s->open.wait.syscall != NR_futex_waitv &&
	     !(s->open.wait.flags & WAIT_KLOCK)))
		return 0;
	s->open.waker_tid = (__u32)waker;
	s->open.waker_stack_id = stack_id(ctx, BPF_F_USER_STACK, STACK_SLOT_WAKING);
	return 0;
}

static __always_inline int on_wakeup_new(bool btf, struct task_struct *p)
{
	struct wait_sig w = { .syscall = -1, .flags = WAIT_RUNQ };

	if (is_target(TASK_FIELD(btf, p, tgid), p))
		new_thread(p, TS_RUNNABLE, &w, NULL, bpf_ktime_get_ns(), false);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(ctx, true, preempt, prev, next);
}

SEC("tp_btf/sched_waking")
int BPF_PROG(sched_waking_btf, struct task_struct *p)
{
	return on_waking(ctx, true, p);
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(sched_wakeup_new_btf, struct task_struct *p)
{
	return on_wakeup_new(true, p);
}

SEC("raw_tp/sched_switch")
int BPF_PROG(sched_switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(ctx, false, preempt, prev, next);
}

SEC("raw_tp/sched_waking")
int BPF_PROG(sched_waking_raw, struct task_struct *p)
{
	return on_waking(ctx, false, p);
}

SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(sched_wakeup_new_raw, struct task_struct *p)
{
	return on_wakeup_new(false, p);
}

/*
 * The process execs another binary: a new generation, whose frames are named against the new
 * mappings. Its other threads are gone; the one that exec'd now has the leader's tid.
 */
static __always_inline int on_exec(bool btf, struct task_struct *p, __u32 old_tid)
{
	__u32 tgid = TASK_FIELD(btf, p, tgid), tid = TASK_FIELD(btf, p, pid);
	struct proc_info *info, first = {};
	struct thread_stats *s;
	__u64 now;

	if (!is_target(tgid, p))
		return 0;
	first.gen = next_gen();
	info = bpf_map_lookup_elem(&procs, &tgid);
	if (info) {
		info->gen = first.gen;	/* only this thread is left to run: no other writer */
		info->parent = 0;	/* no longer the image it was forked with */
	} else if (bpf_map_update_elem(&procs, &tgid, &first, BPF_NOEXIST) == -E2BIG) {
		count(CNT_PROC_MAP_FULL);	/* --container: a process first seen exec'ing */
	}
	now = bpf_ktime_get_ns();
	if (old_tid != tid) {
		s = bpf_map_lookup_elem(&threads, &old_tid);
		if (s) {
			close_state(s, now);
			s->state = TS_DEAD;
		}
		new_thread(p, TS_RUNNING, NULL, NULL, now, false);
		return 0;
	}
	s = bpf_map_lookup_elem(&threads, &tid);
	if (s) {
		s->open.gen = proc_gen(tgid);
		s->memo[MEMO_BLOCKED].ns = 0;	/* never reuse a stack of the old image */
		s->memo[MEMO_PREEMPTED].ns = 0;
	}
	return 0;
}

/* follow_children: a child process of a followed one is followed too, from its first instruction. */
static __always_inline int on_fork(bool btf, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = TASK_FIELD(btf, parent, tgid), ctgid = TASK_FIELD(btf, child, tgid);
	struct proc_info info = {};

	if (ctgid == ptgid || !is_target(ptgid, parent))	/* a new thread, or not ours */
		return 0;
	info.gen = next_gen();	/* the PID of a child that exited: samples stay apart */
	info.parent = ptgid;
	info.parent_gen = proc_gen(ptgid);
	info.start_ns = TASK_FIELD(btf, child, start_boottime);
	if (bpf_map_update_elem(&procs, &ctgid, &info, BPF_ANY))
		count(CNT_PROC_MAP_FULL);
	return 0;
}

/*
 * A thread of the recording exits (p is current): its time ends here, in every category. Its last
 * switch may not be seen: once the last thread of a followed child has exited, the child is no
 * longer a target (its PID may go to an unrelated process), so that switch is filtered out and
 * the thread would stay "running" to the end of the recording. When the whole thread group is
 * gone, the process is marked exited; userspace retires both entries once it has read them.
 */
static __always_inline int on_exit(struct task_struct *p)
{
	__u32 tgid = BPF_CORE_READ(p, tgid), tid = BPF_CORE_READ(p, pid);
	struct thread_stats *s = bpf_map_lookup_elem(&threads, &tid);
	struct proc_info *info;

	/*
	 * A thread with state is the recording's even while its process has no entry: userspace
	 * retires an exited child's entry and puts it back when a new child took the PID since, and
	 * that child may exit in between (userspace then reads its exit from /proc).
	 */
	if (!(s && s->state != TS_DEAD) && !is_target(tgid, p))
		return 0;
	if (s && s->state != TS_DEAD) {
		close_state(s, bpf_ktime_get_ns());
		s->state = TS_DEAD;
	}
	if (tgid == targ_tgid || BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	info = bpf_map_lookup_elem(&procs, &tgid);
	if (info)
		info->exited = 1;
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_exec_btf, struct task_struct *p, pid_t old_pid)
{
	return on_exec(true, p, old_pid);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_fork_btf, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(true, parent, child);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_exit_btf, struct task_struct *p)
{
	return on_exit(p);
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(sched_exec_raw, struct task_struct *p, pid_t old_pid)
{
	return on_exec(false, p, old_pid);
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(sched_fork_raw, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(false, parent, child);
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(sched_exit_raw, struct task_struct *p)
{
	return on_exit(p);
}

/* Kernel lock contention (mutexes, rwsems...): a thread that blocks in between waits on a lock. */
static __always_inline int klock(bool begin)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = id;
	struct thread_stats *s;

	if (!is_target(id >> 32, NULL))
		return 0;
	s = bpf_map_lookup_elem(&threads, &tid);
	if (s)
		s->in_klock = begin;
	return 0;
}

SEC("tp_btf/contention_begin")
int BPF_PROG(contention_begin_btf)
{
	return klock(true);
}

SEC("tp_btf/contention_end")
int BPF_PROG(contention_end_btf)
{
	return klock(false);
}

SEC("raw_tp/contention_begin")
int BPF_PROG(contention_begin_raw)
{
	return klock(true);
}

SEC("raw_tp/contention_end")
int BPF_PROG(contention_end_raw)
{
	return klock(false);
}

/* Run once after attaching: the state of every thread that already exists. */
SEC("iter/task")
int seed_threads(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task;
	struct wait_sig w = {};
	struct net_peer peer = {};
	__u64 now;

	if (!t || !is_target(t->tgid, t) || t->pid == 0)
		return 0;
	now = bpf_ktime_get_ns();
	/*
	 * __state first: on_cpu stays set until a switch completes, after sched_switch has seen the
	 * thread leave. A group leader that called pthread_exit is a zombie the iterator still visits.
	 */
	if ((t->__state & TASK_DEAD) || t->exit_state) {
		new_thread(t, TS_DEAD, NULL, NULL, now, true);
	} else if (t->__state != TASK_RUNNING) {
		read_wait_sig(t, false, false, &w, &peer);
		new_thread(t, TS_BLOCKED, &w, &peer, now, true);
	} else if (t->on_cpu) {
		new_thread(t, TS_RUNNING, NULL, NULL, now, true);
	} else {
		w.syscall = -1;
		w.flags = WAIT_RUNQ;
		new_thread(t, TS_RUNNABLE, &w, NULL, now, true);
	}
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
