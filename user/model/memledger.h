/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The memory ledger (--memory): the kernel's memory events replayed per process, so that every
 * release is charged to whoever mapped or faulted in that memory, not to whoever released it.
 * Mappings (anonymous mmap, heap growth by brk, mremap) are kept as address ranges; sampled
 * faults as pages, each standing for its weight in bytes. Pure: no I/O.
 */
#ifndef MEMLEDGER_H
#define MEMLEDGER_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "agentprof.h"

/* What one key (thread, stacks, span) mapped and faulted in, and what of that was released since. */
struct mem_account {
	struct sample_key key;
	uint64_t mapped, unmapped;	/* virtual: anonymous mappings and heap growth it made, and released of them */
	uint64_t faulted, released;	/* resident: bytes it faulted in (sampled, weighed), and released of them */
	uint64_t first_ns, last_ns;	/* its first and its last growth (bpf_ktime_get_ns) */
};

struct mem_ledger;

struct mem_ledger *mem_ledger__new(void);
void mem_ledger__free(struct mem_ledger *l);
/* Replays one event. 0 or -ENOMEM (the ledger stays consistent, without the event). */
int mem_ledger__add(struct mem_ledger *l, const struct mem_event *e);
/* The accounts, in the order first seen (n: how many); valid until the next add. */
const struct mem_account *mem_ledger__accounts(const struct mem_ledger *l, size_t *n);
/* Bytes released from mappings made before the recording (no account to charge). */
uint64_t mem_ledger__unknown_released(const struct mem_ledger *l);

#endif /* MEMLEDGER_H */
