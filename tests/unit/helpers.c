// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Test helpers: scratch directories, files and shell commands for the unit tests. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "helpers.h"

char *scratch_dir(void)
{
	char tmpl[] = "/tmp/agentprof-unit-XXXXXX";

	cr_assert_not_null(mkdtemp(tmpl), "mkdtemp: %s", strerror(errno));
	return strdup(tmpl);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

void scratch_remove(char *dir)
{
	if (!dir)
		return;
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

char *path_in(const char *dir, const char *name)
{
	char *p;

	cr_assert_neq(asprintf(&p, "%s/%s", dir, name), -1);
	return p;
}

void write_bytes(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "we");

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

int run(const char *fmt, ...)
{
	char *cmd;
	va_list ap;
	int st;

	va_start(ap, fmt);
	cr_assert_neq(vasprintf(&cmd, fmt, ap), -1);
	va_end(ap);
	st = system(cmd);
	free(cmd);
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void require_tool(const char *cmd, const char *package)
{
	if (run("command -v '%s' >/dev/null 2>&1", cmd) != 0)
		cr_assert_fail("%s is missing: install Debian's %s (make deps-test does)", cmd, package);
}

char *run_output(const char *fmt, ...)
{
	char *cmd, *out = NULL;
	size_t len = 0;
	va_list ap;
	FILE *p, *mem;
	int ch;

	va_start(ap, fmt);
	cr_assert_neq(vasprintf(&cmd, fmt, ap), -1);
	va_end(ap);
	p = popen(cmd, "re");
	cr_assert_not_null(p, "%s: %s", cmd, strerror(errno));
	mem = open_memstream(&out, &len);
	cr_assert_not_null(mem);
	while ((ch = fgetc(p)) != EOF)
		fputc(ch, mem);
	cr_assert_eq(pclose(p), 0, "%s failed", cmd);
	cr_assert_eq(fclose(mem), 0);
	free(cmd);
	return out;
}

/* -O0 keeps the static function out of line and under its own name (no .constprop clones). */
static const char fixture_src[] =
	"static int __attribute__((noinline)) agentprof_local_fn(int x) { return x * 3 + 1; }\n"
	"int agentprof_global_fn(int x) { return agentprof_local_fn(x) + 1; }\n"
	"static int __attribute__((used, alias(\"agentprof_global_fn\"))) agentprof_local_alias(int);\n"
	"void *agentprof_local_addr(void) { return (void *)agentprof_local_fn; }\n"
	"extern int rand(void);\n"
	"int agentprof_calls_out(void) { return rand(); }\n";	/* a PLT stub after _init */

char *build_fixture(const char *dir, const char *name, const char *flags)
{
	char *src = path_in(dir, "fixture.c"), *lib = path_in(dir, name);

	write_bytes(src, fixture_src, sizeof(fixture_src) - 1);
	cr_assert_eq(run("cc -O0 -g -fPIC -shared %s -o '%s' '%s'", flags, lib, src), 0,
		     "cannot build the fixture library");
	free(src);
	return lib;
}
