/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* DWARF unwinding of sampled user stacks, from the registers and stack pages the sampler copied. */
#ifndef UNWIND_H
#define UNWIND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>
#include "agentprof.h"

struct unwinder;

/* NULL on -ENOMEM. */
struct unwinder *unwinder__new(void);
void unwinder__free(struct unwinder *u);
/* Drops what is known of pid's files: after it exec'ed, or when the PID was reused. */
void unwinder__forget(struct unwinder *u, pid_t pid);
/*
 * The user stack of sample e, leaf first (the sampled ip, then return addresses), into ips[0..max):
 * how many frames. At least the ip. A stack deeper than the copied pages or than max ends with
 * TRUNCATED_FRAME; one stops early without it where a file has no call frame information for a pc.
 */
size_t unwinder__unwind(struct unwinder *u, const struct user_stack_event *e, uint64_t *ips, size_t max);

#endif /* UNWIND_H */
