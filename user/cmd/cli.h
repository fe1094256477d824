/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What every command's options share: the target, the sampling rate, verbosity, one-line errors. */
#ifndef CLI_H
#define CLI_H

#include <argp.h>
#include <stdbool.h>
#include <sys/types.h>
#include "classify/llm.h"

struct common_args {
	pid_t pid;
	const char *container;	/* --container: a cgroup instead of a PID */
	long freq_hz;
	bool fp_user_stacks;	/* --unwind fp */
	struct llm_endpoints llm;	/* --llm-endpoint */
};

enum { OPT_CONTAINER = 0x200, OPT_PROC_ROOT, OPT_UNWIND = 0x1000, OPT_LLM_ENDPOINT };

/* Usage errors are one line each (argp_error would add a second); callers exit 2 on them. */
error_t parse_number(const char *what, const char *arg, long min, long max, long *out);
/*
 * -p or --container, --proc-root, -F, -v, --unwind, --llm-endpoint, stray arguments; ARGP_ERR_UNKNOWN
 * for anything else.
 */
error_t parse_common_arg(int key, char *arg, struct common_args *c);

#define COMMON_OPTIONS(pid_doc)                                                         \
	{ "pid", 'p', "PID", 0, pid_doc " (the host's PID of a process in a container)", 0 }, \
	{ "container", OPT_CONTAINER, "ID|CGROUP", 0,                                   \
	  "Every process of a container instead: its ID, or its cgroup v2 directory", 0 }, \
	{ "proc-root", OPT_PROC_ROOT, "DIR", 0,                                         \
	  "The host's /proc is mounted at DIR (a container without the host's PIDs)", 0 }, \
	{ "freq", 'F', "HZ", 0, "Samples per second per CPU (default 99)", 0 },         \
	{ "verbose", 'v', NULL, 0, "More diagnostics; twice for libbpf's", 0 },          \
	{ "unwind", OPT_UNWIND, "dwarf|fp", 0,                                          \
	  "On-CPU user stacks: unwound from DWARF call frame information (default; "    \
	  "works without frame pointers) or walked by frame pointers in the kernel", 0 }, \
	{ "llm-endpoint", OPT_LLM_ENDPOINT, "HOST[:PORT]", 0,                            \
	  "HTTP calls to HOST (any port unless given) are LLM calls, besides the known LLM APIs' paths " \
	  "(repeatable)", 0 }

#endif /* CLI_H */
