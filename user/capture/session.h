/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What `record` and `top` share: checks, the targets, the BPF side, symbols, and the wait loop. */
#ifndef SESSION_H
#define SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "target/cgroup.h"
#include "capture/snapshot.h"
#include "model/spans.h"
#include "target/target.h"

struct loader;
struct ring_buffer;
struct py_stacks;
struct images;
struct stack_cache;
struct syms_cache;
struct unwinder;
struct mem_capture;

struct session {
	struct target target;	/* -p; for a container, pid 0 and the cgroup's name */
	struct cgroup_target cgroup;	/* --container; id 0 otherwise */
	struct target *procs;	/* every process seen and not known to have exited: -p's, or those of the cgroup */
	size_t nprocs;
	struct target *exited;	/* those known to have exited (retired from the kernel's map), for the report */
	size_t nexited;
	struct loader *loader;
	struct images *images;	/* the processes' images: mappings, roots, interpreters */
	struct syms_cache *syms;	/* names in those images */
	int sigfd;		/* SIGINT, SIGTERM, SIGHUP */
	bool warned_root;	/* that a process's /proc/PID/root could not be read */
	long stack_entries;
	struct ring_buffer *span_rb;
	struct span_table spans;	/* every span begun or ended since attach */
	struct stack_cache *stacks;
	struct ring_buffer *user_rb;	/* samples whose user stacks are unwound here */
	struct unwinder *unwinder;
	int samples_fd;
	uint64_t sample_map_full;	/* samples unwound here that the full sample map refused */
	uint64_t unwound, unwound_bytes, unwind_ns;	/* for -v */
	struct py_stacks *py_stacks;	/* NULL when the target runs no Python nor Ruby */
	bool python;			/* Python frames are walked (in the processes that run CPython) */
	bool ruby;			/* Ruby frames are walked (in the processes that run Ruby) */
	bool node;			/* JavaScript frames are walked (in the processes that run Node) */
	bool follow_children;		/* the processes the target forks are processes of the recording */
	struct mem_capture *mem;	/* --memory; NULL otherwise */
	bool memory;
	struct snapshot retired;	/* exited threads' and ended spans' final totals, out of the kernel's maps */
	struct snapshot recent;		/* the latest of them, not yet merged into retired */
	uint64_t retired_before;	/* what ended before this has been retired (CLOCK_MONOTONIC) */
	uint64_t nretired, nretired_procs;	/* for -v */
};

struct session_opts {
	pid_t pid;
	const char *container;	/* --container ID|CGROUP-PATH instead of pid, or NULL */
	long freq_hz;
	long stack_entries;
	bool fp_user_stacks;
	const struct llm_endpoints *llm;	/* HTTP calls to these are LLM calls; may be NULL */
	bool follow_children;
	bool memory;		/* --memory: memory growth by stack, span and trace, RSS over time */
};

enum stop_reason { STOP_DEADLINE, STOP_SIGNAL, STOP_TARGET_EXIT, STOP_INPUT };

/*
 * Checks privileges, BTF and lockdown, opens the target and reads its mappings: what can be
 * refused in a moment, before session__load. 0 or -errno, said in one line.
 */
int session__open(struct session *s, const struct session_opts *opts);
/*
 * Loads the programs (saying so when that takes long), then takes the stop signals (SIGINT,
 * SIGTERM, SIGHUP) onto a descriptor: blocked from here on. 0 or -errno, said in one line.
 */
int session__load(struct session *s, const struct session_opts *opts);
/* Starts tracing, sampling and span probes (in the files that carry them). */
int session__attach(struct session *s);
/*
 * Waits for deadline_ns (CLOCK_MONOTONIC; 0: none), a stop signal, the target's exit (a
 * container's: its cgroup empty), or input on input_fd (-1: none), re-reading the mappings
 * and finding a container's new processes as it goes.
 */
enum stop_reason session__wait(struct session *s, uint64_t deadline_ns, int input_fd);
/*
 * A snapshot of everything recorded so far, open states closed at at_ns (CLOCK_MONOTONIC; 0: now),
 * span events drained first; the threads and spans retired from the kernel's maps included.
 */
int session__snapshot(struct session *s, uint64_t at_ns, struct snapshot *snap);
/*
 * After an interval: drops from snap, and from the session, the threads retired (exited, their
 * final totals read) and what they own, and the ended spans' totals retired; snap held them, the
 * next snapshot will not.
 */
int session__forget_exited(struct session *s, struct snapshot *snap);
/* The recording's identity into p: PID and NSpid, or cgroup; each process's NSpid and name. 0 or -ENOMEM. */
int session__describe(const struct session *s, struct profile *p);
/* --memory: what the ledger holds, as p's memory samples, and the RSS series (a last point now). 0 or -ENOMEM. */
int session__memory(struct session *s, struct profile *p);
/* The resident memory of the recording's processes together, now: 0, or -ENOENT when none could be read. */
int session__rss(const struct session *s, uint64_t *bytes);
/* Stops every program (the maps stay readable); the stop signals stay blocked. */
void session__detach(struct session *s);
/* The kernel's stacks, read once each. */
struct stack_cache *session__stacks(const struct session *s);
/* The Python stacks, read once each (NULL when the target runs no Python). */
struct py_stacks *session__py_stacks(const struct session *s);
void session__close(struct session *s);

#endif /* SESSION_H */
