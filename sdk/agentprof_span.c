// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * agentprof span SDK: each call is a USDT probe (provider "agentprof") that agentprof attaches
 * to; without a profiler the probes are nops and these functions cost a few nanoseconds.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/sdt.h>
#include "agentprof_span.h"

#define TP_LEN		55	/* 00-<32>-<16>-<2> */
#define TP_DEPTH	16	/* traceparent spans a thread can have open at once */

#define EXPORT __attribute__((visibility("default")))

/* Spans begun from a traceparent: their ids, so that agentprof_span_end(NULL, NULL) can end them. */
static __thread struct {
	unsigned char trace_id[16], span_id[8];
} tp_stack[TP_DEPTH];
static __thread unsigned int tp_depth;

EXPORT void agentprof_span_begin(const unsigned char trace_id[16], const unsigned char span_id[8],
				 const unsigned char parent_span_id[8], const char *name)
{
	DTRACE_PROBE4(agentprof, span_begin, trace_id, span_id, parent_span_id, name);
}

EXPORT void agentprof_span_end(const unsigned char trace_id[16], const unsigned char span_id[8])
{
	if (!trace_id && !span_id) {
		if (!tp_depth)
			return;
		tp_depth--;
		trace_id = tp_stack[tp_depth].trace_id;
		span_id = tp_stack[tp_depth].span_id;
	}
	DTRACE_PROBE2(agentprof, span_end, trace_id, span_id);
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;	/* W3C: lowercase only */
}

/* n bytes from 2n lowercase hex digits; -EINVAL on any other character or all zeros. */
static int parse_hex(const char *s, unsigned char *out, size_t n)
{
	unsigned char any = 0;

	for (size_t i = 0; i < n; i++) {
		int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = hi << 4 | lo;
		any |= out[i];
	}
	return any ? 0 : -EINVAL;
}

EXPORT int agentprof_span_begin_traceparent(const char *tp, const char *name)
{
	unsigned char trace_id[16], parent[8], span_id[8];

	if (!tp || strnlen(tp, TP_LEN + 1) != TP_LEN || tp[2] != '-' || tp[35] != '-' || tp[52] != '-')
		return -EINVAL;
	/* version: two hex digits, ff forbidden; flags: two hex digits */
	if (hex_value(tp[0]) < 0 || hex_value(tp[1]) < 0 || (tp[0] == 'f' && tp[1] == 'f') ||
	    hex_value(tp[53]) < 0 || hex_value(tp[54]) < 0)
		return -EINVAL;
	if (parse_hex(tp + 3, trace_id, 16) || parse_hex(tp + 36, parent, 8))
		return -EINVAL;
	do {
		if (getrandom(span_id, sizeof(span_id), GRND_NONBLOCK) != sizeof(span_id))
			return -EINVAL;
	} while (!memcmp(span_id, "\0\0\0\0\0\0\0\0", 8));
	/* past TP_DEPTH open spans the span still begins; only the NULL form cannot end it */
	if (tp_depth < TP_DEPTH) {
		memcpy(tp_stack[tp_depth].trace_id, trace_id, 16);
		memcpy(tp_stack[tp_depth].span_id, span_id, 8);
		tp_depth++;
	}
	agentprof_span_begin(trace_id, span_id, parent, name);
	return 0;
}
