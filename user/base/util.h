/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Small shared helpers: strict number parsing, clocks, whole-file reads. */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Parses all of s as a base-10 integer in [min, max]: 0, or -EINVAL / -ERANGE. */
int parse_long(const char *s, long min, long max, long *out);

uint64_t now_ns(clockid_t clock);

/*
 * Reads a whole file (e.g. under /proc) into a NUL-terminated malloc'd buffer, refusing
 * more than max bytes. Returns the length, or -errno (-EFBIG past max).
 */
ssize_t read_file(const char *path, size_t max, char **out);

/*
 * The state (field 3; NULL: not wanted) and starttime (field 22: with the PID, a process's
 * identity) of a /proc/PID/stat file. 0 or -errno.
 */
int proc_stat(const char *path, char *state, uint64_t *start_ticks);
/*
 * The same fields, and flags (field 9, the task's PF_* flags; NULL: not wanted), from the text of
 * a stat file. 0 or -EINVAL.
 */
int proc_stat_parse(const char *text, char *state, unsigned long *flags, uint64_t *start_ticks);

#endif /* UTIL_H */
