// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `agentprof record`'s output directory against what a careful user and an attacker try: symlinks,
 * another user's directory, a full disk, a read-only mount, a second Ctrl-C while writing.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"

static char dir[64], log_path[128], user[32];
static pid_t target, recorder;
static bool frozen;

/*
 * Each test in a mount namespace of its own: its tmpfs and loop mounts go away with it, whatever
 * it asserted.
 */
static void setup(void)
{
	make_tmpdir(dir, sizeof(dir));
	snprintf(log_path, sizeof(log_path), "%s/record.log", dir);
	/* the tests that count record's lines do not count a slow load's (the last test checks that one) */
	setenv("AGENTPROF_SLOW_LOAD_S", "3600", 1);
	if (geteuid() == 0) {
		cr_assert_eq(unshare(CLONE_NEWNS), 0, "unshare: %s", strerror(errno));
		cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	}
}

static void teardown(void)
{
	char cmd[256];

	if (frozen) {
		snprintf(cmd, sizeof(cmd), "fsfreeze -u %s/mnt", dir);
		(void)!system(cmd);
	}
	if (recorder > 0)
		stop_workload(recorder);
	if (target > 0)
		stop_workload(target);
	snprintf(cmd, sizeof(cmd), "umount -q %s/mnt 2>/dev/null", dir);
	(void)!system(cmd);
	remove_tree(dir);
	if (*user) {
		snprintf(cmd, sizeof(cmd), "userdel %s", user);
		(void)!system(cmd);
	}
}

TestSuite(outdir, .init = setup, .fini = teardown, .timeout = 90);

static char *pidstr(void)
{
	static char s[16];

	if (!target)
		target = start_workload((char *const[]){ WORKLOAD("hot8020"), "600", NULL });
	snprintf(s, sizeof(s), "%d", target);
	return s;
}

static char *in_dir(const char *name)
{
	static char p[4][320];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

/* Refused: non-zero, one line on stderr that says says, nothing recorded. */
static void assert_refused(struct run *r, const char *says)
{
	cr_assert_neq(r->status, 0, "accepted: %s", r->err);
	cr_assert_eq(count_lines(r->err), 1, "want one line, got:\n%s", r->err);
	cr_assert(strstr(r->err, says), "stderr does not say '%s': %s", says, r->err);
	cr_assert(!strstr(r->err, "recording"), "recorded before refusing: %s", r->err);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void mount_tmpfs(const char *opts)
{
	cr_assert_eq(mkdir(in_dir("mnt"), 0755), 0);
	cr_assert_eq(mount("none", in_dir("mnt"), "tmpfs", 0, opts), 0, "mount tmpfs %s: %s", opts, strerror(errno));
}

/* A symlink to a directory is refused with any slashes after it, and in any component. */
Test(outdir, refuses_a_symlink_whatever_the_slashes)
{
	static const char *const via[] = { "link", "link/", "link/.", "link//./", "link/sub", "real/../link/" };
	char out[400];
	struct run r;

	require_root();
	cr_assert_eq(mkdir(in_dir("real"), 0700), 0);
	cr_assert_eq(symlink(in_dir("real"), in_dir("link")), 0);
	for (size_t i = 0; i < sizeof(via) / sizeof(via[0]); i++) {
		snprintf(out, sizeof(out), "%s/%s", dir, via[i]);
		run_cmd((char *const[]){ AGENTPROF, "record", "-p", pidstr(), "-d", "1", "-o", out, NULL }, &r);
		assert_refused(&r, "is a symlink, refusing to follow it");
		cr_assert(!exists(in_dir("real/report.json")) && !exists(in_dir("real/sub")),
			  "-o %s wrote through the symlink", via[i]);
		run_free(&r);
	}
}

/* Runs sh -c cmd as the test's second user. */
static int as_user(const char *cmd)
{
	char line[1024];

	snprintf(line, sizeof(line), "setpriv --reuid=%s --regid=%s --clear-groups sh -c '%s' 2>/dev/null", user,
		 user, cmd);
	return system(line);
}

/*
 * Another user's directory: refused without --force. With it, every file is ours, 0600, and not
 * the one that user planted beforehand: that user can read none of them.
 */
Test(outdir, another_users_directory_needs_force_and_gets_private_files)
{
	static const char *const files[] = { "report.json", "cpu.folded", "offcpu.folded", "cpu.svg", "spans.jsonl" };
	char *out = in_dir("theirs"), cmd[512];
	struct stat st;
	struct run r;

	require_root();
	require_tool("useradd", "passwd");
	require_tool("setpriv", "util-linux");
	snprintf(user, sizeof(user), "aptest%d", getpid() % 100000);
	snprintf(cmd, sizeof(cmd), "useradd -M -r -s /usr/sbin/nologin %s", user);
	cr_assert_eq(system(cmd), 0, "useradd %s", user);
	cr_assert_eq(chmod(dir, 0755), 0);
	snprintf(cmd, sizeof(cmd), "install -d -o %s -g %s -m 0755 %s", user, user, out);
	cr_assert_eq(system(cmd), 0, "%s", cmd);

	run_cmd((char *const[]){ AGENTPROF, "record", "-p", pidstr(), "-d", "1", "-o", out, NULL }, &r);
	assert_refused(&r, "is owned by");
	cr_assert(strstr(r.err, "--force"), "%s", r.err);
	run_free(&r);

	/* what that user plants: files under the final names, writable and readable by all */
	snprintf(cmd, sizeof(cmd), "umask 0; cd %s && for f in report.json cpu.folded; do echo planted > $f; done",
		 out);
	cr_assert_eq(as_user(cmd), 0);
	run_cmd((char *const[]){ AGENTPROF, "record", "-p", pidstr(), "-d", "1", "-o", out, "--force", NULL }, &r);
	cr_assert_eq(r.status, 0, "--force refused: %s", r.err);
	run_free(&r);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(cmd, sizeof(cmd), "%s/%s", out, files[i]);
		cr_assert_eq(stat(cmd, &st), 0, "%s missing", cmd);
		cr_assert(st.st_uid == 0 && (st.st_mode & 0777) == 0600, "%s: uid %u mode %o", cmd, st.st_uid,
			  st.st_mode & 0777);
		snprintf(cmd, sizeof(cmd), "cat %s/%s", out, files[i]);
		cr_assert_neq(as_user(cmd), 0, "%s can read %s", user, files[i]);
	}
	char *report = slurp(in_dir("theirs/report.json"));

	cr_assert(report && strstr(report, "\"samples\""), "report.json is not ours: %s", report);
	free(report);
}

/* A directory others can write into, without the sticky bit: refused without --force. */
Test(outdir, refuses_a_directory_others_can_write)
{
	struct run r;

	require_root();
	cr_assert_eq(mkdir(in_dir("open"), 0700), 0);
	cr_assert_eq(chmod(in_dir("open"), 0777), 0);
	run_cmd((char *const[]){ AGENTPROF, "record", "-p", pidstr(), "-d", "1", "-o", in_dir("open"), NULL }, &r);
	assert_refused(&r, "is writable by others");
	run_free(&r);
}

/*
 * A read-only mount: refused at start, before the programs are loaded (a load would say it is
 * loading: AGENTPROF_SLOW_LOAD_S=0 says so at once).
 */
Test(outdir, read_only_mount_refused_before_loading)
{
	char out[320];
	struct run r;

	require_root();
	mount_tmpfs("size=1m");
	cr_assert_eq(mkdir(in_dir("mnt/out"), 0700), 0);
	cr_assert_eq(mount(NULL, in_dir("mnt"), NULL, MS_REMOUNT | MS_RDONLY, NULL), 0, "%s", strerror(errno));
	snprintf(out, sizeof(out), "%s", in_dir("mnt/out"));
	run_cmd((char *const[]){ "env", "AGENTPROF_SLOW_LOAD_S=0", AGENTPROF, "record", "-p", pidstr(), "-d", "1",
				 "-o", out, NULL }, &r);
	assert_refused(&r, "Read-only file system");
	cr_assert(!strstr(r.err, "loading"), "loaded the programs first: %s", r.err);
	run_free(&r);
	/* and a directory still to be created on it */
	snprintf(out, sizeof(out), "%s", in_dir("mnt/new"));
	run_cmd((char *const[]){ "env", "AGENTPROF_SLOW_LOAD_S=0", AGENTPROF, "record", "-p", pidstr(), "-d", "1",
				 "-o", out, NULL }, &r);
	assert_refused(&r, "Read-only file system");
	run_free(&r);
}

/* Fills the mount at mnt once record is recording, leaving keep bytes free. */
static void record_onto_full_disk(size_t keep, int *status, char **said)
{
	static char buf[1 << 16];
	char out[320];
	off_t size = 0;
	ssize_t n;
	int fd;

	snprintf(out, sizeof(out), "%s", in_dir("mnt/out"));
	recorder = start_recording((char *const[]){ AGENTPROF, "record", "-p", pidstr(), "-d", "2", "-o", out, NULL },
				   log_path);
	fd = open(in_dir("mnt/fill"), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	while ((n = write(fd, buf, sizeof(buf))) > 0)
		size += n;
	cr_assert_eq(errno, ENOSPC);
	cr_assert_eq(ftruncate(fd, size > (off_t)keep ? size - keep : 0), 0);
	close(fd);
	cr_assert_eq(waitpid(recorder, status, 0), recorder);
	recorder = 0;
	*said = slurp(log_path);
}

/* The disk full before report.json: the real errno, one line, and no partial set left behind. */
Test(outdir, disk_full_says_enospc_and_leaves_nothing_partial)
{
	char *said;
	int status;

	require_root();
	mount_tmpfs("size=1m");
	record_onto_full_disk(0, &status, &said);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status %#x: %s", status, said);
	cr_assert(strstr(said, "report.json: No space left on device: nothing was kept"), "%s", said);
	cr_assert_eq(count_lines(said), 2, "want the recording line and one error:\n%s", said);
	cr_assert(!exists(in_dir("mnt/out")), "left a directory this run created and wrote nothing into");
	free(said);
}

/* The disk fills after report.json: it is kept, whole, alone, and the error says so. */
Test(outdir, disk_full_after_report_keeps_report_alone)
{
	char *said, *report;
	json_t *j;
	int status;

	require_root();
	mount_tmpfs("size=1m");
	/* room for report.json (one page of tmpfs here), not for the flame graphs (a few each) */
	record_onto_full_disk(12 << 10, &status, &said);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status %#x: %s", status, said);
	cr_assert(strstr(said, ": No space left on device: kept "), "%s", said);
	cr_assert(strstr(said, "/report.json only"), "%s", said);
	cr_assert_eq(count_lines(said), 2, "want the recording line and one error:\n%s", said);
	report = slurp(in_dir("mnt/out/report.json"));
	j = report ? json_loads(report, 0, NULL) : NULL;
	cr_assert(json_is_integer(json_object_get(j, "samples")), "report.json is not whole: %s", report);
	json_decref(j);
	free(report);
	for (const char *const *f = (const char *const[]){ "cpu.folded", "offcpu.folded", "cpu.svg", "offcpu.svg",
							   "cpu.pb.gz", "spans.jsonl", NULL }; *f; f++) {
		char name[64];

		snprintf(name, sizeof(name), "mnt/out/%s", *f);
		cr_assert(!exists(in_dir(name)), "a partial set: %s is there", *f);
	}
	free(said);
}

/* Whether pid has signal sig blocked (/proc/PID/status's SigBlk). */
static bool blocked(pid_t pid, int sig)
{
	char path[64], *status, *line;
	unsigned long long mask = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	status = slurp(path);
	cr_assert(status && (line = strstr(status, "SigBlk:")), "%s", path);
	sscanf(line, "SigBlk: %llx", &mask);
	free(status);
	return mask & (1ull << (sig - 1));
}

/*
 * Record writing onto a frozen filesystem: stopped by SIGINT, it blocks on its first file; the
 * test waits until stopping began (SIGINT no longer blocked: the first one was taken).
 */
static void record_onto_frozen_fs(void)
{
	char cmd[512], out[320];

	require_root();
	require_tool("mkfs.ext4", "e2fsprogs");
	require_tool("fsfreeze", "util-linux");
	snprintf(cmd, sizeof(cmd), "truncate -s 8M %s/img && mkfs.ext4 -q %s/img && mkdir %s/mnt && "
		 "mount -o loop %s/img %s/mnt", dir, dir, dir, dir, dir);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	snprintf(out, sizeof(out), "%s", in_dir("mnt/out"));
	recorder = start_recording((char *const[]){ AGENTPROF, "record", "-p", pidstr(), "-o", out, NULL }, log_path);
	snprintf(cmd, sizeof(cmd), "fsfreeze -f %s/mnt", dir);
	cr_assert_eq(system(cmd), 0);
	frozen = true;
	kill(recorder, SIGINT);
	while (blocked(recorder, SIGINT))
		usleep(10000);
}

static void thaw(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "fsfreeze -u %s/mnt", dir);
	cr_assert_eq(system(cmd), 0);
	frozen = false;
}

/* A second Ctrl-C while the results are written ends record, saying what is lost, leaving nothing half-written. */
Test(outdir, second_sigint_while_writing_says_the_recording_is_lost)
{
	char *said;
	int status;

	record_onto_frozen_fs();
	kill(recorder, SIGINT);
	thaw();
	cr_assert_eq(waitpid(recorder, &status, 0), recorder);
	recorder = 0;
	said = slurp(log_path);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT, "status %#x: %s", status, said);
	cr_assert(strstr(said, "agentprof: aborted while writing the results: the recording is lost\n"), "%s", said);
	cr_assert(!exists(in_dir("mnt/out")), "left the directory it created and kept nothing in");
	free(said);
}

/* A hangup (the terminal closed) while the results are written does not lose them. */
Test(outdir, sighup_while_writing_waits_for_the_results)
{
	char *report;
	int status;

	record_onto_frozen_fs();
	kill(recorder, SIGHUP);
	thaw();
	cr_assert_eq(waitpid(recorder, &status, 0), recorder);
	recorder = 0;
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
	report = slurp(in_dir("mnt/out/report.json"));
	cr_assert(report && strstr(report, "\"samples\""), "no report after a SIGHUP while writing");
	free(report);
	cr_assert(exists(in_dir("mnt/out/offcpu.svg")), "the set is not whole");
}

/* A load that takes long says so, before record says it is recording (AGENTPROF_SLOW_LOAD_S=0: at once). */
Test(outdir, slow_load_says_it_is_still_loading_before_recording)
{
	const char *loading, *recording;
	struct run r;

	require_root();
	run_cmd((char *const[]){ "env", "AGENTPROF_SLOW_LOAD_S=0", AGENTPROF, "record", "-p", pidstr(), "-d", "1",
				 "-o", in_dir("out"), NULL }, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	loading = strstr(r.err, "agentprof: still loading the BPF programs");
	recording = strstr(r.err, "agentprof: recording");
	cr_assert(loading && recording && loading < recording, "%s", r.err);
	run_free(&r);
	/* a load shorter than the threshold says nothing of it */
	run_cmd((char *const[]){ "env", "AGENTPROF_SLOW_LOAD_S=3600", AGENTPROF, "record", "-p", pidstr(), "-d", "1",
				 "-o", in_dir("out2"), NULL }, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(!strstr(r.err, "still loading"), "%s", r.err);
	run_free(&r);
}
