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
build/demo-agent -d $((seconds + 5)) > "$fifo" &
agent=$!
trap 'kill $agent 2>/dev/null || true; rm -f "$fifo"' EXIT INT TERM
read -r _ _ pid < "$fifo"
echo "demo: started demo-agent (PID $pid): a CPU-bound tool runner, an LLM client waiting on a slow"
echo "      local LLM server, cache workers contending on a lock, a disk writer and an idle worker."
echo "demo: running: build/agentprof record -p $pid -d $seconds -o $out"
echo
rm -rf "$out"
build/agentprof record -p "$pid" -d "$seconds" -o "$out"
cat <<MSG

demo: results are in $out/:
  $out/cpu.folded    on-CPU stacks, one line per stack: thread;caller;...;function count
                     (root first; frames ending in _[k] are kernel code)
  $out/report.json   samples, duration, drops, per-thread samples and the hottest functions
  Try: sort -t' ' -k2 -nr $out/cpu.folded | head
  A flame graph: flamegraph.pl $out/cpu.folded > cpu.svg (if you have FlameGraph on PATH)
MSG
