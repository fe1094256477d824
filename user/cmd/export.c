// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `agentprof export otlp DIR --otlp URL`: send a finished recording's spans (its spans.jsonl) to an OTLP endpoint. */
#include <argp.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/export.h"
#include "cmd/cli.h"
#include "cmd/otlp.h"
#include "report/spans_read.h"
#include "model/profile.h"
#include "base/log.h"
#include "base/util.h"

#define SPANS_MAX (1ul << 30)	/* bytes of spans.jsonl read at most */

static struct env {
	const char *format;
	const char *dir;
	struct otlp_args otlp;
} env = {
	.otlp = OTLP_ARGS_DEFAULTS,
};

static const struct argp_option options[] = {
	OTLP_OPTIONS,
	{ "verbose", 'v', NULL, 0, "More diagnostics", 0 },
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	error_t err;

	(void)state;
	switch (key) {
	case 'v':
		log_verbosity++;
		return 0;
	case ARGP_KEY_ARG:
		if (!env.format) {
			if (strcmp(arg, "otlp")) {
				pr_warn("export knows one format, otlp, not '%s'\n", arg);
				return EINVAL;
			}
			env.format = arg;
		} else if (!env.dir) {
			env.dir = arg;
		} else {
			pr_warn("unexpected argument '%s'\n", arg);
			return EINVAL;
		}
		return 0;
	case ARGP_KEY_END:
		err = parse_otlp_arg(key, arg, &env.otlp);
		if (err != ARGP_ERR_UNKNOWN)
			return err;
		if (!env.dir || !env.otlp.url) {
			pr_warn("usage: agentprof export otlp DIR --otlp URL\n");
			return EINVAL;
		}
		return 0;
	default:
		return parse_otlp_arg(key, arg, &env.otlp);
	}
}

static const struct argp argp = {
	.options = options,
	.parser = parse_arg,
	.args_doc = "otlp DIR",
	.doc = "Send the spans of a recording (DIR, as record wrote it: spans.jsonl and report.json) to an "
	       "OpenTelemetry endpoint, as record --otlp would have.\v"
	       "Exits 0 when every span was sent, 1 otherwise (the summary line says why).",
};

/* What report.json says of the recording: its target and its clocks. */
static int read_report(const char *dir, struct profile *p)
{
	char path[4096];
	json_error_t jerr;
	json_t *o, *container;
	const char *comm;

	snprintf(path, sizeof(path), "%s/report.json", dir);
	o = json_load_file(path, 0, &jerr);
	if (!o) {
		pr_warn("%s: %s\n", path, jerr.text);
		return -EINVAL;
	}
	if (!json_is_integer(json_object_get(o, "start_unix_ns")) ||
	    !json_is_integer(json_object_get(o, "window_start_ns")) ||
	    !json_is_integer(json_object_get(o, "window_end_ns"))) {
		pr_warn("%s: no start_unix_ns, window_start_ns, window_end_ns: not a report of agentprof's\n", path);
		json_decref(o);
		return -EINVAL;
	}
	p->start_unix_ns = json_integer_value(json_object_get(o, "start_unix_ns"));
	p->window_start_ns = json_integer_value(json_object_get(o, "window_start_ns"));
	p->window_end_ns = json_integer_value(json_object_get(o, "window_end_ns"));
	p->pid = json_integer_value(json_object_get(o, "pid"));	/* null (a container): 0 */
	comm = json_string_value(json_object_get(o, "comm"));
	snprintf(p->comm, sizeof(p->comm), "%s", comm ? comm : "");
	container = json_object_get(o, "container");
	if (json_is_string(json_object_get(container, "cgroup")))
		p->cgroup = strdup(json_string_value(json_object_get(container, "cgroup")));
	json_decref(o);
	return 0;
}

int cmd_export(int argc, char **argv)
{
	struct spans_file spans = {};
	struct otlp_export *e;
	struct profile p;
	char path[4096], *text = NULL;
	ssize_t n;
	int err;

	profile__init(&p);
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	err = read_report(env.dir, &p);
	if (err)
		goto cleanup;
	snprintf(path, sizeof(path), "%s/spans.jsonl", env.dir);
	n = read_file(path, SPANS_MAX, &text);
	if (n < 0) {
		err = n;
		pr_warn("%s: %s\n", path, strerror(-err));
		goto cleanup;
	}
	err = spans_file__parse(text, &spans);
	if (err)
		goto cleanup;
	e = otlp_export__start(&env.otlp, &p, false);
	if (!e) {
		err = -errno;
		goto cleanup;
	}
	otlp_export__spans(e, &p, spans.infos, spans.n);
	err = otlp_export__finish(e, stdout);
cleanup:
	free(text);
	spans_file__free(&spans);
	profile__free(&p);
	otlp_args__free(&env.otlp);
	return err ? 1 : 0;
}
