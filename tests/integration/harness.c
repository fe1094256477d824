// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Integration-test helpers: start workloads, run build/agentprof, read what it wrote. */
#include <bpf/bpf.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include "harness.h"

void require_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root: loads BPF programs and attaches perf events");
}

bool have(const char *cmd)
{
	char sh[256];

	if (strchr(cmd, '/'))
		return access(cmd, X_OK) == 0;
	snprintf(sh, sizeof(sh), "command -v '%s' >/dev/null 2>&1", cmd);
	return system(sh) == 0;
}

const char *main_category(json_t *o)
{
	const char *key, *best = "";
	json_int_t most = -1;
	json_t *v;

	json_object_foreach(json_object_get(o, "breakdown_ns"), key, v)
		if (strcmp(key, "runq") && json_integer_value(v) > most) {
			most = json_integer_value(v);
			best = key;
		}
	return best;
}

bool class_is(json_t *o, const char *want)
{
	const char *class = json_string_value(json_object_get(o, "class"));

	if (!class || !strcmp(main_category(o), "") || strcmp(main_category(o), want))
		return false;
	return !strcmp(class, want) || !strcmp(class, "runq");
}

/*
 * In a child about to exec: it gets sig when the test that started it dies (a test the suite's
 * timeout kills leaves no workload spinning for the tests after it).
 */
static void die_with_test(int sig, pid_t test)
{
	prctl(PR_SET_PDEATHSIG, sig);
	if (getppid() != test)
		_exit(127);	/* the test died before prctl */
}

void require_tool(const char *cmd, const char *package)
{
	if (!have(cmd))
		cr_assert_fail("%s is missing: install Debian's %s (make deps-test does)", cmd, package);
}

pid_t start_workload(char *const argv[])
{
	pid_t test = getpid();
	char line[64] = "";
	int fds[2];
	pid_t pid;
	FILE *f;

	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		die_with_test(SIGKILL, test);
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	cr_assert(fgets(line, sizeof(line), f), "workload %s printed nothing", argv[0]);
	fclose(f);
	return pid;
}

pid_t start_recording(char *const argv[], const char *log)
{
	pid_t pid, test = getpid();
	char *said = NULL;
	int fd;

	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0, "%s: %s", log, strerror(errno));
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		die_with_test(SIGTERM, test);	/* a recorder stops as on ^C */
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fd);
	/* the suite's timeout bounds the wait: a verifier on a loaded machine can take a while */
	for (;;) {
		free(said);
		said = slurp(log);
		if (said && strstr(said, "agentprof: recording"))
			break;
		cr_assert_eq(waitpid(pid, NULL, WNOHANG), 0, "agentprof stopped before recording: %s", said);
		usleep(20000);
	}
	free(said);
	return pid;
}

char *wait_recording(pid_t rec, const char *log)
{
	char *said;
	int status;

	cr_assert_eq(waitpid(rec, &status, 0), rec);
	said = slurp(log);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "record failed: %s", said);
	return said;
}

json_t *load_json(const char *dir, const char *name)
{
	char path[512];
	json_error_t jerr;
	json_t *o;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	o = json_load_file(path, 0, &jerr);
	cr_assert(o, "%s: %s", name, jerr.text);
	return o;
}

json_t *load_jsonl(const char *dir, const char *name)
{
	char path[512], *text, *line, *save = NULL;
	json_t *all = json_array();

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	text = slurp(path);
	cr_assert(text, "no %s", path);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_error_t jerr;
		json_t *o = json_loads(line, 0, &jerr);

		cr_assert(o, "%s: %s: %s", name, jerr.text, line);
		json_array_append_new(all, o);
	}
	free(text);
	return all;
}

const char *file_holding(const char *dir, const char *s)
{
	static char found[256];
	struct dirent *e;
	DIR *d = opendir(dir);

	cr_assert(d, "no directory %s", dir);
	found[0] = '\0';
	while (!found[0] && (e = readdir(d))) {
		char path[512], *text = NULL;
		size_t len = 0, cap = 0;
		gzFile f;
		int n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = gzopen(path, "rb");	/* reads plain files as they are */
		cr_assert(f, "open %s", path);
		do {
			if (len + 65536 + 1 > cap)
				text = realloc(text, cap = 2 * cap + 65536 + 1);
			n = gzread(f, text + len, 65536);
			len += n > 0 ? n : 0;
		} while (n > 0);
		gzclose(f);
		if (memmem(text, len, s, strlen(s)))
			snprintf(found, sizeof(found), "%s", e->d_name);
		free(text);
	}
	closedir(d);
	return found[0] ? found : NULL;
}

void stop_workload(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void drain(int fd, char **buf, size_t *len)
{
	char chunk[4096];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n <= 0)
		return;
	*buf = realloc(*buf, *len + n + 1);
	memcpy(*buf + *len, chunk, n);
	*len += n;
	(*buf)[*len] = '\0';
}

void run_cmd(char *const argv[], struct run *r)
{
	pid_t test = getpid();
	int out[2], err[2], status;
	size_t olen = 0, elen = 0;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->out = calloc(1, 1);
	r->err = calloc(1, 1);
	cr_assert(pipe(out) == 0 && pipe(err) == 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		die_with_test(SIGKILL, test);
		dup2(out[1], 1);
		dup2(err[1], 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	for (;;) {
		struct pollfd p[2] = { { out[0], POLLIN, 0 }, { err[0], POLLIN, 0 } };

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			drain(out[0], &r->out, &olen);
		if (p[1].revents)
			drain(err[0], &r->err, &elen);
		if ((p[0].revents & POLLHUP) && !(p[0].revents & POLLIN) &&
		    (p[1].revents & POLLHUP) && !(p[1].revents & POLLIN))
			break;
	}
	close(out[0]);
	close(err[0]);
	waitpid(pid, &status, 0);
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

void make_tmpdir(char *buf, size_t len)
{
	snprintf(buf, len, "/tmp/agentprof-test.XXXXXX");
	cr_assert(mkdtemp(buf), "mkdtemp: %s", strerror(errno));
}

void remove_tree(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = strdup("");
	}
	fclose(f);
	return buf;
}

char *read_port(const char *file)
{
	char *p = slurp(file);

	cr_assert(p && *p, "no port in %s", file);
	return p;
}

uint64_t folded_sum(const char *folded, const char *needle)
{
	uint64_t sum = 0;

	for (const char *line = folded; *line;) {
		const char *nl = strchrnul(line, '\n');
		const char *sp = line;

		for (const char *p = line; p < nl; p++)
			if (*p == ' ')
				sp = p;
		if (sp > line) {
			char *stack = strndup(line, sp - line);

			if (strstr(stack, needle))
				sum += strtoull(sp + 1, NULL, 10);
			free(stack);
		}
		line = *nl ? nl + 1 : nl;
	}
	return sum;
}

int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

uint64_t cpu_ticks(pid_t pid)
{
	char path[64], *stat, *p;
	unsigned long long ut = 0, st = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	stat = slurp(path);
	cr_assert(stat, "read %s", path);
	p = strrchr(stat, ')');
	/* fields 14 and 15 after the comm; p points at field 2's end */
	cr_assert(p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) == 2);
	free(stat);
	return ut + st;
}

uint64_t elf_func_offset(const char *path, const char *func)
{
	uint64_t off = 0, vaddr = 0;
	Elf_Scn *scn = NULL;
	size_t nphdr;
	int fd;
	Elf *elf;

	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	elf = fd < 0 ? NULL : elf_begin(fd, ELF_C_READ, NULL);
	while (elf && !vaddr && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !(data = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; sh.sh_entsize && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;

			if (gelf_getsym(data, i, &sym) && (name = elf_strptr(elf, sh.sh_link, sym.st_name)) &&
			    !strcmp(name, func))
				vaddr = sym.st_value;
		}
	}
	for (size_t i = 0; vaddr && !elf_getphdrnum(elf, &nphdr) && i < nphdr; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, i, &ph) && ph.p_type == PT_LOAD && vaddr >= ph.p_vaddr &&
		    vaddr < ph.p_vaddr + ph.p_filesz)
			off = vaddr - ph.p_vaddr + ph.p_offset;
	}
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
	return off;
}

/* bpftool's JSON listing of objects of kind (prog, link, perf). */
static json_t *bpftool_list(const char *kind)
{
	struct run r;
	json_t *list;

	run_cmd((char *const[]){ "bpftool", "-j", (char *)kind, "show", NULL }, &r);
	cr_assert_eq(r.status, 0, "bpftool %s show: %s", kind, r.err);
	list = json_loads(r.out, 0, NULL);
	cr_assert(json_is_array(list), "bpftool %s show: %s", kind, r.out);
	run_free(&r);
	return list;
}

size_t bpf_progs_of(pid_t pid, uint32_t *ids, size_t max)
{
	json_t *list = bpftool_list("perf"), *e;
	size_t i, n = 0;

	json_array_foreach(list, i, e)
		if (json_integer_value(json_object_get(e, "pid")) == pid && n < max)
			ids[n++] = json_integer_value(json_object_get(e, "prog_id"));
	json_decref(list);
	return n;
}

static size_t count_ids(const char *kind, const char *field, const uint32_t *ids, size_t n)
{
	json_t *list = bpftool_list(kind), *e;
	size_t i, left = 0;

	json_array_foreach(list, i, e)
		for (size_t j = 0; j < n; j++)
			left += json_integer_value(json_object_get(e, field)) == ids[j];
	json_decref(list);
	return left;
}

/* The id of the BPF map behind fd of pid (its fdinfo says), 0: not a map. */
static uint32_t map_id_of(pid_t pid, const char *fd)
{
	char path[320], line[128];
	uint32_t id = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid, fd);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f) && sscanf(line, "map_id: %u", &id) != 1)
		;
	if (f)
		fclose(f);
	return id;
}

static long count_keys(int fd, uint32_t key_size)
{
	char *key = calloc(2, key_size ? key_size : 1), *next = key + key_size;
	long n = 0;

	cr_assert(key);
	for (void *prev = NULL; !bpf_map_get_next_key(fd, prev, next); prev = key, n++)
		memcpy(key, next, key_size);
	free(key);
	return n;
}

long bpf_map_entries(pid_t pid, const char *name)
{
	char path[64];
	struct dirent *d;
	long n = -1;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	cr_assert(dir, "%s: %s", path, strerror(errno));
	while (n < 0 && (d = readdir(dir))) {
		struct bpf_map_info info = {};
		uint32_t id = map_id_of(pid, d->d_name), len = sizeof(info);
		int fd = id ? bpf_map_get_fd_by_id(id) : -1;

		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) && !strncmp(info.name, name, sizeof(info.name) - 1))
			n = count_keys(fd, info.key_size);
		if (fd >= 0)
			close(fd);
	}
	closedir(dir);
	return n;
}

/* Links are freed after an RCU grace period, and drop their programs then: allow a moment. */
size_t bpf_progs_left(const uint32_t *ids, size_t n)
{
	static const char *const kinds[][2] = { { "prog", "id" }, { "link", "prog_id" }, { "perf", "prog_id" } };
	size_t left = 0;

	for (int tries = 0; tries < 30; tries++, usleep(100000)) {
		left = 0;
		for (size_t k = 0; k < 3; k++)
			left += count_ids(kinds[k][0], kinds[k][1], ids, n);
		if (!left)
			break;
	}
	return left;
}
