/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One line per entity that a person can act on: what holds it back, where, and who released it. */
#ifndef VERDICT_H
#define VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include "model/profile.h"

/*
 * E.g. "lock-bound 72%: futex wait in __lll_lock_wait <- cache_get <- worker (released by
 * cache-worker)". t NULL: the whole process. Needs a symbolized profile.
 */
void verdict(const struct profile *p, const struct thread_info *t, char *buf, size_t len);
/* The same for the spans named name, whose summed breakdown is ns. */
void verdict_spans(const struct profile *p, const char *name, const uint64_t ns[NR_CATEGORIES],
		   enum category class, char *buf, size_t len);

/*
 * --memory: e.g. "memory: grew 180.0 MB in 60.0 s, 92% under ConversationStore.append (memory.py:41),
 * in span tool.search", when RSS grew steadily (model/memgrowth.h); false (buf "") otherwise.
 */
bool verdict_memory(const struct profile *p, char *buf, size_t len);

#endif /* VERDICT_H */
