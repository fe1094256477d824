/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* spans.jsonl read back into span records and breakdowns, as the recording's profile held them (agentprof export). */
#ifndef SPANS_READ_H
#define SPANS_READ_H

#include <stddef.h>
#include "model/profile.h"
#include "model/spans.h"

struct spans_file {
	struct span_rec *recs;
	struct span_info *infos;	/* infos[i].rec is &recs[i] */
	size_t n;
};

/*
 * Parses the text of a spans.jsonl (untrusted: every field checked). 0; -EINVAL after one line
 * naming the line that does not parse; -ENOMEM.
 */
int spans_file__parse(const char *text, struct spans_file *f);
void spans_file__free(struct spans_file *f);

#endif /* SPANS_READ_H */
