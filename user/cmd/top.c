// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `agentprof top`: stay attached and say, every interval, what holds each thread back. Each
 * interval is the difference of two snapshots, classified by the same code as `record`.
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "cmd/cli.h"
#include "cmd/otlp.h"
#include "base/log.h"
#include "report/metrics_server.h"
#include "symbols/profile_symbolize.h"
#include "report/json.h"
#include "capture/session.h"
#include "symbols/symbolize.h"
#include "model/spangroups.h"
#include "model/spans.h"
#include "base/text.h"
#include "base/util.h"
#include "report/verdict.h"

static struct env {
	struct common_args common;
	long interval_s;
	long iterations;	/* 0: until stopped */
	bool json;
	const char *listen;	/* serve Prometheus metrics here */
	struct otlp_args otlp;
} env = {
	.interval_s = 1,
	.common.freq_hz = 99,
	.otlp = OTLP_ARGS_DEFAULTS,
};

enum { OPT_JSON = 0x100, OPT_LISTEN };

static const struct argp_option options[] = {
	COMMON_OPTIONS("Process to watch"),
	{ "interval", 'i', "SECONDS", 0, "Seconds per refresh (default 1)", 0 },
	{ "iterations", 'n', "N", 0, "Stop after N refreshes (default: at q, Ctrl-C or the target's exit)", 0 },
	{ "json", OPT_JSON, NULL, 0, "One JSON object per interval (also when stdout is not a terminal)", 0 },
	{ "listen", OPT_LISTEN, "ADDR:PORT", 0,
	  "Serve Prometheus metrics at http://ADDR:PORT/metrics (PORT alone: 127.0.0.1)", 0 },
	OTLP_OPTIONS,
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	error_t err = 0;

	(void)state;
	switch (key) {
	case 'i':
		err = parse_number("interval", arg, 1, 3600, &env.interval_s);
		break;
	case 'n':
		err = parse_number("iterations", arg, 1, 1000000, &env.iterations);
		break;
	case OPT_JSON:
		env.json = true;
		break;
	case OPT_LISTEN:
		if (parse_listen(arg, &(struct sockaddr_storage){}, &(socklen_t){ 0 })) {
			pr_warn("listen address must be HOST:PORT, [IPV6]:PORT or PORT, not '%s'\n", arg);
			return EINVAL;
		}
		env.listen = arg;
		break;
	default:
		err = parse_otlp_arg(key, arg, &env.otlp);
		return err == ARGP_ERR_UNKNOWN ? parse_common_arg(key, arg, &env.common) : err;
	}
	return err;
}

static const struct argp argp = {
	.options = options,
	.parser = parse_arg,
	.doc = "Watch a running process: every interval, where each thread's time went and why. With --otlp, "
	       "sends each span as OpenTelemetry traces once it has ended.\v"
	       "Keys on a terminal: q quits.",
};

struct screen {
	bool tty;		/* full-screen frames; else JSON lines */
	bool raw_input;		/* stdin switched to non-canonical mode for 'q' */
	struct termios saved;
	int rows, cols;
};

static void screen_open(struct screen *sc)
{
	struct winsize ws;
	struct termios raw;

	memset(sc, 0, sizeof(*sc));
	sc->tty = !env.json && isatty(STDOUT_FILENO);
	sc->rows = 24;
	sc->cols = 80;
	if (!sc->tty)
		return;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
		sc->rows = ws.ws_row;
		sc->cols = ws.ws_col;
	}
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &sc->saved) == 0) {
		raw = sc->saved;
		raw.c_lflag &= ~(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		sc->raw_input = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
	}
}

static void screen_close(struct screen *sc)
{
	if (sc->raw_input)
		tcsetattr(STDIN_FILENO, TCSANOW, &sc->saved);
}

static uint64_t busy_ns(const uint64_t ns[NR_CATEGORIES])
{
	uint64_t sum = 0;

	for (int c = 0; c < NR_CATEGORIES; c++)
		if (c != CAT_IDLE)
			sum += ns[c];
	return sum;
}

static int cmp_busy(const void *a, const void *b)
{
	const struct thread_info *x = *(const struct thread_info *const *)a;
	const struct thread_info *y = *(const struct thread_info *const *)b;
	uint64_t bx = busy_ns(x->ns), by = busy_ns(y->ns);

	if (bx != by)
		return (bx < by) - (bx > by);
	return (x->tid > y->tid) - (x->tid < y->tid);
}

static void print_row(const struct screen *sc, const char *label, const uint64_t ns[NR_CATEGORIES],
		      enum category class, const char *verdict_text)
{
	char line[2048];
	uint64_t total = 0;
	int at;

	for (int c = 0; c < NR_CATEGORIES; c++)
		total += ns[c];
	at = snprintf(line, sizeof(line), "%-22.22s %-5s", label, category_name(class));
	for (int c = 0; c < NR_CATEGORIES && at < (int)sizeof(line); c++)
		at += snprintf(line + at, sizeof(line) - at, " %5.1f", total ? 100.0 * ns[c] / total : 0.0);
	if (at < (int)sizeof(line))
		snprintf(line + at, sizeof(line) - at, "  %s", verdict_text);
	printf("%.*s\n", sc->cols > 0 ? sc->cols : 80, line);
}

#define SPAN_ROWS	5
#define TRACE_ROWS	3

static int cmp_group_busy(const void *a, const void *b)
{
	const struct span_group *x = a, *y = b;
	uint64_t bx = busy_ns(x->ns), by = busy_ns(y->ns);

	if (bx != by)
		return (bx < by) - (bx > by);
	return strcmp(x->name, y->name);
}

/* Span names active in the interval, busiest first: up to SPAN_ROWS rows. Returns rows printed. */
static int print_spans(const struct screen *sc, const struct profile *p)
{
	char label[256], name[SPAN_NAME_LEN * 3], text[1024];
	struct span_group *groups;
	int printed = 0;
	size_t n;

	if (span_groups__by_name(p, &groups, &n))
		return 0;
	qsort(groups, n, sizeof(*groups), cmp_group_busy);
	for (size_t i = 0; i < n && i < SPAN_ROWS; i++) {
		const struct span_group *g = &groups[i];

		term_sanitize(g->name, name, sizeof(name));
		snprintf(label, sizeof(label), "span %s (%zu)", name, g->count + g->unfinished);
		verdict_spans(p, g->name, g->ns, g->class, text, sizeof(text));
		term_sanitize(text, text, sizeof(text));
		print_row(sc, label, g->ns, g->class, text);
		printed++;
	}
	free(groups);
	return printed;
}

static int cmp_span_wall(const void *a, const void *b)
{
	uint64_t x = (*(const struct span_info *const *)a)->wall_ns, y = (*(const struct span_info *const *)b)->wall_ns;

	return (x < y) - (x > y);
}

/* The slowest root spans (no outer span on their thread) of the interval, with their trace. */
static int print_slowest_traces(const struct screen *sc, const struct profile *p)
{
	const struct span_info **roots = calloc(p->nspans ? p->nspans : 1, sizeof(*roots));
	char label[96], name[SPAN_NAME_LEN * 3], hex[33];
	size_t n = 0;
	int printed = 0;

	if (!roots)
		return 0;
	for (size_t i = 0; i < p->nspans; i++)
		if (!profile__span(p, p->spans[i].rec->outer))
			roots[n++] = &p->spans[i];
	qsort(roots, n, sizeof(*roots), cmp_span_wall);
	for (size_t i = 0; i < n && i < TRACE_ROWS; i++) {
		hex_id(roots[i]->rec->trace_id, sizeof(roots[i]->rec->trace_id), hex);
		term_sanitize(roots[i]->rec->name, name, sizeof(name));
		snprintf(label, sizeof(label), "trace %.8s %.0fms", hex, roots[i]->wall_ns / 1e6);
		print_row(sc, label, roots[i]->ns, roots[i]->class, name);
		printed++;
	}
	free(roots);
	return printed;
}

static void print_frame(const struct screen *sc, const struct profile *p, bool exited)
{
	const struct thread_info **order = calloc(p->nthreads ? p->nthreads : 1, sizeof(*order));
	char name[64], label[96], text[1024];
	int room = sc->rows - 6;

	printf("\033[H\033[2J");
	profile__title(p, label, sizeof(label));
	term_sanitize(label, name, sizeof(name));
	printf("agentprof top - %s - %zu threads", name, p->nthreads);
	if (p->nrss)
		printf(" - RSS %.1f MB", p->rss[p->nrss - 1].bytes / 1e6);
	printf(" - last %.1f s%s\n", p->duration_ns / 1e9, exited ? " - target exited" : " - q quits");
	printf("%-22s %-5s", "", "class");
	for (int c = 0; c < NR_CATEGORIES; c++)
		printf(" %5s", category_name(c));
	printf("  verdict\n");
	verdict(p, NULL, text, sizeof(text));
	term_sanitize(text, text, sizeof(text));
	print_row(sc, "process", p->ns, p->class, text);
	room -= print_spans(sc, p);
	room -= print_slowest_traces(sc, p);
	if (!order)
		return;
	for (size_t i = 0; i < p->nthreads; i++)
		order[i] = &p->threads[i];
	qsort(order, p->nthreads, sizeof(*order), cmp_busy);	/* rows by non-idle time */
	for (size_t i = 0; i < p->nthreads && (int)i < room; i++) {
		term_sanitize(order[i]->comm, name, sizeof(name));
		snprintf(label, sizeof(label), "%u %s", order[i]->tid, name);
		verdict(p, order[i], text, sizeof(text));
		term_sanitize(text, text, sizeof(text));
		print_row(sc, label, order[i]->ns, order[i]->class, text);
	}
	if ((int)p->nthreads > room && room > 0)
		printf("... %zu more threads\n", p->nthreads - room);
	fflush(stdout);
	free(order);
}

static int print_json(const struct profile *p)
{
	json_t *o = report_json(p);
	int err = 0;

	if (!o)
		return -ENOMEM;
	if (json_dumpf(o, stdout, JSON_COMPACT) || putchar('\n') == EOF || fflush(stdout))
		err = -EIO;
	json_decref(o);
	return err;
}

/* The interval between two snapshots, symbolized and classified, then shown. */
static int show(struct session *sess, const struct screen *sc, struct metrics_server *metrics,
		struct otlp_export *otlp, const struct snapshot *cur, const struct snapshot *prev, bool exited)
{
	struct profile p;
	uint64_t rss;
	int err = 0;

	profile__init(&p);
	p.freq_hz = env.common.freq_hz;
	p.duration_ns = cur->at_ns - prev->at_ns;
	p.start_unix_ns = now_ns(CLOCK_REALTIME) - (now_ns(CLOCK_MONOTONIC) - prev->at_ns);
	p.target_exited = exited;
	p.clip_spans = true;
	p.llm = &env.common.llm;
	if (!session__rss(sess, &rss))	/* the header's and the JSON's resident memory, now */
		err = profile__add_rss(&p, cur->at_ns, rss);
	err = err ?: session__describe(sess, &p) ?:
	      snapshot__diff(cur, prev, session__stacks(sess), session__py_stacks(sess), &p) ?:
	      profile__finish(&p, &sess->spans) ?:
	      profile__symbolize(&p, sess->syms);
	if (!err && metrics)
		err = metrics_server__add(metrics, &p);
	/* spans as they end: queued, sent by the exporter's thread, never waited for here */
	if (!err && otlp)
		err = otlp_export__interval(otlp, &p);
	if (!err) {
		if (sc->tty)
			print_frame(sc, &p, exited);
		else
			err = print_json(&p);
	}
	profile__free(&p);
	return err;
}

/* Reads keys typed since the last look; true when one of them asks to quit. */
static bool quit_key(void)
{
	char c;

	while (read(STDIN_FILENO, &c, 1) == 1)
		if (c == 'q' || c == 'Q')
			return true;
	return false;
}

int cmd_top(int argc, char **argv)
{
	struct snapshot prev = {}, cur = {};
	struct session sess = { .sigfd = -1 };
	struct metrics_server *metrics = NULL;
	struct otlp_export *otlp = NULL;
	struct screen sc = {};
	enum stop_reason why;
	long shown = 0;
	int err;

	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return 2;
	const struct session_opts opts = { env.common.pid, env.common.container, env.common.freq_hz,
					   DEFAULT_STACK_ENTRIES, env.common.fp_user_stacks, &env.common.llm, false, false };

	err = session__open(&sess, &opts) ?: session__load(&sess, &opts);
	if (err)
		goto cleanup;
	/* after session__load: the server's thread inherits the blocked stop signals */
	if (env.listen) {
		metrics = metrics_server__start(env.listen, sess.target.pid, sess.target.comm);
		if (!metrics) {
			err = -errno;
			goto cleanup;
		}
	}
	if (env.otlp.url) {
		struct profile id;

		/* the resource: the target's name, PID, cgroup */
		profile__init(&id);
		err = session__describe(&sess, &id);
		otlp = err ? NULL : otlp_export__start(&env.otlp, &id, true);
		profile__free(&id);
		if (!otlp) {
			err = err ?: -errno;
			goto cleanup;
		}
	}
	err = session__attach(&sess) ?: session__snapshot(&sess, 0, &prev);
	if (err)
		goto cleanup;
	screen_open(&sc);
	while (!env.iterations || shown < env.iterations) {
		why = session__wait(&sess, prev.at_ns + env.interval_s * 1000000000ull,
				    sc.raw_input ? STDIN_FILENO : -1);
		if (why == STOP_SIGNAL || (why == STOP_INPUT && quit_key()))
			break;
		if (why == STOP_INPUT)
			continue;
		err = session__snapshot(&sess, 0, &cur) ?:
		      show(&sess, &sc, metrics, otlp, &cur, &prev, why == STOP_TARGET_EXIT) ?:
		      session__forget_exited(&sess, &cur);
		if (err) {
			pr_warn("interval: %s\n", strerror(-err));
			break;
		}
		snapshot__free(&prev);
		prev = cur;
		memset(&cur, 0, sizeof(cur));
		shown++;
		if (why == STOP_TARGET_EXIT) {
			fprintf(stderr, "agentprof: target %s exited\n", sess.target.comm);
			break;
		}
	}
cleanup:
	metrics_server__stop(metrics);
	screen_close(&sc);
	/* stderr: stdout may be JSON lines */
	otlp_export__finish(otlp, stderr);
	snapshot__free(&prev);
	snapshot__free(&cur);
	session__close(&sess);
	llm_endpoints__free(&env.common.llm);
	otlp_args__free(&env.otlp);
	return err ? 1 : 0;
}
