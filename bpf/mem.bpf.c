// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Memory growth (--memory): the target's mmap/munmap/brk/mremap/madvise as the kernel sees them
 * (never the allocator: no uprobe on malloc), and the page faults that make its anonymous memory
 * resident, sampled by bytes. Each goes to userspace as a struct mem_event with who did it (thread,
 * stacks, span); the ledger there charges a release to whoever mapped or faulted the memory. Not
 * loaded without --memory: off, it costs nothing.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "maps.bpf.h"
#include "stacks.bpf.h"
#include "interp.bpf.h"
#include "ustack.bpf.h"

#define MAP_ANONYMOUS	0x20
#define MADV_DONTNEED	4
#define MADV_FREE	8
#define MADV_REMOVE	9
#define X86_PF_WRITE	2
#define PAGE_BYTES	4096

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, MEM_RINGBUF_BYTES);
} mem_events SEC(".maps");

/* brk's end before the call, by tid: the exit says where it is now */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, DEFAULT_THREAD_ENTRIES);
} brk_before SEC(".maps");

/* Faults of the target on this CPU: bytes until the next sample, and bytes since the last one. */
struct fault_clock {
	__s64 left;
	__u64 acc;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct fault_clock);
	__uint(max_entries, 1);
} fault_clock SEC(".maps");

/*
 * Who the current thread is, for an event: its span, name, generation, and (with_stack) its user
 * and Python stacks. A release needs no stack: it is charged to whoever mapped the memory.
 */
static __always_inline void who(void *ctx, struct sample_key *key, bool with_stack)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct thread_stats *s;

	key->pid = id >> 32;
	key->tid = (__u32)id;
	key->kern_stack_id = -EFAULT;	/* user memory: the kernel's stack says nothing of who wanted it */
	key->user_stack_id = -EFAULT;
	s = bpf_map_lookup_elem(&threads, &key->tid);
	if (s) {
		key->span = current_span(s);
		key->gen = s->open.gen;
	}
	bpf_get_current_comm(key->comm, sizeof(key->comm));
	if (!with_stack)
		return;
	key->py_stack_id = interp_stack_id(PY_SLOT_MEM);
	/* DWARF: a copy per distinct place (deduplicated and rate-limited as off-CPU stacks are) */
	key->user_stack_id = dwarf_user_stacks ? wait_user_stack(key->pid, key->tid, bpf_ktime_get_ns()) : -1;
	if (key->user_stack_id < 0)
		key->user_stack_id = stack_id(ctx, BPF_F_USER_STACK, STACK_SLOT_MEM);
}

static __always_inline void emit(void *ctx, __u32 kind, __u64 addr, __u64 len, __u64 addr2, __u64 len2)
{
	struct sample_key key = {};
	struct mem_event *e;

	who(ctx, &key, kind != MEM_MUNMAP && kind != MEM_MADVISE && kind != MEM_EXIT);
	e = bpf_ringbuf_reserve(&mem_events, sizeof(*e), 0);
	if (!e) {
		count(CNT_MEM_EVENT_LOST);
		return;
	}
	e->key = key;
	e->kind = kind;
	e->ts = bpf_ktime_get_ns();
	e->addr = addr;
	e->len = len;
	e->addr2 = addr2;
	e->len2 = len2;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);	/* drained on a timer, with the user stacks */
}

static __always_inline bool current_is_target(void)
{
	return is_target(bpf_get_current_pid_tgid() >> 32, NULL);
}

/* The syscall's own arguments, at its exit: the registers saved at entry hold them. */
static __always_inline struct pt_regs *syscall_regs(void)
{
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

SEC("tracepoint/syscalls/sys_exit_mmap")
int mem_mmap(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs;

	if (!current_is_target() || ctx->ret < 0)	/* -errno: user addresses are below 2^47 */
		return 0;
	regs = syscall_regs();
	/* anonymous and accessible: PROT_NONE reserves address space, faults will show its use */
	if (!(regs->r10 & MAP_ANONYMOUS) || !regs->dx)
		return 0;
	emit(ctx, MEM_MMAP, ctx->ret, regs->si, 0, 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_munmap")
int mem_munmap(struct trace_event_raw_sys_enter *ctx)
{
	if (current_is_target())
		emit(ctx, MEM_MUNMAP, ctx->args[0], ctx->args[1], 0, 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_mremap")
int mem_mremap(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs;

	if (!current_is_target() || ctx->ret < 0)	/* -errno: user addresses are below 2^47 */
		return 0;
	regs = syscall_regs();
	emit(ctx, MEM_MREMAP, regs->di, regs->si, ctx->ret, regs->dx);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_madvise")
int mem_madvise(struct trace_event_raw_sys_enter *ctx)
{
	long advice = ctx->args[2];

	if (current_is_target() && (advice == MADV_DONTNEED || advice == MADV_FREE || advice == MADV_REMOVE))
		emit(ctx, MEM_MADVISE, ctx->args[0], ctx->args[1], 0, 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_brk")
int mem_brk_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 end;

	if (!current_is_target())
		return 0;
	end = BPF_CORE_READ(task, mm, brk);
	bpf_map_update_elem(&brk_before, &tid, &end, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_brk")
int mem_brk_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *before, old;

	before = bpf_map_lookup_elem(&brk_before, &tid);
	if (!before)
		return 0;
	old = *before;
	bpf_map_delete_elem(&brk_before, &tid);
	if ((__u64)ctx->ret != old)	/* brk(0), and a refused move, leave it where it was */
		emit(ctx, MEM_BRK, old, 0, ctx->ret, 0);
	return 0;
}

/*
 * A followed child is gone with all its memory (the target's own exit ends the recording: what it
 * kept stays, to be seen). p is current.
 */
static __always_inline int on_exit(void *ctx, struct task_struct *p)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);

	if (tgid != targ_tgid && BPF_CORE_READ(p, signal, live.counter) == 0 && is_target(tgid, p))
		emit(ctx, MEM_EXIT, 0, 0, 0, 0);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(mem_exit_btf, struct task_struct *p)
{
	return on_exit(ctx, p);
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(mem_exit_raw, struct task_struct *p)
{
	return on_exit(ctx, p);
}

static long vma_is_anon(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	*(bool *)data = !vma->vm_file;
	return 0;
}

/*
 * Every fault of the target moves a per-CPU clock by a page; when it runs out (after MEM_FAULT_PERIOD
 * bytes on average, randomized so that a loop cannot beat in step with it) the fault at hand is
 * the sample, weighed with every byte counted since the last: an anonymous page written (a new
 * page, or a copy of a shared one) is memory made resident; others are dropped with their weight.
 * A fault storm costs one add per fault and a stack per MEM_FAULT_PERIOD bytes.
 */
static __always_inline int on_fault(void *ctx, __u64 address, __u64 error_code)
{
	struct fault_clock *c;
	__u32 zero = 0;
	bool anon = false;
	__u64 weight;

	if (!current_is_target())
		return 0;
	c = bpf_map_lookup_elem(&fault_clock, &zero);
	if (!c)
		return 0;
	c->acc += PAGE_BYTES;
	c->left -= PAGE_BYTES;
	if (c->left > 0)
		return 0;
	weight = c->acc;
	c->acc = 0;
	c->left = MEM_FAULT_PERIOD / 2 + bpf_get_prandom_u32() % MEM_FAULT_PERIOD;
	if (!(error_code & X86_PF_WRITE))
		return 0;
	bpf_find_vma(bpf_get_current_task_btf(), address, vma_is_anon, &anon, 0);
	if (anon)
		emit(ctx, MEM_FAULT, address & ~(__u64)(PAGE_BYTES - 1), weight, 0, 0);
	return 0;
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(mem_fault_btf, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return on_fault(ctx, address, error_code);
}

SEC("raw_tp/page_fault_user")
int BPF_PROG(mem_fault_raw, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return on_fault(ctx, address, error_code);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
