/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What must hold before any BPF is loaded: kernel BTF, capabilities, lockdown, tracefs; each explained in one line. */
#ifndef PREFLIGHT_H
#define PREFLIGHT_H

#include <stddef.h>

/* Kernel BTF for CO-RE: 0, or -ENOENT after printing why. */
int preflight_btf(void);
/* CAP_BPF + CAP_PERFMON (or CAP_SYS_ADMIN): 0, or -EPERM after naming what is missing. */
int preflight_caps(void);
/* For a failed read of /proc/PID/maps: " (... needs CAP_SYS_PTRACE)" when that is why, else "". */
const char *ptrace_hint(int err);
/*
 * Kernel lockdown: 0, or -EPERM after saying so when it is in 'confidentiality' mode, which
 * takes bpf_probe_read_kernel away. Mounts securityfs to read the mode when it is missing.
 */
int preflight_lockdown(void);
/* The mode in force in /sys/kernel/security/lockdown's text ("none [integrity] confidentiality"). */
int parse_lockdown(const char *text, char *mode, size_t len);
/* Mounts tracefs at /sys/kernel/tracing when nothing is mounted there: 0 or -errno. */
int ensure_tracefs(void);

#endif /* PREFLIGHT_H */
