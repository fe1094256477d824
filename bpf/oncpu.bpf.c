// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* On-CPU sampling: a cpu-clock perf_event on every CPU, counted in the kernel per (thread, stacks). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "maps.bpf.h"
#include "stacks.bpf.h"
#include "ustack.bpf.h"
#include "interp.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct sample_key);
	__type(value, __u64);
	__uint(max_entries, DEFAULT_SAMPLE_ENTRIES);
} samples SEC(".maps");

SEC("perf_event")
int on_cpu_sample(struct bpf_perf_event_data *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct sample_key key = {};
	struct thread_stats *s;
	__u64 one = 1, *val;

	if (!is_target(pid_tgid >> 32, NULL))
		return 0;

	key.pid = pid_tgid >> 32;
	key.tid = (__u32)pid_tgid;
	s = bpf_map_lookup_elem(&threads, &key.tid);
	if (s) {
		key.span = current_span(s);	/* stamped here, at sample time: no joins later */
		key.gen = s->open.gen;
	}
	key.kern_stack_id = stack_id(ctx, 0, STACK_SLOT_SAMPLE);
	key.py_stack_id = interp_stack_id(PY_SLOT_ONCPU);
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	count(CNT_SAMPLES);
	if (dwarf_user_stacks) {
		key.user_stack_id = NO_STACK;
		if (send_user_stack(&key, USTACK_SLOT_SAMPLE))
			return 0;	/* counted once unwound */
	}
	key.user_stack_id = stack_id(ctx, BPF_F_USER_STACK, STACK_SLOT_SAMPLE);

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
