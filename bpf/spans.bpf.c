// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Spans from the SDK's USDT probes (provider "agentprof"): two probe hits per span. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/usdt.bpf.h>
#include "spans.bpf.h"

static __always_inline bool read_ref(const void *trace_id, const void *span_id, struct span_ref *ref)
{
	if (bpf_probe_read_user(ref->trace_id, sizeof(ref->trace_id), trace_id) ||
	    bpf_probe_read_user(ref->span_id, sizeof(ref->span_id), span_id)) {
		count(CNT_SPAN_BAD_ARGS);
		return false;
	}
	return true;
}

SEC("usdt")
int BPF_USDT(span_begin, void *trace_id, void *span_id, void *parent, const char *name)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct span_ref ref;
	__u8 parent_id[8];
	char copy[SPAN_NAME_LEN];

	if (!is_target(id >> 32, NULL) || !read_ref(trace_id, span_id, &ref))
		return 0;
	if (!parent || bpf_probe_read_user(parent_id, sizeof(parent_id), parent))
		__builtin_memset(parent_id, 0, sizeof(parent_id));
	if (!name || bpf_probe_read_user_str(copy, sizeof(copy), name) < 0)
		copy[0] = '\0';
	span_open((__u32)id, &ref, parent_id, copy, NULL);
	return 0;
}

SEC("usdt")
int BPF_USDT(span_end, void *trace_id, void *span_id)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct span_ref ref;

	if (is_target(id >> 32, NULL) && read_ref(trace_id, span_id, &ref))
		span_close((__u32)id, &ref, 0);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
