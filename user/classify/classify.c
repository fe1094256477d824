// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The one classifier: what a wait was (from its signature, read in the kernel) and what holds an
 * entity back (from its wall-time breakdown). Pure; `record` and `top` both use it.
 */
#include <sys/syscall.h>
#include "classify/classify.h"

#define FUTEX_WAIT_		0
#define FUTEX_WAIT_BITSET_	9

static const char *const names[NR_CATEGORIES] = {
	[CAT_CPU] = "cpu", [CAT_RUNQ] = "runq", [CAT_LOCK] = "lock", [CAT_NET] = "net",
	[CAT_DISK] = "disk", [CAT_SLEEP] = "sleep", [CAT_IDLE] = "idle", [CAT_OTHER] = "other",
	[CAT_QUEUE] = "queue",
};

const char *category_name(enum category c)
{
	return c < NR_CATEGORIES ? names[c] : "?";
}

/*
 * glibc waits on a mutex with FUTEX_WAIT and on condition variables and semaphores with
 * FUTEX_WAIT_BITSET. A condition wait that times out within SHORT_WAIT_MS is lock-like: it is
 * how CPython waits for the GIL (5 ms slices). Untimed or longer ones are a thread parked for
 * work (a pool worker, an Event.wait(30)).
 */
static enum category futex_category(const struct wait_sig *w)
{
	if (w->futex_op == FUTEX_WAIT_BITSET_ && !(w->flags & WAIT_SHORT))
		return CAT_IDLE;
	return CAT_LOCK;
}

static enum category fd_category(const struct wait_sig *w, enum category poll_empty)
{
	switch (w->fd_kind) {
	case FD_SOCKET:
		return CAT_NET;
	case FD_LISTEN:
		return CAT_IDLE;	/* accept(): waiting for the next client */
	case FD_FILE:
	case FD_BLOCK:
		return CAT_DISK;
	default:
		return poll_empty;
	}
}

enum category classify_wait(const struct wait_sig *w)
{
	if (w->flags & WAIT_RUNQ)
		return CAT_RUNQ;
	if (w->flags & (WAIT_KLOCK | WAIT_GVL))
		return CAT_LOCK;	/* a kernel lock, or Ruby's GVL (the kernel side read its condvar) */
	if (w->flags & WAIT_IOWAIT)
		return CAT_DISK;
	if (!(w->flags & WAIT_IN_SYSCALL))
		return CAT_OTHER;
	switch (w->syscall) {
	case SYS_futex:
	case SYS_futex_waitv:
		return w->syscall == SYS_futex ? futex_category(w) : CAT_LOCK;
	case SYS_nanosleep:
	case SYS_clock_nanosleep:
		return CAT_SLEEP;
	case SYS_fsync:
	case SYS_fdatasync:
	case SYS_sync:
	case SYS_syncfs:
	case SYS_sync_file_range:
	case SYS_msync:
		return CAT_DISK;
	case SYS_poll:
	case SYS_ppoll:
	case SYS_select:
	case SYS_pselect6:
	case SYS_epoll_wait:
	case SYS_epoll_pwait:
	case SYS_epoll_pwait2:
		/* an event loop with no connection to wait on has nothing to do */
		return fd_category(w, CAT_IDLE);
	case SYS_read: case SYS_write: case SYS_pread64: case SYS_pwrite64: case SYS_readv:
	case SYS_writev: case SYS_preadv: case SYS_pwritev: case SYS_preadv2: case SYS_pwritev2:
	case SYS_sendfile: case SYS_connect: case SYS_accept: case SYS_accept4: case SYS_sendto:
	case SYS_recvfrom: case SYS_sendmsg: case SYS_recvmsg: case SYS_sendmmsg: case SYS_recvmmsg:
		return fd_category(w, CAT_OTHER);
	default:
		return CAT_OTHER;
	}
}

enum category classify_breakdown(const uint64_t ns[NR_CATEGORIES], uint64_t wall_ns)
{
	enum category best = CAT_IDLE;
	uint64_t busy = 0, most = 0;

	for (int c = 0; c < NR_CATEGORIES; c++) {
		if (c == CAT_IDLE)
			continue;
		busy += ns[c];
		if (ns[c] > most) {
			most = ns[c];
			best = c;
		}
	}
	if (!busy || busy * 100 < (uint64_t)IDLE_BELOW_PERCENT * wall_ns)
		return CAT_IDLE;
	return best;
}
