// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The --otlp options of record, and the export of a finished recording's spans to an OTLP endpoint. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cmd/otlp.h"
#include "cmd/cli.h"
#include "report/otlp.h"
#include "report/summary.h"
#include "target/cgroup.h"
#include "base/log.h"
#include "base/util.h"

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
	char **v, *line;

	if (!eq || !is_token(arg, eq - arg)) {
		pr_warn("--otlp-header takes KEY=VALUE, KEY a header name (letters, digits, -)\n");
		return EINVAL;
	}
	if (strpbrk(eq + 1, "\r\n")) {
		pr_warn("--otlp-header %.*s: the value holds a line break\n", (int)(eq - arg), arg);
		return EINVAL;
	}
	v = realloc(o->headers, (o->nheaders + 1) * sizeof(*v));
	if (!v)
		return ENOMEM;
	o->headers = v;
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

int otlp_export_profile(const struct otlp_args *o, const struct profile *p, FILE *f)
{
	const char *version = strchr(argp_program_version, ' ');
	struct otlp_send_opts so = {
		.url = o->url, .headers = (const char *const *)o->headers, .nheaders = o->nheaders,
		.format = o->json ? OTLP_JSON : OTLP_PROTOBUF, .queue_spans = o->queue,
		.request_timeout_ms = REQUEST_TIMEOUT_MS, .max_retries = MAX_RETRIES,
	};
	char host[256] = "", container[65];
	struct otlp_resource res = {
		.service_name = o->service ? o->service : p->comm,
		.pid = p->pid,
		.version = version ? version + 1 : argp_program_version,
	};
	uint64_t deadline = now_ns(CLOCK_MONOTONIC) + o->timeout_s * 1000000000ull;
	struct otlp_sender *s;
	struct otlp_stats st;
	size_t queued = 0;

	if (!gethostname(host, sizeof(host) - 1) && host[0])
		res.host_name = host;
	/* a container's ID from its cgroup's name (--container), or from the process's cgroup */
	if ((p->cgroup && !cgroup_container_id(p->cgroup, container)) ||
	    (!p->cgroup && p->pid && !proc_container_id(p->pid, container)))
		res.container_id = container;
	s = otlp_sender__new(&so);
	if (!s)
		return -errno;
	for (size_t from = 0; from < p->nspans; from += o->batch) {
		size_t to = from + o->batch < p->nspans ? from + o->batch : p->nspans, len;
		uint8_t *body;

		if (otlp_encode(p, &res, from, to, so.format, &body, &len)) {
			pr_warn("otlp: encode spans: out of memory\n");
			break;
		}
		otlp_sender__submit(s, body, len, to - from);
		queued = to;
	}
	otlp_sender__finish(s, deadline, &st);
	/* spans never encoded (out of memory) are dropped too */
	st.spans_dropped += p->nspans - queued;
	st.dropped_failed += p->nspans - queued;
	print_otlp_summary(f, &st, p->nspans);
	return 0;
}
