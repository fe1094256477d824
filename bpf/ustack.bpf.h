/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * User stacks copied for DWARF unwinding in userspace (user/capture/unwind.c): the registers and the top
 * pages of the stack, through one ring buffer, for on-CPU samples and off-CPU waits alike.
 */
#ifndef USTACK_BPF_H
#define USTACK_BPF_H

#define WAIT_SIG_WORDS	32	/* the top 256 bytes of a blocked thread's stack: its innermost frames */
#define MAX_NEW_TOKENS	50	/* per 100 ms: at most 500 off-CPU stack copies a second */

#include <bpf/bpf_core_read.h>
#include "maps.bpf.h"

/* Set by the loader: user stacks are copied for DWARF unwinding instead of walked by frame pointers. */
const volatile bool dwarf_user_stacks __weak = false;

/* The loader sizes it to the sampling rate. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} user_stacks SEC(".maps") __weak;

/*
 * Sends key with the current thread's user registers and the top pages of its stack. The
 * registers are those saved on entry to the kernel: for a sample taken in user mode the
 * interrupted ones, for a thread blocking in a syscall those of the syscall. Pages are read one
 * at a time from sp's page up: the first unmapped one (the stack's end) ends the copy. No wakeup:
 * userspace drains the buffer on a timer, since a wakeup per sample costs more than the copy.
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

/* Where a thread blocks: -> the token of its stack copy, so a wait seen again is not copied again. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, __u64);
	__type(value, __s32);
	__uint(max_entries, DEFAULT_OFFCPU_ENTRIES);
} wait_tokens SEC(".maps") __weak;

__u32 next_token __weak = USER_STACK_TOKEN_BASE;
/* New tokens in the current 100 ms: a safety net, never reached by a program that waits in a few places */
__u64 token_window __weak;
__u32 tokens_in_window __weak;

/* The target's code, where return addresses point: set by userspace, updated as it maps more. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct code_ranges);
	__uint(max_entries, 1);
} code_ranges SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64[WAIT_SIG_WORDS]);
	__uint(max_entries, 1);
} wait_words SEC(".maps") __weak;

static __always_inline bool in_code(const struct code_ranges *c, __u64 w)
{
	for (int i = 0; i < MAX_CODE_RANGES; i++)
		if (w - c->r[i].start < c->r[i].len)
			return true;
	return false;
}

/*
 * The user stack of the current thread as it blocks, as a token (>= USER_STACK_TOKEN_BASE) that
 * userspace turns into the unwound stack; -1 when none is sent. A copy per switch would cost
 * more than the switch, and a key per wait would fill the off-CPU map: the thread's place names
 * the copy already sent from there. Its place: ip, sp, and the words of its innermost 256 bytes of
 * stack that point into code, the return addresses of the calls it blocks in (other words, such
 * as a deadline computed for each wait, would make every wait new).
 */
static __always_inline __s32 wait_user_stack(__u32 pid, __u32 tid, __u64 now)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	__u64 ip = regs->ip, sp = regs->sp, h = 0xcbf29ce484222325ull ^ tid, *words;
	struct sample_key key = { .pid = pid, .tid = tid };
	struct code_ranges *code;
	__u32 zero = 0;
	__s32 *token;

	words = bpf_map_lookup_elem(&wait_words, &zero);
	code = bpf_map_lookup_elem(&code_ranges, &zero);
	if (!words || !code)
		return -1;
	if (bpf_probe_read_user(words, WAIT_SIG_WORDS * sizeof(__u64), (void *)sp))
		__builtin_memset(words, 0, WAIT_SIG_WORDS * sizeof(__u64));
	h = (h ^ ip) * 0x100000001b3ull;
	h = (h ^ sp) * 0x100000001b3ull;
	for (int i = 0; i < WAIT_SIG_WORDS; i++)
		if (in_code(code, words[i]))
			h = (h ^ words[i]) * 0x100000001b3ull;
	/* the target's raw stack, maybe its secrets: root can read the map by id */
	__builtin_memset(words, 0, WAIT_SIG_WORDS * sizeof(__u64));
	token = bpf_map_lookup_elem(&wait_tokens, &h);
	if (token)
		return *token;
	if (now - token_window > 100000000ull) {
		token_window = now;
		tokens_in_window = 0;
	}
	if (tokens_in_window >= MAX_NEW_TOKENS) {
		count(CNT_USER_STACK_LOST);
		return -1;
	}
	tokens_in_window++;
	key.user_stack_id = __sync_fetch_and_add(&next_token, 1);
	if (!send_user_stack(&key))
		return -1;
	bpf_map_update_elem(&wait_tokens, &h, &key.user_stack_id, BPF_ANY);
	return key.user_stack_id;
}

#endif /* USTACK_BPF_H */
