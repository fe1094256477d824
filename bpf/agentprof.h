/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The one BPF <-> userspace ABI: constants and fixed-size structs shared by bpf/ and user/. */
#ifndef AGENTPROF_H
#define AGENTPROF_H

#define TASK_COMM_LEN		16
#define MAX_STACK_DEPTH		127	/* perf's default kernel.perf_event_max_stack */
#define DEFAULT_STACK_ENTRIES	16384
#define DEFAULT_SAMPLE_ENTRIES	16384
#define DEFAULT_OFFCPU_ENTRIES	16384
#define DEFAULT_THREAD_ENTRIES	8192
#define DEFAULT_PROC_ENTRIES	4096	/* processes followed (--follow-children), the target included */
#define SHORT_WAIT_MS		50	/* CPython waits for the GIL in 5 ms slices */
#define STACK_REUSE_US		1000	/* same wait again within this: reuse the thread's last stacks */
#define NO_STACK		(-2)	/* -ENOENT: no stack was taken (state seen before recording) */
#define SPAN_NAME_LEN		64
#define SPAN_HOST_LEN		64	/* Host header kept: a DNS name and a port fit */
#define GENAI_MODEL_LEN		64	/* a model name kept from an LLM call's JSON, NUL included */
#define MAX_SPAN_DEPTH		8	/* nested spans tracked per thread */
#define DEFAULT_SPAN_ENTRIES	16384	/* spans open at once, and span CPU counters */
#define SPAN_RINGBUF_BYTES	(4 << 20)
#define USER_STACK_PAGES	4	/* user stack copied per sample for DWARF unwinding: 12-16 KiB */
#define USER_STACK_BYTES	(USER_STACK_PAGES * 4096)
#define MAX_URETPROBES		4	/* pending uretprobe returns restored per sampled stack */
/*
 * Stack ids: the kernel's stack store numbers its stacks from 0, userspace numbers the stacks it
 * unwinds after those, and off-CPU user stacks waiting to be unwound are tokens from here on.
 */
#define USER_STACK_TOKEN_BASE	(1 << 30)
#define MAX_CODE_RANGES		8	/* the target's executable mappings, merged into so many ranges */
#define PY_MAX_FRAMES		64	/* Python frames walked per stack; deeper ones marked truncated */
#define PY_MAX_THREADS		256	/* thread states searched for a thread's own */
#define DEFAULT_PY_STACK_ENTRIES 4096
#define PY_MAX_PROCS		1024	/* Python processes followed in one recording */
#define MEM_RINGBUF_BYTES	(4 << 20)
#define MEM_FAULT_PERIOD	(256 << 10)	/* --memory: one page fault sampled per so many bytes faulted in, on average */

/*
 * In-kernel aggregation key of one on-CPU sample. A stack id < 0 is -errno from
 * stack_id() (bpf/stacks.bpf.h): -EFAULT means there is no stack of that kind (a user-mode
 * sample has no kernel stack), anything else is a drop counted in `counters`.
 */
struct sample_key {
	__u32 pid;
	__u32 tid;
	__s32 user_stack_id;
	__s32 kern_stack_id;
	__u32 span;			/* the thread's active span (its sequence number), 0: none */
	__u32 py_stack_id;		/* key of its interpreter's frames (CPython, Ruby) in `py_stacks`, 0: none */
	char comm[TASK_COMM_LEN];	/* the thread's name at sample time */
	__u32 gen;			/* the process's generation (struct proc_info) at sample time */
};

/* Indexes into the per-CPU `counters` array: what the kernel side saw or dropped. */
enum counter {
	CNT_SAMPLES,		/* samples of the target taken by the perf_event program */
	CNT_STACK_COLLISION,	/* -EEXIST: another stack has the same 64-bit hash of its frames */
	CNT_STACK_FULL,		/* -ENOMEM: the stack store is full (--stack-storage-size) */
	CNT_STACK_OTHER,	/* any other stack error except -EFAULT */
	CNT_SAMPLE_MAP_FULL,	/* the on-CPU aggregation map had no room for a new key */
	CNT_OFFCPU_MAP_FULL,	/* the off-CPU aggregation map had no room: that wait time is lost */
	CNT_THREAD_MAP_FULL,	/* a thread could not be tracked: its time is lost */
	CNT_SPAN_EVENT_LOST,	/* span ring buffer full: a begin or end never reached userspace */
	CNT_SPAN_TOO_DEEP,	/* more than MAX_SPAN_DEPTH nested spans: the inner ones not stamped */
	CNT_SPAN_MAP_FULL,	/* too many spans open at once: one not tracked */
	CNT_SPAN_UNKNOWN_END,	/* an end of a span begun before recording (not a loss) */
	CNT_SPAN_BAD_ARGS,	/* a probe whose ids could not be read from the target's memory */
	CNT_SPAN_CPU_FULL,	/* the span CPU map was full: that span's CPU time is lost */
	CNT_USER_STACK_LOST,	/* user stack not copied to unwind (ring buffer full, or too many new
				   places to block in): its frame-pointer stack kept */
	CNT_PY_STACK_COLLISION,	/* two Python stacks hashed alike: the second one not kept */
	CNT_PY_STACK_FULL,	/* the Python stack map was full: that stack's Python frames lost */
	CNT_PROC_MAP_FULL,	/* --follow-children: a child could not be followed (process map full) */
	CNT_MEM_EVENT_LOST,	/* --memory: memory ring buffer full: a mapping, release or fault sample lost */
	CNT_HTTP_HEADERS_LONG,	/* a response's headers ran past HTTP_HEADERS_MAX: its span ended there */
	CNT_HTTP_CONN_MAP_FULL,	/* too many HTTP requests in flight at once: one made no span */
	NR_COUNTERS,
};

/* What kind of file a blocked thread waits on (its fd argument, or the set it polls). */
enum fd_kind {
	FD_NONE,
	FD_SOCKET,		/* a socket that is not listening (connected, or UDP) */
	FD_LISTEN,		/* a listening socket: waiting for a new connection */
	FD_FILE,		/* a regular file */
	FD_BLOCK,		/* a block device */
	FD_PIPE,
	FD_OTHER,		/* eventfd, timerfd, tty, ... */
};

enum wait_flags {
	WAIT_RUNQ	= 1 << 0,	/* runnable, waiting for a CPU */
	WAIT_IOWAIT	= 1 << 1,	/* task->in_iowait: blocked in io_schedule() */
	WAIT_KLOCK	= 1 << 2,	/* inside lock:contention_begin/end (a kernel lock) */
	WAIT_TIMED	= 1 << 3,	/* the futex wait had a timeout */
	WAIT_SEEDED	= 1 << 4,	/* state found when recording started: no stack */
	WAIT_IN_SYSCALL	= 1 << 5,	/* syscall and args below are valid */
	WAIT_SHORT	= 1 << 6,	/* timed, and the timeout was at most SHORT_WAIT_MS away */
	WAIT_GVL	= 1 << 7,	/* a futex wait for Ruby's GVL (the thread's own condition variable) */
};

/*
 * What a thread was blocked in, read in the kernel at switch-out from its registers and file
 * table. The user side's classifier (user/classify/classify.c) turns it into a category.
 */
struct wait_sig {
	__s16 syscall;		/* x86-64 syscall number, -1 when not in a syscall */
	__u8 fd_kind;		/* enum fd_kind */
	__u8 futex_op;		/* futex: op & FUTEX_CMD_MASK */
	__u8 flags;		/* enum wait_flags */
	__u8 pad[3];
};

/* The remote end of an IP socket, read from the socket in the kernel. */
struct net_peer {
	__u8 addr[16];		/* IPv4: the first 4 bytes; IPv6: all 16 (network byte order) */
	__u16 port;		/* host byte order */
	__u16 family;		/* AF_INET, AF_INET6; 0: none (not an IP socket, not connected) */
};

/* In-kernel aggregation key of off-CPU time (value: struct offcpu_val). */
struct offcpu_key {
	__u32 pid;
	__u32 tid;
	__s32 user_stack_id;
	__s32 kern_stack_id;
	__s32 waker_stack_id;	/* user stack of the thread of the target that woke it, else NO_STACK */
	__u32 waker_tid;	/* 0 when woken by the kernel or another process */
	__u32 span;		/* the thread's active span when it blocked, 0: none */
	__u32 py_stack_id;	/* key of its interpreter's frames (CPython, Ruby) in `py_stacks`, 0: none */
	struct wait_sig wait;
	struct net_peer peer;	/* a wait on one IP socket: its remote end */
	char comm[TASK_COMM_LEN];
	__u32 gen;		/* the process's generation (struct proc_info) when it blocked */
};

struct offcpu_val {
	__u64 ns;
	__u64 count;		/* intervals */
};

/*
 * One process of the recording, by tgid. Its generation tells apart the images a PID runs over
 * time: a new one, numbered across the recording (never one a PID had before), when the process
 * execs another binary, and for each followed child. Every sample and wait carries it, so that
 * userspace names each frame against the mappings of its own image.
 */
struct proc_info {
	__u32 gen;
	__u32 parent;		/* the tgid it was forked from (0: the target, or it exec'd since) */
	__u32 parent_gen;	/* the parent's generation then: until it execs, it runs that image */
	__u32 exited;		/* the whole thread group has exited: the PID may be reused */
	__u64 start_ns;		/* task->start_boottime: with the PID, the process's identity */
};

enum thread_state { TS_RUNNING, TS_RUNNABLE, TS_BLOCKED, TS_DEAD };

/*
 * The stacks a thread last took at one kind of switch-out (blocked, preempted) and the wait they
 * were taken in: reused while that kind of wait repeats, so a thread that alternates between
 * the two (a ping-pong: preempted in write, blocked in read) does not walk its stacks each time.
 */
struct stack_memo {
	__u64 ns;		/* when taken; 0: never, or not valid any more (an exec) */
	__s32 user_stack_id;
	__s32 kern_stack_id;
	__u32 py_stack_id;
	struct wait_sig wait;
	__u32 pad;
};

enum { MEMO_BLOCKED, MEMO_PREEMPTED, NR_MEMOS };

/* An HTTP server span's seq on a thread's span stack (struct thread_stats spans[]) has this bit. */
#define SPAN_SERVER_BIT (1u << 31)

/* Per-thread accounting: every ns from first_ns to the end is either cpu or in some wait. */
struct thread_stats {
	__u64 cpu_ns;
	__u64 first_ns;		/* bpf_ktime_get_ns() when the thread was first seen */
	__u64 last_ns;		/* when state last changed (for TS_DEAD: the exit) */
	__u32 state;		/* enum thread_state */
	__u32 in_klock;		/* inside lock:contention_begin/end */
	struct offcpu_key open;	/* the wait in progress, when not running */
	__u32 span_depth;	/* spans[0..span_depth) are open, the last one active */
	__u32 spans[MAX_SPAN_DEPTH];	/* seqs; an HTTP server span's with SPAN_SERVER_BIT */
	__u32 ended_elsewhere;	/* a span of this stack another thread ended: the owner unstacks it */
	__u32 loop;		/* an event loop: a server span began here while another was open */
	__u64 runq_ns;		/* runnable, waiting for a CPU (with cpu_ns: a span event's stamp) */
	struct stack_memo memo[NR_MEMOS];
	/*
	 * TS_BLOCKED: when the wait was woken (sched_waking), 0 while it is not. From then on the
	 * thread waits for a CPU, under the same stacks; at or before last_ns: woken before it was
	 * off its CPU, so all of it is spent waiting for one.
	 */
	__u64 wake_ns;
};

enum span_event_type { SPAN_BEGIN = 1, SPAN_END, SPAN_GENAI };

/* Where a span came from, for the spans made from HTTP traceparent headers. */
enum span_flags {
	SPAN_HTTP_SERVER	= 1 << 0,	/* an inbound request, until its response is written */
	SPAN_HTTP_CLIENT	= 1 << 1,	/* an outbound request, until its response is read */
	SPAN_TLS		= 1 << 2,	/* seen in TLS plaintext (OpenSSL uprobes) */
	SPAN_GENERATED		= 1 << 3,	/* the request had no traceparent: its ids are agentprof's */
};

/* What an HTTP span's begin says about its call. */
struct span_http {
	struct net_peer peer;	/* the other end of its connection */
	__u32 flags;		/* enum span_flags */
	char host[SPAN_HOST_LEN];	/* the request's Host header (NUL-terminated), "" when it had none */
};

/* Span begin/end through the ring buffer; the span's time is counted in the kernel by seq. */
struct span_event {
	__u32 type;		/* enum span_event_type */
	__u32 seq;		/* this recording's number for the span, never 0 */
	__u32 tid;		/* the thread that began or ended it */
	__u32 outer;		/* begin: the thread's active span when it began (0: none) */
	__u64 ts;		/* bpf_ktime_get_ns() */
	__u64 body_ts;		/* end of a client span: when its response's body began, 0: unknown */
	__u64 ctx;		/* the thread's context then (thread_context(), bpf/spans.bpf.h), 0: unknown */
	/*
	 * The thread's cumulative CPU and runq time at ts (struct thread_stats, closed up to ts): on
	 * an event loop, where spans overlap, the thread's CPU and runq time between any two of its
	 * span events is the difference of their stamps. Both 0 when the thread is not tracked.
	 */
	__u64 cpu_ns;
	__u64 runq_ns;
	__u8 trace_id[16];
	__u8 span_id[8];
	__u8 parent_id[8];	/* all zero for a root span */
	char name[SPAN_NAME_LEN];
	struct span_http http;	/* begin of an HTTP span; all zero for others */
};

enum genai_flags {
	GENAI_STREAM		= 1 << 0,	/* the request asked for a stream ("stream": true) */
	GENAI_REQUEST_MODEL	= 1 << 1,	/* request_model holds the request's "model" */
	GENAI_RESPONSE_MODEL	= 1 << 2,	/* response_model the response's */
	GENAI_INPUT_TOKENS	= 1 << 3,	/* input_tokens is the usage's prompt_tokens or input_tokens */
	GENAI_OUTPUT_TOKENS	= 1 << 4,	/* output_tokens its completion_tokens or output_tokens */
};

/*
 * What the JSON of an HTTP client span's request and response said of an LLM call, read in the
 * kernel: a model name of [A-Za-z0-9._:/-] only (NUL-terminated), integers, flags. Nothing else
 * of a body leaves the kernel.
 */
struct span_genai {
	char request_model[GENAI_MODEL_LEN];
	char response_model[GENAI_MODEL_LEN];
	__u32 input_tokens;
	__u32 output_tokens;	/* the last count seen (Anthropic's message_delta counts from the start) */
	__u32 flags;		/* enum genai_flags */
	__u32 pad;
};

/* SPAN_GENAI, through the span ring buffer just before the SPAN_END of the span seq: its LLM call. */
struct span_genai_event {
	__u32 type;		/* SPAN_GENAI */
	__u32 seq;
	struct span_genai genai;
};

/*
 * A user stack for userspace to unwind (DWARF CFI, with libdw): the registers unwinding starts
 * from and a copy of the top of the stack, from just below sp. A record in the ring ends with the
 * copy: it is offsetof(data) + size bytes long. An on-CPU sample (key.user_stack_id NO_STACK) is
 * counted once unwound, under key with user_stack_id set to the unwound stack's id; an off-CPU
 * wait's stack (key.user_stack_id a token) is what its token stands for in the off-CPU keys.
 */
struct user_stack_event {
	struct sample_key key;
	__u64 ip, sp, bp, bx, r12, r13, r14, r15;	/* user registers (callee-saved: CFI may use them) */
	__u64 base;		/* user address of data[0]: just below sp (its red zone) */
	__u32 size;		/* bytes of data read (up to the first unmapped page, or the thread's stack top) */
	__u32 nuret;
	/*
	 * A function under a uretprobe (anyone's; ours: SSL_read and SSL_read_ex) returns to the kernel's trampoline:
	 * the stack slot at uret_slot[i] really holds uret_addr[i]. Innermost first.
	 */
	__u64 uret_slot[MAX_URETPROBES];
	__u64 uret_addr[MAX_URETPROBES];
	__u8 data[USER_STACK_BYTES];
};

/* Where the target's code is: addresses [start, start + len); unused ranges have len 0. */
struct code_ranges {
	struct {
		__u64 start;
		__u64 len;
	} r[MAX_CODE_RANGES];
};

/*
 * Where the BPF side finds a CPython interpreter's threads and frames: addresses in one process
 * and field offsets for its version (user/python/pyinterp.c); the value of `py_procs`, by tgid.
 */
struct py_config {
	__u64 runtime;			/* &_PyRuntime */
	__u16 interpreters_head;	/* _PyRuntimeState.interpreters.head */
	__u16 threads_head;		/* PyInterpreterState.threads.head */
	__u16 tstate_next;		/* PyThreadState.next */
	__u16 tstate_native_tid;	/* PyThreadState.native_thread_id */
	__u16 tstate_frame;		/* .cframe (3.11, 3.12) or .current_frame (3.13) */
	__u16 cframe_frame;		/* _PyCFrame.current_frame; PY_NO_FIELD without a cframe */
	__u16 frame_code;		/* _PyInterpreterFrame.f_code / f_executable */
	__u16 frame_previous;
	__u16 frame_instr;		/* .prev_instr / .instr_ptr */
	__u16 frame_owner;
	__u16 frame_is_entry;		/* 3.11; PY_NO_FIELD later (an entry has a C-stack shim) */
	__u16 code_adaptive;		/* PyCodeObject.co_code_adaptive: instr offsets count from it */
	__u16 tstate_context;		/* PyThreadState.context (asyncio: the running task's); PY_NO_FIELD: unknown */
};

#define PY_NO_FIELD		0xffff
#define PY_FRAME_READ		72	/* bytes of a frame read at once: every field above lies in them */
#define PY_OWNED_BY_CSTACK	3	/* 3.12+: the shim frame an evaluation starts with */

enum py_frame_flags {
	PY_FRAME_ENTRY	= 1 << 0,	/* the first frame of one _PyEval_EvalFrameDefault */
};

/*
 * Where the BPF side finds a Ruby VM's threads and frames: an address in one process and field
 * offsets for its version (user/ruby/rboffsets.c); the value of `rb_procs`, by tgid. Its frames
 * are stored as CPython's are, in `py_stacks`: code is the rb_iseq_t, instr the low 32 bits of
 * the frame's pc, and PY_FRAME_ENTRY marks the first frame of one rb_vm_exec (VM_FRAME_FLAG_FINISH).
 */
struct rb_config {
	__u64 vm_ptr;			/* &ruby_current_vm_ptr */
	__u16 vm_main_ractor;		/* rb_vm_t.ractor.main_ractor */
	__u16 ractor_threads;		/* rb_ractor_t.threads.set: a circular list of rb_thread_t */
	__u16 thread_node;		/* rb_thread_t.lt_node, the list's link */
	__u16 thread_tid;		/* rb_thread_t.tid: the kernel's thread id (an int) */
	__u16 thread_ec;		/* rb_thread_t.ec */
	__u16 thread_status;		/* the byte of rb_thread_t whose low 2 bits are its status */
	__u16 thread_gvl_cond;		/* native_thread_data.cond.gvlq: the condvar a GVL waiter sleeps on */
	__u16 ec_vm_stack;		/* rb_execution_context_t.vm_stack, vm_stack_size, cfp */
	__u16 ec_vm_stack_size;
	__u16 ec_cfp;
	__u16 cfp_size;			/* sizeof(rb_control_frame_t) */
	__u16 cfp_pc;
	__u16 cfp_iseq;
	__u16 cfp_ep;
	__u16 pad[2];
};

#define RB_EC_READ		24	/* bytes of an execution context read at once: vm_stack, its size, cfp */
#define RB_CFP_READ		40	/* bytes of a control frame read at once: pc, iseq, ep lie in them */
#define RB_COND_SIZE		48	/* sizeof(pthread_cond_t) on x86-64 glibc */
#define RB_THREAD_RUNNABLE	0	/* rb_thread_status: wants to run (a GVL waiter, not a sleeper) */

/*
 * Where the BPF side finds a V8 isolate's JavaScript frames: offsets from the node binary's
 * post-mortem metadata (v8dbg_* symbols, user/node/v8offsets.c); the value of `v8_procs`, by tgid.
 * V8 keeps a frame-pointer chain through its frames: a JavaScript frame holds its JSFunction at
 * fp + fp_function and a tagged context at fp + fp_context (a typed frame has a Smi marker there).
 * Its frames are stored as CPython's are, in `py_stacks`: code is the JSFunction's tagged
 * SharedFunctionInfo, instr the low 32 bits of the return address it runs at (it names the native
 * frame the JS frame replaces), 0 for the leaf (its pc, which would make each sample a new stack).
 */
struct v8_config {
	__s16 fp_function;		/* v8dbg_off_fp_function */
	__s16 fp_context;		/* v8dbg_off_fp_context */
	__u16 function_shared;		/* v8dbg_class_JSFunction__shared__SharedFunctionInfo */
	__u16 pad;
};

#define V8_HEAP_TAG		1ull	/* a tagged pointer to a heap object has its low bit set; a Smi not */
#define V8_MAX_FRAME		(1ull << 20)	/* bytes between two frames believed */
#define V8_SCAN_WORDS		64	/* words at the top of a stack looked through for a frame pointer */

/* One interpreter frame (CPython's or Ruby's): the code object it runs and where in it. */
struct py_frame {
	__u64 code;			/* PyCodeObject * (Ruby: rb_iseq_t *) in the target */
	__u32 instr;			/* bytes from co_code_adaptive to the current instruction (Ruby: (u32)pc) */
	__u32 flags;			/* enum py_frame_flags */
};

enum py_stack_flags {
	PY_STACK_TRUNCATED = 1 << 0,	/* more than PY_MAX_FRAMES frames: the outer ones left out */
	PY_STACK_BAD_READ  = 1 << 1,	/* memory that could not be read ended the walk early */
};

/* A thread's Python frames, leaf first; the value of `py_stacks`, keyed by a hash of them. */
struct py_stack {
	__u32 nframes;
	__u32 flags;			/* enum py_stack_flags */
	__u32 pid;			/* the process: code addresses are its own */
	__u32 pad;
	struct py_frame frames[PY_MAX_FRAMES];
};

/* What a memory event (struct mem_event) is: the syscalls that map and release, and sampled faults. */
enum mem_kind {
	MEM_MMAP = 1,		/* an anonymous mapping [addr, addr + len) */
	MEM_MUNMAP,		/* [addr, addr + len) unmapped */
	MEM_BRK,		/* the heap's end moved from addr to addr2 */
	MEM_MREMAP,		/* [addr, addr + len) moved to [addr2, addr2 + len2) */
	MEM_MADVISE,		/* [addr, addr + len) given back (MADV_DONTNEED, MADV_FREE, MADV_REMOVE) */
	MEM_FAULT,		/* an anonymous page at addr made resident, standing for len bytes faulted in */
	MEM_EXIT,		/* a followed child's last thread exited: all its memory went back */
};

/*
 * One memory event of the target, through the `mem_events` ring buffer, in the order it happened
 * per thread; key: who (thread, stacks, span) mapped, released or faulted. Userspace keeps the
 * ledger (user/model/memledger.c): releases are charged to whoever mapped or faulted the memory.
 */
struct mem_event {
	struct sample_key key;
	__u32 kind;		/* enum mem_kind */
	__u64 ts;		/* bpf_ktime_get_ns() */
	__u64 addr, len;
	__u64 addr2, len2;
};

#ifndef __bpf__
_Static_assert(sizeof(struct mem_event) == 88, "ABI");
_Static_assert(sizeof(struct sample_key) == 44, "ABI");
_Static_assert(sizeof(struct py_frame) == 16, "ABI");
_Static_assert(sizeof(struct rb_config) == 40, "ABI");
_Static_assert(sizeof(struct v8_config) == 8, "ABI");
_Static_assert(sizeof(struct py_stack) == 16 + 16 * PY_MAX_FRAMES, "ABI");
_Static_assert(sizeof(struct wait_sig) == 8, "ABI");
_Static_assert(sizeof(struct net_peer) == 20, "ABI");
_Static_assert(sizeof(struct offcpu_key) == 80, "ABI");
_Static_assert(sizeof(struct proc_info) == 24, "ABI");
_Static_assert(sizeof(struct thread_stats) == 240, "ABI");
_Static_assert(sizeof(struct span_http) == 88, "ABI");
_Static_assert(sizeof(struct span_event) == 240, "ABI");
_Static_assert(sizeof(struct span_genai) == 2 * GENAI_MODEL_LEN + 16, "ABI");
_Static_assert(sizeof(struct span_genai_event) == 8 + sizeof(struct span_genai), "ABI");
/* the key (44 bytes) is padded to 48 before the registers */
_Static_assert(sizeof(struct user_stack_event) == 48 + 80 + 16 * MAX_URETPROBES + USER_STACK_BYTES, "ABI");
#endif

#endif /* AGENTPROF_H */
