#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Overhead benchmarks: the target's own elapsed time with and without a profiler attached,
A/B interleaved, the median of per-pair ratios; plus per-program BPF cost. Rewrites
docs/BENCHMARKS.md. Timings never fail anything: this is `make bench`, not `make test`."""
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AGENTPROF = os.path.join(ROOT, "build", "agentprof")
WORK = os.path.join(ROOT, "build", "workloads", "benchwork")
PAIRS = int(os.environ.get("BENCH_PAIRS", "5"))
DELAY = 2.0  # seconds the workload waits before working, for the profiler to attach
WORKLOADS = {
    "CPU-bound (1 thread)": ["cpu", "1500"],
    "context-switch heavy (pipe ping-pong, 2 CPUs)": ["switch", "60000"],
    "context-switch heavy (pipe ping-pong, 1 CPU)": ["switch1", "600000"],
    "span heavy (~10k spans/s through the SDK)": ["spans", "30000"],
}
SPANS = 30000


def profilers(tmp):
    """name -> function(pid) returning a Popen of the profiler attached to pid."""
    out = os.path.join(tmp, "out")
    p = {
        "agentprof record (99 Hz, on+off-CPU)": lambda pid: [AGENTPROF, "record", "-p", str(pid), "-o", out],
        "agentprof record -F 999": lambda pid: [AGENTPROF, "record", "-p", str(pid), "-F", "999", "-o", out],
    }
    if shutil.which("perf"):
        p["perf record -F 99 -g -p"] = lambda pid: ["perf", "record", "-q", "-F", "99", "-g", "-p", str(pid),
                                                     "-o", os.path.join(tmp, "perf.data")]
    if shutil.which("bpftrace"):
        p["bpftrace profile:hz:99"] = lambda pid: ["bpftrace", "-q", "-e",
                                                   "profile:hz:99 /pid == %d/ { @[ustack, kstack] = count(); }" % pid]
    return p


def run_once(args, profiler=None):
    """Runs the workload (and a profiler attached to it); returns the work's elapsed ns."""
    work = subprocess.Popen([WORK] + args + [str(DELAY)], stdout=subprocess.PIPE, text=True)
    pid = int(work.stdout.readline())
    prof = None
    if profiler:
        prof = subprocess.Popen(profiler(pid), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = int(work.stdout.readline())
    work.wait()
    if prof:
        prof.send_signal(signal.SIGINT)
        try:
            prof.wait(timeout=30)
        except subprocess.TimeoutExpired:
            prof.kill()
    return elapsed


def slowdowns(args, profiler):
    ratios = []
    for i in range(PAIRS):
        # alternate which runs first, so that drift on a shared machine cancels out
        if i % 2 == 0:
            base, prof = run_once(args), run_once(args, profiler)
        else:
            prof, base = run_once(args, profiler), run_once(args)
        ratios.append(prof / base)
    return statistics.median(ratios), ratios


OUR_PROGRAMS = {n[:15] for n in ("on_cpu_sample", "sched_switch_btf", "sched_wakeup_btf", "sched_wakeup_new_btf",
                                  "contention_begin_btf", "contention_end_btf", "sched_switch_raw",
                                  "sched_wakeup_raw", "sched_wakeup_new_raw", "contention_begin_raw",
                                  "contention_end_raw", "sched_waking_btf", "sched_waking_raw", "span_begin",
                                  "span_end", "http_sys_enter",
                                  "http_sys_exit", "tls_write", "tls_write_ex", "tls_read", "tls_read_ex",
                                  "tls_read_ret")}
TLS_PROGRAMS = ("tls_write", "tls_write_ex", "tls_read", "tls_read_ex", "tls_read_ret")


def bpf_program_costs(tmp, args):
    """run_time_ns / run_cnt of every agentprof program while it profiles the switch workload."""
    with open("/proc/sys/kernel/bpf_stats_enabled") as f:
        old = f.read().strip()
    with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
        f.write("1")
    first_id = max([p["id"] for p in json.loads(subprocess.check_output(["bpftool", "-j", "prog", "show"]))] + [0])
    try:
        work = subprocess.Popen([WORK] + args + [str(DELAY)], stdout=subprocess.PIPE, text=True)
        pid = int(work.stdout.readline())
        prof = subprocess.Popen([AGENTPROF, "record", "-p", str(pid), "-o", os.path.join(tmp, "costs")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elapsed = int(work.stdout.readline())
        progs = json.loads(subprocess.check_output(["bpftool", "-j", "prog", "show"]))
        work.wait()
        prof.send_signal(signal.SIGINT)
        prof.wait(timeout=30)
    finally:
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write(old)
    # BPF names are cut at 15 characters; only programs loaded after we started count
    ours = [p for p in progs if p["id"] > first_id and p.get("name", "")[:15] in OUR_PROGRAMS]
    rows = []
    for p in sorted(ours, key=lambda p: p.get("name", "")):
        cnt = p.get("run_cnt", 0)
        rows.append((p.get("name", "?"), cnt, p.get("run_time_ns", 0) / cnt if cnt else 0.0))
    return rows, elapsed


PYSTACK = ["/usr/bin/python3", os.path.join(ROOT, "tests", "workloads", "pystack.py"), "30"]
PYIDLE = ["/usr/bin/python3", "-c", "import os, time; print(os.getpid(), flush=True); time.sleep(60)"]
PYTHON_TARGETS = {
    "an idle python3 (the other processes' ticks)": PYIDLE,
    "pystack.py (Debian python3 3.11, 6 Python frames)": PYSTACK,
    "pystack.py deep (100 Python frames, 64 walked)": PYSTACK + ["deep"],
}
PYTHON_REPS = 3


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


def record_costs(cmd, frames, seconds):
    """Records cmd at 999 Hz: (target samples, on_cpu_sample runs and ns, code object line of -v)."""
    work = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    pid = int(work.stdout.readline())
    env = dict(os.environ, AGENTPROF_NO_PYTHON="0" if frames else "1")
    prof = subprocess.Popen([AGENTPROF, "record", "-v", "-F", "999", "-p", str(pid), "-o", tempfile.mkdtemp()],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(seconds)
    progs = json.loads(subprocess.check_output(["bpftool", "-j", "prog", "show"]))
    ids = prog_ids(prof.pid)
    prof.send_signal(signal.SIGINT)
    out, err = prof.communicate(timeout=30)
    work.kill()
    work.wait()
    # this recording's program: other agentprof instances may run beside it
    runs, ns = next(((p.get("run_cnt", 0), p.get("run_time_ns", 0)) for p in progs
                     if p["id"] in ids and p.get("name") == "on_cpu_sample"), (0, 0))
    samples = next((int(l.split(": ")[1].split()[0]) for l in out.splitlines() if l.startswith("Recorded")), 0)
    resolve = next((l.split(": ", 2)[-1] for l in err.splitlines() if "code objects read" in l), "-")
    return samples, runs, ns, resolve


def python_costs(seconds=4):
    """On the same Python target, with Python frames and without (AGENTPROF_NO_PYTHON=1), the cost of
    a sample in the sampling program: its run time less the other processes' ticks (their cost per
    tick measured on an idle target), over the target's samples. Medians of PYTHON_REPS runs."""
    with open("/proc/sys/kernel/bpf_stats_enabled") as f:
        old = f.read().strip()
    runs = {}
    try:
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write("1")
        for _ in range(PYTHON_REPS):
            for what, cmd in PYTHON_TARGETS.items():
                for frames in (False, True):
                    runs.setdefault((what, frames), []).append(record_costs(cmd, frames, seconds))
    finally:
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write(old)
    idle = next(iter(PYTHON_TARGETS))
    other = statistics.median(ns / max(n, 1) for (w, _), v in runs.items() if w == idle for _, n, ns, _ in v)
    rows = [("other processes' ticks", "-", 0, other, "-")]
    for (what, frames), v in runs.items():
        if what == idle:
            continue
        per = statistics.median((ns - (n - s) * other) / max(s, 1) for s, n, ns, _ in v)
        rows.append((what, "yes" if frames else "no", statistics.median(s for s, _, _, _ in v), per, v[-1][3]))
    return rows


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


DEMO = os.path.join(ROOT, "build", "demo-agent")


def own_cost(command, seconds=10):
    """CPU% of one core and peak RSS of agentprof itself on the demo agent (-t 3: 23 threads)."""
    agent = subprocess.Popen([DEMO, "-t", "3", "-d", str(seconds + 15)], stdout=subprocess.PIPE, text=True)
    pid = agent.stdout.readline().split()[-1]
    threads = len(os.listdir("/proc/%s/task" % pid))
    args = {"record": [AGENTPROF, "record", "-p", pid, "-d", str(seconds), "-o", tempfile.mkdtemp()],
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
    total = (usage.ru_utime + usage.ru_stime) / elapsed * 100
    steady = (c1 - c0) / os.sysconf("SC_CLK_TCK") / (t1 - t0) * 100
    return threads, steady, total, usage.ru_maxrss / 1024


def ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return "%s, %d CPUs (%s), kernel %s" % (platform.node(), os.cpu_count(), model, platform.release())


def main():
    if os.geteuid() != 0:
        sys.exit("bench: needs root (BPF, perf)")
    lines = ["# Benchmarks", "",
             "Written by `make bench` (tools/bench/bench.py) on %s, %s." % (machine(), time.strftime("%Y-%m-%d")),
             "The machine is shared and noisy: only ratios measured in the same run are compared.", "",
             "## Target slowdown", "",
             "The workload's own elapsed time with the profiler attached over without, A/B interleaved, "
             "median of %d pairs (all ratios in brackets)." % PAIRS, "",
             "| workload | profiler | slowdown | ratios |", "| --- | --- | --- | --- |"]
    span_cost = None
    with tempfile.TemporaryDirectory() as tmp:
        for wname, args in WORKLOADS.items():
            for pname, fn in profilers(tmp).items():
                med, ratios = slowdowns(args, fn)
                row = "| %s | %s | %+.1f%% | %s |" % (wname, pname, (med - 1) * 100,
                                                     " ".join("%.3f" % r for r in ratios))
                print(row, flush=True)
                lines.append(row)
                if args[0] == "spans" and pname.startswith("agentprof record (99"):
                    base = statistics.median(run_once(args) for _ in range(3))
                    span_cost = (med - 1) * base / SPANS
        cost_sets = [("the context-switch workload", ["switch", "60000"]),
                     ("the TCP loopback ping-pong (every wait a net wait with a peer)", ["tcp1", "60000"]),
                     ("the span workload (%d spans)" % SPANS, ["spans", str(SPANS)])]
        costs = [(what, bpf_program_costs(tmp, args)) for what, args in cost_sets]
        tls_rows = tls_costs(tmp)
    lines += ["", "## Per-program BPF cost", ""]
    for what, (rows, elapsed) in costs:
        lines += ["`run_time_ns / run_cnt` (kernel.bpf_stats_enabled) while recording %s (%.2f s of work)."
                  % (what, elapsed / 1e9), "", "| program | runs | ns per run |", "| --- | --- | --- |"]
        for name, cnt, ns in rows:
            lines.append("| %s | %d | %.0f |" % (name, cnt, ns))
            print("%-28s %10d runs %8.0f ns/run" % (name, cnt, ns))
        if "span" in what:
            hits = sum(cnt for name, cnt, ns in rows if name in ("span_begin", "span_end"))
            lines += ["", "Probe hits per span: %.2f (span_begin + span_end runs / spans)." % (hits / SPANS)]
        lines.append("")
    if tls_rows:
        lines += ["## LLM calls over HTTPS", "",
                  "Uprobe hits and BPF time of the TLS programs per call, while recording each client calling the "
                  "tests' mock LLM API (50 ms a call) for 5 s. Each hit also costs the kernel's uprobe "
                  "machinery (~10 us here), which run_time_ns does not include.", "",
                  "| client | calls | uprobe hits per call | BPF ns per call | hits per call by program |",
                  "| --- | --- | --- | --- | --- |"]
        for name, calls, hits, ns, detail in tls_rows:
            lines.append("| %s | %d | %.1f | %.0f | %s |" % (name, calls, hits, ns, detail))
            print("%s: %d calls, %.1f hits and %.0f BPF ns per call (%s)" % (name, calls, hits, ns, detail))
        lines.append("")
    if span_cost is not None:
        lines += ["Cost per span, from the span workload's slowdown: %.1f us (uprobes cost ~10 us a hit "
                  "in this VM, ~0.3 us on bare metal)." % (span_cost / 1e3), ""]
    lines += ["## Python frames", "",
              "The sampling program's cost per sample of a Python target recorded at 999 Hz for 4 s, with "
              "Python frames and without (`AGENTPROF_NO_PYTHON=1`): its run time less the other "
              "processes' ticks, over the target's samples; medians of %d runs. The off-CPU switch-out "
              "walks the same frames with the same code. Userspace reads each code object once "
              "(`record -v`)." % PYTHON_REPS, "",
              "| target | Python frames | target samples | ns per sample | code objects |",
              "| --- | --- | --- | --- | --- |"]
    for what, frames, samples, ns, resolve in python_costs():
        row = "| %s | %s | %d | %.0f | %s |" % (what, frames, samples, ns, resolve)
        lines.append(row)
        print(row, flush=True)
    lines.append("")
    lines += ["## The profiler's own cost", "",
              "CPU of agentprof in % of one core: steady state (from 3 s in, after loading and attaching) "
              "and over its whole 10 s run; peak RSS. On the demo agent (`-t 3`).", "",
              "| command | target threads | CPU steady | CPU whole run | peak RSS, MB |",
              "| --- | --- | --- | --- | --- |"]
    for command in ("record", "top"):
        threads, steady, total, rss = own_cost(command)
        lines.append("| %s | %d | %.2f%% | %.2f%% | %.1f |" % (command, threads, steady, total, rss))
        print("%s on %d threads: %.2f%% steady, %.2f%% whole, %.1f MB" % (command, threads, steady, total, rss),
              flush=True)
    lines.append("")
    # flame graphs: flamegraph/bench/run.sh times a generated 200k-stack file (and flamegraph.pl on PATH)
    lines += ["## Flame graphs", "", "`flamegraph/bench/run.sh`:", "", "```"]
    fg = subprocess.run(["sh", os.path.join(ROOT, "flamegraph", "bench", "run.sh")], capture_output=True, text=True)
    print(fg.stdout, end="", flush=True)
    lines += fg.stdout.rstrip("\n").split("\n") + ["```", ""]
    os.makedirs(os.path.join(ROOT, "docs"), exist_ok=True)
    with open(os.path.join(ROOT, "docs", "BENCHMARKS.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("bench: wrote docs/BENCHMARKS.md")


main()
