#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# agentprof record and top under valgrind (memcheck, full leak check) against test workloads, as
# root with real BPF: any error or leak in our code fails. Run after make; run.sh [OUT].
# shim.c stands in for what valgrind 3.19 does not know (pidfd_open, bpf batch lookups);
# agentprof.supp holds what is valgrind's or libbpf's, not ours.
set -eu
out=${1:-build}
dir=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/agentprof-valgrind-XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
cc -std=gnu11 -O1 -Wall -Wextra -Werror -shared -fPIC "$dir/shim.c" -o "$tmp/shim.so" -ldl

# Starts a workload, for long enough to outlive agentprof's slow start under valgrind.
start() {
	"$out/workloads/$1" 600 >"$tmp/$1.pid" &
	while ! [ -s "$tmp/$1.pid" ]; do sleep 0.1; done
	pid=$(head -n 1 "$tmp/$1.pid" | tr -dc 0-9)
}

vg() {
	echo "valgrind: agentprof $*"
	LD_PRELOAD="$tmp/shim.so" valgrind -q --suppressions="$dir/agentprof.supp" --leak-check=full \
		--show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible \
		--error-exitcode=1 "$out/agentprof" "$@" >"$tmp/out" 2>"$tmp/err" || {
		grep -v 'WARNING: unhandled eBPF command' "$tmp/err" >&2
		echo "valgrind: agentprof $* failed" >&2
		exit 1
	}
}

for w in hot8020 waits; do
	start "$w"
	vg record -p "$pid" -d 2 -o "$tmp/rec-$w"
	vg top -p "$pid" --json -i 1 -n 2
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
done
echo "valgrind: no errors, no leaks"
