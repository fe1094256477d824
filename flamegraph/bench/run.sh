#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Times build/flamegraph on a generated 200k-unique-stack (~40 MB) folded file: best wall time of
# 3 runs and peak RSS (GNU time, Debian package time), plain, --reverse and --diff, against two
# baselines measured in the same run: `LC_ALL=C sort` of the input (flamegraph.pl's merge needs
# the input sorted, so no renderer beats it by much) and flamegraph.pl when it is on PATH.
# Fails when the plain render needs more than 200 MB. STACKS=N for another size.
set -eu
cd "$(dirname "$0")/../.."
fg=${FLAMEGRAPH:-build/flamegraph}
stacks=${STACKS:-200000}
rss_budget_mb=200

if [ ! -x /usr/bin/time ]; then
	echo "SKIP: /usr/bin/time missing (Debian package time)"
	exit 0
fi
if [ ! -x "$fg" ]; then
	echo "bench: $fg missing: make -f Makefile -f flamegraph/flamegraph.mk build/flamegraph" >&2
	exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
python3 flamegraph/bench/gen-folded.py --stacks "$stacks" > "$work/before.folded"
python3 flamegraph/bench/gen-folded.py --stacks "$stacks" --diff > "$work/after.folded"

# measure LABEL CMD...: best of 3 wall times; sets best (s) and rss (MB) and prints a line
measure() {
	label=$1
	shift
	best=
	rss=0
	for _ in 1 2 3; do
		/usr/bin/time -v -o "$work/time" "$@" > "$work/out" 2> "$work/err" || {
			echo "bench: $label failed:" >&2
			cat "$work/err" >&2
			exit 1
		}
		t=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time" |
			awk -F: '{ print (NF == 3 ? $1 * 3600 + $2 * 60 + $3 : $1 * 60 + $2) }')
		r=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time")
		best=$(awk -v a="$t" -v b="${best:-$t}" 'BEGIN { print (a < b ? a : b) }')
		rss=$(awk -v a="$r" -v b="$rss" 'BEGIN { print (a / 1024 > b ? a / 1024 : b) }')
	done
	out=$(awk -v s="$(wc -c < "$work/out")" 'BEGIN { printf "%.1f MB", s / 1e6 }')
	frames=$(grep -c '^<g><title>' "$work/out" || true)
	printf '%-24s %6.2f s  %6.1f MB peak RSS  (%s out, %s frames)\n' "$label" "$best" "$rss" "$out" "$frames"
}

printf 'input: %s stacks, %s\n' "$stacks" \
	"$(awk -v s="$(wc -c < "$work/before.folded")" 'BEGIN { printf "%.1f MB", s / 1e6 }')"
measure "sort (baseline)" env LC_ALL=C sort "$work/before.folded"
sort_s=$best
measure "flamegraph" "$fg" "$work/before.folded"
fg_s=$best
fg_rss=$rss
measure "flamegraph --reverse" "$fg" --reverse "$work/before.folded"
measure "flamegraph --diff" "$fg" --diff "$work/before.folded" "$work/after.folded"
awk -v a="$fg_s" -v b="$sort_s" 'BEGIN { printf "flamegraph / sort: %.1fx\n", (b > 0 ? a / b : 0) }'
if command -v flamegraph.pl > /dev/null; then
	measure "flamegraph.pl" flamegraph.pl "$work/before.folded"
	awk -v a="$fg_s" -v b="$best" 'BEGIN { printf "flamegraph / flamegraph.pl: %.2fx\n", (b > 0 ? a / b : 0) }'
else
	echo "flamegraph.pl: not on PATH, no comparison"
fi
if awk -v r="$fg_rss" -v b="$rss_budget_mb" 'BEGIN { exit !(r > b) }'; then
	echo "bench: peak RSS ${fg_rss} MB is over the ${rss_budget_mb} MB budget" >&2
	exit 1
fi
