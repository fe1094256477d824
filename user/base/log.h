/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One logger for the whole program, and the one libbpf print callback. */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>
#include <bpf/libbpf.h>

extern int log_verbosity;	/* 0: warnings, 1: info (-v), 2: debug and libbpf (-vv) */

void pr_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int libbpf_print_fn(enum libbpf_print_level level, const char *fmt, va_list args);

#endif /* LOG_H */
