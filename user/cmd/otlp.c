// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The --otlp options of record, top and export, and the export of their spans to an OTLP endpoint. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cmd/otlp.h"
#include "cmd/cli.h"
#include "report/otlp.h"
#include "classify/classify.h"
#include "model/spans.h"
#include "report/summary.h"
#include "target/cgroup.h"
#include "base/log.h"
#include "base/util.h"
#include "base/vec.h"

extern const char *argp_program_version;

#define REQUEST_TIMEOUT_MS 5000
#define MAX_RETRIES 5

/* RFC 9110's token: the characters of a header's name */
static bool is_token(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		      strchr("!#$%&'*+-.^_`|~", s[i])))
			return false;
	return true;
}

/* KEY=VALUE as "KEY: VALUE"; the value is a secret, so no message quotes it. */
static error_t add_header(struct otlp_args *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *line;

	if (!eq || !is_token(arg, eq - arg)) {
		pr_warn("--otlp-header takes KEY=VALUE, KEY a header name (letters, digits, -)\n");
		return EINVAL;
	}
	if (strpbrk(eq + 1, "\r\n")) {
		pr_warn("--otlp-header %.*s: the value holds a line break\n", (int)(eq - arg), arg);
		return EINVAL;
	}
	if (VEC_GROW_N(o->headers, o->nheaders))
		return ENOMEM;
	if (asprintf(&line, "%.*s: %s", (int)(eq - arg), arg, eq + 1) < 0)
		return ENOMEM;
	o->headers[o->nheaders++] = line;
	return 0;
}

error_t parse_otlp_arg(int key, char *arg, struct otlp_args *o)
{
	switch (key) {
	case OPT_OTLP:
		if (strncmp(arg, "http://", 7) && strncmp(arg, "https://", 8)) {
			pr_warn("--otlp takes an http:// or https:// URL\n");
			return EINVAL;
		}
		o->url = arg;
		return 0;
	case OPT_OTLP_JSON:
		o->json = true;
		return 0;
	case OPT_OTLP_HEADER:
		return add_header(o, arg);
	case OPT_SERVICE:
		o->service = arg;
		return 0;
	case OPT_OTLP_TIMEOUT:
		return parse_number("--otlp-timeout", arg, 1, 3600, &o->timeout_s);
	case OPT_OTLP_BATCH:
		return parse_number("--otlp-batch", arg, 1, 100000, &o->batch);
	case OPT_OTLP_QUEUE:
		return parse_number("--otlp-queue", arg, 1, 1 << 24, &o->queue);
	case ARGP_KEY_END:
		if (!o->url && (o->json || o->nheaders || o->service)) {
			pr_warn("--otlp-json, --otlp-header and --service need --otlp URL\n");
			return EINVAL;
		}
		return ARGP_ERR_UNKNOWN;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

void otlp_args__free(struct otlp_args *o)
{
	for (size_t i = 0; i < o->nheaders; i++) {
		explicit_bzero(o->headers[i], strlen(o->headers[i]));
		free(o->headers[i]);
	}
	free(o->headers);
	o->headers = NULL;
	o->nheaders = 0;
}

/* top: a span still open, with its breakdown over the intervals so far */
struct open_span {
	uint32_t seq;
	uint64_t ns[NR_CATEGORIES];
};

struct otlp_export {
	struct otlp_sender *sender;
	struct open_span *open;		/* sorted by seq */
	size_t nopen;
	struct otlp_resource res;
	enum otlp_format format;
	size_t batch;
	long timeout_s;
	uint64_t total;			/* spans given to export */
	uint64_t not_encoded;		/* out of memory before they were queued */
	char host[256], container[65], service[TASK_COMM_LEN + 1];
};

struct otlp_export *otlp_export__start(const struct otlp_args *o, const struct profile *p, bool live)
{
	const char *version = strchr(argp_program_version, ' ');
	struct otlp_send_opts so = {
		.url = o->url, .headers = (const char *const *)o->headers, .nheaders = o->nheaders,
		.format = o->json ? OTLP_JSON : OTLP_PROTOBUF, .queue_spans = o->queue,
		.request_timeout_ms = REQUEST_TIMEOUT_MS, .max_retries = MAX_RETRIES,
	};
	struct otlp_export *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->format = so.format;
	e->batch = o->batch;
	e->timeout_s = o->timeout_s;
	snprintf(e->service, sizeof(e->service), "%s", p->comm);
	e->res.service_name = o->service ? o->service : e->service;
	e->res.pid = p->pid;
	e->res.version = version ? version + 1 : argp_program_version;
	if (!gethostname(e->host, sizeof(e->host) - 1) && e->host[0])
		e->res.host_name = e->host;
	/*
	 * a container's ID from its cgroup's name (--container), or from the process's cgroup while
	 * it runs: a finished recording's PID may be another process's by now
	 */
	if ((p->cgroup && !cgroup_container_id(p->cgroup, e->container)) ||
	    (live && !p->cgroup && p->pid && !proc_container_id(p->pid, e->container)))
		e->res.container_id = e->container;
	e->sender = otlp_sender__new(&so);
	if (!e->sender) {
		free(e);
		return NULL;
	}
	return e;
}

void otlp_export__spans(struct otlp_export *e, const struct profile *p, const struct span_info *spans, size_t n)
{
	for (size_t from = 0; from < n; from += e->batch) {
		size_t count = n - from < e->batch ? n - from : e->batch, len;
		uint8_t *body;

		e->total += count;
		if (otlp_encode(p, &e->res, spans + from, count, e->format, &body, &len)) {
			e->not_encoded += count;
			continue;
		}
		otlp_sender__submit(e->sender, body, len, count);
	}
}

int otlp_export__finish(struct otlp_export *e, FILE *f)
{
	uint64_t start = now_ns(CLOCK_MONOTONIC);
	struct otlp_stats st;

	if (!e)
		return 0;
	otlp_sender__finish(e->sender, start + e->timeout_s * 1000000000ull, &st);
	st.spans_dropped += e->not_encoded;
	st.dropped_failed += e->not_encoded;
	if (e->not_encoded)
		snprintf(st.last_error, sizeof(st.last_error), "encode spans: out of memory");
	print_otlp_summary(f, &st, e->total, (now_ns(CLOCK_MONOTONIC) - start) / 1e9);
	free(e->open);
	free(e);
	return st.spans_dropped ? -EIO : 0;
}

static int cmp_open(const void *a, const void *b)
{
	const struct open_span *x = a, *y = b;

	return (x->seq > y->seq) - (x->seq < y->seq);
}

int otlp_export__interval(struct otlp_export *e, const struct profile *p)
{
	size_t n = p->nspans ? p->nspans : 1, nopen = 0, nended = 0;
	struct open_span *open = malloc(n * sizeof(*open));
	struct span_info *ended = malloc(n * sizeof(*ended));

	if (!open || !ended) {
		free(open);
		free(ended);
		return -ENOMEM;
	}
	/* p->spans and e->open are both sorted by seq */
	for (size_t i = 0; i < p->nspans; i++) {
		const struct span_info *s = &p->spans[i];
		const struct span_rec *r = s->rec;
		struct open_span key = { .seq = r->seq }, *before;
		uint64_t ns[NR_CATEGORIES];

		before = e->nopen ? bsearch(&key, e->open, e->nopen, sizeof(key), cmp_open) : NULL;
		for (int c = 0; c < NR_CATEGORIES; c++)
			ns[c] = s->ns[c] + (before ? before->ns[c] : 0);
		/* ended within this window: the next one will not have it */
		if (r->ended && r->end_ns <= p->window_end_ns) {
			struct span_info *x = &ended[nended++];

			*x = *s;
			memcpy(x->ns, ns, sizeof(ns));
			x->wall_ns = r->end_ns > r->start_ns ? r->end_ns - r->start_ns : 0;
			x->class = classify_breakdown(x->ns, x->wall_ns);
			x->unfinished = false;
		} else {
			open[nopen].seq = r->seq;
			memcpy(open[nopen++].ns, ns, sizeof(ns));
		}
	}
	free(e->open);
	e->open = open;
	e->nopen = nopen;
	otlp_export__spans(e, p, ended, nended);
	free(ended);
	return 0;
}
