// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The recording's spans as OpenTelemetry traces: one ExportTraceServiceRequest (OTLP's protobuf,
 * or OTLP/JSON) per batch, with the breakdown of each span as attributes. Pure: no I/O.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report/otlp.h"
#include "report/pb.h"
#include "report/verdict.h"
#include "model/spans.h"
#include "classify/peer.h"
#include "base/text.h"

/* Field numbers of opentelemetry/proto (tests/otlp/proto): collector, trace, common, resource. */
enum {
	REQ_RESOURCE_SPANS = 1,
	RS_RESOURCE = 1, RS_SCOPE_SPANS = 2,
	RES_ATTRIBUTES = 1,
	SS_SCOPE = 1, SS_SPANS = 2,
	SCOPE_NAME = 1, SCOPE_VERSION = 2,
	SPANF_TRACE_ID = 1, SPANF_SPAN_ID = 2, SPANF_PARENT_SPAN_ID = 4, SPANF_NAME = 5, SPANF_KIND = 6,
	SPANF_START = 7, SPANF_END = 8, SPANF_ATTRIBUTES = 9, SPANF_STATUS = 15,
	KV_KEY = 1, KV_VALUE = 2,
	ANY_STRING = 1, ANY_BOOL = 2, ANY_INT = 3,
};

enum { KIND_INTERNAL = 1, KIND_SERVER = 2, KIND_CLIENT = 3 };

int otlp_span_kind(const struct span_rec *r)
{
	/* the model's three kinds (spans.jsonl's "kind"), in OTLP's numbers */
	if (r->flags & SPAN_HTTP_SERVER)
		return KIND_SERVER;
	if (r->flags & SPAN_HTTP_CLIENT)
		return KIND_CLIENT;
	return KIND_INTERNAL;
}

uint64_t otlp_unix_ns(const struct profile *p, uint64_t mono_ns)
{
	/* both clocks were read back to back when the recording started */
	return p->start_unix_ns + (mono_ns - p->window_start_ns);
}

static struct otlp_attr *add(struct otlp_attr *a, size_t *n, const char *key, enum otlp_type type)
{
	struct otlp_attr *x;

	if (*n >= OTLP_MAX_ATTRS)
		return NULL;
	x = &a[(*n)++];
	memset(x, 0, sizeof(*x));
	x->key = key;
	x->type = type;
	return x;
}

static void add_int(struct otlp_attr *a, size_t *n, const char *key, int64_t v)
{
	struct otlp_attr *x = add(a, n, key, OTLP_INT);

	if (x)
		x->i = v;
}

static void add_bool(struct otlp_attr *a, size_t *n, const char *key, bool v)
{
	struct otlp_attr *x = add(a, n, key, OTLP_BOOL);

	if (x)
		x->i = v;
}

static void add_str(struct otlp_attr *a, size_t *n, const char *key, const char *v)
{
	struct otlp_attr *x = add(a, n, key, OTLP_STRING);

	if (x)
		utf8_sanitize(v, x->s, sizeof(x->s));
}

/* "host:port", "[v6]:port" or "host" into its parts; port 0 when there is none. */
static void split_host_port(const char *in, char *host, size_t len, long *port)
{
	const char *colon = strrchr(in, ':'), *close = strchr(in, ']');
	size_t hlen;
	char *end;

	*port = 0;
	if (in[0] == '[' && close) {	/* an IPv6 literal: the colons inside are not a port's */
		colon = close[1] == ':' ? close + 1 : NULL;
		in++;
		hlen = close - in;
	} else if (colon && strchr(in, ':') == colon) {
		hlen = colon - in;
	} else {
		colon = NULL;
		hlen = strlen(in);
	}
	if (colon) {
		long v = strtol(colon + 1, &end, 10);

		if (colon[1] && !*end && v > 0 && v <= 65535)
			*port = v;
	}
	if (hlen >= len)
		hlen = len - 1;
	memcpy(host, in, hlen);
	host[hlen] = '\0';
}

static void add_address(struct otlp_attr *a, size_t *n, const char *addr_key, const char *port_key,
			const char *hostport)
{
	char host[SPAN_HOST_LEN + PEER_STR_LEN];
	long port;

	split_host_port(hostport, host, sizeof(host), &port);
	if (!host[0])
		return;
	add_str(a, n, addr_key, host);
	if (port)
		add_int(a, n, port_key, port);
}

/*
 * An LLM call's attributes of OpenTelemetry's GenAI conventions, each when it is known; the time to
 * the answer's first byte and whether it was streamed, which they have no span attribute for, as
 * agentprof's.
 */
static void genai_attrs(const struct span_info *s, struct otlp_attr *a, size_t *n)
{
	const struct span_rec *r = s->rec;
	const struct span_genai *g = &r->genai;

	if (r->operation)
		add_str(a, n, "gen_ai.operation.name", r->operation);
	if (r->provider)
		add_str(a, n, "gen_ai.provider.name", r->provider);
	if (g->flags & GENAI_REQUEST_MODEL)
		add_str(a, n, "gen_ai.request.model", g->request_model);
	if (g->flags & GENAI_RESPONSE_MODEL)
		add_str(a, n, "gen_ai.response.model", g->response_model);
	if (g->flags & GENAI_INPUT_TOKENS)
		add_int(a, n, "gen_ai.usage.input_tokens", g->input_tokens);
	if (g->flags & GENAI_OUTPUT_TOKENS)
		add_int(a, n, "gen_ai.usage.output_tokens", g->output_tokens);
	if (r->body_ns >= r->start_ns && r->body_ns && !s->unfinished)
		add_int(a, n, "agentprof.ttft_ns", r->body_ns - r->start_ns);
	add_bool(a, n, "agentprof.streaming", g->flags & GENAI_STREAM);
}

size_t otlp_span_attrs(const struct profile *p, const struct span_info *s, struct otlp_attr *a)
{
	static const char *const cat_keys[NR_CATEGORIES] = {
		[CAT_CPU] = "agentprof.cpu_ns", [CAT_RUNQ] = "agentprof.runq_ns", [CAT_LOCK] = "agentprof.lock_ns",
		[CAT_NET] = "agentprof.net_ns", [CAT_DISK] = "agentprof.disk_ns", [CAT_SLEEP] = "agentprof.sleep_ns",
		[CAT_IDLE] = "agentprof.idle_ns", [CAT_OTHER] = "agentprof.other_ns",
		[CAT_QUEUE] = "agentprof.queue_ns",
	};
	const struct span_rec *r = s->rec;
	char peer[PEER_STR_LEN], verdict[OTLP_STR_LEN];
	size_t n = 0;

	for (int c = 0; c < NR_CATEGORIES; c++)
		add_int(a, &n, cat_keys[c], s->ns[c]);
	add_str(a, &n, "agentprof.class", category_name(s->class));
	/* a verdict names stacks: none when the spans were read back from spans.jsonl (export) */
	if (p->oncpu.n || p->offcpu.n) {
		verdict_spans(p, r->name, s->ns, s->class, verdict, sizeof(verdict));
		if (verdict[0])
			add_str(a, &n, "agentprof.verdict", verdict);
	}
	add_int(a, &n, "thread.id", r->tid);
	peer_str(&r->peer, peer, sizeof(peer));
	/* a client span's server: by the name the request gave it (Host), else by its address */
	if (r->flags & SPAN_HTTP_CLIENT)
		add_address(a, &n, "server.address", "server.port", r->host[0] ? r->host : peer);
	if (peer[0])
		add_address(a, &n, "network.peer.address", "network.peer.port", peer);
	if (r->llm)
		add_bool(a, &n, "agentprof.llm", true);
	if (r->flags & SPAN_TLS)
		add_bool(a, &n, "agentprof.tls", true);
	if (s->unfinished)
		add_bool(a, &n, "agentprof.unfinished", true);
	if (r->llm)
		genai_attrs(s, a, &n);
	return n;
}

static size_t resource_attrs(const struct otlp_resource *res, struct otlp_attr *a)
{
	size_t n = 0;

	if (res->service_name)
		add_str(a, &n, "service.name", res->service_name);
	if (res->pid)
		add_int(a, &n, "process.pid", res->pid);
	if (res->host_name)
		add_str(a, &n, "host.name", res->host_name);
	if (res->container_id)
		add_str(a, &n, "container.id", res->container_id);
	return n;
}

static bool any(const uint8_t *id, size_t n)
{
	uint8_t or = 0;

	for (size_t i = 0; i < n; i++)
		or |= id[i];
	return or;
}

static uint64_t span_end(const struct profile *p, const struct span_info *s)
{
	return s->unfinished ? p->window_end_ns : s->rec->end_ns;
}

/* protobuf */

static void pb_attrs(struct pb *b, uint32_t field, const struct otlp_attr *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t kv = pb__begin(b, field), v;

		pb__string(b, KV_KEY, a[i].key);
		v = pb__begin(b, KV_VALUE);
		if (a[i].type == OTLP_STRING)
			pb__string(b, ANY_STRING, a[i].s);
		else if (a[i].type == OTLP_BOOL)
			pb__oneof_uint(b, ANY_BOOL, a[i].i);
		else
			pb__oneof_uint(b, ANY_INT, (uint64_t)a[i].i);
		pb__end(b, v);
		pb__end(b, kv);
	}
}

static void pb_span(struct pb *b, const struct profile *p, const struct span_info *s)
{
	const struct span_rec *r = s->rec;
	struct otlp_attr attrs[OTLP_MAX_ATTRS];
	char name[SPAN_NAME_LEN * 3];
	size_t m = pb__begin(b, SS_SPANS), st, n;

	pb__bytes(b, SPANF_TRACE_ID, r->trace_id, sizeof(r->trace_id));
	pb__bytes(b, SPANF_SPAN_ID, r->span_id, sizeof(r->span_id));
	/* a root's parent is left out, not written empty: proto3 has no empty bytes on the wire */
	if (any(r->parent_id, sizeof(r->parent_id)))
		pb__bytes(b, SPANF_PARENT_SPAN_ID, r->parent_id, sizeof(r->parent_id));
	utf8_sanitize(r->name, name, sizeof(name));
	pb__string(b, SPANF_NAME, name);
	pb__uint(b, SPANF_KIND, otlp_span_kind(r));
	pb__fixed64(b, SPANF_START, otlp_unix_ns(p, r->start_ns));
	pb__fixed64(b, SPANF_END, otlp_unix_ns(p, span_end(p, s)));
	n = otlp_span_attrs(p, s, attrs);
	pb_attrs(b, SPANF_ATTRIBUTES, attrs, n);
	/* agentprof sees no error of a span: its status is UNSET (code 0), an empty Status */
	st = pb__begin(b, SPANF_STATUS);
	pb__end(b, st);
	pb__end(b, m);
}

static int encode_pb(const struct profile *p, const struct otlp_resource *res, const struct span_info *spans,
		     size_t n_spans, uint8_t **body, size_t *len)
{
	struct otlp_attr attrs[OTLP_MAX_ATTRS];
	size_t rs, r, ss, sc, n;
	struct pb b;

	pb__init(&b);
	rs = pb__begin(&b, REQ_RESOURCE_SPANS);
	r = pb__begin(&b, RS_RESOURCE);
	n = resource_attrs(res, attrs);
	pb_attrs(&b, RES_ATTRIBUTES, attrs, n);
	pb__end(&b, r);
	ss = pb__begin(&b, RS_SCOPE_SPANS);
	sc = pb__begin(&b, SS_SCOPE);
	pb__string(&b, SCOPE_NAME, "agentprof");
	if (res->version)
		pb__string(&b, SCOPE_VERSION, res->version);
	pb__end(&b, sc);
	for (size_t i = 0; i < n_spans; i++)
		pb_span(&b, p, &spans[i]);
	pb__end(&b, ss);
	pb__end(&b, rs);
	if (b.err) {
		pb__free(&b);
		return -ENOMEM;
	}
	*body = b.buf;
	*len = b.len;
	return 0;
}

/* OTLP/JSON: the protobuf JSON mapping, but ids in hex and enums as integers (the OTLP spec's rules) */

static json_t *json_u64(uint64_t v)
{
	char buf[24];

	/* 64-bit integers are strings in the protobuf JSON mapping */
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return json_string(buf);
}

static json_t *json_attrs(const struct otlp_attr *a, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *v;

		if (a[i].type == OTLP_STRING)
			v = json_pack("{s:s}", "stringValue", a[i].s);
		else if (a[i].type == OTLP_BOOL)
			v = json_pack("{s:b}", "boolValue", (int)a[i].i);
		else {
			char buf[24];

			snprintf(buf, sizeof(buf), "%" PRId64, a[i].i);
			v = json_pack("{s:s}", "intValue", buf);
		}
		json_array_append_new(arr, json_pack("{s:s, s:o}", "key", a[i].key, "value", v));
	}
	return arr;
}

static json_t *json_id(const uint8_t *id, size_t n)
{
	char hex[2 * 16 + 1];

	hex_id(id, n, hex);
	return json_string(hex);
}

static json_t *json_span(const struct profile *p, const struct span_info *s)
{
	const struct span_rec *r = s->rec;
	struct otlp_attr attrs[OTLP_MAX_ATTRS];
	char name[SPAN_NAME_LEN * 3];
	size_t n = otlp_span_attrs(p, s, attrs);
	json_t *o;

	utf8_sanitize(r->name, name, sizeof(name));
	o = json_pack("{s:o, s:o, s:s, s:i, s:o, s:o, s:o, s:{}}",
		      "traceId", json_id(r->trace_id, sizeof(r->trace_id)),
		      "spanId", json_id(r->span_id, sizeof(r->span_id)),
		      "name", name,
		      "kind", otlp_span_kind(r),
		      "startTimeUnixNano", json_u64(otlp_unix_ns(p, r->start_ns)),
		      "endTimeUnixNano", json_u64(otlp_unix_ns(p, span_end(p, s))),
		      "attributes", json_attrs(attrs, n),
		      "status");
	if (o && any(r->parent_id, sizeof(r->parent_id)))
		json_object_set_new(o, "parentSpanId", json_id(r->parent_id, sizeof(r->parent_id)));
	return o;
}

static int encode_json(const struct profile *p, const struct otlp_resource *res, const struct span_info *spans,
		       size_t n_spans, uint8_t **body, size_t *len)
{
	struct otlp_attr attrs[OTLP_MAX_ATTRS];
	json_t *list = json_array(), *scope, *root;
	char *text;

	for (size_t i = 0; i < n_spans; i++)
		json_array_append_new(list, json_span(p, &spans[i]));
	scope = json_pack("{s:s}", "name", "agentprof");
	if (scope && res->version)
		json_object_set_new(scope, "version", json_string(res->version));
	root = json_pack("{s:[{s:{s:o}, s:[{s:o, s:o}]}]}",
			 "resourceSpans",
			 "resource", "attributes", json_attrs(attrs, resource_attrs(res, attrs)),
			 "scopeSpans", "scope", scope, "spans", list);
	if (!root || json_array_size(list) != n_spans)
		goto nomem;
	text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (!text)
		return -ENOMEM;
	*body = (uint8_t *)text;
	*len = strlen(text);
	return 0;
nomem:
	json_decref(root);
	return -ENOMEM;
}

int otlp_encode(const struct profile *p, const struct otlp_resource *res, const struct span_info *spans, size_t n,
		enum otlp_format fmt, uint8_t **body, size_t *len)
{
	return fmt == OTLP_JSON ? encode_json(p, res, spans, n, body, len) : encode_pb(p, res, spans, n, body, len);
}
