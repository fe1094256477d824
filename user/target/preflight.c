// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What must hold before any BPF is loaded: kernel BTF, capabilities, lockdown, tracefs; each explained in one line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <unistd.h>
#include "base/log.h"
#include "target/preflight.h"
#include "base/util.h"

#define VMLINUX_BTF	"/sys/kernel/btf/vmlinux"
#define TRACEFS		"/sys/kernel/tracing"
#define TRACEFS_MAGIC_	0x74726163
#define SECURITYFS	"/sys/kernel/security"
#define SECURITYFS_MAGIC_ 0x73636673
#define CAP_SYS_PTRACE_	19
#define CAP_SYS_ADMIN_	21
#define CAP_PERFMON_	38
#define CAP_BPF_	39

int preflight_btf(void)
{
	if (access(VMLINUX_BTF, R_OK) == 0)
		return 0;
	pr_warn("no kernel BTF at %s (%s): agentprof needs a kernel built with CONFIG_DEBUG_INFO_BTF=y\n",
		VMLINUX_BTF, strerror(errno));
	return -ENOENT;
}

static unsigned long long effective_caps(void)
{
	unsigned long long caps = 0;
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	fclose(f);
	return caps;
}

const char *ptrace_hint(int err)
{
	if ((err != -EACCES && err != -EPERM) || (effective_caps() & (1ull << CAP_SYS_PTRACE_)))
		return "";
	return " (needs CAP_SYS_PTRACE)";
}

int preflight_caps(void)
{
	unsigned long long caps = effective_caps();
	const char *missing;

#define HAS(c) (caps & (1ull << (c)))
	if (HAS(CAP_SYS_ADMIN_) || (HAS(CAP_BPF_) && HAS(CAP_PERFMON_)))
		return 0;
	missing = HAS(CAP_BPF_) ? "CAP_PERFMON" : HAS(CAP_PERFMON_) ? "CAP_BPF" : "CAP_BPF and CAP_PERFMON";
#undef HAS
	pr_warn("missing %s (or CAP_SYS_ADMIN): run as root, or grant them to agentprof\n", missing);
	return -EPERM;
}

/* Mounts fstype at dir unless one is there: 0 or -errno. */
static int ensure_mounted(const char *dir, const char *fstype, long magic)
{
	struct statfs st;

	if (statfs(dir, &st) == 0 && st.f_type == magic)
		return 0;
	if (mount(fstype, dir, fstype, 0, NULL) == 0) {
		pr_info("mounted %s at %s\n", fstype, dir);
		return 0;
	}
	return -errno;
}

int ensure_tracefs(void)
{
	return ensure_mounted(TRACEFS, "tracefs", TRACEFS_MAGIC_);
}

int parse_lockdown(const char *text, char *mode, size_t len)
{
	const char *open = strchr(text, '['), *close = open ? strchr(open, ']') : NULL;

	if (!close || (size_t)(close - open - 1) >= len)
		return -EINVAL;
	memcpy(mode, open + 1, close - open - 1);
	mode[close - open - 1] = '\0';
	return 0;
}

int preflight_lockdown(void)
{
	char mode[32], *text;
	int err;

	/* securityfs is where the lockdown LSM shows its mode; a container may lack the mount */
	if (ensure_mounted(SECURITYFS, "securityfs", SECURITYFS_MAGIC_))
		pr_debug("no securityfs at %s: cannot tell the kernel's lockdown mode\n", SECURITYFS);
	if (read_file(SECURITYFS "/lockdown", 256, &text) < 0)
		return 0;	/* no lockdown LSM in this kernel */
	err = parse_lockdown(text, mode, sizeof(mode));
	free(text);
	if (err || strcmp(mode, "confidentiality"))
		return 0;	/* integrity forbids writing to the kernel, which agentprof never does */
	pr_warn("kernel lockdown is 'confidentiality': BPF may not read kernel memory, which agentprof needs "
		"(boot with lockdown=integrity, or without lockdown)\n");
	return -EPERM;
}
