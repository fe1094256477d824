/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What every command's options share: the target, the sampling rate, verbosity, one-line errors. */
#ifndef CLI_H
#define CLI_H

#include <argp.h>
#include <stdbool.h>
#include <sys/types.h>

struct common_args {
	pid_t pid;
	long freq_hz;
	bool fp_user_stacks;	/* --unwind fp */
};

enum { OPT_UNWIND = 0x1000 };

/* Usage errors are one line each (argp_error would add a second); callers exit 2 on them. */
error_t parse_number(const char *what, const char *arg, long min, long max, long *out);
/* -p, -F, -v, --unwind, stray arguments and the missing -p; ARGP_ERR_UNKNOWN for anything else. */
error_t parse_common_arg(int key, char *arg, struct common_args *c);

#define COMMON_OPTIONS(pid_doc)                                                         \
	{ "pid", 'p', "PID", 0, pid_doc, 0 },                                           \
	{ "freq", 'F', "HZ", 0, "Samples per second per CPU (default 99)", 0 },         \
	{ "verbose", 'v', NULL, 0, "More diagnostics; twice for libbpf's", 0 },          \
	{ "unwind", OPT_UNWIND, "dwarf|fp", 0,                                          \
	  "On-CPU user stacks: unwound from DWARF call frame information (default; "    \
	  "works without frame pointers) or walked by frame pointers in the kernel", 0 }

#endif /* CLI_H */
