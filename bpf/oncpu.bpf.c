// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* On-CPU sampling: a cpu-clock perf_event on every CPU, counted in the kernel per (thread, stacks). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "agentprof.h"
#include "target.bpf.h"

#define EEXIST	17
#define ENOMEM	12
#define EFAULT	14

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, MAX_STACK_DEPTH * sizeof(__u64));
	__uint(max_entries, DEFAULT_STACK_ENTRIES);
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct sample_key);
	__type(value, __u64);
	__uint(max_entries, DEFAULT_SAMPLE_ENTRIES);
} samples SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, NR_COUNTERS);
} counters SEC(".maps");

static __always_inline void count(enum counter c)
{
	__u32 key = c;
	__u64 *val = bpf_map_lookup_elem(&counters, &key);

	if (val)
		(*val)++;	/* per-CPU slot: no atomics needed */
}

static __always_inline void count_stack_error(long id)
{
	if (id >= 0 || id == -EFAULT)
		return;
	if (id == -EEXIST)
		count(CNT_STACK_COLLISION);
	else if (id == -ENOMEM)
		count(CNT_STACK_FULL);
	else
		count(CNT_STACK_OTHER);
}

SEC("perf_event")
int on_cpu_sample(struct bpf_perf_event_data *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct sample_key key = {};
	__u64 one = 1, *val;

	if (!is_target(pid_tgid >> 32))
		return 0;

	key.pid = pid_tgid >> 32;
	key.tid = (__u32)pid_tgid;
	key.user_stack_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	key.kern_stack_id = bpf_get_stackid(ctx, &stacks, 0);
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	count(CNT_SAMPLES);
	count_stack_error(key.user_stack_id);
	count_stack_error(key.kern_stack_id);

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
