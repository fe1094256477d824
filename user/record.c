// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `agentprof record`: attach to a process, sample until told to stop, write the outputs. */
#include <argp.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "collect.h"
#include "log.h"
#include "oncpu.skel.h"
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

/* One cpu-clock event per CPU: new threads are covered without per-task events on every switch. */
static int attach_perf_events(struct bpf_program *prog, long freq_hz, struct bpf_link ***links_out,
			      int *nlinks)
{
	int ncpus = libbpf_num_possible_cpus(), err = 0;
	struct perf_event_attr attr = {
		.size = sizeof(attr),
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.sample_period = 1000000000ull / freq_hz,	/* a timer: a fixed period is exact */
	};
	struct bpf_link **links;

	if (ncpus < 0)
		return ncpus;
	links = calloc(ncpus, sizeof(*links));
	if (!links)
		return -ENOMEM;
	*links_out = links;
	*nlinks = ncpus;
	for (int cpu = 0; cpu < ncpus; cpu++) {
		int fd = syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);

		if (fd < 0) {
			if (errno == ENODEV)	/* possible but offline */
				continue;
			err = -errno;
			pr_warn("perf_event_open cpu-clock on CPU %d: %s\n", cpu, strerror(-err));
			return err;
		}
		links[cpu] = bpf_program__attach_perf_event(prog, fd);
		if (!links[cpu]) {
			err = -errno;
			close(fd);
			pr_warn("attach perf_event on CPU %d: %s\n", cpu, strerror(-err));
			return err;
		}
	}
	return 0;
}

static void detach_perf_events(struct bpf_link **links, int n)
{
	for (int i = 0; links && i < n; i++)
		bpf_link__destroy(links[i]);	/* also closes the perf event fd */
	free(links);
}

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
	struct bpf_link **links = NULL;
	struct syms_cache *syms = NULL;
	struct oncpu_bpf *skel = NULL;
	struct profile prof;
	bool wrote = false;
	int nlinks = 0, sigfd = -1, err;
	uint64_t start_ns;

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

	skel = oncpu_bpf__open();
	if (!skel) {
		err = -errno;
		pr_warn("open BPF object: %s\n", strerror(-err));
		goto cleanup;
	}
	skel->rodata->targ_tgid = env.pid;
	bpf_map__set_max_entries(skel->maps.stacks, env.stack_entries);
	err = oncpu_bpf__load(skel);
	if (err) {
		pr_warn("load BPF programs: %s\n", strerror(-err));
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
	err = attach_perf_events(skel->progs.on_cpu_sample, env.freq_hz, &links, &nlinks);
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
	detach_perf_events(links, nlinks);
	links = NULL;
	prof.duration_ns = now_ns(CLOCK_MONOTONIC) - start_ns;

	err = collect_oncpu(&(struct oncpu_maps){ bpf_map__fd(skel->maps.samples),
						   bpf_map__fd(skel->maps.stacks),
						   bpf_map__fd(skel->maps.counters) }, &prof);
	if (err) {
		pr_warn("read BPF maps: %s\n", strerror(-err));
		goto cleanup;
	}
	oncpu_bpf__destroy(skel);
	skel = NULL;
	err = profile__symbolize(&prof, syms);
	if (err) {
		pr_warn("symbolize: %s\n", strerror(-err));
		goto cleanup;
	}

	static const struct output_ops *const outputs[] = { &folded_cpu_output, &report_json_output };

	for (size_t i = 0; i < ARRAY_SIZE(outputs); i++) {
		struct output_job job = { outputs[i], &prof };

		err = outdir__write(&out, outputs[i]->file, write_output, &job);
		if (err)
			goto cleanup;
		wrote = true;
	}
	print_summary(stdout, &prof, env.outdir);
cleanup:
	detach_perf_events(links, nlinks);
	oncpu_bpf__destroy(skel);
	outdir__close(&out, !wrote);
	if (sigfd >= 0)
		close(sigfd);
	syms_cache__free(syms);
	profile__free(&prof);
	target__close(&target);
	return err ? 1 : 0;
}
