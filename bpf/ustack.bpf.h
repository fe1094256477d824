/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * User stacks copied for DWARF unwinding in userspace (user/capture/unwind.c): the registers and the top
 * pages of the stack, through one ring buffer, for on-CPU samples and off-CPU waits alike.
 */
#ifndef USTACK_BPF_H
#define USTACK_BPF_H

#define WAIT_SIG_WORDS	32	/* the top 256 bytes of a blocked thread's stack: its innermost frames */
/*
 * Copies of new places to block in: a burst of TOKEN_BURST (a pool of a thousand threads each
 * blocking for the first time), then one every TOKEN_NS (500 a second) as the burst refills.
 */
#define TOKEN_BURST	4096
#define TOKEN_NS	2000000ull

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
 * The event is put together in per-CPU scratch, one slot per kind of program (a sample can
 * interrupt another program mid-copy), and only its used bytes go into the ring: a pool
 * thread's stack is a few hundred bytes, and a fixed 16 KiB record would fill the ring with
 * nothing after a thousand threads' first waits.
 */
enum ustack_slot { USTACK_SLOT_SAMPLE, USTACK_SLOT_SWITCH, NR_USTACK_SLOTS };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct user_stack_event);
	__uint(max_entries, NR_USTACK_SLOTS);
} ustack_scratch SEC(".maps") __weak;

#define RED_ZONE	128	/* below sp, where a leaf function may keep what its CFI names */

/* What a copy is wiped with once sent: the target's raw stack, maybe its secrets, stays in no map. */
static const char ustack_zeros[USER_STACK_BYTES] = {};

/*
 * Sends key with the current thread's user registers and the top of its stack. The registers
 * are those saved on entry to the kernel: for a sample taken in user mode the interrupted ones,
 * for a thread blocking in a syscall those of the syscall. The copy starts below sp (its red
 * zone) and ends after USER_STACK_BYTES, at the first unmapped page (the stack's end), or, for a
 * thread glibc started, where its stack ends below its thread pointer (fs: glibc puts the thread's
 * descriptor and TLS at the top of the thread's stack, and the stack grows down from below them).
 * No wakeup: userspace drains the buffer on a timer, since a wakeup per sample costs more than
 * the copy.
 */
static __always_inline bool send_user_stack(const struct sample_key *key, __u32 slot)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	struct user_stack_event *e = bpf_map_lookup_elem(&ustack_scratch, &slot);
	struct return_instance *ri = NULL;
	__u64 start, fs, want = USER_STACK_BYTES;
	__u32 size = 0, first;
	bool sent;

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
	start = (e->sp - RED_ZONE) & ~7ull;
	fs = BPF_CORE_READ(task, thread.fsbase);
	if (fs > e->sp && fs - start < want)
		want = fs - start;
	e->base = start;
	/* the rest of start's page, then whole pages: a page that cannot be read ends the copy */
	first = 4096 - (start & 4095);
	if (first > want)
		first = want;
	if (!bpf_probe_read_user(e->data, first, (void *)start)) {
		size = first;
		for (int i = 0; i < USER_STACK_PAGES; i++) {
			__u32 n;

			if (size >= want || size > USER_STACK_BYTES - 4096)
				break;
			n = want - size > 4096 ? 4096 : want - size;
			if (bpf_probe_read_user(e->data + size, n, (void *)(start + size)))
				break;
			size += n;
		}
	}
	e->size = size;
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
	if (size > USER_STACK_BYTES)
		size = USER_STACK_BYTES;
	sent = !bpf_ringbuf_output(&user_stacks, e, offsetof(struct user_stack_event, data) + size, BPF_RB_NO_WAKEUP);
	bpf_probe_read_kernel(e->data, size, ustack_zeros);
	if (!sent)
		count(CNT_USER_STACK_LOST);
	return sent;
}

/* Where a thread blocks: -> the token of its stack copy, so a wait seen again is not copied again. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, __u64);
	__type(value, __s32);
	__uint(max_entries, DEFAULT_OFFCPU_ENTRIES);
} wait_tokens SEC(".maps") __weak;

__u32 next_token __weak = USER_STACK_TOKEN_BASE;
/*
 * New tokens that may be given now, and when the last one was added back: a safety net for a
 * program that blocks in ever new places (each copy costs a few microseconds and ring space).
 * Unlocked: two CPUs may both take the last one, which is harmless.
 */
__u64 token_refill_ns __weak;
__u32 token_credit __weak;

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
 * The place the current thread blocks in, mixed into h (0 when it cannot be read): ip, sp, and
 * the words of its innermost 256 bytes of stack that point into code, the return addresses of
 * the calls it blocks in (other words, such as a deadline computed for each wait, would make
 * every wait new). The same place is the same user stack, up to what lies past those bytes.
 */
static __always_inline __u64 place_hash(__u64 h)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	__u64 ip = regs->ip, sp = regs->sp, *words;
	struct code_ranges *code;
	__u32 zero = 0;

	words = bpf_map_lookup_elem(&wait_words, &zero);
	code = bpf_map_lookup_elem(&code_ranges, &zero);
	if (!words || !code)
		return 0;
	if (bpf_probe_read_user(words, WAIT_SIG_WORDS * sizeof(__u64), (void *)sp))
		__builtin_memset(words, 0, WAIT_SIG_WORDS * sizeof(__u64));
	h = (h ^ ip) * 0x100000001b3ull;
	h = (h ^ sp) * 0x100000001b3ull;
	for (int i = 0; i < WAIT_SIG_WORDS; i++)
		if (in_code(code, words[i]))
			h = (h ^ words[i]) * 0x100000001b3ull;
	/* the target's raw stack, maybe its secrets: root can read the map by id */
	__builtin_memset(words, 0, WAIT_SIG_WORDS * sizeof(__u64));
	return h ?: 1;
}

/*
 * A copy of the current thread's user stack for a place not seen before, as a new token; -1
 * when none is sent (the credit of new places is spent, or the ring is full).
 */
static __always_inline __s32 send_place_stack(__u32 pid, __u32 tid, __u64 now)
{
	struct sample_key key = { .pid = pid, .tid = tid };

	if (now - token_refill_ns >= TOKEN_NS) {	/* the first time: the whole burst */
		__u64 add = (now - token_refill_ns) / TOKEN_NS, more = add + token_credit;

		token_credit = more < TOKEN_BURST ? more : TOKEN_BURST;
		token_refill_ns += add * TOKEN_NS;	/* what is left of a period counts towards the next */
	}
	if (!token_credit) {
		count(CNT_USER_STACK_LOST);
		return -1;
	}
	token_credit--;
	key.user_stack_id = __sync_fetch_and_add(&next_token, 1);
	return send_user_stack(&key, USTACK_SLOT_SWITCH) ? key.user_stack_id : -1;
}

/*
 * The user stack of the current thread as it blocks (or faults), as a token (>=
 * USER_STACK_TOKEN_BASE) that userspace turns into the unwound stack; -1 when none is sent. A
 * copy per event would cost more than the event, and a key per event would fill the map: the
 * thread's place (place_hash) names the copy already sent from there.
 */
static __always_inline __s32 wait_user_stack(__u32 pid, __u32 tid, __u64 now)
{
	__u64 h = place_hash(0xcbf29ce484222325ull ^ tid);
	__s32 *token, id;

	if (!h)
		return -1;
	token = bpf_map_lookup_elem(&wait_tokens, &h);
	if (token)
		return *token;
	id = send_place_stack(pid, tid, now);
	if (id >= 0)
		bpf_map_update_elem(&wait_tokens, &h, &id, BPF_ANY);
	return id;
}

#endif /* USTACK_BPF_H */
