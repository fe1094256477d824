// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The pieces report.json, spans.jsonl and the metrics share: drop names, breakdowns, peers. */
#include <stdlib.h>
#include <jansson.h>
#include "report/json.h"
#include "report/query.h"
#include "base/text.h"

static const char *const drop_names[NR_COUNTERS] = {
	[CNT_STACK_COLLISION] = "stack_collision",
	[CNT_STACK_FULL] = "stack_map_full",
	[CNT_STACK_OTHER] = "stack_error",
	[CNT_SAMPLE_MAP_FULL] = "sample_map_full",
	[CNT_OFFCPU_MAP_FULL] = "offcpu_map_full",
	[CNT_THREAD_MAP_FULL] = "thread_map_full",
	[CNT_SPAN_EVENT_LOST] = "span_event_lost",
	[CNT_SPAN_TOO_DEEP] = "span_too_deep",
	[CNT_SPAN_MAP_FULL] = "span_map_full",
	[CNT_SPAN_BAD_ARGS] = "span_bad_args",
	[CNT_SPAN_CPU_FULL] = "span_cpu_map_full",
	[CNT_USER_STACK_LOST] = "user_stack_copy_lost",
	[CNT_PY_STACK_COLLISION] = "python_stack_collision",
	[CNT_PY_STACK_FULL] = "python_stack_map_full",
	[CNT_PROC_MAP_FULL] = "proc_map_full",
	[CNT_MEM_EVENT_LOST] = "mem_event_lost",
	[CNT_HTTP_HEADERS_LONG] = "http_headers_too_long",
	[CNT_HTTP_CONN_MAP_FULL] = "http_conn_map_full",
};
_Static_assert(NR_COUNTERS == 20, "name every counter above (but the two that are no loss)");

const char *drop_name(enum counter c)
{
	return (unsigned int)c < NR_COUNTERS ? drop_names[c] : NULL;
}

json_t *breakdown_json(const uint64_t ns[NR_CATEGORIES])
{
	json_t *o = json_object();

	for (int c = 0; c < NR_CATEGORIES; c++)
		json_object_set_new(o, category_name(c), json_integer(ns[c]));
	return o;
}

json_t *net_peers_json(const struct profile *p, uint32_t tid, const char *span_name)
{
	struct peer_wait *v;
	ssize_t n = profile__peer_waits(p, tid, span_name, &v);
	json_t *a = json_array();
	char peer[PEER_STR_LEN], host[SPAN_HOST_LEN * 3];

	for (ssize_t i = 0; i < n; i++) {
		peer_str(&v[i].peer, peer, sizeof(peer));
		if (v[i].host)
			utf8_sanitize(v[i].host, host, sizeof(host));
		json_array_append_new(a, json_pack("{s:s, s:I, s:b, s:o}", "peer", peer, "wait_ns", (json_int_t)v[i].ns,
						   "llm", v[i].llm,
						   "host", v[i].llm && v[i].host ? json_string(host) : json_null()));
	}
	if (n >= 0)
		free(v);
	return a;
}
