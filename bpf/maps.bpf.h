/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What every program shares, linked into one object by `bpftool gen object`: the target filter,
 * the stack map and the drop counters. __weak: each file includes it, the linker keeps one.
 */
#ifndef MAPS_BPF_H
#define MAPS_BPF_H

#include "agentprof.h"

#define EFAULT	14
#define ENOMEM	12
#define EEXIST	17
#define ENOENT	2
#define E2BIG	7

/* Set by the loader before load; the verifier then prunes the untaken branch. */
const volatile __u32 targ_tgid __weak = 0;

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, MAX_STACK_DEPTH * sizeof(__u64));
	__uint(max_entries, DEFAULT_STACK_ENTRIES);
} stacks SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, NR_COUNTERS);
} counters SEC(".maps") __weak;

static __always_inline bool is_target(__u32 tgid)
{
	return tgid == targ_tgid;
}

static __always_inline void count(enum counter c)
{
	__u32 key = c;
	__u64 *val = bpf_map_lookup_elem(&counters, &key);

	if (val)
		(*val)++;	/* per-CPU slot: no atomics needed */
}

/* bpf_get_stackid() with its failures counted; -EFAULT (no such stack) is not a failure. */
static __always_inline __s32 stack_id(void *ctx, __u64 flags)
{
	long id = bpf_get_stackid(ctx, &stacks, flags);

	if (id >= 0 || id == -EFAULT)
		return id;
	if (id == -EEXIST)
		count(CNT_STACK_COLLISION);
	else if (id == -ENOMEM)
		count(CNT_STACK_FULL);
	else
		count(CNT_STACK_OTHER);
	return id;
}

#endif /* MAPS_BPF_H */
