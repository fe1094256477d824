// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `agentprof record`: attach to a process, sample until told to stop, write the outputs. */
#include <argp.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "collect.h"
#include "loader.h"
#include "log.h"
#include "outdir.h"
#include "output.h"
#include "preflight.h"
#include "profile.h"
#include "symbolize.h"
#include "target.h"
#include "util.h"

#define REFRESH_MS 1000	/* how often mappings are re-read, to follow dlopen */

static struct env {
	pid_t pid;
	long duration_s;	/* 0: until a signal or the target exits */
	long freq_hz;
	long stack_entries;
	const char *outdir;
	char default_outdir[32];
} env = {
	.freq_hz = 99,
	.stack_entries = DEFAULT_STACK_ENTRIES,
};

enum { OPT_STACK_STORAGE = 0x100 };

static const struct argp_option options[] = {
	{ "pid", 'p', "PID", 0, "Process to profile (all its threads, present and future)", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS (default: at Ctrl-C or when the target exits)", 0 },
	{ "freq", 'F', "HZ", 0, "Samples per second per CPU (default 99)", 0 },
	{ "output", 'o', "DIR", 0, "Output directory (default agentprof-PID), created 0700", 0 },
	{ "stack-storage-size", OPT_STACK_STORAGE, "N", 0, "Distinct stacks kept in the kernel (default 16384)", 0 },
	{ "verbose", 'v', NULL, 0, "More diagnostics; twice for libbpf's", 0 },
	{},
};

/* Usage errors are one line each (argp_error would add a second); the caller exits 2. */
static error_t parse_number(const char *what, const char *arg, long min, long max, long *out)
{
	if (parse_long(arg, min, max, out) == 0)
		return 0;
	pr_warn("%s must be an integer from %ld to %ld, not '%s'\n", what, min, max, arg);
	return EINVAL;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	error_t err = 0;
	long v;

	(void)state;
	switch (key) {
	case 'p':
		err = parse_number("PID", arg, 1, INT32_MAX, &v);
		env.pid = v;
		break;
	case 'd':
		err = parse_number("duration", arg, 1, 7 * 24 * 3600, &env.duration_s);
		break;
	case 'F':
		err = parse_number("frequency", arg, 1, 10000, &env.freq_hz);
		break;
	case 'o':
		env.outdir = arg;
		break;
	case OPT_STACK_STORAGE:
		err = parse_number("stack storage size", arg, 16, 1 << 22, &env.stack_entries);
		break;
	case 'v':
		log_verbosity++;
		break;
	case ARGP_KEY_ARG:
		pr_warn("unexpected argument '%s'\n", arg);
		return EINVAL;
	case ARGP_KEY_END:
		if (!env.pid) {
			pr_warn("which process? give -p PID\n");
			return EINVAL;
		}
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return err;
}

static const struct argp argp = {
	.options = options,
	.parser = parse_arg,
	.args_doc = "",
	.doc = "Record on-CPU stacks of a running process.\v"
	       "Writes DIR/cpu.folded (flame graph input) and DIR/report.json, and prints a summary.",
};

enum stop_reason { STOP_DURATION, STOP_SIGNAL, STOP_TARGET_EXIT };

/* Waits for the duration, a signal or the target's exit, re-reading mappings as it goes. */
static enum stop_reason wait_for_stop(int sigfd, const struct target *t, struct syms_cache *syms,
				      uint64_t deadline_ns)
{
	struct pollfd pfd[2] = { { .fd = sigfd, .events = POLLIN }, { .fd = t->pidfd, .events = POLLIN } };

	for (;;) {
		uint64_t now = now_ns(CLOCK_MONOTONIC);
		int timeout = REFRESH_MS;

		if (deadline_ns) {
			if (now >= deadline_ns)
				return STOP_DURATION;
			if (deadline_ns - now < REFRESH_MS * 1000000ull)
				timeout = (deadline_ns - now + 999999) / 1000000;
		}
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR)
			return STOP_SIGNAL;
		if (pfd[0].revents) {
			struct signalfd_siginfo si;

			if (read(sigfd, &si, sizeof(si)) == sizeof(si))
				pr_info("%s: stopping\n", strsignal(si.ssi_signo));
			return STOP_SIGNAL;
		}
		if (pfd[1].revents)
			return STOP_TARGET_EXIT;
		syms_cache__refresh(syms);	/* fails once the target is gone; the last maps stay */
	}
}

/* Stop signals arrive on a descriptor, so the wait loop polls them with the target's pidfd. */
static int stop_signals_fd(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	fd = signalfd(-1, &set, SFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

struct output_job {
	const struct output_ops *ops;
	const struct profile *prof;
};

static int write_output(FILE *f, void *ctx)
{
	const struct output_job *job = ctx;

	return job->ops->write(f, job->prof);
}

int cmd_record(int argc, char **argv)
{
	struct target target = { .pidfd = -1 };
	struct outdir out = { .dirfd = -1 };
	struct syms_cache *syms = NULL;
	struct loader *loader = NULL;
	struct profile prof;
	bool wrote = false;
	int sigfd = -1, err;
	uint64_t start_ns, end_ns;

	profile__init(&prof);
	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return 2;
	if (!env.outdir) {
		snprintf(env.default_outdir, sizeof(env.default_outdir), "agentprof-%d", env.pid);
		env.outdir = env.default_outdir;
	}

	err = preflight_btf() ?: preflight_caps() ?: target__open(&target, env.pid);
	if (err)
		goto cleanup;
	/* on-CPU sampling needs no tracefs, but the tracepoint-based stages do; mount it once here */
	if (ensure_tracefs())
		pr_info("could not mount tracefs at /sys/kernel/tracing: %s\n", strerror(errno));
	libbpf_set_print(libbpf_print_fn);

	loader = loader__load(&(struct loader_opts){ env.pid, env.freq_hz, env.stack_entries });
	if (!loader) {
		err = -errno;
		goto cleanup;
	}
	syms = syms_cache__new(env.pid);
	if (!syms) {
		err = -errno;
		pr_warn("read /proc/%d/maps: %s\n", env.pid, strerror(-err));
		goto cleanup;
	}
	sigfd = stop_signals_fd();
	if (sigfd < 0) {
		err = sigfd;
		pr_warn("signalfd: %s\n", strerror(-err));
		goto cleanup;
	}
	err = outdir__open(&out, env.outdir);
	if (err)
		goto cleanup;
	err = loader__attach(loader);
	if (err)
		goto cleanup;

	prof.pid = env.pid;
	memcpy(prof.comm, target.comm, sizeof(prof.comm));
	prof.freq_hz = env.freq_hz;
	prof.start_unix_ns = now_ns(CLOCK_REALTIME);
	start_ns = now_ns(CLOCK_MONOTONIC);
	fprintf(stderr, "agentprof: recording %s (PID %d) at %ld Hz%s\n", target.comm, env.pid, env.freq_hz,
		env.duration_s ? "" : "; Ctrl-C to stop");
	prof.target_exited = wait_for_stop(sigfd, &target, syms,
					   env.duration_s ? start_ns + env.duration_s * 1000000000ull : 0) ==
			     STOP_TARGET_EXIT;
	loader__detach(loader);
	end_ns = now_ns(CLOCK_MONOTONIC);
	prof.duration_ns = end_ns - start_ns;

	struct kernel_maps maps = loader__maps(loader);

	err = collect(&maps, end_ns, &prof);
	if (err) {
		pr_warn("read BPF maps: %s\n", strerror(-err));
		goto cleanup;
	}
	loader__free(loader);
	loader = NULL;
	err = profile__symbolize(&prof, syms);
	if (err) {
		pr_warn("symbolize: %s\n", strerror(-err));
		goto cleanup;
	}

	static const struct output_ops *const outputs[] = {
		&folded_cpu_output, &folded_offcpu_output, &report_json_output,
	};

	for (size_t i = 0; i < ARRAY_SIZE(outputs); i++) {
		struct output_job job = { outputs[i], &prof };

		err = outdir__write(&out, outputs[i]->file, write_output, &job);
		if (err)
			goto cleanup;
		wrote = true;
	}
	print_summary(stdout, &prof, env.outdir);
cleanup:
	loader__free(loader);
	outdir__close(&out, !wrote);
	if (sigfd >= 0)
		close(sigfd);
	syms_cache__free(syms);
	profile__free(&prof);
	target__close(&target);
	return err ? 1 : 0;
}
