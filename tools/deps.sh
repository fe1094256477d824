#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Installs the Debian packages agentprof builds with (`deps.sh`) or tests with (`deps.sh test`):
# only those missing, quietly, idempotently.
set -eu
pkgs="make gcc clang llvm pkg-config bpftool libbpf-dev libelf-dev zlib1g-dev libjansson-dev
      libiberty-dev systemtap-sdt-dev libmicrohttpd-dev libdw-dev"
# the tests: Criterion, strip/objcopy for the ELF fixtures, Debian's python3 (the GIL, Python frames)
# and its headers (the CPython offsets are checked against them), setpriv/unshare, capsh (the
# minimal capabilities), xmllint and headless Chromium for the flame graph SVG, clang's libFuzzer
# runtime, jsonschema for speedscope files, PyYAML for the DaemonSet, curl and openssl (an HTTPS
# client, and the mock LLM API's certificate) for the TLS tests.
# Optional, large, and skipped with a reason when missing: golang-go (go tool pprof reads the
# pprof files) and prometheus (promtool lints the metrics, a real server scrapes top).
[ "${1:-}" = test ] && pkgs="libcriterion-dev binutils python3 libpython3.11-dev util-linux libcap2-bin libxml2-utils
      chromium python3-jsonschema python3-yaml libclang-rt-14-dev curl openssl"
# the bench's peers, side by side with agentprof: perf, bpftrace, libbpf-tools (offcputime)
[ "${1:-}" = bench ] && pkgs="linux-perf bpftrace libbpf-tools"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages:$missing (run 'make deps' as root)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; refresh them once, only when the install needs it.
if ! apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1; then
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
