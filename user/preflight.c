// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What must hold before any BPF is loaded: kernel BTF, capabilities, tracefs; each explained in one line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <unistd.h>
#include "log.h"
#include "preflight.h"

#define VMLINUX_BTF	"/sys/kernel/btf/vmlinux"
#define TRACEFS		"/sys/kernel/tracing"
#define TRACEFS_MAGIC_	0x74726163
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

int ensure_tracefs(void)
{
	struct statfs st;

	if (statfs(TRACEFS, &st) == 0 && st.f_type == TRACEFS_MAGIC_)
		return 0;
	if (mount("tracefs", TRACEFS, "tracefs", 0, NULL) == 0) {
		pr_info("mounted tracefs at %s\n", TRACEFS);
		return 0;
	}
	return -errno;
}
