/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The one BPF <-> userspace ABI: constants and fixed-size structs shared by bpf/ and user/. */
#ifndef AGENTPROF_H
#define AGENTPROF_H

#define TASK_COMM_LEN		16
#define MAX_STACK_DEPTH		127	/* perf's default kernel.perf_event_max_stack */
#define DEFAULT_STACK_ENTRIES	16384
#define DEFAULT_SAMPLE_ENTRIES	16384

/*
 * In-kernel aggregation key of one on-CPU sample. A stack id < 0 is -errno from
 * bpf_get_stackid(): -EFAULT means there is no stack of that kind (a user-mode
 * sample has no kernel stack), anything else is a drop counted in `counters`.
 */
struct sample_key {
	__u32 pid;
	__u32 tid;
	__s32 user_stack_id;
	__s32 kern_stack_id;
	char comm[TASK_COMM_LEN];	/* the thread's name at sample time */
};

/* Indexes into the per-CPU `counters` array: what the kernel side saw or dropped. */
enum counter {
	CNT_SAMPLES,		/* samples of the target taken by the perf_event program */
	CNT_STACK_COLLISION,	/* bpf_get_stackid -EEXIST: bucket taken by another stack */
	CNT_STACK_FULL,		/* bpf_get_stackid -ENOMEM: stack map full */
	CNT_STACK_OTHER,	/* any other stack error except -EFAULT */
	CNT_SAMPLE_MAP_FULL,	/* the aggregation map had no room for a new key */
	NR_COUNTERS,
};

#endif /* AGENTPROF_H */
