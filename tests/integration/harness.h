/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Integration-test helpers: start workloads, run build/agentprof, read what it wrote. */
#ifndef HARNESS_H
#define HARNESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* the build's output directory: build/, or build-san/ under make SANITIZE=1 */
#ifndef OUT_DIR
#define OUT_DIR "build"
#endif
#define AGENTPROF OUT_DIR "/agentprof"
#define WORKLOAD(name) OUT_DIR "/workloads/" name
/*
 * Enough samples for the ratios the tests assert; a target on a loaded machine gets a fraction
 * of a CPU, so no test asks for the count a quiet one would give.
 */
#define MIN_SAMPLES 10

struct run {
	int status;		/* exit code, or 128 + signal */
	char *out, *err;	/* everything printed, NUL-terminated */
};

/* Skips the calling test unless it runs as root (BPF needs CAP_BPF + CAP_PERFMON). */
void require_root(void);
/* Whether a command (a path, or a name looked up in PATH) can be run. */
bool have(const char *cmd);
/*
 * Fails the calling test unless cmd can be run, naming the Debian package that has it: a test
 * never skips for a missing package (tools/deps.sh test installs every one the suite uses).
 */
void require_tool(const char *cmd, const char *package);
/* Starts argv[0] with stdout on a pipe; returns its PID after it printed its first line. */
pid_t start_workload(char *const argv[]);
/*
 * Starts argv (an agentprof that records) with its output in the file log; returns its PID once
 * it says it is recording: its programs are attached, whatever the machine's load.
 */
pid_t start_recording(char *const argv[], const char *log);
/*
 * Waits for the recorder start_recording started and fails the calling test unless it exited 0,
 * saying its output; returns that output (the caller frees it).
 */
char *wait_recording(pid_t rec, const char *log);
/* Kills (SIGKILL) and reaps a workload. */
void stop_workload(pid_t pid);
/* Runs argv to completion, capturing its output. */
void run_cmd(char *const argv[], struct run *r);
void run_free(struct run *r);
/* A fresh directory under /tmp; its path is static storage of the caller's buffer. */
void make_tmpdir(char *buf, size_t len);
void remove_tree(const char *dir);
/* The file's contents (NUL-terminated) or NULL. */
char *slurp(const char *path);
/* The port a workload wrote into file (malloc'd); fails the calling test when there is none. */
char *read_port(const char *file);
/* File name of dir, parsed as JSON; fails the calling test when it is not. */
json_t *load_json(const char *dir, const char *name);
/* File name of dir, one JSON value a line (spans.jsonl), as an array; fails the calling test when it is not. */
json_t *load_jsonl(const char *dir, const char *name);
/* The name of a file of dir (gzipped ones read decompressed) that holds s, or NULL. */
const char *file_holding(const char *dir, const char *s);
/* Sum of the counts of the folded lines whose stack contains needle (all lines for ""). */
uint64_t folded_sum(const char *folded, const char *needle);
/* Lines in s. */
int count_lines(const char *s);
/* The ids of the BPF programs process pid has attached (bpftool perf show); at most max. */
size_t bpf_progs_of(pid_t pid, uint32_t *ids, size_t max);
/* How many of ids still exist: as programs, behind links, or attached to perf events. */
size_t bpf_progs_left(const uint32_t *ids, size_t n);
/*
 * Entries in the BPF map called name (as the kernel truncates names: 15 characters) that process
 * pid holds open, counted by walking its keys; -1 when pid holds no such map.
 */
long bpf_map_entries(pid_t pid, const char *name);
/* utime + stime of a process, in clock ticks. */
uint64_t cpu_ticks(pid_t pid);

/*
 * The category holding most of the time of o's breakdown_ns (a thread, span or trace of
 * report.json), runq set aside: how long a thread waits for a CPU depends on the machine's load,
 * what it does the rest of the time does not. "" when o has no breakdown.
 */
const char *main_category(json_t *o);
/* Whether o's class is want, or runq (a loaded machine) while its main category is want. */
bool class_is(json_t *o, const char *want);

/* The file offset of function func of an ELF file (what uprobes take), 0 when not found. */
uint64_t elf_func_offset(const char *path, const char *func);

#endif /* HARNESS_H */
