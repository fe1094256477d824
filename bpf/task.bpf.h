/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What a blocked thread waits for, read from the task itself (CO-RE): the syscall and arguments
 * in its saved registers, the kind of file behind its fd, in_iowait. No syscall is traced for
 * this: it is read once, when the thread blocks. The task is a BTF pointer, so its fields are
 * plain loads the verifier guards, not helper calls: this runs on every context switch.
 */
#ifndef TASK_BPF_H
#define TASK_BPF_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "maps.bpf.h"

#define ENOSYS		38
#define S_IFMT		00170000
#define S_IFSOCK	0140000
#define S_IFREG		0100000
#define S_IFBLK		0060000
#define S_IFIFO		0010000
#define TCP_LISTEN	10
#define FUTEX_CMD_MASK	0x7f
#define FUTEX_WAIT	0
#define FUTEX_CLOCK_REALTIME 256
#define POLL_FDS_READ	8	/* pollfds inspected: enough to tell a socket wait from a timer */

/* x86-64 syscall numbers whose arguments say what the thread waits on */
enum {
	NR_read = 0, NR_write = 1, NR_close = 3, NR_poll = 7, NR_pread64 = 17, NR_pwrite64 = 18, NR_readv = 19,
	NR_writev = 20, NR_sendfile = 40, NR_connect = 42, NR_accept = 43, NR_sendto = 44,
	NR_recvfrom = 45, NR_sendmsg = 46, NR_recvmsg = 47, NR_futex = 202, NR_epoll_wait = 232,
	NR_ppoll = 271, NR_epoll_pwait = 281, NR_accept4 = 288, NR_preadv = 295, NR_pwritev = 296,
	NR_recvmmsg = 299, NR_sendmmsg = 307, NR_preadv2 = 327, NR_pwritev2 = 328,
	NR_epoll_pwait2 = 441, NR_futex_waitv = 449,
};

static __always_inline enum fd_kind file_kind(struct file *f)
{
	struct socket *sock;
	umode_t mode;

	if (!f)
		return FD_NONE;
	mode = BPF_CORE_READ(f, f_inode, i_mode);
	switch (mode & S_IFMT) {
	case S_IFSOCK:
		sock = BPF_CORE_READ(f, private_data);
		return BPF_CORE_READ(sock, sk, __sk_common.skc_state) == TCP_LISTEN ? FD_LISTEN : FD_SOCKET;
	case S_IFREG:
		return FD_FILE;
	case S_IFBLK:
		return FD_BLOCK;
	case S_IFIFO:
		return FD_PIPE;
	default:
		return FD_OTHER;
	}
}

static __always_inline struct file *task_file(struct task_struct *t, long fd)
{
	struct fdtable *fdt = t->files->fdt;
	struct file **fds, *f = NULL;

	if (fd < 0 || fd >= fdt->max_fds)
		return NULL;
	fds = fdt->fd;	/* a pointer to pointers reads as a number: index it with a probe read */
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

#define AF_INET		2
#define AF_INET6	10

/* The remote address and port of a socket file, when it is a connected IP socket. */
static __always_inline void sock_peer(struct file *f, struct net_peer *p)
{
	struct socket *sock = BPF_CORE_READ(f, private_data);
	struct sock *sk = BPF_CORE_READ(sock, sk);
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	if (family == AF_INET)
		BPF_CORE_READ_INTO((__u32 *)p->addr, sk, __sk_common.skc_daddr);
	else if (family == AF_INET6)
		BPF_CORE_READ_INTO(p->addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	else
		return;
	p->port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (p->port)
		p->family = family;
}

/*
 * The files a wait is on: sockets beat listening sockets beat anything else (a wait on any
 * connection is a net wait). The peer is kept when every IP socket seen has the same one (a
 * keep-alive pool to one API); others (a wakeup socketpair) have none and do not count.
 */
struct fd_scan {
	enum fd_kind kind;
	bool mixed;		/* IP sockets with different peers */
	struct net_peer peer;
};

static __always_inline bool same_peer(const struct net_peer *a, const struct net_peer *b)
{
	const __u16 *x = (const __u16 *)a, *y = (const __u16 *)b;	/* BPF has no memcmp; 2-aligned */

	for (int i = 0; i < sizeof(*a) / 2; i++)
		if (x[i] != y[i])
			return false;
	return true;
}

/* Not inlined: the verifier checks it once, not once per file of an epoll set. */
static __noinline void scan_file(struct fd_scan *s, struct file *f)
{
	enum fd_kind k = file_kind(f);
	struct net_peer p = {};

	if (k == FD_SOCKET && !s->mixed) {
		sock_peer(f, &p);
		if (!s->peer.family)
			s->peer = p;
		else if (p.family && !same_peer(&p, &s->peer))
			s->mixed = true;
	}
	if (s->kind == FD_SOCKET || k == FD_SOCKET)
		s->kind = FD_SOCKET;
	else if (s->kind == FD_LISTEN || k == FD_LISTEN)
		s->kind = FD_LISTEN;
	else if (k != FD_NONE)
		s->kind = FD_OTHER;
}

static __always_inline void scan_epitem(struct fd_scan *s, struct rb_node *n, __u32 rbn_off)
{
	struct epitem *epi = (void *)n - rbn_off;

	if (n)
		scan_file(s, BPF_CORE_READ(epi, ffd.file));
}

/* The files an epoll instance watches: the top two levels of its red-black tree (up to 7). */
static __always_inline void scan_epoll(struct fd_scan *s, struct file *epf)
{
	__u32 off = bpf_core_field_offset(struct epitem, rbn);
	struct eventpoll *ep = BPF_CORE_READ(epf, private_data);
	struct rb_node *root = BPF_CORE_READ(ep, rbr.rb_root.rb_node);
	struct rb_node *l = BPF_CORE_READ(root, rb_left), *r = BPF_CORE_READ(root, rb_right);

	scan_epitem(s, root, off);
	scan_epitem(s, l, off);
	scan_epitem(s, r, off);
	scan_epitem(s, BPF_CORE_READ(l, rb_left), off);
	scan_epitem(s, BPF_CORE_READ(l, rb_right), off);
	scan_epitem(s, BPF_CORE_READ(r, rb_left), off);
	scan_epitem(s, BPF_CORE_READ(r, rb_right), off);
}

/* poll()/ppoll() of the current task: its pollfd array is in its own memory. */
static __always_inline void scan_poll(struct fd_scan *s, struct task_struct *t, long ufds, long nfds)
{
	for (int i = 0; i < POLL_FDS_READ; i++) {
		struct pollfd pfd;

		if (i >= nfds || bpf_probe_read_user(&pfd, sizeof(pfd), (void *)(ufds + i * sizeof(pfd))))
			break;
		if (pfd.fd >= 0)
			scan_file(s, task_file(t, pfd.fd));
	}
}

/*
 * Whether a futex wait of the current task times out within SHORT_WAIT_MS. FUTEX_WAIT takes a
 * relative timeout, the others an absolute one on CLOCK_MONOTONIC, or CLOCK_REALTIME with
 * FUTEX_CLOCK_REALTIME (read as CLOCK_TAI, the one wall clock BPF has: equal unless a TAI
 * offset is set).
 */
static __always_inline bool futex_timeout_short(long op, long uaddr_ts)
{
	struct __kernel_timespec ts;
	__u64 ns, now;

	if (bpf_probe_read_user(&ts, sizeof(ts), (void *)uaddr_ts))
		return false;
	ns = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	if ((op & FUTEX_CMD_MASK) != FUTEX_WAIT) {
		now = (op & FUTEX_CLOCK_REALTIME) ? bpf_ktime_get_tai_ns() : bpf_ktime_get_ns();
		ns = ns > now ? ns - now : 0;
	}
	return ns <= SHORT_WAIT_MS * 1000000ull;
}

/*
 * Fills w from t's saved user registers, and peer when t waits on one IP socket; t is a trusted
 * BTF pointer (current, or the iterator's task). is_current: t's user memory is readable (poll
 * sets, futex timeouts). in_klock: t is inside lock:contention_begin/end. While a syscall runs,
 * its pt_regs->ax holds -ENOSYS; anything else means t blocked outside one (a page fault, where
 * orig_ax is an error code).
 */
static __always_inline void read_wait_sig(struct task_struct *t, bool is_current, bool in_klock,
					  struct wait_sig *w, struct net_peer *peer)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(t);
	long nr = regs->orig_ax, a1, a2, a4;
	struct fd_scan scan = {};
	struct file *f;

	w->syscall = -1;
	if (BPF_CORE_READ_BITFIELD(t, in_iowait))
		w->flags |= WAIT_IOWAIT;
	if (in_klock)
		w->flags |= WAIT_KLOCK;
	if (nr < 0 || nr > 1023 || regs->ax != -ENOSYS)
		return;
	w->syscall = nr;
	w->flags |= WAIT_IN_SYSCALL;
	a1 = regs->di;
	a2 = regs->si;
	a4 = regs->r10;
	switch (nr) {
	case NR_futex:
		w->futex_op = a2 & FUTEX_CMD_MASK;
		if (a4)
			w->flags |= WAIT_TIMED;
		if (a4 && is_current && futex_timeout_short(a2, a4))
			w->flags |= WAIT_SHORT;
		break;
	case NR_futex_waitv:
		if (a4)
			w->flags |= WAIT_TIMED;
		break;
	case NR_poll:
	case NR_ppoll:
		if (is_current)
			scan_poll(&scan, t, a1, a2);
		break;
	case NR_epoll_wait:
	case NR_epoll_pwait:
	case NR_epoll_pwait2:
		f = task_file(t, a1);
		if (f)
			scan_epoll(&scan, f);
		break;
	case NR_read: case NR_write: case NR_pread64: case NR_pwrite64: case NR_readv:
	case NR_writev: case NR_sendfile: case NR_connect: case NR_accept: case NR_sendto:
	case NR_recvfrom: case NR_sendmsg: case NR_recvmsg: case NR_accept4: case NR_preadv:
	case NR_pwritev: case NR_recvmmsg: case NR_sendmmsg: case NR_preadv2: case NR_pwritev2:
		scan_file(&scan, task_file(t, a1));
		break;
	}
	w->fd_kind = scan.kind;
	if (scan.kind == FD_SOCKET && !scan.mixed)
		*peer = scan.peer;
}

#endif /* TASK_BPF_H */
