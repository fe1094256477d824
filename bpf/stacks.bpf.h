/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Kernel stacks and frame-pointer user stacks, stored once each by their frames: a stack gets an
 * id the first time it is seen, and every later sample of the same frames gets the same id.
 *
 * Not the kernel's BPF_MAP_TYPE_STACK_TRACE: that is a hash without chaining, where a stack whose
 * bucket holds another one is lost (-EEXIST) long before the map is full (130 of 2237 samples at
 * 10,000 call paths into 16384 buckets), and BPF_F_REUSE_STACKID would give the sample another
 * stack's frames. Here the 64-bit hash of the frames finds the id and the stored frames are
 * compared on every hit, so a stack is lost only when the store is full, or in the (counted)
 * case of two stacks with one hash.
 */
#ifndef STACKS_BPF_H
#define STACKS_BPF_H

#include "maps.bpf.h"

/*
 * Where a stack is read before it is stored, one per kind of program: a sample (a timer
 * interrupt) can run in the middle of another program on the same CPU, and must not write over
 * that program's frames. The scheduler's programs run with interrupts off: they do not nest.
 * --memory's programs (a syscall's tracepoint, a user page fault) run in the thread's own context.
 */
enum stack_slot { STACK_SLOT_SAMPLE, STACK_SLOT_SWITCH, STACK_SLOT_WAKING, STACK_SLOT_MEM, NR_STACK_SLOTS };

struct stack_frames {
	__u64 ips[MAX_STACK_DEPTH];
};

/* id -> frames, zero after the last one: what userspace reads (user/capture/stackcache.c). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct stack_frames);
	__uint(max_entries, DEFAULT_STACK_ENTRIES);
} stacks SEC(".maps") __weak;

/* The hash of a stack's frames -> its id in `stacks`. Sized like `stacks` by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u64);
	__type(value, __u32);
	__uint(max_entries, DEFAULT_STACK_ENTRIES);
} stack_ids SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct stack_frames);
	__uint(max_entries, NR_STACK_SLOTS);
} stack_scratch SEC(".maps") __weak;

/* The next id to give; ids at or past the size of `stacks` find no slot: the store is full. */
__u32 next_stack_id __weak = 0;

/*
 * The frames end at the first zero: bpf_get_stack() zeroes the buffer past them, and userspace
 * reads stored stacks the same way. The loops below branch on the frames only, not on a count,
 * so that the verifier sees one state per loop, not one per stack depth.
 */

/*
 * 64 bits of the frames: each step (xor a frame, multiply by an odd constant, xor-shift) is a
 * bijection of the state, and murmur3's finalizer mixes the end. A hash is only a guess here
 * (stored_id compares the frames): it needs to be well spread and cheap, 5 instructions a frame.
 */
static __always_inline __u64 stack_hash(const struct stack_frames *f, __u64 flags)
{
	__u64 h = 0x9e3779b97f4a7c15ull ^ flags;

	for (__u32 i = 0; i < MAX_STACK_DEPTH; i++) {
		__u64 w = f->ips[i];

		if (!w)
			break;
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 31;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

/* Whether the stored stack is f, frame by frame. */
static __always_inline bool same_stack(const struct stack_frames *stored, const struct stack_frames *f)
{
	for (__u32 i = 0; i < MAX_STACK_DEPTH; i++) {
		__u64 w = f->ips[i];

		if (stored->ips[i] != w)
			return false;
		if (!w)
			break;
	}
	return true;
}

/* The id of the verified stack behind hash h, or -EEXIST (counted) when another stack has that hash. */
static __always_inline __s32 stored_id(__u64 h, const struct stack_frames *f)
{
	struct stack_frames *stored;
	__u32 *id = bpf_map_lookup_elem(&stack_ids, &h), found;

	if (!id)
		return -ENOENT;
	found = *id;
	stored = bpf_map_lookup_elem(&stacks, &found);
	if (!stored || !same_stack(stored, f)) {
		count(CNT_STACK_COLLISION);
		return -EEXIST;
	}
	return found;
}

/*
 * The id of the current stack (flags: 0 for the kernel's, BPF_F_USER_STACK for the user's, walked
 * by frame pointers), -EFAULT when there is none (a kernel stack of a sample taken in user mode),
 * or another -errno, counted, when it could not be stored.
 */
static __always_inline __s32 stack_id(void *ctx, __u64 flags, __u32 slot)
{
	struct stack_frames *f = bpf_map_lookup_elem(&stack_scratch, &slot), *stored;
	__u32 new_id;
	long bytes;
	__s32 id;
	__u64 h;

	if (!f) {
		count(CNT_STACK_OTHER);
		return -ENOENT;
	}
	bytes = bpf_get_stack(ctx, f, sizeof(*f), flags);
	if (bytes == -EFAULT || bytes == 0 || (bytes > 0 && !f->ips[0]))
		return -EFAULT;	/* no stack of that kind: not a loss */
	if (bytes < 0) {
		count(CNT_STACK_OTHER);
		return bytes;
	}
	h = stack_hash(f, flags);
	id = stored_id(h, f);
	if (id != -ENOENT)
		return id;
	/* new: its frames are in place before its hash leads anyone to them */
	new_id = __sync_fetch_and_add(&next_stack_id, 1);
	stored = bpf_map_lookup_elem(&stacks, &new_id);
	if (!stored) {
		count(CNT_STACK_FULL);
		return -ENOMEM;
	}
	__builtin_memcpy(stored, f, sizeof(*f));
	if (!bpf_map_update_elem(&stack_ids, &h, &new_id, BPF_NOEXIST))
		return new_id;
	/* another CPU stored the same stack since our lookup (its id wins; ours stays unused) */
	id = stored_id(h, f);
	/* not there either (-EBUSY: the hash map was in use on this CPU): the frames are stored, keep them */
	return id == -ENOENT ? (__s32)new_id : id;
}

#endif /* STACKS_BPF_H */
