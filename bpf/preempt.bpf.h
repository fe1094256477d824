/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Programs that must not be preempted. A uprobe's or USDT probe's program runs with migration
 * disabled only, so sched_switch can run on its CPU in the middle of its edits of the thread's
 * state (span_open/span_close's close_running and span stack): the thread is then left with a
 * slice charged twice or not at all. Tracepoint and perf_event programs run with preemption off.
 *
 * bpf_preempt_disable/enable are kfuncs of kernel 6.10 and later. They are weak, so that the
 * object loads where they are missing, and UNPREEMPTED defines each program twice from one body:
 * NAME, which holds preemption off around it, and NAME_preemptible, for kernels without the
 * kfuncs. The loader (capture/loader.c) loads one of the two and attaches it; the other is never
 * seen by the kernel, so no call to a missing kfunc reaches the verifier.
 */
#ifndef PREEMPT_BPF_H
#define PREEMPT_BPF_H

extern void bpf_preempt_disable(void) __ksym __weak;
extern void bpf_preempt_enable(void) __ksym __weak;

#define UNPREEMPTED(sec, name)							\
	static __always_inline void name##_body(struct pt_regs *ctx);		\
	SEC(sec) int name(struct pt_regs *ctx)					\
	{									\
		bpf_preempt_disable();						\
		name##_body(ctx);						\
		bpf_preempt_enable();						\
		return 0;							\
	}									\
	SEC(sec) int name##_preemptible(struct pt_regs *ctx)			\
	{									\
		name##_body(ctx);						\
		return 0;							\
	}									\
	static __always_inline void name##_body(struct pt_regs *ctx)

#endif /* PREEMPT_BPF_H */
