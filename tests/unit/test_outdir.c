// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests of outdir.c: splitting a path, refusing symlinks, committing files as a set. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "helpers.h"
#include "report/outdir.h"

static void assert_split(const char *path, const char *parent, const char *last)
{
	char p[64], l[64];

	cr_assert_eq(path_split(path, p, sizeof(p), l, sizeof(l)), 0, "%s", path);
	cr_assert_str_eq(p, parent, "%s: parent", path);
	cr_assert_str_eq(l, last, "%s: last", path);
}

Test(path_split, parent_and_last_component_whatever_the_slashes)
{
	assert_split("out", ".", "out");
	assert_split("out/", ".", "out");
	assert_split("out//", ".", "out");
	assert_split("a/b", "a", "b");
	assert_split("a//b/", "a", "b");
	assert_split("a/.", "a", ".");
	assert_split("a/./", "a", ".");
	assert_split("a/..", "a", "..");
	assert_split("/x", "/", "x");
	assert_split("//x/", "/", "x");
	assert_split("/a/b/c", "/a/b", "c");
	assert_split("/", "/", ".");
	assert_split("///", "/", ".");
	assert_split(".", ".", ".");
}

Test(path_split, refuses_empty_and_too_long)
{
	char p[8], l[8];

	cr_assert_eq(path_split("", p, sizeof(p), l, sizeof(l)), -ENOENT);
	cr_assert_eq(path_split("a/12345678", p, sizeof(p), l, sizeof(l)), -ENAMETOOLONG);
	cr_assert_eq(path_split("12345678/a", p, sizeof(p), l, sizeof(l)), -ENAMETOOLONG);
}

static int write_text(FILE *f, void *ctx)
{
	return fputs(ctx, f) < 0 ? -EIO : 0;
}

static int write_fails(FILE *f, void *ctx)
{
	(void)ctx;
	fputs("half", f);
	return -ENOMEM;
}

/* The names in dir, sorted and joined by spaces. */
static char *names(const char *dir)
{
	struct dirent **list;
	int n = scandir(dir, &list, NULL, alphasort);
	char *s = calloc(1, 4096);

	cr_assert_geq(n, 0);
	for (int i = 0; i < n; i++) {
		if (strcmp(list[i]->d_name, ".") && strcmp(list[i]->d_name, ".."))
			snprintf(s + strlen(s), 4096 - strlen(s), "%s%s", *s ? " " : "", list[i]->d_name);
		free(list[i]);
	}
	free(list);
	return s;
}

Test(outdir, refuses_a_symlink_in_any_component)
{
	static const char *const via[] = { "link", "link/", "link/.", "link//./", "link/sub", "real/../link/" };
	char *dir = scratch_dir(), *real = path_in(dir, "real"), *link = path_in(dir, "link"), *cwd = getcwd(NULL, 0);
	struct outdir d;

	cr_assert_eq(mkdir(real, 0700), 0);
	cr_assert_eq(symlink(real, link), 0);
	cr_assert_eq(chdir(dir), 0);
	for (size_t i = 0; i < sizeof(via) / sizeof(via[0]); i++) {
		char *left;

		cr_assert_eq(outdir__open(&d, via[i], false), -ELOOP, "%s accepted", via[i]);
		left = names(real);
		cr_assert_str_eq(left, "", "%s: wrote %s through the symlink", via[i], left);
		free(left);
	}
	cr_assert_eq(chdir(cwd), 0);
	free(cwd);
	free(real);
	free(link);
	scratch_remove(dir);
}

Test(outdir, commits_the_set_whole_private_and_nothing_else)
{
	char *dir = scratch_dir(), *out = path_in(dir, "out"), *left, *file;
	struct outdir d;
	struct stat st;

	cr_assert_eq(outdir__open(&d, out, false), 0);
	cr_assert_eq(outdir__stage(&d, "a.txt", write_text, "first\n"), 0);
	cr_assert_eq(outdir__stage(&d, "b.txt", write_text, "second\n"), 0);
	left = names(out);
	cr_assert_str_eq(left, "", "staged files have names before the commit: %s", left);
	free(left);
	cr_assert_eq(outdir__commit(&d), 0);
	outdir__close(&d);
	left = names(out);
	cr_assert_str_eq(left, "a.txt b.txt");
	free(left);
	file = path_in(out, "b.txt");
	cr_assert_eq(stat(file, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	free(file);
	free(out);
	scratch_remove(dir);
}

Test(outdir, a_failed_write_leaves_no_name_and_a_discard_nothing)
{
	char *dir = scratch_dir(), *out = path_in(dir, "out"), *left;
	struct outdir d;
	struct stat st;

	cr_assert_eq(outdir__open(&d, out, false), 0);
	cr_assert_eq(outdir__stage(&d, "a.txt", write_text, "kept?\n"), 0);
	cr_assert_eq(outdir__stage(&d, "b.txt", write_fails, NULL), -ENOMEM);
	cr_assert_str_eq(d.failed, "b.txt");
	outdir__discard(&d);
	left = names(out);
	cr_assert_str_eq(left, "", "left %s", left);
	free(left);
	outdir__close(&d);
	cr_assert_neq(stat(out, &st), 0, "an output directory this run created and kept nothing in stays");
	free(out);
	scratch_remove(dir);
}

Test(outdir, refuses_non_empty_unless_forced_and_then_replaces)
{
	char *dir = scratch_dir(), *out = path_in(dir, "out"), *file = path_in(out, "a.txt"), *text;
	struct outdir d;

	cr_assert_eq(mkdir(out, 0700), 0);
	write_bytes(file, "old\n", 4);
	cr_assert_eq(outdir__open(&d, out, false), -ENOTEMPTY);
	cr_assert_eq(outdir__open(&d, out, true), 0);
	cr_assert_eq(outdir__stage(&d, "a.txt", write_text, "new\n"), 0);
	cr_assert_eq(outdir__commit(&d), 0);
	outdir__close(&d);
	text = run_output("cat %s", file);
	cr_assert_str_eq(text, "new\n");
	free(text);
	free(file);
	free(out);
	scratch_remove(dir);
}

Test(outdir, refuses_a_directory_writable_by_others)
{
	char *dir = scratch_dir(), *out = path_in(dir, "out");
	struct outdir d;

	cr_assert_eq(mkdir(out, 0700), 0);
	cr_assert_eq(chmod(out, 0777), 0);
	cr_assert_eq(outdir__open(&d, out, false), -EPERM);
	cr_assert_eq(chmod(out, 01777), 0);	/* the sticky bit: others cannot replace our files */
	cr_assert_eq(outdir__open(&d, out, false), 0);
	outdir__close(&d);
	free(out);
	scratch_remove(dir);
}

/* Where O_TMPFILE is missing: random names while staged, none left after a commit or a discard. */
Test(outdir, named_fallback_leaves_no_temporary_name)
{
	char *dir = scratch_dir(), *out = path_in(dir, "out"), *left;
	struct outdir d;

	cr_assert_eq(outdir__open(&d, out, false), 0);
	d.anonymous = false;
	cr_assert_eq(outdir__stage(&d, "a.txt", write_text, "a\n"), 0);
	left = names(out);
	cr_assert(!strncmp(left, ".agentprof-", 11) && strlen(left) == strlen(".agentprof-0123456789abcdef.tmp"),
		  "staged as %s", left);
	free(left);
	cr_assert_eq(outdir__commit(&d), 0);
	cr_assert_eq(outdir__stage(&d, "b.txt", write_text, "b\n"), 0);
	cr_assert_eq(outdir__stage(&d, "c.txt", write_fails, NULL), -ENOMEM);
	outdir__discard(&d);
	outdir__close(&d);
	left = names(out);
	cr_assert_str_eq(left, "a.txt");
	free(left);
	free(out);
	scratch_remove(dir);
}

/* A name the set cannot take (a directory holds it): nothing changes, the files from before stay. */
Test(outdir, a_failed_commit_leaves_the_files_from_before)
{
	char *dir = scratch_dir(), *out = path_in(dir, "out"), *file = path_in(out, "a.txt"),
	     *held = path_in(out, "c.txt"), *text, *list;
	struct outdir d;

	cr_assert_eq(mkdir(out, 0700), 0);
	write_bytes(file, "old\n", 4);
	cr_assert_eq(mkdir(held, 0700), 0);
	cr_assert_eq(outdir__open(&d, out, true), 0);
	cr_assert_eq(outdir__stage(&d, "a.txt", write_text, "new\n"), 0);
	cr_assert_eq(outdir__stage(&d, "b.txt", write_text, "new\n"), 0);
	cr_assert_eq(outdir__stage(&d, "c.txt", write_text, "new\n"), 0);
	cr_assert_neq(outdir__commit(&d), 0);
	cr_assert_str_eq(d.failed, "c.txt");
	outdir__close(&d);
	text = run_output("cat %s", file);
	cr_assert_str_eq(text, "old\n", "the file from before was replaced by part of a set");
	list = names(out);
	cr_assert_str_eq(list, "a.txt c.txt", "names left: %s", list);
	free(list);
	free(text);
	free(held);
	free(file);
	free(out);
	scratch_remove(dir);
}
