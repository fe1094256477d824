// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * LD_PRELOAD'ed into agentprof under valgrind 3.19 (Debian 12), which knows neither pidfd_open
 * nor the bpf batch lookups: without this, record stops at pidfd_open, and every map entry read
 * in batches would count as uninitialised. It wraps libc's syscall(), which libbpf calls.
 */
#include <dlfcn.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <valgrind/memcheck.h>

static long (*real_syscall)(long, ...);

static long bpf(int cmd, union bpf_attr *attr, unsigned size)
{
	return real_syscall(__NR_bpf, cmd, attr, size);
}

/* The kernel wrote count keys and values: tell memcheck, with per-CPU values as they come. */
static void batch_written(const union bpf_attr *attr)
{
	struct bpf_map_info info;
	union bpf_attr q;
	size_t stride;

	memset(&info, 0, sizeof(info));
	memset(&q, 0, sizeof(q));
	q.info.bpf_fd = attr->batch.map_fd;
	q.info.info_len = sizeof(info);
	q.info.info = (unsigned long)&info;
	if (bpf(BPF_OBJ_GET_INFO_BY_FD, &q, sizeof(q)))
		return;
	stride = info.value_size;
	if (info.type == BPF_MAP_TYPE_PERCPU_HASH || info.type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	    info.type == BPF_MAP_TYPE_LRU_PERCPU_HASH)
		stride = ((stride + 7) & ~7ul) * sysconf(_SC_NPROCESSORS_CONF);
	VALGRIND_MAKE_MEM_DEFINED((void *)(unsigned long)attr->batch.keys,
				  (size_t)attr->batch.count * info.key_size);
	VALGRIND_MAKE_MEM_DEFINED((void *)(unsigned long)attr->batch.values,
				  (size_t)attr->batch.count * stride);
	VALGRIND_MAKE_MEM_DEFINED((void *)(unsigned long)attr->batch.out_batch, info.key_size);
}

long syscall(long nr, ...)
{
	long a[6], ret;
	va_list ap;

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (!real_syscall)
		real_syscall = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	if (nr == SYS_pidfd_open)
		return eventfd(0, EFD_CLOEXEC);	/* never readable: the target must outlive -d */
	ret = real_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (nr == __NR_bpf && (a[0] == BPF_MAP_LOOKUP_BATCH || a[0] == BPF_MAP_LOOKUP_AND_DELETE_BATCH) &&
	    (ret == 0 || errno == ENOENT))
		batch_written((const union bpf_attr *)a[1]);
	return ret;
}
