// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* One logger for the whole program: every diagnostic is one line on stderr prefixed "agentprof: ". */
#include <stdio.h>
#include "base/log.h"

int log_verbosity;

static void vlog(int level, const char *fmt, va_list ap)
{
	if (level > log_verbosity)
		return;
	fputs("agentprof: ", stderr);
	vfprintf(stderr, fmt, ap);
}

void pr_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(0, fmt, ap);
	va_end(ap);
}

void pr_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(1, fmt, ap);
	va_end(ap);
}

void pr_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(2, fmt, ap);
	va_end(ap);
}

int libbpf_print_fn(enum libbpf_print_level level, const char *fmt, va_list args)
{
	/* libbpf warns about things we handle ourselves (and explain in one line); show them with -vv */
	if (level == LIBBPF_DEBUG ? log_verbosity < 3 : log_verbosity < 2)
		return 0;
	return vfprintf(stderr, fmt, args);
}
