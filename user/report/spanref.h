/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The span a sample was taken in, as the outputs name it: pprof's trace_id, span_id and
 * span_name labels, speedscope's profiles per span or per trace, Prometheus's series per span
 * name. The one place where outputs read a sample's trace context.
 */
#ifndef SPANREF_H
#define SPANREF_H

#include <stdbool.h>
#include "model/profile.h"

struct span_ref {
	char trace_id[33];	/* 32 lowercase hex digits (W3C trace context) */
	char span_id[17];	/* 16 lowercase hex digits */
	const char *name;	/* points into the profile's span table */
};

/* Fills *out and returns true when s was taken inside a span of the agent (after profile__finish). */
bool sample_span(const struct profile *p, const struct sample *s, struct span_ref *out);

#endif /* SPANREF_H */
