// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The classifier: wait signatures as the kernel side records them, and breakdowns to classes. */
#include <criterion/criterion.h>
#include <sys/syscall.h>
#include "classify/classify.h"

#define FUTEX_WAIT_ 0
#define FUTEX_WAIT_BITSET_ 9
#define FUTEX_LOCK_PI_ 6

static struct wait_sig sys(int nr, enum fd_kind fd, __u8 flags)
{
	return (struct wait_sig){ .syscall = nr, .fd_kind = fd, .flags = flags | WAIT_IN_SYSCALL };
}

static struct wait_sig futex(int op, __u8 flags)
{
	struct wait_sig w = sys(SYS_futex, FD_NONE, flags);

	w.futex_op = op;
	return w;
}


Test(classify, mutexes_and_the_gil_are_locks)
{
	struct wait_sig w;

	w = futex(FUTEX_WAIT_, 0);		/* pthread_mutex_lock: __lll_lock_wait */
	cr_assert_eq(classify_wait(&w), CAT_LOCK);
	w = futex(FUTEX_LOCK_PI_, 0);		/* priority-inheritance mutex */
	cr_assert_eq(classify_wait(&w), CAT_LOCK);
	w = futex(FUTEX_WAIT_BITSET_, WAIT_TIMED | WAIT_SHORT);	/* CPython take_gil: 5 ms slices */
	cr_assert_eq(classify_wait(&w), CAT_LOCK);
	w = sys(SYS_futex_waitv, FD_NONE, 0);
	cr_assert_eq(classify_wait(&w), CAT_LOCK);
}

Test(classify, parked_threads_are_idle)
{
	struct wait_sig w;

	w = futex(FUTEX_WAIT_BITSET_, 0);	/* pthread_cond_wait, sem_wait */
	cr_assert_eq(classify_wait(&w), CAT_IDLE);
	w = futex(FUTEX_WAIT_BITSET_, WAIT_TIMED);	/* Event.wait(30): timed, but long */
	cr_assert_eq(classify_wait(&w), CAT_IDLE);
	w = sys(SYS_accept4, FD_LISTEN, 0);	/* a server waiting for its next client */
	cr_assert_eq(classify_wait(&w), CAT_IDLE);
	w = sys(SYS_epoll_wait, FD_LISTEN, 0);
	cr_assert_eq(classify_wait(&w), CAT_IDLE);
	w = sys(SYS_epoll_wait, FD_OTHER, 0);	/* an event loop with only its wakeup pipe */
	cr_assert_eq(classify_wait(&w), CAT_IDLE);
}

Test(classify, sockets_are_net)
{
	int calls[] = { SYS_read, SYS_recvfrom, SYS_recvmsg, SYS_sendto, SYS_connect, SYS_write,
			SYS_epoll_wait, SYS_epoll_pwait, SYS_poll, SYS_ppoll };

	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		struct wait_sig w = sys(calls[i], FD_SOCKET, 0);

		cr_assert_eq(classify_wait(&w), CAT_NET, "syscall %d", calls[i]);
	}
}

Test(classify, files_and_syncs_are_disk)
{
	struct wait_sig w;

	w = sys(SYS_pread64, FD_FILE, 0);
	cr_assert_eq(classify_wait(&w), CAT_DISK);
	w = sys(SYS_read, FD_BLOCK, 0);
	cr_assert_eq(classify_wait(&w), CAT_DISK);
	w = sys(SYS_fdatasync, FD_NONE, 0);
	cr_assert_eq(classify_wait(&w), CAT_DISK);
	w = sys(SYS_fsync, FD_NONE, 0);
	cr_assert_eq(classify_wait(&w), CAT_DISK);
	/* a page fault waiting for I/O: not in a syscall, but in io_schedule */
	w = (struct wait_sig){ .syscall = -1, .flags = WAIT_IOWAIT };
	cr_assert_eq(classify_wait(&w), CAT_DISK);
}

Test(classify, sleeps_pipes_and_the_rest)
{
	struct wait_sig w;

	w = sys(SYS_nanosleep, FD_NONE, 0);
	cr_assert_eq(classify_wait(&w), CAT_SLEEP);
	w = sys(SYS_clock_nanosleep, FD_NONE, 0);
	cr_assert_eq(classify_wait(&w), CAT_SLEEP);
	w = sys(SYS_read, FD_PIPE, 0);
	cr_assert_eq(classify_wait(&w), CAT_OTHER);
	w = sys(SYS_wait4, FD_NONE, 0);
	cr_assert_eq(classify_wait(&w), CAT_OTHER);
	w = sys(SYS_rt_sigtimedwait, FD_NONE, 0);
	cr_assert_eq(classify_wait(&w), CAT_OTHER);
	w = (struct wait_sig){ .syscall = -1 };	/* blocked outside a syscall, not in I/O */
	cr_assert_eq(classify_wait(&w), CAT_OTHER);
}

Test(classify, precedence_runq_then_kernel_lock_then_iowait)
{
	struct wait_sig w = sys(SYS_read, FD_SOCKET, WAIT_RUNQ | WAIT_KLOCK | WAIT_IOWAIT);

	cr_assert_eq(classify_wait(&w), CAT_RUNQ, "woken, now waiting for a CPU");
	w.flags &= ~WAIT_RUNQ;
	cr_assert_eq(classify_wait(&w), CAT_LOCK, "inside lock:contention_begin/end");
	w.flags &= ~WAIT_KLOCK;
	cr_assert_eq(classify_wait(&w), CAT_DISK, "in io_schedule");
	w.flags &= ~WAIT_IOWAIT;
	cr_assert_eq(classify_wait(&w), CAT_NET);
}

/* A thread's intervals as the kernel hands them over, summed into a breakdown. */
struct interval {
	struct wait_sig w;
	uint64_t ns;
};

static enum category class_of(const struct interval *iv, size_t n, uint64_t cpu_ns)
{
	uint64_t ns[NR_CATEGORIES] = { [CAT_CPU] = cpu_ns }, wall = cpu_ns;

	for (size_t i = 0; i < n; i++) {
		ns[classify_wait(&iv[i].w)] += iv[i].ns;
		wall += iv[i].ns;
	}
	return classify_breakdown(ns, wall);
}

Test(classify, a_gil_bound_thread_sequence)
{
	/* run 5 ms, wait for the GIL 15 ms, get a CPU after 2 ms, repeated */
	struct interval seq[3 * 10];
	struct wait_sig gil = futex(FUTEX_WAIT_BITSET_, WAIT_TIMED | WAIT_SHORT), runq = gil;

	runq.flags |= WAIT_RUNQ;
	for (int i = 0; i < 10; i++) {
		seq[3 * i] = (struct interval){ gil, 15000000 };
		seq[3 * i + 1] = (struct interval){ runq, 2000000 };
		seq[3 * i + 2] = (struct interval){ gil, 0 };
	}
	cr_assert_eq(class_of(seq, 30, 10 * 5000000), CAT_LOCK);
}

Test(classify, mostly_parked_with_a_little_work_is_idle)
{
	struct interval seq[] = { { futex(FUTEX_WAIT_BITSET_, 0), 1990000000 } };

	cr_assert_eq(class_of(seq, 1, 10000000), CAT_IDLE, "0.5%% of the time busy");
	cr_assert_eq(class_of(seq, 1, 200000000), CAT_CPU, "9%% busy: what it does is CPU");
}

Test(classify, breakdown_rules)
{
	uint64_t ns[NR_CATEGORIES] = { 0 };

	cr_assert_eq(classify_breakdown(ns, 0), CAT_IDLE, "nothing observed");
	ns[CAT_IDLE] = 100;
	cr_assert_eq(classify_breakdown(ns, 100), CAT_IDLE);
	ns[CAT_NET] = 40;
	ns[CAT_CPU] = 30;
	cr_assert_eq(classify_breakdown(ns, 170), CAT_NET, "largest non-idle wins over a larger idle");
	ns[CAT_CPU] = 40;
	cr_assert_eq(classify_breakdown(ns, 180), CAT_CPU, "ties go to the earlier category");
	ns[CAT_CPU] = ns[CAT_NET] = 4;
	cr_assert_eq(classify_breakdown(ns, 200), CAT_IDLE, "4%% busy is under the 5%% line");
	ns[CAT_NET] = 6;
	cr_assert_eq(classify_breakdown(ns, 200), CAT_NET, "5%% busy is not idle");
}

Test(classify, names)
{
	const char *want[] = { "cpu", "runq", "lock", "net", "disk", "sleep", "idle", "other", "queue" };

	for (int c = 0; c < NR_CATEGORIES; c++)
		cr_assert_str_eq(category_name(c), want[c]);
	cr_assert_str_eq(category_name(NR_CATEGORIES), "?");
}
