/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The BPF side's lifecycle: open, size, load, attach (tracepoints, seeding, sampling), detach. */
#ifndef LOADER_H
#define LOADER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>
#include "agentprof.h"

/* The maps userspace reads, by descriptor: what snapshots are taken from. */
struct kernel_maps {
	int samples_fd;		/* struct sample_key -> __u64 count */
	int offcpu_fd;		/* struct offcpu_key -> struct offcpu_val */
	int threads_fd;		/* __u32 tid -> struct thread_stats */
	int stacks_fd;		/* __u32 id -> MAX_STACK_DEPTH frames, zero-terminated */
	int counters_fd;	/* per-CPU __u64[NR_COUNTERS] */
	int span_cpu_fd;	/* __u32 span seq -> __u64 CPU ns */
	int span_events_fd;	/* ring buffer of struct span_event */
	int user_stacks_fd;	/* ring buffer of struct user_stack_event */
	int py_stacks_fd;	/* __u32 id -> struct py_stack */
	int py_stored_fd;	/* [0]: how many stacks py_stacks has taken */
	int procs_fd;		/* __u32 tgid -> struct proc_info */
	int mem_events_fd;	/* ring buffer of struct mem_event (--memory) */
};

struct loader;
struct py_config;
struct rb_config;
struct v8_config;

struct loader_opts {
	pid_t pid;		/* the process, or 0 with a cgroup */
	long freq_hz;
	long stack_entries;
	bool fp_user_stacks;	/* walk user stacks by frame pointers in the kernel, not DWARF here */
	uint64_t cgroup_id;	/* every process of this cgroup v2 and below (0: pid's only) */
	uint32_t cgroup_level;	/* the cgroup's depth in the hierarchy */
	bool python;		/* load the Python frame walker (loader__add_python says where) */
	bool ruby;		/* load the Ruby frame walker (loader__add_ruby says where) */
	bool node;		/* load the V8 frame walker (loader__add_node says where) */
	bool follow_children;	/* also the processes the target forks, and theirs */
	bool memory;		/* load the memory growth programs (mem.bpf.c): off, they cost nothing */
};

/* Opens and loads the programs for opts->pid. NULL and errno, after saying what failed. */
struct loader *loader__load(const struct loader_opts *opts);
/* Attaches scheduler tracing, seeds the existing threads, then starts sampling. 0 or -errno. */
int loader__attach(struct loader *l);
struct proc_maps;

/*
 * Attaches the span probes to every file of pid's maps that carries agentprof's USDT probes and
 * was not attached yet (call again after the process dlopens, and for each process of a cgroup).
 * Returns how many files were newly attached, or -errno.
 */
int loader__attach_spans(struct loader *l, pid_t pid, const struct proc_maps *maps);
/*
 * Tells the kernel side where the target's code is (maps: its executable mappings), merged into
 * MAX_CODE_RANGES ranges: off-CPU stacks are told apart by the return addresses they hold.
 */
int loader__set_code_ranges(struct loader *l, const struct proc_maps *maps);
/* Walks the Python frames of process pid, whose interpreter cfg describes. 0 or -errno. */
int loader__add_python(struct loader *l, pid_t pid, const struct py_config *cfg);
/* The process exited: its entry leaves the map (PY_MAX_PROCS), for the Python children that follow. */
void loader__remove_python(struct loader *l, pid_t pid);
/* Walks the Ruby frames of process pid, whose VM cfg describes. 0 or -errno. */
int loader__add_ruby(struct loader *l, pid_t pid, const struct rb_config *cfg);
/* The process exited: its entry leaves the map (PY_MAX_PROCS). */
void loader__remove_ruby(struct loader *l, pid_t pid);
/* A process of the recording that runs V8 (Node): its JavaScript frames are walked from now on. */
int loader__add_node(struct loader *l, pid_t pid, const struct v8_config *cfg);
void loader__remove_node(struct loader *l, pid_t pid);
/* Stops every program; the maps stay readable. */
void loader__detach(struct loader *l);
struct kernel_maps loader__maps(const struct loader *l);
/* How many times the HTTP capture's programs ran for the target; -1 when they are not loaded. */
long long loader__http_runs(const struct loader *l);
void loader__free(struct loader *l);

#endif /* LOADER_H */
