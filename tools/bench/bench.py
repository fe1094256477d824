#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Benchmarks for `make bench`: the target's slowdown beside the peers, per-program BPF cost, the
profiler's own cost, symbolization, scale, a soak, flame graph rendering, and the targets of
issue #8 with the figure measured beside each. Timings never fail anything: this is not a test.

Each section's results go into docs/benchmarks.json, and docs/BENCHMARKS.md is rewritten from it,
so that one section can be run again alone (the machine is shared):
  BENCH_ONLY=slowdown,scale      the sections to run (default: all; names in SECTIONS below;
                                 render: none, the document again from the results)
  BENCH_WORKLOADS=I/O BENCH_PROFILERS='bpftrace|offcputime'   only the slowdown cells whose names match
  BENCH_PAIRS=5                   A/B pairs per slowdown cell
  AGENTPROF_SOAK_SECONDS=600      the soak's length
  AGENTPROF_CHURN_SECONDS=120     the child churn's length (50 children/s)
  BENCH_RESULTS=docs/benchmarks.json   where results are kept (BENCHMARKS.md is written beside it)
"""
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AGENTPROF = os.path.join(ROOT, "build", "agentprof")
WORK = os.path.join(ROOT, "build", "workloads", "benchwork")
SYMBENCH = os.path.join(ROOT, "build", "symbench")
DEMO = os.path.join(ROOT, "build", "demo-agent")
RESULTS = os.environ.get("BENCH_RESULTS", os.path.join(ROOT, "docs", "benchmarks.json"))
DOC = os.path.join(os.path.dirname(RESULTS), "BENCHMARKS.md")
PAIRS = int(os.environ.get("BENCH_PAIRS", "5"))
SOAK_SECONDS = int(os.environ.get("AGENTPROF_SOAK_SECONDS", "600"))
CHURN_SECONDS = int(os.environ.get("AGENTPROF_CHURN_SECONDS", "120"))
CHURN_RATE = 50
FORKER = os.path.join(ROOT, "build", "workloads", "forker")
WORKLOADS = {
    "CPU-bound (1 thread)": ["cpu", "1500"],
    "context-switch heavy (pipe ping-pong, 2 CPUs)": ["switch", "60000"],
    "context-switch heavy (pipe ping-pong, 1 CPU)": ["switch1", "600000"],
    "span heavy (~10k spans/s through the SDK)": ["spans", "30000"],
    "I/O heavy (4 KiB pwrite + pread, page cache)": ["io", "600000"],
}
SPANS = 30000
DEFAULT = "agentprof record (99 Hz, on+off-CPU)"
# what agentprof record says once attached ("still loading ... recording starts once" comes before)
ATTACHED = "agentprof: recording "
PERF = "perf record -F 99 -g -p"


def profilers(tmp):
    """name -> (argv for a pid, the line it prints once attached, or None: give it a second)."""
    out = os.path.join(tmp, "out")
    p = {
        DEFAULT: (lambda pid: [AGENTPROF, "record", "-p", str(pid), "-o", out, "--force"], ATTACHED),
        "agentprof record -F 999": (lambda pid: [AGENTPROF, "record", "-p", str(pid), "-F", "999", "-o", out,
                                                 "--force"], ATTACHED),
    }
    if shutil.which("perf"):
        p[PERF] = (lambda pid: ["perf", "record", "-q", "-F", "99", "-g", "-p", str(pid), "-o",
                                os.path.join(tmp, "perf.data")], None)
    if shutil.which("bpftrace"):
        p["bpftrace profile:hz:99"] = (lambda pid: [
            "bpftrace", "-e", "profile:hz:99 /pid == %d/ { @[ustack, kstack] = count(); }" % pid], "Attaching")
    if shutil.which("offcputime"):
        p["libbpf-tools offcputime -p"] = (lambda pid: ["offcputime", "-p", str(pid)], "Tracing")
    return p


def start_profiler(argv, ready):
    """Starts a profiler and returns once it says it is attached (or after a second without a marker)."""
    prof = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = threading.Event()
    prof.lines = []  # all it printed, once prof.drainer has ended

    def drain():
        for line in prof.stdout:
            prof.lines.append(line)
            if ready and ready in line:
                seen.set()
    prof.drainer = threading.Thread(target=drain, daemon=True)
    prof.drainer.start()
    if ready:
        seen.wait(30)
        time.sleep(0.2)  # bpftrace says "Attaching" before it has
    else:
        time.sleep(1)
    return prof


def stop(prof, exits_itself=False):
    """Ctrl-C; or, for a recorder that stops by itself when its target exits, time to do so (a
    signal while it writes would end it at once, as a second Ctrl-C does)."""
    if exits_itself:
        try:
            prof.wait(timeout=120)
            return
        except subprocess.TimeoutExpired:
            pass
    prof.send_signal(signal.SIGINT)
    try:
        prof.wait(timeout=60)
    except subprocess.TimeoutExpired:
        prof.kill()
        prof.wait()


def run_once(args, profiler=None):
    """Runs the workload (and a profiler attached to it first); returns the work's elapsed ns."""
    work = subprocess.Popen([WORK] + args + ["stdin"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    pid = int(work.stdout.readline())
    prof = start_profiler(*profiler(pid)) if profiler else None
    work.stdin.write("go\n")
    work.stdin.flush()
    elapsed = int(work.stdout.readline())
    work.wait()
    if prof:
        stop(prof)
    return elapsed


def slowdown(args, profiler):
    ratios = []
    for i in range(PAIRS):
        # alternate which runs first, so that drift on a shared machine cancels out
        if i % 2 == 0:
            base, prof = run_once(args), run_once(args, profiler)
        else:
            prof, base = run_once(args, profiler), run_once(args)
        ratios.append(prof / base)
    return {"median": statistics.median(ratios), "ratios": ratios}


def section_slowdown(old):
    cells = old.get("cells", {})
    wsel, psel = os.environ.get("BENCH_WORKLOADS", ""), os.environ.get("BENCH_PROFILERS", "")
    with tempfile.TemporaryDirectory() as tmp:
        for wname, args in WORKLOADS.items():
            for pname, (argv, ready) in profilers(tmp).items():
                if not re.search(wsel, wname) or not re.search(psel, pname):
                    continue
                r = slowdown(args, lambda pid: (argv(pid), ready))
                r["date"] = time.strftime("%Y-%m-%d")
                cells.setdefault(wname, {})[pname] = r
                print("%s | %s | %+.1f%%" % (wname, pname, (r["median"] - 1) * 100), flush=True)
                if args[0] == "spans" and pname == DEFAULT:
                    base = statistics.median(run_once(args) for _ in range(3))
                    old["span_cost_ns"] = (r["median"] - 1) * base / SPANS
    old["cells"] = cells
    return old


OUR_PROGRAMS = {n[:15] for n in ("on_cpu_sample", "sched_switch_btf", "sched_wakeup_btf", "sched_wakeup_new_btf",
                                  "contention_begin_btf", "contention_end_btf", "sched_switch_raw",
                                  "sched_wakeup_raw", "sched_wakeup_new_raw", "contention_begin_raw",
                                  "contention_end_raw", "sched_waking_btf", "sched_waking_raw", "span_begin",
                                  "span_end", "http_sock_send", "http_sock_recv", "http_sock_state",
                                  "http_sys_enter", "http_sys_exit", "sched_exec_btf",
                                  "sched_exec_raw", "sched_fork_btf", "sched_fork_raw", "sched_exit_btf",
                                  "sched_exit_raw", "tls_write", "tls_write_ex", "tls_read", "tls_read_ex",
                                  "tls_read_ret", "mem_mmap", "mem_munmap", "mem_mremap", "mem_madvise",
                                  "mem_brk_enter", "mem_brk_exit", "mem_fault_btf", "mem_fault_raw")}
TLS_PROGRAMS = ("tls_write", "tls_write_ex", "tls_read", "tls_read_ex", "tls_read_ret")
# the HTTP capture's programs, now and before (sys_*: on every syscall of every process)
HTTP_PROGRAMS = ("http_sock_send", "http_sock_recv", "http_sock_state", "http_sys_enter", "http_sys_exit")


def bpf_program_costs(tmp, args, extra=()):
    """run_time_ns / run_cnt of every agentprof program while it profiles a workload."""
    with open("/proc/sys/kernel/bpf_stats_enabled") as f:
        old = f.read().strip()
    with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
        f.write("1")
    try:
        work = subprocess.Popen([WORK] + args + ["stdin"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        pid = int(work.stdout.readline())
        prof = start_profiler([AGENTPROF, "record", "-p", str(pid), "-o", os.path.join(tmp, "costs"), "--force"]
                              + list(extra), ATTACHED)
        ids = prog_ids(prof.pid)  # attached by now; other sessions may run agentprof too
        work.stdin.write("go\n")
        work.stdin.flush()
        elapsed = int(work.stdout.readline())
        progs = json.loads(subprocess.check_output(["bpftool", "-j", "prog", "show"]))
        work.wait()
        stop(prof, exits_itself=True)
        prof.drainer.join(10)
    finally:
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write(old)
    ours = [p for p in progs if p["id"] in ids and p.get("name", "")[:15] in OUR_PROGRAMS]
    rows = []
    for p in sorted(ours, key=lambda p: p.get("name", "")):
        cnt = p.get("run_cnt", 0)
        rows.append((p.get("name", "?"), cnt, p.get("run_time_ns", 0) / cnt if cnt else 0.0))
    # with -v: "HTTP capture ran N times for the target ..." (run_cnt counts every process's runs)
    http = next((int(m.group(1)) for m in (re.search(r"HTTP capture ran (\d+) times", l) for l in prof.lines) if m),
                None)
    return {"rows": rows, "elapsed_ns": elapsed, "http_target_runs": http}


def section_programs(old):
    with tempfile.TemporaryDirectory() as tmp:
        r = {"switch": bpf_program_costs(tmp, ["switch", "60000"]),
             "tcp1": bpf_program_costs(tmp, ["tcp1", "60000"]),
             "spans": bpf_program_costs(tmp, ["spans", str(SPANS)])}
    hits = sum(cnt for name, cnt, ns in r["spans"]["rows"] if name in ("span_begin", "span_end"))
    r["hits_per_span"] = hits / SPANS
    for what in ("switch", "tcp1", "spans"):
        for name, cnt, ns in r[what]["rows"]:
            print("%-8s %-24s %10d runs %8.0f ns/run" % (what, name, cnt, ns))
    return r


IO_WORKLOAD = "I/O heavy (4 KiB pwrite + pread, page cache)"
ALLOC = ["alloc", "300"]  # ~300 MB faulted in, 300 mmap/munmap pairs, 4.8 MB kept: ~2.5 s here


def run_once_cpu(args, profiler=None):
    """run_once, with the CPU time the workload used (user + system, its faults' programs included)."""
    work = subprocess.Popen([WORK] + args + ["stdin"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    pid = int(work.stdout.readline())
    prof = start_profiler(*profiler(pid)) if profiler else None
    work.stdin.write("go\n")
    work.stdin.flush()
    elapsed = int(work.stdout.readline())
    _, _, usage = os.wait4(work.pid, 0)
    work.returncode = 0
    if prof:
        stop(prof)
    return elapsed, usage.ru_utime + usage.ru_stime


def section_memory(old):
    """#25: the allocation-heavy workload under `record` (memory off, the default) and `record --memory`, from
    the same interleaved runs, each against a run without a profiler (wall time, and the workload's CPU time,
    which the machine's other load moves less); then what each memory program costs."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        variants = [
            ("record", lambda pid: ([AGENTPROF, "record", "-p", str(pid), "-o", out, "--force"], ATTACHED)),
            ("record --memory", lambda pid: ([AGENTPROF, "record", "-p", str(pid), "-o", out, "--force", "--memory"],
                                             ATTACHED)),
        ]
        ratios = {n: [] for n, _ in variants}
        cpu_ratios = {n: [] for n, _ in variants}
        for i in range(PAIRS):
            # alternate which runs first and which variant goes first, so that drift cancels out
            for name, prof in (variants if i % 2 == 0 else variants[::-1]):
                if i % 2 == 0:
                    base, with_prof = run_once_cpu(ALLOC), run_once_cpu(ALLOC, prof)
                else:
                    with_prof, base = run_once_cpu(ALLOC, prof), run_once_cpu(ALLOC)
                ratios[name].append(with_prof[0] / base[0])
                cpu_ratios[name].append(with_prof[1] / base[1])
        costs = bpf_program_costs(tmp, ALLOC, ["--memory"])
    r = {"slowdown": {n: {"median": statistics.median(v), "ratios": v} for n, v in ratios.items()},
         "cpu": {n: {"median": statistics.median(v), "ratios": v} for n, v in cpu_ratios.items()},
         "rows": [row for row in costs["rows"] if row[0].startswith("mem_")], "elapsed_ns": costs["elapsed_ns"]}
    # the memory programs' time (every process's runs: an upper bound of the target's) over the work's:
    # what they can add to a single-threaded target, measured without the A/B pairs' noise
    r["program_share"] = sum(cnt * ns for _, cnt, ns in r["rows"]) / costs["elapsed_ns"]
    for n, c in r["slowdown"].items():
        print("memory %-20s %+.1f%% (CPU time %+.1f%%)" % (n, (c["median"] - 1) * 100, (r["cpu"][n]["median"] - 1) * 100),
              flush=True)
    print("memory programs: %.2f%% of the work's time" % (r["program_share"] * 100))
    for name, cnt, ns in r["rows"]:
        print("memory %-24s %10d runs %8.0f ns/run" % (name, cnt, ns))
    return r


def section_io(old):
    """The I/O-heavy workload, which makes no socket call: one recording with bpf_stats for how often the
    HTTP capture ran for it, then agentprof's and perf's slowdowns from the same interleaved runs."""
    args = WORKLOADS[IO_WORKLOAD]
    with tempfile.TemporaryDirectory() as tmp:
        costs = bpf_program_costs(tmp, args, ["-v"])
        chosen = [(n, p) for n, p in profilers(tmp).items() if n in (DEFAULT, PERF)]
        ratios = {n: [] for n, _ in chosen}
        for i in range(PAIRS):
            # alternate which runs first and which profiler goes first, so that drift cancels out
            for name, (argv, ready) in (chosen if i % 2 == 0 else chosen[::-1]):
                def prof(pid, argv=argv, ready=ready):
                    return argv(pid), ready
                if i % 2 == 0:
                    base, with_prof = run_once(args), run_once(args, prof)
                else:
                    with_prof, base = run_once(args, prof), run_once(args)
                ratios[name].append(with_prof / base)
    r = {"slowdown": {n: {"median": statistics.median(v), "ratios": v} for n, v in ratios.items()},
         "rows": costs["rows"], "elapsed_ns": costs["elapsed_ns"], "http_target_runs": costs["http_target_runs"],
         "http_runs": sum(cnt for name, cnt, _ in costs["rows"] if name in HTTP_PROGRAMS)}
    for n, c in r["slowdown"].items():
        print("io %-40s %+.1f%%" % (n, (c["median"] - 1) * 100), flush=True)
    print("io HTTP programs: %s runs for the target, %d runs in all" % (r["http_target_runs"], r["http_runs"]))
    return r


PYSTACK = ["/usr/bin/python3", os.path.join(ROOT, "tests", "workloads", "pystack.py"), "30"]
PYIDLE = ["/usr/bin/python3", "-c", "import os, time; print(os.getpid(), flush=True); time.sleep(60)"]
PYTHON_TARGETS = {
    "an idle python3 (the other processes' ticks)": PYIDLE,
    "pystack.py (Debian python3 3.11, 6 Python frames)": PYSTACK,
    "pystack.py deep (100 Python frames, 64 walked)": PYSTACK + ["deep"],
}
PYTHON_REPS = 3
RBAGENT = ["/usr/bin/ruby3.1", os.path.join(ROOT, "tests", "workloads", "rbagent.rb"), "30"]
RBIDLE = ["/usr/bin/ruby3.1", "-e", "$stdout.sync = true; puts Process.pid; sleep 60"]
RUBY_TARGETS = {
    "an idle ruby3.1 (the other processes' ticks)": RBIDLE,
    "rbagent.rb (Debian ruby3.1, 2 busy threads, 4 Ruby frames)": RBAGENT,
    "rbagent.rb deep (100 Ruby frames, 64 walked)": RBAGENT + ["deep"],
}
NODEAGENT = ["/usr/bin/node", os.path.join(ROOT, "tests", "workloads", "nodeagent.mjs"), "30"]
NODEIDLE = ["/usr/bin/node", "-e", "console.log(process.pid); setTimeout(() => {}, 60000)"]
NODE_C = "hot8020 (C with frame pointers, no interpreter: today's sample)"
NODE_TARGETS = {
    "an idle node (the other processes' ticks)": NODEIDLE,
    NODE_C: [os.path.join(ROOT, "build", "workloads", "hot8020"), "30"],
    "nodeagent.mjs (node 20, V8 11.3, 5 JavaScript frames)": NODEAGENT,
}


def prog_ids(pid):
    """The ids of the BPF programs a process holds open (its fdinfo says), to tell them from others'."""
    ids = set()
    for fd in os.listdir("/proc/%d/fdinfo" % pid):
        try:
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                ids.update(int(l.split()[1]) for l in f if l.startswith("prog_id:"))
        except OSError:
            pass
    return ids


def record_costs(cmd, frames, seconds, extra=()):
    """Records cmd at 999 Hz: (target samples, on_cpu_sample runs and ns, what -v said, the recorder's
    CPU seconds while recording)."""
    work = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    pid = int(work.stdout.readline())
    env = dict(os.environ, AGENTPROF_NO_PYTHON="0" if frames else "1", AGENTPROF_NO_RUBY="0" if frames else "1",
               AGENTPROF_NO_NODE="0" if frames else "1")
    prof = subprocess.Popen([AGENTPROF, "record", "-v", "-F", "999", "-p", str(pid), "-o", tempfile.mkdtemp()]
                            + list(extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    # past loading and attaching: on a busy machine the verifier takes seconds, not one
    said_lines = []
    for line in prof.stderr:
        said_lines.append(line)
        if ": recording " in line:
            break
    time.sleep(1)
    cpu0 = ticks(prof.pid)
    time.sleep(seconds - 1)
    cpu = (ticks(prof.pid) - cpu0) / os.sysconf("SC_CLK_TCK")
    progs = json.loads(subprocess.check_output(["bpftool", "-j", "prog", "show"]))
    ids = prog_ids(prof.pid)
    prof.send_signal(signal.SIGINT)
    out, err = prof.communicate(timeout=30)
    err = "".join(said_lines) + err
    work.kill()
    work.wait()
    # this recording's program: other agentprof instances may run beside it
    runs, ns = next(((p.get("run_cnt", 0), p.get("run_time_ns", 0)) for p in progs
                     if p["id"] in ids and p.get("name") == "on_cpu_sample"), (0, 0))
    samples = next((int(l.split(": ")[1].split()[0]) for l in out.splitlines() if l.startswith("Recorded")), 0)
    return samples, runs, ns, err, cpu


def said(err, what):
    """The line of record -v's stderr that says what, after its "agentprof: " prefix ("-": none)."""
    return next((l.split(": ", 1)[-1] for l in err.splitlines() if what in l), "-")


def python_costs(targets=PYTHON_TARGETS, read="code objects read", seconds=4):
    """On the same interpreter target, with its frames and without (AGENTPROF_NO_PYTHON=1,
    AGENTPROF_NO_RUBY=1), the cost of a sample in the sampling program: its run time less the other
    processes' ticks (their cost per tick measured on an idle target, the first of targets), over the
    target's samples. Medians of PYTHON_REPS runs."""
    with open("/proc/sys/kernel/bpf_stats_enabled") as f:
        old = f.read().strip()
    runs = {}
    try:
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write("1")
        for _ in range(PYTHON_REPS):
            for what, cmd in targets.items():
                for frames in (False, True):
                    runs.setdefault((what, frames), []).append(record_costs(cmd, frames, seconds))
    finally:
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write(old)
    idle = next(iter(targets))
    other = statistics.median(ns / max(n, 1) for (w, _), v in runs.items() if w == idle for _, n, ns, _, _ in v)
    rows = [("other processes' ticks", "-", 0, other, "-")]
    for (what, frames), v in runs.items():
        if what == idle:
            continue
        per = statistics.median((ns - (n - s) * other) / max(s, 1) for s, n, ns, _, _ in v)
        rows.append((what, "yes" if frames else "no", statistics.median(s for s, _, _, _, _ in v), per,
                     said(v[-1][3], read).split(": ", 1)[-1]))
    return rows


UNWIND_TARGETS = {
    "C built without frame pointers, in glibc's qsort": [os.path.join(ROOT, "build", "workloads", "nofp_qsort"),
                                                          "60"],
    "Debian python3 (no frame pointers), a pure-Python loop": PYSTACK,
}


def section_unwind(old, seconds=4, reps=3):
    """The cost of DWARF unwinding beside frame pointers, per sample at 999 Hz: the sampling program's
    run time over the target's samples, the bytes copied and the userspace unwinding (record -v), the
    recorder's CPU while recording. Medians of reps runs, fp and dwarf alternating."""
    with open("/proc/sys/kernel/bpf_stats_enabled") as f:
        old_stats = f.read().strip()
    runs = {}
    try:
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write("1")
        for _ in range(reps):
            for what, cmd in UNWIND_TARGETS.items():
                for mode in ("fp", "dwarf"):
                    runs.setdefault((what, mode), []).append(
                        record_costs(cmd, True, seconds, ["--unwind", mode]))
    finally:
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write(old_stats)
    rows = []
    for (what, mode), v in runs.items():
        unwound = [re.search(r"([0-9.]+) KiB copied and ([0-9.]+) us each", r[3]) for r in v]
        unwound = [m for m in unwound if m]
        rows.append({"target": what, "mode": mode, "samples": statistics.median(r[0] for r in v),
                     "bpf_ns": statistics.median(r[2] / max(r[0], 1) for r in v),
                     "kib": statistics.median(float(m[1]) for m in unwound) if unwound else 0,
                     "unwind_us": statistics.median(float(m[2]) for m in unwound) if unwound else 0,
                     "cpu_pct": statistics.median(r[4] / (seconds - 1) * 100 for r in v)})
    return {"rows": rows, "seconds": seconds, "reps": reps}


def prog_stats(ids):
    return {p["name"]: (p.get("run_cnt", 0), p.get("run_time_ns", 0))
            for p in json.loads(subprocess.check_output(["bpftool", "-j", "prog", "show"])) if p["id"] in ids}


def tls_costs(tmp, seconds=5):
    """Probe hits and BPF ns per LLM call over HTTPS, per client, against the tests' mock LLM API."""
    if not shutil.which("openssl"):
        return []
    cert, key, port_file, log = (os.path.join(tmp, n) for n in ("cert.pem", "key.pem", "port", "calls.log"))
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key,
                    "-out", cert], check=True, capture_output=True)
    server = subprocess.Popen(["/usr/bin/python3", os.path.join(ROOT, "tests/workloads/llmserver.py"), cert, key,
                               port_file, log], stdout=subprocess.PIPE, text=True)
    server.stdout.readline()
    port = open(port_file).read()
    curl_cfg = os.path.join(tmp, "curl.cfg")
    with open(curl_cfg, "w") as f:
        for i in range(5000):
            f.write('%surl = "https://127.0.0.1:%s/v1/chat/completions"\ncacert = "%s"\nsilent\noutput = "/dev/null"\n'
                    'header = "traceparent: 00-%s-%s-01"\ndata = "{}"\n'
                    % ("next\n" if i else "", port, cert, os.urandom(16).hex(), os.urandom(8).hex()))
    clients = {"Python urllib (libssl.so.3)": ["/usr/bin/python3", os.path.join(ROOT, "tests/workloads/llmagent.py"),
                                               port, cert, "x"],
               "curl (libssl.so.3)": ["sh", "-c", "echo $$; exec curl -K " + curl_cfg]}
    if shutil.which("node"):
        clients["Node https (static OpenSSL)"] = [shutil.which("node"),
                                                  os.path.join(ROOT, "tests/workloads/llmagent.js"), port, cert, "x"]
    rows = []
    try:
        for name, cmd in clients.items():
            agent = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
            pid = int(agent.stdout.readline())
            prof = subprocess.Popen([AGENTPROF, "record", "-p", str(pid), "-o", os.path.join(tmp, "tls")],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            ids = set()
            while len([1 for n in prog_stats(ids) if n in TLS_PROGRAMS]) < 3:
                time.sleep(0.2)
                ids = prog_ids(prof.pid)
            time.sleep(2)  # probes attached
            ids = prog_ids(prof.pid)  # all of them loaded by now
            a, calls_a = prog_stats(ids), sum(1 for _ in open(log))
            time.sleep(seconds)
            b, calls_b = prog_stats(ids), sum(1 for _ in open(log))
            prof.send_signal(signal.SIGINT)
            prof.wait(timeout=30)
            agent.kill()
            agent.wait()
            calls = max(calls_b - calls_a, 1)
            delta = {n: (b[n][0] - a.get(n, (0, 0))[0], b[n][1] - a.get(n, (0, 0))[1]) for n in b}
            hits = sum(delta[n][0] for n in delta if n in TLS_PROGRAMS)
            ns = sum(delta[n][1] for n in delta if n in TLS_PROGRAMS)
            rows.append((name, calls, hits / calls, ns / calls,
                         ", ".join("%s %.1f" % (n, delta[n][0] / calls) for n in sorted(delta)
                                   if n in TLS_PROGRAMS and delta[n][0])))
    finally:
        server.kill()
        server.wait()
    return rows


# with the scheduler's switch: it sums each thread's runq time for the span events' stamps
ASYNC_PROGRAMS = HTTP_PROGRAMS[:3] + TLS_PROGRAMS + ("sched_switch_btf",)


def async_costs(tmp, agentprof=AGENTPROF, seconds=5, concurrency=8):
    """BPF runs and ns per request of an asyncio agent (aiohttp server, httpx streaming from the mock
    OpenAI-compatible API over HTTPS) serving `concurrency` requests at once: per request, per program."""
    w = os.path.join(ROOT, "tests/workloads")
    cert, key, llm_port, agent_port, truth, llm_log = (os.path.join(tmp, n) for n in (
        "cert.pem", "key.pem", "llm.port", "agent.port", "truth", "llm.log"))
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key,
                    "-out", cert], check=True, capture_output=True)
    procs = []

    def start(argv):
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        procs.append(p)
        p.stdout.readline()
        return p

    with open("/proc/sys/kernel/bpf_stats_enabled") as f:
        old = f.read().strip()
    try:
        start(["/usr/bin/python3", os.path.join(w, "asyncllm.py"), llm_port, llm_log, cert, key])
        url = "https://127.0.0.1:%s/v1/chat/completions" % open(llm_port).read()
        agent = start(["/usr/bin/python3", os.path.join(w, "asyncagent.py"), agent_port, url, cert, "x", truth,
                       "stream"])
        start(["/usr/bin/python3", os.path.join(w, "asyncload.py"), "http://127.0.0.1:%s/task" % open(agent_port).read(),
               str(concurrency), "bare"])
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write("1")
        prof = subprocess.Popen([agentprof, "record", "-p", str(agent.pid), "-o", os.path.join(tmp, "out")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ids = set()
        while len([1 for n in prog_stats(ids) if n in TLS_PROGRAMS]) < 3:
            time.sleep(0.2)
            ids = prog_ids(prof.pid)
        time.sleep(2)
        ids = prog_ids(prof.pid)
        a, req_a = prog_stats(ids), sum(1 for _ in open(truth))
        time.sleep(seconds)
        b, req_b = prog_stats(ids), sum(1 for _ in open(truth))
        prof.send_signal(signal.SIGINT)
        prof.wait(timeout=60)
    finally:
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write(old)
        for p in procs:
            p.kill()
            p.wait()
    reqs = max(req_b - req_a, 1)
    delta = {n: (b[n][0] - a.get(n, (0, 0))[0], b[n][1] - a.get(n, (0, 0))[1]) for n in b if n in ASYNC_PROGRAMS}
    return {"requests": reqs, "concurrency": concurrency,
            "rows": [(n, runs / reqs, ns / max(runs, 1), ns / reqs) for n, (runs, ns) in sorted(delta.items()) if runs]}


def section_async(old):
    with tempfile.TemporaryDirectory() as tmp:
        r = async_costs(tmp)
    base = os.environ.get("BENCH_BASELINE_AGENTPROF")  # an agentprof built from an older tree, to compare
    if base:
        with tempfile.TemporaryDirectory() as tmp:
            r["baseline"] = async_costs(tmp, agentprof=base)
    return r


def section_tls(old):
    with tempfile.TemporaryDirectory() as tmp:
        return {"rows": tls_costs(tmp)}


def section_python(old):
    return {"rows": python_costs()}


def section_ruby(old):
    return {"rows": python_costs(RUBY_TARGETS, "iseqs read")}


def section_node(old):
    return {"rows": python_costs(NODE_TARGETS, "functions read")}


def ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def drops_of(outdir):
    with open(os.path.join(outdir, "report.json")) as f:
        report = json.load(f)
    return report["samples"], report["drops"]


def own_cost(command, seconds=10):
    """CPU% of one core and peak RSS of agentprof itself on the demo agent (-t 3: 23 threads)."""
    agent = subprocess.Popen([DEMO, "-t", "3", "-d", str(seconds + 15)], stdout=subprocess.PIPE, text=True)
    pid = agent.stdout.readline().split()[-1]
    threads = len(os.listdir("/proc/%s/task" % pid))
    out = tempfile.mkdtemp()
    args = {"record": [AGENTPROF, "record", "-p", pid, "-d", str(seconds), "-o", out, "--force"],
            "top": [AGENTPROF, "top", "-p", pid, "-i", "1", "-n", str(seconds), "--json"]}[command]
    start = time.monotonic()
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(3)  # past loading and attaching: the steady state is what runs beside an agent
    t0, c0 = time.monotonic(), ticks(p.pid)
    time.sleep(seconds - 5)
    t1, c1 = time.monotonic(), ticks(p.pid)
    _, status, usage = os.wait4(p.pid, 0)
    elapsed = time.monotonic() - start
    agent.kill()
    agent.wait()
    r = {"threads": threads, "steady": (c1 - c0) / os.sysconf("SC_CLK_TCK") / (t1 - t0) * 100,
         "total": (usage.ru_utime + usage.ru_stime) / elapsed * 100, "rss_mb": usage.ru_maxrss / 1024}
    if command == "record":
        r["samples"], r["drop_counts"] = drops_of(out)
        r["drops"] = sum(r["drop_counts"].values())
    shutil.rmtree(out, ignore_errors=True)
    return r


def section_own(old):
    r = {}
    for command in ("record", "top"):
        r[command] = own_cost(command)
        print(command, r[command], flush=True)
    return r


def section_symbolize(old):
    """symbench over a Python process with many extension modules loaded: cold and warm cache."""
    py = subprocess.Popen(["/usr/bin/python3", "-c", "import ssl, sqlite3, json, decimal, ctypes, hashlib, lzma, "
                           "bz2, zlib, socket, select, time; print('ready', flush=True); time.sleep(120)"],
                          stdout=subprocess.PIPE, text=True)
    py.stdout.readline()
    runs = [json.loads(subprocess.check_output([SYMBENCH, "20000", str(py.pid)])) for _ in range(5)]
    py.kill()
    py.wait()
    r = {k: statistics.median(run[k] for run in runs) for k in ("cold_per_s", "warm_per_s", "cold_s", "warm_s")}
    r["files"], r["addresses"] = runs[0]["files"], runs[0]["addresses"]
    print("symbolization", r, flush=True)
    return r


def record_run(args, extra):
    """Records one run of the workload to its end: elapsed ns of the work, the recorder's CPU (whole
    run: the BPF programs run in the target, and count there), its peak RSS, the drops."""
    out = tempfile.mkdtemp()
    work = subprocess.Popen([WORK] + args + ["stdin"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    pid = int(work.stdout.readline())
    prof = start_profiler([AGENTPROF, "record", "-p", str(pid), "-o", out, "--force"] + extra, ATTACHED)
    work.stdin.write("go\n")
    work.stdin.flush()
    elapsed = int(work.stdout.readline())
    work.wait()
    _, status, usage = os.wait4(prof.pid, 0)  # it stops when the target exits
    samples, drops = drops_of(out)
    with open(os.path.join(out, "cpu.folded")) as f:
        stacks = sum(1 for _ in f)
    shutil.rmtree(out, ignore_errors=True)
    return {"elapsed_ns": elapsed, "cpu_s": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
            "samples": samples, "drops": drops, "folded_stacks": stacks}


def section_scale(old):
    """Cost as the target's threads grow (same total work), and as its distinct stacks grow."""
    r = {"threads": [], "stacks": []}
    with tempfile.TemporaryDirectory() as tmp:
        argv, ready = profilers(tmp)[DEFAULT]
        for n in (1, 10, 100, 1000):
            args = ["threads", "20000", str(n)]
            s = slowdown(args, lambda pid: (argv(pid), ready))
            x = record_run(args, [])
            row = {"threads": n, "slowdown": s["median"], "ratios": s["ratios"], "work_s": x["elapsed_ns"] / 1e9,
                   "cpu_s": x["cpu_s"], "rss_mb": x["rss_mb"], "drops": sum(x["drops"].values()),
                   "drop_counts": {k: v for k, v in x["drops"].items() if v}}
            if n == 1000:
                y = record_run(args, ["-F", "999"])
                row["drop_counts_999"] = {k: v for k, v in y["drops"].items() if v}
                row["samples_999"] = y["samples"]
                row["costs"] = bpf_program_costs(tmp, args)["rows"]
            r["threads"].append(row)
            print("scale threads", row, flush=True)
    for k in (100, 1000, 10000):
        for storage in ("16384", "1024"):
            # frame-pointer user stacks: they go through the stack map (DWARF ones are interned here)
            x = record_run(["stacks", "100000", str(k)], ["-F", "999", "--stack-storage-size", storage, "--unwind",
                                                          "fp"])
            row = {"distinct": k, "storage": int(storage), "samples": x["samples"], "folded_stacks": x["folded_stacks"],
                   "collision": x["drops"]["stack_collision"], "full": x["drops"]["stack_map_full"],
                   "cpu_s": x["cpu_s"], "rss_mb": x["rss_mb"], "work_s": x["elapsed_ns"] / 1e9}
            r["stacks"].append(row)
            print("scale stacks", row, flush=True)
    return r


def section_soak(old):
    """Records a churning target (threads come and go, 1000 children) with --follow-children; RSS over time."""
    seconds = SOAK_SECONDS
    out = tempfile.mkdtemp()
    work = subprocess.Popen([WORK, "churn", str(seconds), "stdin"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    pid = int(work.stdout.readline())
    prof = start_profiler([AGENTPROF, "record", "-p", str(pid), "-o", out, "--force", "--follow-children"],
                          ATTACHED)
    work.stdin.write("go\n")
    work.stdin.flush()
    start, samples, every = time.monotonic(), [], max(1, seconds // 60)
    while work.poll() is None:
        time.sleep(0.2)
        if work.poll() is None and time.monotonic() - start >= every * (len(samples) + 1):
            samples.append((time.monotonic() - start, rss_mb(prof.pid), ticks(prof.pid)))
    stop_start = time.monotonic()  # the recorder stops with its target, then writes
    _, status, usage = os.wait4(prof.pid, 0)
    write_s = time.monotonic() - stop_start
    nsamples, drops = drops_of(out)
    with open(os.path.join(out, "report.json")) as f:
        children = len(json.load(f)["processes"]) - 1  # each followed child is a process of the report
    shutil.rmtree(out, ignore_errors=True)
    quarter = [rss for t, rss, _ in samples if t >= seconds / 4] or [samples[-1][1]]
    r = {"seconds": seconds, "rss_first_mb": samples[0][1], "rss_quarter_mb": quarter[0],
         "rss_last_mb": samples[-1][1], "rss_peak_recording_mb": max(rss for _, rss, _ in samples),
         "rss_peak_mb": usage.ru_maxrss / 1024, "cpu_pct": (samples[-1][2] - samples[0][2]) /
         os.sysconf("SC_CLK_TCK") / (samples[-1][0] - samples[0][0]) * 100,
         "write_s": write_s, "children": children, "samples": nsamples, "drops": drops,
         "exit": os.waitstatus_to_exitcode(status), "date": time.strftime("%Y-%m-%d")}
    print("soak", r, flush=True)
    return r


def section_churn(old):
    """record --follow-children on 50 short-lived children a second (issue #22): children followed and
    counted exited, drops, RSS over time, what was retired from the kernel's maps."""
    seconds = CHURN_SECONDS
    out = tempfile.mkdtemp()
    log = os.path.join(out, "record.log")
    work = subprocess.Popen([FORKER, "churn", str(seconds), str(CHURN_RATE)], stdout=subprocess.PIPE, text=True)
    pid = int(work.stdout.readline())
    with open(log, "w") as f:
        prof = subprocess.Popen([AGENTPROF, "record", "-p", str(pid), "-o", os.path.join(out, "r"),
                                 "--follow-children", "-v"], stdout=subprocess.DEVNULL, stderr=f)
    for _ in range(600):  # until attached, however loaded the machine
        with open(log) as f:
            if ATTACHED in f.read():
                break
        time.sleep(0.1)
    work.send_signal(signal.SIGUSR1)
    start, samples, every = time.monotonic(), [], max(1, seconds // 30)
    while work.poll() is None:
        time.sleep(0.2)
        if work.poll() is None and time.monotonic() - start >= every * (len(samples) + 1):
            samples.append((time.monotonic() - start, rss_mb(prof.pid), ticks(prof.pid)))
    stop_start = time.monotonic()
    _, status, usage = os.wait4(prof.pid, 0)  # it stops with its target, then writes
    write_s = time.monotonic() - stop_start
    with open(os.path.join(out, "r", "report.json")) as f:
        report = json.load(f)
    with open(log) as f:
        said = f.read()
    retired = re.search(r"retired (\d+) exited threads and (\d+) exited processes", said)
    shutil.rmtree(out, ignore_errors=True)
    children = [p for p in report["processes"] if p["pid"] != pid]
    quarter = [rss for t, rss, _ in samples if t >= seconds / 4] or [samples[-1][1]]
    r = {"seconds": seconds, "rate": CHURN_RATE, "children": len(children),
         "exited": sum(1 for p in children if p.get("exited")),
         "retired_threads": int(retired.group(1)) if retired else 0,
         "retired_processes": int(retired.group(2)) if retired else 0,
         "cpu_s_recorded": report["breakdown_ns"]["cpu"] / 1e9, "duration_s": report["duration_ns"] / 1e9,
         "class": report["class"], "drops": report["drops"],
         "rss_first_mb": samples[0][1], "rss_quarter_mb": quarter[0], "rss_last_mb": samples[-1][1],
         "rss_peak_mb": usage.ru_maxrss / 1024,
         "cpu_pct": (samples[-1][2] - samples[0][2]) / os.sysconf("SC_CLK_TCK") /
         max(samples[-1][0] - samples[0][0], 1e-9) * 100,
         "write_s": write_s, "exit": os.waitstatus_to_exitcode(status), "date": time.strftime("%Y-%m-%d")}
    print("churn", r, flush=True)
    return r


def section_flamegraph(old):
    # flamegraph/bench/run.sh times a generated 200k-stack file (and flamegraph.pl on PATH)
    fg = subprocess.run(["sh", os.path.join(ROOT, "flamegraph", "bench", "run.sh")], capture_output=True, text=True)
    print(fg.stdout, end="", flush=True)
    return {"text": fg.stdout.rstrip("\n")}


SECTIONS = {
    "slowdown": section_slowdown,
    "io": section_io,
    "programs": section_programs,
    "own": section_own,
    "tls": section_tls,
    "async": section_async,
    "python": section_python,
    "ruby": section_ruby,
    "node": section_node,
    "unwind": section_unwind,
    "symbolize": section_symbolize,
    "scale": section_scale,
    "soak": section_soak,
    "churn": section_churn,
    "flamegraph": section_flamegraph,
    "memory": section_memory,
}


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return "%s, %d CPUs (%s), kernel %s" % (platform.node(), os.cpu_count(), model, platform.release())


def pct(ratio):
    return "%+.1f%%" % ((ratio - 1) * 100)


def render_slowdown(r):
    lines = ["## Target slowdown", "",
             "The workload's own elapsed time with the profiler attached (and ready) over without, A/B "
             "interleaved, median of the pairs (all ratios in brackets). Peers that are not installed have no row.",
             "", "| workload | profiler | slowdown | ratios | measured |", "| --- | --- | --- | --- | --- |"]
    for wname in WORKLOADS:
        for pname, c in r.get("cells", {}).get(wname, {}).items():
            lines.append("| %s | %s | %s | %s | %s |" % (wname, pname, pct(c["median"]),
                                                         " ".join("%.3f" % x for x in c["ratios"]), c.get("date", "")))
    if "span_cost_ns" in r:
        lines += ["", "Cost per span, from the span workload's slowdown: %.1f us (uprobes cost ~10 us a hit in "
                  "this VM, ~0.3 us on bare metal)." % (r["span_cost_ns"] / 1e3)]
    return lines


def render_io(r):
    lines = ["## I/O heavy, no socket", "",
             "`benchwork %s`: the slowdowns of agentprof and perf from the same %d interleaved pairs (median, "
             "all ratios in brackets); the runs of the HTTP capture's programs (%s) from one recording with "
             "kernel.bpf_stats_enabled." % (" ".join(WORKLOADS[IO_WORKLOAD]), len(next(iter(
                 r["slowdown"].values()))["ratios"]), ", ".join("`%s`" % n for n in HTTP_PROGRAMS[:3])), "",
             "| profiler | slowdown | ratios |", "| --- | --- | --- |"]
    for n, c in r["slowdown"].items():
        lines.append("| %s | %s | %s |" % (n, pct(c["median"]), " ".join("%.3f" % x for x in c["ratios"])))
    ours, perf = r["slowdown"].get(DEFAULT), r["slowdown"].get(PERF)
    if ours and perf:
        lines += ["", "agentprof's slowdown over perf's, as a ratio of the two medians: %.3f (%+.1f points)."
                  % (ours["median"] / perf["median"], (ours["median"] - perf["median"]) * 100)]
    target = r.get("http_target_runs")
    lines += ["", "HTTP programs' run count for the non-socket workload: %s (what `record -v` says they ran for the "
              "target); %d runs in all while it was recorded (`run_cnt`: their runs for every process on the machine)."
              % ("not counted by this build" if target is None else target, r["http_runs"]),
              "", "| program | runs | ns per run |", "| --- | --- | --- |"]
    lines += ["| %s | %d | %.0f |" % tuple(row) for row in r["rows"]]
    return lines


def render_programs(r):
    lines = ["## Per-program BPF cost", ""]
    for what, title in (("switch", "the context-switch workload"),
                        ("tcp1", "the TCP loopback ping-pong (every wait a net wait with a peer)"),
                        ("spans", "the span workload (%d spans)" % SPANS)):
        if what not in r:
            continue
        lines += ["`run_time_ns / run_cnt` (kernel.bpf_stats_enabled) while recording %s (%.2f s of work)."
                  % (title, r[what]["elapsed_ns"] / 1e9), "", "| program | runs | ns per run |", "| --- | --- | --- |"]
        lines += ["| %s | %d | %.0f |" % tuple(row) for row in r[what]["rows"]] + [""]
    lines.append("Probe hits per span: %.2f (span_begin + span_end runs / spans)." % r["hits_per_span"])
    return lines


def render_own(r):
    lines = ["## The profiler's own cost", "",
             "CPU of agentprof in % of one core: steady state (from 3 s in, after loading and attaching) "
             "and over its whole 10 s run; peak RSS. On the demo agent (`-t 3`).", "",
             "| command | target threads | CPU steady | CPU whole run | peak RSS, MB | samples | dropped |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for command in ("record", "top"):
        c = r[command]
        lines.append("| %s | %d | %.2f%% | %.2f%% | %.1f | %s | %s |" % (
            command, c["threads"], c["steady"], c["total"], c["rss_mb"], c.get("samples", "-"), c.get("drops", "-")))
    return lines


def render_tls(r):
    return ["## LLM calls over HTTPS", "",
            "Uprobe hits and BPF time of the TLS programs per call, while recording each client calling the "
            "tests' mock LLM API (50 ms a call) for 5 s. Each hit also costs the kernel's uprobe "
            "machinery (~10 us here), which run_time_ns does not include.", "",
            "| client | calls | uprobe hits per call | BPF ns per call | hits per call by program |",
            "| --- | --- | --- | --- | --- |"] + [
        "| %s | %d | %.1f | %.0f | %s |" % tuple(row) for row in r["rows"]]


def render_async(r):
    lines = ["## Requests on an event loop", "",
             "An asyncio agent (aiohttp server, httpx AsyncClient streaming from the tests' mock OpenAI-compatible "
             "API over HTTPS) serving %d requests at once, each with its own CPU work and one LLM call: the HTTP "
             "and TLS programs' runs and BPF time per request (%d requests in 5 s), from kernel.bpf_stats_enabled. "
             "The socket programs run once per socket read or write of the target; uprobes also cost the "
             "kernel's machinery (~10 us a hit here), which run_time_ns does not include." % (
                 r["concurrency"], r["requests"]), "",
             "| program | runs per request | ns per run | ns per request |", "| --- | --- | --- | --- |"]
    lines += ["| %s | %.1f | %.0f | %.0f |" % tuple(row) for row in r["rows"]]
    if "baseline" in r:
        lines += ["", "The same with the baseline build (BENCH_BASELINE_AGENTPROF), %d requests:" % r["baseline"]["requests"],
                  "", "| program | runs per request | ns per run | ns per request |", "| --- | --- | --- | --- |"]
        lines += ["| %s | %.1f | %.0f | %.0f |" % tuple(row) for row in r["baseline"]["rows"]]
    return lines


def render_python(r):
    return ["## Python frames", "",
            "The sampling program's cost per sample of a Python target recorded at 999 Hz for 4 s, with "
            "Python frames and without (`AGENTPROF_NO_PYTHON=1`): its run time less the other "
            "processes' ticks, over the target's samples; medians of %d runs. The off-CPU switch-out "
            "walks the same frames with the same code. Userspace reads each code object once "
            "(`record -v`)." % PYTHON_REPS, "",
            "| target | Python frames | target samples | ns per sample | code objects |",
            "| --- | --- | --- | --- | --- |"] + [
        "| %s | %s | %s | %.0f | %s |" % (what, frames, samples, ns, resolve)
        for what, frames, samples, ns, resolve in r["rows"]]


def render_ruby(r):
    return ["## Ruby frames", "",
            "The same for a Ruby target (Debian's ruby3.1), with Ruby frames and without "
            "(`AGENTPROF_NO_RUBY=1`): the sampling program's run time less the other processes' ticks, "
            "over the target's samples; medians of %d runs. The off-CPU switch-out walks the same frames "
            "and checks futex waits against the GVL. Userspace reads each iseq once (`record -v`)." % PYTHON_REPS, "",
            "| target | Ruby frames | target samples | ns per sample | iseqs |",
            "| --- | --- | --- | --- | --- |"] + [
        "| %s | %s | %s | %.0f | %s |" % (what, frames, samples, ns, resolve)
        for what, frames, samples, ns, resolve in r["rows"]]


def render_node(r):
    c = next((ns for what, frames, _, ns, _ in r["rows"] if what == NODE_C and frames == "no"), None)
    js = [ns for what, frames, _, ns, _ in r["rows"] if what.startswith("nodeagent") and frames == "yes"]
    ratio = ["", "A sample with JavaScript frames costs %.1fx the C target's (the issue's bound: 2x)."
             % (js[0] / c)] if c and js else []
    return ["## JavaScript frames", "",
            "The same for a Node target (node 20 started without flags), with JavaScript frames and without "
            "(`AGENTPROF_NO_NODE=1`), beside a C target in the same runs: the sampling program's run time less "
            "the other processes' ticks, over the target's samples; medians of %d runs. The walker follows the "
            "frame pointers from the thread's registers. Userspace reads each function once (`record -v`)."
            % PYTHON_REPS, "",
            "| target | JavaScript frames | target samples | ns per sample | functions |",
            "| --- | --- | --- | --- | --- |"] + [
        "| %s | %s | %s | %.0f | %s |" % (what, frames, samples, ns, resolve)
        for what, frames, samples, ns, resolve in r["rows"]] + ratio


def render_unwind(r):
    return ["## Unwinding", "",
            "`record -F 999 --unwind fp|dwarf` for %d s of each target, medians of %d runs: the sampling "
            "program's run time over the target's samples (other processes' ticks included, the same for "
            "both), the stack bytes copied and the userspace unwinding per stack (`record -v`), and the "
            "recorder's CPU while recording (at 99 Hz it unwinds a tenth as many)." % (r["seconds"], r["reps"]),
            "", "| target | unwind | samples | BPF ns per sample | KiB copied | unwinding, us | recorder CPU |",
            "| --- | --- | --- | --- | --- | --- | --- |"] + [
        "| %s | %s | %d | %.0f | %s | %s | %.1f%% |" % (
            row["target"], row["mode"], row["samples"], row["bpf_ns"],
            "%.1f" % row["kib"] if row["mode"] == "dwarf" else "-",
            "%.1f" % row["unwind_us"] if row["mode"] == "dwarf" else "-", row["cpu_pct"])
        for row in r["rows"]]


def render_symbolize(r):
    return ["## Symbolization", "",
            "`build/symbench`: %d addresses spread over the %d executable files a Python process with a dozen "
            "extension modules maps, named through agentprof's symbolizer; median of 5." % (r["addresses"], r["files"]),
            "", "| cache | addresses per second | time |", "| --- | --- | --- |",
            "| cold (every ELF file read on first use) | %.0f | %.1f ms |" % (r["cold_per_s"], r["cold_s"] * 1e3),
            "| warm (the same addresses again) | %.0f | %.1f ms |" % (r["warm_per_s"], r["warm_s"] * 1e3)]


# the drops that cost a sample or a wait its stack (or part of it)
STACK_LOSSES = ("user_stack_copy_lost", "stack_collision", "stack_map_full", "stack_error")


def stacks_lost(counts):
    return sum(counts.get(k, 0) for k in STACK_LOSSES)


def render_scale(r):
    lines = ["## Scale", "", "Threads: `benchwork threads 20000 T` (the same 20000 rounds of ~20 us of CPU and a "
             "50 us sleep, shared among T threads), recorded at 99 Hz: slowdown as above (median of the pairs), "
             "then one recorded run for the recorder's CPU over its whole run (loading, attaching, writing: "
             "the BPF programs run in the target and count in its slowdown), peak RSS and drops.", "",
             "| threads | work, s | slowdown | ratios | record CPU, s | peak RSS, MB | dropped |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for row in r["threads"]:
        lines.append("| %d | %.2f | %s | %s | %.2f | %.1f | %s |" % (
            row["threads"], row["work_s"], pct(row["slowdown"]), " ".join("%.3f" % x for x in row["ratios"]),
            row["cpu_s"], row["rss_mb"], ", ".join("%s %d" % kv for kv in row.get("drop_counts", {}).items())
            or row["drops"]))
    big = next((row for row in r["threads"] if row["threads"] == 1000 and "drop_counts_999" in row), None)
    if big:
        lines += ["", "1000 threads at -F 999 (one recorded run): %d samples; dropped: %s." % (
            big["samples_999"], ", ".join("%s %d" % kv for kv in big["drop_counts_999"].items()) or "0"), "",
            "`run_time_ns / run_cnt` (kernel.bpf_stats_enabled) while recording 1000 threads at 99 Hz:", "",
            "| program | runs | ns per run |", "| --- | --- | --- |"]
        lines += ["| %s | %d | %.0f |" % (name, cnt, ns) for name, cnt, ns in big["costs"] if cnt]
    lines += ["", "Distinct stacks: `benchwork stacks 100000 K` (each round under one of K call paths; the leaf's "
              "address varies within the loop, so the kernel sees several stacks per path) at -F 999 with "
              "`--unwind fp` (user stacks through the kernel's stack store, as kernel stacks always are), with the "
              "default store (16384) and a small one (1024). Stacks are stored by their frames (bpf/stacks.bpf.h: "
              "a 64-bit hash finds the id, the frames are compared on every hit), so no two stacks share an entry "
              "(collision: two stacks with one hash, counted); a stack that does not fit (full) is counted and its "
              "samples show as `[stack lost]`, never under another stack.", "",
              "| call paths | stack store | samples | lines in cpu.folded | collisions | full | record CPU, s "
              "| peak RSS, MB |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for row in r["stacks"]:
        lines.append("| %d | %d | %d | %d | %d | %d | %.2f | %.1f |" % (
            row["distinct"], row["storage"], row["samples"], row["folded_stacks"], row["collision"], row["full"],
            row["cpu_s"], row["rss_mb"]))
    return lines


def render_soak(r):
    lost = sum(r["drops"].values())
    return ["## Soak", "",
            "`record --follow-children` for %d s on `benchwork churn` (about 5 threads a second start and stop; "
            "1000 short-lived children over the run), measured %s. RSS of the recorder while recording: "
            "%.1f MB after the first sample, %.1f MB a quarter in, %.1f MB at the end (peak while recording "
            "%.1f MB; %.1f MB with the final writing, %d child processes in the report%s). CPU while recording: "
            "%.2f%% of one core. %d samples, %d dropped%s; exit %d."
            % (r["seconds"], r["date"], r["rss_first_mb"], r["rss_quarter_mb"], r["rss_last_mb"],
               r["rss_peak_recording_mb"], r["rss_peak_mb"], r["children"],
               ", %.1f s" % r["write_s"] if r["write_s"] >= 0.1 else "", r["cpu_pct"],
               r["samples"], lost, "" if not lost else " (%s)" % ", ".join(
                   "%s %d" % (k, v) for k, v in r["drops"].items() if v), r["exit"])]


def render_churn(r):
    lost = sum(r["drops"].values())
    return ["## Child churn", "",
            "`record --follow-children` for %d s on `forker churn` (%d short-lived children a second: ~0.1 ms on "
            "CPU, 20 ms asleep), measured %s. %d children in the report, %d of them exited; %d exited threads and %d "
            "exited processes retired from the kernel's maps while recording. CPU charged to the recording: "
            "%.2f s in %.1f s, class %s. %d dropped%s. RSS of the recorder: %.1f MB after the first sample, "
            "%.1f MB a quarter in, %.1f MB at the end, %.1f MB peak (with the final writing, %.1f s). CPU while "
            "recording: %.2f%% of one core; exit %d."
            % (r["seconds"], r["rate"], r["date"], r["children"], r["exited"], r["retired_threads"],
               r["retired_processes"], r["cpu_s_recorded"], r["duration_s"], r["class"], lost,
               "" if not lost else " (%s)" % ", ".join("%s %d" % (k, v) for k, v in r["drops"].items() if v),
               r["rss_first_mb"], r["rss_quarter_mb"], r["rss_last_mb"], r["rss_peak_mb"], r["write_s"],
               r["cpu_pct"], r["exit"])]


def render_flamegraph(r):
    return ["## Flame graphs", "", "`flamegraph/bench/run.sh`:", "", "```"] + r["text"].split("\n") + ["```"]


def render_memory(r):
    lines = ["## Memory growth (--memory)", "",
             "`benchwork %s` (allocation-heavy: every round faults in a fresh 1 MiB buffer, maps and unmaps it, "
             "writes and frees 64 small blocks, keeps 16 KiB): the slowdown of `record` (memory off, the default) "
             "and of `record --memory`, each against a run without a profiler, from the same %d interleaved pairs "
             "(median), in wall time and in the workload's own CPU time (user + system: its faults' programs are "
             "in it; the machine's other load moves it less)." % (" ".join(ALLOC), len(r["slowdown"]["record"]["ratios"])),
             "", "| recorder | wall time | ratios | CPU time | ratios |", "| --- | --- | --- | --- | --- |"]
    for name, c in r["slowdown"].items():
        cpu = r.get("cpu", {}).get(name, {"median": float("nan"), "ratios": []})
        lines.append("| `%s` | %s | %s | %s | %s |" % (name, pct(c["median"]), ", ".join("%.3f" % x for x in c["ratios"]),
                                                    pct(cpu["median"]), ", ".join("%.3f" % x for x in cpu["ratios"])))
    lines += ["", "What each memory program costs (bpf_stats, one `record --memory` of the same workload, %.1f s; "
              "run counts are every process's: the target check comes first):" % (r["elapsed_ns"] / 1e9), "",
              "| program | runs | ns/run |", "| --- | --- | --- |"]
    lines += ["| %s | %d | %.0f |" % tuple(row) for row in r["rows"]]
    if "program_share" in r:
        lines += ["", "Their time together (runs x ns/run) is %.2f%% of the work's elapsed time: what they can add to "
                  "this single-threaded target, an upper bound (the counts include every other process's faults "
                  "and syscalls, which the programs leave at the target check)." % (r["program_share"] * 100)]
    return lines


def render_targets(res):
    """Issue #8's targets, each with the figure measured beside it."""
    rows = []

    def row(target, figure, met):
        rows.append("| %s | %s | %s |" % (target, figure, "unresolved" if met is None else "met" if met else "**missed**"))

    def spread(c):
        """A/B ratios too scattered to tell a few percent: None (unresolved) instead of met or missed."""
        return max(c["ratios"]) / min(c["ratios"]) <= 1.1
    cells = res.get("slowdown", {}).get("cells", {})
    cpu = cells.get("CPU-bound (1 thread)", {}).get(DEFAULT)
    if cpu:
        row("slowdown <= 1%, CPU-bound, 99 Hz", pct(cpu["median"]), cpu["median"] <= 1.01)
    sw = cells.get("context-switch heavy (pipe ping-pong, 2 CPUs)", {}).get(DEFAULT)
    if sw:
        row("slowdown <= 3%, context-switch heavy, every feature on", pct(sw["median"]), sw["median"] <= 1.03)
    for wname in WORKLOADS:
        ours, perf = cells.get(wname, {}).get(DEFAULT), cells.get(wname, {}).get(PERF)
        if ours and perf:
            row("lower than `perf record -F 99 -g`: %s" % wname, "%s vs %s" % (pct(ours["median"]), pct(perf["median"])),
                ours["median"] <= perf["median"])
    pp = cells.get("context-switch heavy (pipe ping-pong, 1 CPU)", {})
    ours, peer = pp.get(DEFAULT), pp.get("libbpf-tools offcputime -p")
    if ours and peer:
        row("#20: ping-pong 1 CPU: <= half of offcputime's slowdown and <= +40%",
            "%s vs %s (%s, %s)" % (pct(ours["median"]), pct(peer["median"]), ours["date"], peer["date"]),
            ours["median"] - 1 <= (peer["median"] - 1) / 2 and ours["median"] <= 1.40)
    costs = {name: ns for name, cnt, ns in res.get("programs", {}).get("switch", {}).get("rows", []) if cnt}
    if "sched_switch_btf" in costs:
        row("#20: sched_switch <= 250 ns a run (bpf_stats, context-switch workload)",
            "%.0f ns" % costs["sched_switch_btf"], costs["sched_switch_btf"] <= 250)
        wake = {n: costs[n] for n in ("sched_waking_btf", "sched_wakeup_btf") if n in costs}
        row("#20: each wakeup program <= 100 ns a run", ", ".join("%s %.0f ns" % kv for kv in sorted(wake.items())),
            all(v <= 100 for v in wake.values()))
    io = res.get("io", {})
    ours, perf = io.get("slowdown", {}).get(DEFAULT), io.get("slowdown", {}).get(PERF)
    if ours and perf:
        row("#20: I/O heavy (no socket) slowdown <= perf's + 2 points, same run",
            "%s vs %s" % (pct(ours["median"]), pct(perf["median"])), ours["median"] <= perf["median"] + 0.02)
    if io.get("http_target_runs") is not None:
        row("#20: the HTTP programs run 0 times for the I/O-heavy workload", "%d" % io["http_target_runs"],
            io["http_target_runs"] == 0)
    own = res.get("own", {}).get("record")
    if own:
        row("recorder < 1% of one core at 99 Hz (steady)", "%.2f%%" % own["steady"], own["steady"] < 1)
        row("recorder < 64 MB RSS", "%.1f MB" % own["rss_mb"], own["rss_mb"] < 64)
        counts = own.get("drop_counts", {})
        lost = counts.get("sample_map_full", own["drops"])
        row("zero lost samples at 99 Hz on 2 CPUs", "%d of %d samples lost; other drops: %s" % (
            lost, own["samples"], ", ".join("%s %d" % (k, v) for k, v in counts.items() if v and k != "sample_map_full")
            or "none"), lost == 0)
    if "hits_per_span" in res.get("programs", {}):
        h = res["programs"]["hits_per_span"]
        row("<= 2 probe hits per span", "%.2f" % h, h <= 2.0001)
    scale = res.get("scale", {})
    big = next((t for t in scale.get("threads", []) if t["threads"] == 1000), None)
    if big and "drop_counts" in big:
        lost = stacks_lost(big["drop_counts"])
        row("#20: 1000 threads at 99 Hz: 0 lost stacks, slowdown <= +5%",
            "%d lost, %s" % (lost, pct(big["slowdown"])), lost == 0 and big["slowdown"] <= 1.05)
    if big and "drop_counts_999" in big:
        lost = stacks_lost(big["drop_counts_999"])
        row("#20: 1000 threads at -F 999: 0 lost stacks", "%d lost" % lost, lost == 0)
    paths = next((t for t in scale.get("stacks", []) if t["distinct"] == 10000 and t["storage"] == 16384), None)
    if paths:
        row("#20: distinct stacks: 0 collisions at 10,000 paths", "%d collisions, %d full" % (
            paths["collision"], paths["full"]), paths["collision"] == 0 and paths["full"] == 0)
    mem = res.get("memory", {})
    for kind, what in (("slowdown", "wall time"), ("cpu", "CPU time")):
        c = mem.get(kind, {})
        if "record --memory" in c and "record" in c:
            on, off = c["record --memory"], c["record"]
            row("#25: allocation-heavy, %s with --memory <= +3%%" % what,
                "%s (ratios %.2f-%.2f)" % (pct(on["median"]), min(on["ratios"]), max(on["ratios"])),
                on["median"] <= 1.03 if spread(on) else None)
            row("#25: allocation-heavy, %s of `record` with memory off (the default): no more than before #25" % what,
                "%s (ratios %.2f-%.2f)" % (pct(off["median"]), min(off["ratios"]), max(off["ratios"])),
                off["median"] <= 1.01 if spread(off) else None)
    if mem.get("program_share") is not None:
        row("#25: the memory programs' time <= 3% of the allocation-heavy work's", "%.2f%%" % (mem["program_share"] * 100),
            mem["program_share"] <= 0.03)
    soak = res.get("soak")
    if soak:
        growth = soak["rss_last_mb"] - soak["rss_quarter_mb"]
        row("soak: RSS flat (%d s, churning target)" % soak["seconds"],
            "%+.1f MB from a quarter in to the end" % growth, growth < 0.1 * soak["rss_quarter_mb"] + 1)
    return ["## Targets", "", "Issue #8's targets (and #20's, so marked) with the figure measured (from the sections "
            "below).", "",
            "| target | measured | |", "| --- | --- | --- |"] + rows + ["", MISSED]


# Why the targets above are missed where they are, and what would fix it (checked against the figures).
MISSED = """Where targets are missed:

- **CPU-bound**: the ratios spread from about 0.9 to 1.6 on this shared 2-CPU machine (five sessions
  at once), so the median of 5 pairs cannot resolve 1%; a quiet run measured +0.7% (ratios
  0.99-1.02). The sampler costs ~3-5 us per sample (`on_cpu_sample` below): 99 of them a second is
  0.05% of a CPU. A dedicated machine, or more pairs, would settle it.
- **Context-switch heavy**: the ping-pong is latency-bound, and each round trip (tens of us) has
  two switches and two wakeups on its critical path. Since #20 item 2 a wakeup runs one program
  (`sched_waking` keeps the waking's time; the switch-in closes the wait: no `sched_wakeup`
  program), a blocked thread's stacks come from the place it blocks in, and a preempted thread
  takes no wait signature. What a run costs here, from A/B builds of `sched_switch` (switch1,
  bpf_stats): an empty program 49 ns (the floor of the measure), the state machine without
  wait signature or stacks 305 ns, everything ~400-530 ns (the load of the other sessions moves
  it by a third); two clock reads and two atomics in the program measure 26 ns. What is left is
  map lookups and the off-CPU key's hash (80 bytes) at each switch-in: per-task storage for
  the thread's state, and aggregating a wait's intervals in the thread's state until its key
  changes, are what would bring it under 250 ns. The ping-pong on 1 CPU (#20's target, met in
  the table's run: +32.8% beside offcputime's +200.7%, ratios 1.08-1.56 against 1.71-3.29) read
  +5.8% in a run before it with ratios from 0.40 to 2.18: five pairs on this shared machine
  place it, not to a few points.
- **I/O heavy**: the slowdown table's row is the build before issue #20's change, whose
  traceparent capture ran on `sys_enter`/`sys_exit`, every syscall of every process (1.29M runs
  of each for this workload; +72.6% against perf's -0.8% in one run of the I/O section). It now
  runs only where a socket sends or receives and on TCP state changes: 0 runs for this workload.
  The I/O section's two runs since read +6.8% against perf's -0.6%, then -1.0% against +0.3%,
  with ratios from 0.68 to 1.82 (other sessions' suites running beside): 5 pairs cannot resolve
  2 points on this machine. `BENCH_ONLY=slowdown` would refresh the table's row.
- **1000 threads, slowdown**: no stack is lost (0 at 99 Hz and at -F 999). A blocked thread's
  stacks are now taken once per place it blocks in (bpf/sites.bpf.h: the thread, its image, the
  wait's signature, its user ip, sp and innermost return addresses; re-walked every 32nd block
  there, and walked at every block where a walk found other stacks), so that 1000 threads that
  each run ~20 us and sleep 50 us no longer walk two stacks at every switch: `sched_switch`
  went from 3688 to 2836 ns a run in one interleaved A/B (median of 3 recordings each), 84% of
  the blocked switch-outs reusing their place's stacks. What is left: a thread preempted in
  user mode (a quarter of the switches here: every wakeup preempts a running thread) still
  walks both stacks, since its place changes with every preemption, and each run reads 256
  bytes of user stack for the place. A variant without any stack walks measured 625 ns a run.
- **Memory (#25)**: the A/B pairs of the allocation-heavy workload do not resolve 3% here. A first
  run (load average 500-800 from other sessions' suites) gave wall-time ratios from 0.01 to 116; the
  one in the table (load average ~5) gives medians of +6.8% in wall time and +6.0% in CPU time
  for `--memory`, with ratios from 0.43 to 1.35: more likely above 3% than below, not shown
  either way. The programs' own time is 1.6% of the work's (about 0.3 us per page fault on
  average, the faults sampled with their stacks included); the rest, if it is real, would be the
  user stacks copied with each sampled fault and unwound by the recorder on the same 2 CPUs.
  What would settle and lower it: more pairs on a quiet machine (`BENCH_ONLY=memory
  BENCH_PAIRS=15`), frame-pointer stacks for fault samples instead of stack copies, a longer
  fault period. Until then --memory stays off by default.
- **Span heavy**: two uprobes per span, ~10 us each in this VM (~0.3 us on bare metal), which perf
  does not pay. Spans written by the SDK into memory the profiler reads would take no probe."""



RENDER = {"slowdown": render_slowdown, "io": render_io, "programs": render_programs, "own": render_own,
          "tls": render_tls, "async": render_async, "python": render_python, "ruby": render_ruby, "node": render_node, "unwind": render_unwind, "symbolize": render_symbolize, "scale": render_scale, "soak": render_soak, "churn": render_churn,
          "flamegraph": render_flamegraph, "memory": render_memory}


def render(res):
    lines = ["# Benchmarks", "",
             "Written by `make bench` (tools/bench/bench.py) from docs/benchmarks.json; each section says the machine "
             "and day it was measured on. The machine is shared and noisy: only ratios measured in the same run are "
             "compared.", ""] + render_targets(res) + [""]
    for name in SECTIONS:
        if name in res:
            lines += RENDER[name](res[name]) + ["", "_Measured on %s, %s._" % (res["machine"][name][0],
                                                                               res["machine"][name][1]), ""]
    return "\n".join(lines)


def main():
    if os.geteuid() != 0:
        sys.exit("bench: needs root (BPF, perf)")
    only = [s for s in os.environ.get("BENCH_ONLY", "").split(",") if s] or list(SECTIONS)
    if only == ["render"]:  # no measuring: the document again from the results
        only = []
    unknown = [s for s in only if s not in SECTIONS]
    if unknown:
        sys.exit("bench: no section %s (sections: %s)" % (", ".join(unknown), ", ".join(SECTIONS)))
    res = {}
    if os.path.exists(RESULTS):
        with open(RESULTS) as f:
            res = json.load(f)
    res.setdefault("machine", {})
    for name in only:
        res[name] = SECTIONS[name](res.get(name, {}))
        res["machine"][name] = (machine(), time.strftime("%Y-%m-%d"))
        with open(RESULTS, "w") as f:  # after each section: a long run interrupted keeps what it measured
            json.dump(res, f, indent=1)
    with open(DOC, "w") as f:
        f.write(render(res) + "\n")
    print("bench: wrote docs/BENCHMARKS.md")


if __name__ == "__main__":
    main()
