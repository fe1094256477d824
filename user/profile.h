/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The model: what one recording measured, as drained from the kernel, then symbolized. */
#ifndef PROFILE_H
#define PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>
#include "agentprof.h"

struct syms_cache;

struct sample {
	uint32_t tid;
	char comm[TASK_COMM_LEN];	/* thread name */
	uint64_t *user, *kern;		/* leaf first, as the kernel records them */
	uint32_t nuser, nkern;
	int32_t user_err, kern_err;	/* -errno from bpf_get_stackid, 0 when the stack is there */
	uint64_t count;
	char **frames;			/* after symbolize: root first, kernel frames suffixed "_[k]" */
	uint32_t nframes;
};

struct profile {
	pid_t pid;
	char comm[TASK_COMM_LEN];	/* process name */
	uint64_t start_unix_ns;
	uint64_t duration_ns;
	unsigned int freq_hz;
	bool target_exited;
	uint64_t counters[NR_COUNTERS];
	struct sample *samples;
	size_t n, cap;
	uint64_t total;			/* sum of sample counts */
};

void profile__init(struct profile *p);
void profile__free(struct profile *p);
/* Copies the stacks (leaf first). 0 or -ENOMEM. */
int profile__add(struct profile *p, const struct sample_key *key, const uint64_t *user, size_t nuser,
		 const uint64_t *kern, size_t nkern, uint64_t count);
/* Names every frame of every sample. 0 or -ENOMEM. */
int profile__symbolize(struct profile *p, struct syms_cache *syms);
/* Name of a sample's leaf frame (the function on CPU), "[unknown]" when it has none. */
const char *sample__leaf(const struct sample *s);



/* Tallies, most first (ties by name or tid): for summaries and reports. */
struct name_count {
	const char *name;	/* points into the profile */
	uint64_t count;
};

struct thread_count {
	uint32_t tid;
	const char *comm;	/* points into the profile */
	uint64_t count;
};

/* Samples per leaf function (self time). The array is malloc'd; -ENOMEM on failure. */
ssize_t profile__leaf_counts(const struct profile *p, struct name_count **out);
/* Samples per thread. */
ssize_t profile__thread_counts(const struct profile *p, struct thread_count **out);

#endif /* PROFILE_H */
