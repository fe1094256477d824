// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `agentprof record`: attach to a process, sample until told to stop, write the outputs. */
#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cmd/cli.h"
#include "cmd/otlp.h"
#include "base/log.h"
#include "report/outdir.h"
#include "report/output.h"
#include "report/summary.h"
#include "model/profile.h"
#include "symbols/profile_symbolize.h"
#include "capture/session.h"
#include "base/util.h"

static struct env {
	struct common_args common;
	long duration_s;	/* 0: until a signal or the target exits */
	long stack_entries;
	const char *outdir;
	char default_outdir[300];
	enum group_by group_by;
	bool no_py_lines;
	bool force;
	bool follow_children;
	bool memory;
	struct otlp_args otlp;
} env = {
	.common.freq_hz = 99,
	.stack_entries = DEFAULT_STACK_ENTRIES,
	.otlp = OTLP_ARGS_DEFAULTS,
};

enum { OPT_STACK_STORAGE = 0x100, OPT_GROUP_BY, OPT_NO_PY_LINES, OPT_FORCE, OPT_FOLLOW, OPT_MEMORY };

static const char *const group_names[] = {
	[GROUP_THREAD] = "thread", [GROUP_PROCESS] = "process", [GROUP_SPAN] = "span", [GROUP_TRACE] = "trace",
};

static const struct argp_option options[] = {
	COMMON_OPTIONS("Process to profile (all its threads, present and future)"),
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS (default: at Ctrl-C or when the target exits)", 0 },
	{ "output", 'o', "DIR", 0, "Output directory (default agentprof-PID), created 0700", 0 },
	{ "force", OPT_FORCE, NULL, 0, "Write into an output directory that is not empty", 0 },
	{ "follow-children", OPT_FOLLOW, NULL, 0,
	  "Also record the processes it forks from now on (and theirs), each a process of the report", 0 },
	{ "memory", OPT_MEMORY, NULL, 0,
	  "Also record memory growth: by stack, thread, span and trace (mem.folded, mem.svg, mem.pb.gz), RSS once a second", 0 },
	{ "stack-storage-size", OPT_STACK_STORAGE, "N", 0, "Distinct stacks kept in the kernel (default 16384)", 0 },
	{ "group-by", OPT_GROUP_BY, "WHAT", 0,
	  "Root frames of the flame graphs: thread (default), process, span or trace", 0 },
	{ "no-py-lines", OPT_NO_PY_LINES, NULL, 0, "Python frames without line numbers: one frame per function", 0 },
	OTLP_OPTIONS,
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	error_t err = 0;

	(void)state;
	switch (key) {
	case 'd':
		err = parse_number("duration", arg, 1, 7 * 24 * 3600, &env.duration_s);
		break;
	case 'o':
		env.outdir = arg;
		break;
	case OPT_FORCE:
		env.force = true;
		break;
	case OPT_FOLLOW:
		env.follow_children = true;
		break;
	case OPT_MEMORY:
		env.memory = true;
		break;
	case OPT_STACK_STORAGE:
		err = parse_number("stack storage size", arg, 16, 1 << 22, &env.stack_entries);
		break;
	case OPT_NO_PY_LINES:
		env.no_py_lines = true;
		break;
	case OPT_GROUP_BY:
		err = EINVAL;
		for (size_t i = 0; i < ARRAY_SIZE(group_names); i++)
			if (!strcmp(arg, group_names[i])) {
				env.group_by = i;
				err = 0;
			}
		if (err)
			pr_warn("--group-by takes thread, process, span or trace, not '%s'\n", arg);
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
	.args_doc = "",
	.doc = "Record where a running process (or every process of a container) spends its time: on CPU, and off CPU by wait reason, "
	       "per thread, span and trace.\v"
	       "Writes into DIR: cpu.svg and offcpu.svg (flame graphs), cpu.folded and offcpu.folded, "
	       "spans.jsonl, report.json, cpu.pb.gz and offcpu.pb.gz (pprof), *.speedscope.json; with --memory, "
	       "mem.svg, mem.folded and mem.pb.gz; and prints a summary. With --otlp, then sends the spans to an OpenTelemetry endpoint.",
};

struct output_job {
	const struct output_ops *ops;
	const struct profile *prof;
};

static int write_output(FILE *f, void *ctx)
{
	const struct output_job *job = ctx;

	return job->ops->write(f, job->prof);
}

static const struct output_ops *const outputs[] = {
	&report_json_output,	/* first, alone: the smallest file, and the one that holds everything */
	&folded_cpu_output, &folded_offcpu_output, &svg_cpu_output, &svg_offcpu_output,
	&spans_jsonl_output, &spans_csv_output, &pprof_cpu_output, &pprof_offcpu_output,
	&speedscope_cpu_output, &speedscope_offcpu_output,
	&folded_mem_output, &svg_mem_output, &pprof_mem_output,
};

/* What a stop signal that ends record at once (not read from the session's descriptor) finds. */
static struct {
	struct outdir *out;	/* NULL once closed */
	const char *path;	/* env.outdir: lives as long as the process */
	volatile sig_atomic_t stopping;	/* else loading */
	volatile sig_atomic_t kept;	/* files committed, once out is closed */
	sig_atomic_t nfiles;		/* files the recording writes */
} aborting;

static void say(const char *s)
{
	ssize_t n = write(STDERR_FILENO, s, strlen(s));

	(void)n;
}

/*
 * SIGINT, SIGTERM and SIGHUP while the programs load, and SIGINT and SIGTERM once stopping began
 * (the first one was read from the session's descriptor): record ends at once, by that signal, and
 * says what is kept. Nothing half-written stays: staged files have no name, or a random one removed
 * here; a directory this run created and kept nothing in is removed. Async-signal-safe only.
 */
static void on_abort(int sig)
{
	/* counted by the commit itself: a signal held during it sees what it committed */
	sig_atomic_t kept = aborting.out ? aborting.out->ncommitted : aborting.kept;
	int saved = errno;

	outdir__abort(aborting.out);
	if (!aborting.stopping) {
		say("agentprof: interrupted while loading the BPF programs: nothing was recorded\n");
	} else if (!kept) {
		say("agentprof: aborted while writing the results: the recording is lost\n");
	} else if (kept < aborting.nfiles) {
		say("agentprof: aborted while writing the results: kept ");
		say(aborting.path);
		say("/report.json only\n");
	} else {
		say("agentprof: aborted after writing the results to ");
		say(aborting.path);
		say("\n");
	}
	signal(sig, SIG_DFL);
	raise(sig);	/* dies of it once the handler returns: the shell sees 128 + sig */
	errno = saved;
}

static void catch_abort(int sig)
{
	struct sigaction sa = { .sa_handler = on_abort };

	sigfillset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

/*
 * Stopping has begun: a second Ctrl-C or SIGTERM now ends record at once, even where the shell
 * started it with them ignored (a background job), saying what is lost. SIGHUP stays blocked
 * until the results are written: a terminal closing does not lose the recording.
 */
static void stop_signals_abort(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	aborting.stopping = true;
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/*
 * report.json, committed alone; then the others, committed together or not at all. 0 when all
 * are written; else -errno, with report.json kept when it could be, said in one line.
 */
static int write_outputs(struct outdir *out, const struct profile *prof)
{
	struct output_job job = { outputs[0], prof };
	int err;

	err = outdir__stage(out, outputs[0]->file, write_output, &job) ?: outdir__commit(out);
	if (err) {
		pr_warn("write %s/%s: %s: nothing was kept\n", out->path, out->failed, strerror(-err));
		return err;
	}
	for (size_t i = 1; !err && i < ARRAY_SIZE(outputs); i++) {
		if (outputs[i]->wanted && !outputs[i]->wanted(prof))
			continue;
		job.ops = outputs[i];
		err = outdir__stage(out, outputs[i]->file, write_output, &job);
	}
	err = err ?: outdir__commit(out);
	if (err) {
		outdir__discard(out);
		pr_warn("write %s/%s: %s: kept %s/report.json only\n", out->path, out->failed, strerror(-err), out->path);
		return err;
	}
	return 0;
}

/* After the files: an endpoint down or slow costs at most --otlp-timeout, and loses nothing here. */
static void export_otlp(const struct profile *p)
{
	struct otlp_export *export;

	if (!env.otlp.url)
		return;
	fflush(stdout);
	export = otlp_export__start(&env.otlp, p, true);
	if (export)
		otlp_export__spans(export, p, p->spans, p->nspans);
	else
		pr_warn("otlp: the spans were not sent\n");
	otlp_export__finish(export, stdout);
}

int cmd_record(int argc, char **argv)
{
	struct outdir out = { .dirfd = -1, .parentfd = -1 };
	struct snapshot snap = {};
	struct session sess;
	struct profile prof;
	uint64_t start_ns, stop_ns;
	int err;

	profile__init(&prof);
	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return 2;
	const struct session_opts opts = { env.common.pid, env.common.container, env.common.freq_hz,
					   env.stack_entries, env.common.fp_user_stacks, &env.common.llm,
					   env.follow_children, env.memory };

	err = session__open(&sess, &opts);
	if (!err && !env.outdir) {
		if (env.common.container)
			snprintf(env.default_outdir, sizeof(env.default_outdir), "agentprof-%s", sess.cgroup.name);
		else
			snprintf(env.default_outdir, sizeof(env.default_outdir), "agentprof-%d", env.common.pid);
		env.outdir = env.default_outdir;
	}
	/* the output directory before the programs: a load can take minutes, a refusal must not */
	err = err ?: outdir__open(&out, env.outdir, env.force);
	if (err)
		goto cleanup;
	aborting.out = &out;
	aborting.path = env.outdir;
	catch_abort(SIGINT);
	catch_abort(SIGTERM);
	catch_abort(SIGHUP);
	err = session__load(&sess, &opts) ?: session__attach(&sess);
	if (err)
		goto cleanup;

	prof.freq_hz = env.common.freq_hz;
	prof.group_by = env.group_by;
	prof.no_py_lines = env.no_py_lines;
	prof.llm = &env.common.llm;
	prof.start_unix_ns = now_ns(CLOCK_REALTIME);
	/* attached: -d counts from here, whatever the load took */
	start_ns = now_ns(CLOCK_MONOTONIC);
	if (env.common.container)
		fprintf(stderr, "agentprof: recording every process of cgroup %s at %ld Hz%s\n", sess.cgroup.path,
			env.common.freq_hz, env.duration_s ? "" : "; Ctrl-C to stop");
	else
		fprintf(stderr, "agentprof: recording %s (PID %d) at %ld Hz%s\n", sess.target.comm, env.common.pid,
			env.common.freq_hz, env.duration_s ? "" : "; Ctrl-C to stop");
	prof.target_exited = session__wait(&sess, env.duration_s ? start_ns + env.duration_s * 1000000000ull : 0,
					   -1) == STOP_TARGET_EXIT;
	stop_ns = now_ns(CLOCK_MONOTONIC);
	stop_signals_abort();
	session__detach(&sess);	/* uprobes take a while to disarm: the window ends before */
	/* states frozen by the detach are closed when stopping began, not when the detach ended */
	err = session__snapshot(&sess, stop_ns, &snap);
	if (err) {
		pr_warn("read BPF maps: %s\n", strerror(-err));
		goto cleanup;
	}
	prof.duration_ns = stop_ns - start_ns;
	err = snapshot__diff(&snap, NULL, session__stacks(&sess), session__py_stacks(&sess), &prof) ?:
	      session__memory(&sess, &prof);
	/* every probe armed from start to stop: a span that begins and ends in between is whole */
	prof.window_start_ns = start_ns;
	prof.window_end_ns = stop_ns;
	err = err ?: session__describe(&sess, &prof) ?: profile__finish(&prof, &sess.spans) ?:
	      profile__symbolize(&prof, sess.syms);
	if (err) {
		pr_warn("build profile: %s\n", strerror(-err));
		goto cleanup;
	}
	aborting.nfiles = 0;
	for (size_t i = 0; i < ARRAY_SIZE(outputs); i++)
		aborting.nfiles += !outputs[i]->wanted || outputs[i]->wanted(&prof);
	err = write_outputs(&out, &prof);
	if (!err) {
		print_summary(stdout, &prof, env.outdir);
		export_otlp(&prof);
	}
cleanup:
	aborting.kept = out.ncommitted;
	aborting.out = NULL;	/* a signal from here on finds nothing of it to tidy */
	outdir__close(&out);
	snapshot__free(&snap);
	session__close(&sess);
	profile__free(&prof);
	llm_endpoints__free(&env.common.llm);
	otlp_args__free(&env.otlp);
	return err ? 1 : 0;
}
