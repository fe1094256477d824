// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* On-CPU sampling: a cpu-clock perf_event on every CPU, counted in the kernel per (thread, stacks). */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include "maps.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct sample_key);
	__type(value, __u64);
	__uint(max_entries, DEFAULT_SAMPLE_ENTRIES);
} samples SEC(".maps");

/* Samples whose user stack userspace unwinds; the loader sizes it to the sampling rate. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} user_stacks SEC(".maps");

/* Set by the loader: user stacks are copied for DWARF unwinding instead of walked by frame pointers. */
const volatile bool dwarf_user_stacks = false;

/*
 * Sends the sample with the thread's user registers and the top pages of its stack, for userspace
 * to unwind without frame pointers. The registers are those saved on entry to the kernel, which
 * for a sample taken in user mode are the interrupted ones. Pages are read one at a time from sp's
 * page up: the first unmapped one (the stack's end) ends the copy. No wakeup: userspace drains
 * the buffer on a timer, since a wakeup per sample costs more than the copy.
 */
static __always_inline bool send_user_stack(const struct sample_key *key)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	struct return_instance *ri = NULL;
	struct user_stack_event *e;

	e = bpf_ringbuf_reserve(&user_stacks, sizeof(*e), 0);
	if (!e) {
		count(CNT_USER_STACK_LOST);
		return false;
	}
	e->key = *key;
	e->ip = regs->ip;
	e->sp = regs->sp;
	e->bp = regs->bp;
	e->bx = regs->bx;
	e->r12 = regs->r12;
	e->r13 = regs->r13;
	e->r14 = regs->r14;
	e->r15 = regs->r15;
	e->base = e->sp & ~4095ull;
	e->size = 0;
	for (int i = 0; i < USER_STACK_PAGES; i++) {
		if (bpf_probe_read_user(e->data + i * 4096, 4096, (void *)(e->base + i * 4096)))
			break;
		e->size += 4096;
	}
	/* the return addresses uretprobes replaced on this stack, from the kernel's own list */
	if (task->utask)
		ri = BPF_CORE_READ(task, utask, return_instances);
	e->nuret = 0;
	for (int i = 0; i < MAX_URETPROBES && ri; i++) {
		e->uret_slot[i] = BPF_CORE_READ(ri, stack);
		e->uret_addr[i] = BPF_CORE_READ(ri, orig_ret_vaddr);
		e->nuret = i + 1;
		ri = BPF_CORE_READ(ri, next);
	}
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return true;
}

SEC("perf_event")
int on_cpu_sample(struct bpf_perf_event_data *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct sample_key key = {};
	struct thread_stats *s;
	__u64 one = 1, *val;

	if (!is_target(pid_tgid >> 32))
		return 0;

	key.pid = pid_tgid >> 32;
	key.tid = (__u32)pid_tgid;
	s = bpf_map_lookup_elem(&threads, &key.tid);
	if (s)
		key.span = active_span(s);	/* stamped here, at sample time: no joins later */
	key.kern_stack_id = stack_id(ctx, 0);
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	count(CNT_SAMPLES);
	if (dwarf_user_stacks) {
		key.user_stack_id = NO_STACK;
		if (send_user_stack(&key))
			return 0;	/* counted once unwound */
	}
	key.user_stack_id = stack_id(ctx, BPF_F_USER_STACK);

	val = bpf_map_lookup_elem(&samples, &key);
	if (!val) {
		long err = bpf_map_update_elem(&samples, &key, &one, BPF_NOEXIST);

		/* -EEXIST: another CPU inserted the same key since our lookup */
		if (err != -EEXIST) {
			if (err)
				count(CNT_SAMPLE_MAP_FULL);
			return 0;
		}
		val = bpf_map_lookup_elem(&samples, &key);
		if (!val)
			return 0;
	}
	__sync_fetch_and_add(val, 1);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
