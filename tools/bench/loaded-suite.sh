#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Runs the integration suite N times in a row (default 5) beside a busy loop on every CPU, and
# prints how many runs passed: the suite must not depend on the machine being quiet.
# Usage: tools/bench/loaded-suite.sh [N] (as root, after make build/test-integration and workloads)
set -u
cd "$(dirname "$0")/../.."
runs=${1:-5}
out=${LOADED_SUITE_LOGS:-/tmp/agentprof-loaded-suite}
mkdir -p "$out"
pids=""
for _ in $(seq "$(nproc)"); do
	sh -c 'while :; do :; done' &
	pids="$pids $!"
done
trap 'kill $pids 2>/dev/null' EXIT INT TERM
passed=0
for i in $(seq "$runs"); do
	if build/test-integration --jobs 1 --verbose >"$out/run$i.log" 2>&1; then
		passed=$((passed + 1))
		echo "run $i: passed ($(grep Synthesis "$out/run$i.log"))"
	else
		echo "run $i: FAILED ($(grep Synthesis "$out/run$i.log")); $out/run$i.log:"
		grep '^\[FAIL\]' "$out/run$i.log"
	fi
done
echo "loaded suite: $passed passed, $((runs - passed)) failed"
[ "$passed" -eq "$runs" ]
