/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What must hold before any BPF is loaded: kernel BTF, capabilities, tracefs; each explained in one line. */
#ifndef PREFLIGHT_H
#define PREFLIGHT_H

/* Kernel BTF for CO-RE: 0, or -ENOENT after printing why. */
int preflight_btf(void);
/* CAP_BPF + CAP_PERFMON (or CAP_SYS_ADMIN): 0, or -EPERM after naming what is missing. */
int preflight_caps(void);
/* Mounts tracefs at /sys/kernel/tracing when nothing is mounted there: 0 or -errno. */
int ensure_tracefs(void);

#endif /* PREFLIGHT_H */
