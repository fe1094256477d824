/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Test helpers: scratch directories, files and shell commands for the unit tests. */
#ifndef TESTS_UNIT_HELPERS_H
#define TESTS_UNIT_HELPERS_H

#include <stddef.h>

/* A new directory under /tmp (malloc'd path); aborts the test when it cannot be made. */
char *scratch_dir(void);
/* Removes the directory and everything in it, and frees the path; NULL is a no-op. */
void scratch_remove(char *dir);
/* dir "/" name, malloc'd. */
char *path_in(const char *dir, const char *name);
/* Writes len bytes to path (created or truncated); aborts the test on failure. */
void write_bytes(const char *path, const void *data, size_t len);
/* Runs a shell command built from fmt; returns its exit status, or -1 when it did not exit. */
int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Fails the test unless cmd (a name in PATH) can be run, naming the Debian package that has it:
 * no test skips for a missing package (tools/deps.sh test installs every one the suite uses).
 */
void require_tool(const char *cmd, const char *package);

/* Runs a shell command built from fmt; returns its standard output (malloc'd, NUL-terminated). */
char *run_output(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Compiles the fixture shared library to dir/name with extra cc flags and returns its path.
 * It exports agentprof_global_fn and agentprof_local_addr; the latter returns the address of
 * agentprof_local_fn, a static function that only .symtab names. agentprof_local_alias is a static
 * alias of agentprof_global_fn, and agentprof_calls_out calls rand() through the PLT.
 */
char *build_fixture(const char *dir, const char *name, const char *flags);

#endif /* TESTS_UNIT_HELPERS_H */
