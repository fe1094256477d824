#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# `make demo`: starts the bundled demo agent, profiles it for 10 seconds and says how to read the results.
set -eu
cd "$(dirname "$0")/../.."
out=${DEMO_OUT:-demo-out}
seconds=${DEMO_SECONDS:-10}

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: agentprof loads BPF programs: run 'sudo make demo'" >&2
	exit 1
fi
fifo=$(mktemp -u /tmp/agentprof-demo.XXXXXX)
mkfifo "$fifo"
build/demo-agent -d $((seconds + 10)) > "$fifo" &
agent=$!
trap 'kill $agent 2>/dev/null || true; rm -f "$fifo"' EXIT INT TERM
read -r _ _ pid < "$fifo"
echo "demo: started demo-agent (PID $pid): a CPU-bound tool runner, an LLM client waiting on a slow"
echo "      local LLM server, cache workers contending on a lock, a disk writer and an idle worker."
echo "demo: running: build/agentprof record -p $pid -d $seconds -o $out"
echo
rm -rf "$out"
build/agentprof record -p "$pid" -d "$seconds" -o "$out"
echo
echo "demo: now the live view for 3 seconds: build/agentprof top -p $pid (q quits)"
sleep 2
build/agentprof top -p "$pid" -i 1 -n 3
echo
echo "demo: and a Python agent marking spans with sdk/python/agentprof_span.py (tools/demo/agent.py);"
echo "      its stacks show its Python functions, e.g. plan (agent.py:42) thinking on CPU:"
python3=/usr/bin/python3
[ -x "$python3" ] || python3=python3
fifo2=$(mktemp -u /tmp/agentprof-demo.XXXXXX)
mkfifo "$fifo2"
"$python3" tools/demo/agent.py 12 > "$fifo2" &
pyagent=$!
trap 'kill $agent $pyagent 2>/dev/null || true; rm -f "$fifo" "$fifo2"' EXIT INT TERM
read -r pypid < "$fifo2"
echo "demo: running: build/agentprof record -p $pypid -d 5 -o $out-python"
rm -rf "$out-python"
build/agentprof record -p "$pypid" -d 5 -o "$out-python"
echo
echo "demo: its hottest Python stack on CPU ($out-python/cpu.folded; cpu.svg draws them all):"
awk '$NF > max { max = $NF; line = $0 } END { print line }' "$out-python/cpu.folded" |
	sed 's/;_start;.*;PyEval_EvalCode;/;...;/'
cat <<MSG

demo: the recordings are in $out/ and $out-python/:
  $out/cpu.svg        flame graph of the on-CPU samples (open it in a browser: click to zoom, Ctrl-F)
  $out/offcpu.svg     flame graph of the time off CPU, one colour per wait reason
  $out/cpu.folded     the same stacks as text: thread;root;...;function samples (_[k]: kernel)
  $out/offcpu.folded  thread;[reason];root;...;function microseconds
  $out/report.json    per process, thread, span name and trace: wall time by category, class, verdict
  $out/spans.jsonl    one line per span: trace id, span id, duration, breakdown, class
  $out/cpu.pb.gz      pprof (go tool pprof, Pyroscope, Parca); *.speedscope.json for speedscope
  $out-python/        the same for the Python agent, its frames named qualname (file.py:line)
MSG
