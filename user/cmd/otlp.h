/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The --otlp options of record, top and export, and the export of their spans to an OTLP endpoint. */
#ifndef CMD_OTLP_H
#define CMD_OTLP_H

#include <argp.h>
#include <stdbool.h>
#include <stdio.h>
#include "report/otlp_send.h"

struct otlp_args {
	const char *url;		/* --otlp: NULL when not exporting */
	bool json;			/* --otlp-json */
	char **headers;			/* --otlp-header K=V as "K: V" lines (secrets: never printed) */
	size_t nheaders;
	const char *service;		/* --service */
	long timeout_s;			/* --otlp-timeout: how long the export may take at the end */
	long batch;			/* --otlp-batch: spans per request */
	long queue;			/* --otlp-queue: spans queued at most */
};

enum { OPT_OTLP = 0x300, OPT_OTLP_JSON, OPT_OTLP_HEADER, OPT_SERVICE, OPT_OTLP_TIMEOUT, OPT_OTLP_BATCH,
       OPT_OTLP_QUEUE };

#define OTLP_ARGS_DEFAULTS { .timeout_s = 5, .batch = 512, .queue = 65536 }

#define OTLP_OPTIONS                                                                           \
	{ "otlp", OPT_OTLP, "URL", 0,                                                           \
	  "Also send the spans as OpenTelemetry traces: OTLP/HTTP to URL/v1/traces", 0 },      \
	{ "otlp-json", OPT_OTLP_JSON, NULL, 0, "OTLP/JSON instead of protobuf", 0 },            \
	{ "otlp-header", OPT_OTLP_HEADER, "KEY=VALUE", 0,                                      \
	  "A header of every OTLP request, e.g. an API key (repeatable; never printed)", 0 },  \
	{ "service", OPT_SERVICE, "NAME", 0, "service.name of the traces (default: the process's name)", 0 }, \
	{ "otlp-timeout", OPT_OTLP_TIMEOUT, "SECONDS", 0,                                      \
	  "At most this long sending at the end (record: after its files are written); what is left is dropped, and counted (default 5)", 0 }, \
	{ "otlp-batch", OPT_OTLP_BATCH, "N", 0, "Spans per OTLP request (default 512)", 0 },    \
	{ "otlp-queue", OPT_OTLP_QUEUE, "N", 0, "Spans waiting to be sent at most; more are dropped, and counted (default 65536)", 0 }

/* The OTLP options; ARGP_ERR_UNKNOWN for any other key. */
error_t parse_otlp_arg(int key, char *arg, struct otlp_args *o);
void otlp_args__free(struct otlp_args *o);

struct profile;
struct span_info;
struct otlp_export;

/*
 * Starts exporting the spans of a recording of p's target (its comm, pid, cgroup make the
 * resource; live: the process runs, its /proc may be read). NULL and errno set, after one line
 * saying why, when the sender cannot start.
 */
struct otlp_export *otlp_export__start(const struct otlp_args *o, const struct profile *p, bool live);
/* Queues n spans of p's window in batches: never blocks (a full queue drops, and counts). */
void otlp_export__spans(struct otlp_export *e, const struct profile *p, const struct span_info *spans, size_t n);
/*
 * top: queues the spans that ended in the interval profile p, each with its breakdown summed over
 * every interval it lived in (p's own are clipped to the interval). 0 or -ENOMEM.
 */
int otlp_export__interval(struct otlp_export *e, const struct profile *p);
/*
 * Sends what is queued for at most --otlp-timeout, prints on f one line of how many spans were
 * sent, retried, dropped, and frees e (NULL: nothing). The files of a recording are written
 * before: nothing here can fail them. 0 when every span was sent, else -EIO.
 */
int otlp_export__finish(struct otlp_export *e, FILE *f);

#endif /* CMD_OTLP_H */
