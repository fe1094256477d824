#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Runs one fuzz harness: run.sh BINARY SEEDS WORKDIR SECONDS. libFuzzer first runs every seed (the
# committed corpus, read-only) and what earlier runs kept in WORKDIR/corpus, then mutates for the
# rest of SECONDS. New inputs go to WORKDIR/corpus, crashes to WORKDIR/crash-*; the log to
# WORKDIR/log, of which one summary line is printed, or the end when the harness failed.
set -eu
bin=$1 seeds=$2 work=$3 seconds=$4
name=$(basename "$bin")
mkdir -p "$work/corpus"
if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$work/" "$work/corpus" "$seeds" >"$work/log" 2>&1; then
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log")
	cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$work/log" | tail -n 1)
	printf '  %-8s %s: %s runs in %ss, %s/s, %s\n' FUZZ "$name" "$runs" "$seconds" "$speed" "$cov"
else
	tail -n 60 "$work/log" >&2
	echo "fuzz: $name failed: input in $work/, whole log in $work/log" >&2
	exit 1
fi
