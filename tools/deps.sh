#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Installs the Debian packages agentprof builds with (`deps.sh`), tests with (`deps.sh test`) or
# benchmarks with (`deps.sh bench`): only those missing, quietly, idempotently. What cannot be
# installed is named in one line and the exit is non-zero: no test may skip for a missing package.
set -eu
case "${1:-}" in
"")
	pkgs="make gcc clang llvm pkg-config bpftool libbpf-dev libelf-dev zlib1g-dev libjansson-dev
	      libiberty-dev systemtap-sdt-dev libmicrohttpd-dev libdw-dev libcurl4-openssl-dev" ;;
# Criterion; strip/objcopy for the ELF fixtures; Debian's python3 (the GIL, Python frames) and its
# headers (the CPython offsets are checked against them); ruby3.1 and its libruby (Ruby frames, the
# GVL; its offsets are measured in it); node (V8 frames, TLS in a binary);
# setpriv/unshare; capsh (the minimal capabilities); xmllint and headless Chromium for the flame
# graph SVG; clang's libFuzzer runtime; jsonschema for speedscope files; PyYAML for the DaemonSet;
# curl and openssl (an HTTPS client, the mock LLM API's certificate) for the TLS tests; golang-go
# (go tool pprof reads the pprof files) and prometheus (promtool lints the metrics, a real server
# scrapes top); e2fsprogs (mkfs.ext4: a filesystem the outdir tests freeze) and passwd (useradd: a
# second user, whose directory they write into); protoc and python3-protobuf decode what the OTLP
# export sends against the official schema (tests/otlp/); aiohttp and httpx make the asyncio agent,
# its load and its mock LLM API (tests/integration/test_async.c); cargo, rustc and the crates of
# tokio, hyper and reqwest (native-tls: OpenSSL) build the tokio agent of the same tests offline.
test)
	pkgs="libcriterion-dev binutils python3 libpython3.11-dev ruby3.1 libruby3.1 nodejs util-linux libcap2-bin
	      libxml2-utils chromium python3-jsonschema python3-yaml libclang-rt-14-dev curl openssl
	      golang-go prometheus e2fsprogs passwd protobuf-compiler python3-protobuf
	      python3-aiohttp python3-httpx cargo rustc librust-tokio-dev librust-hyper-dev librust-reqwest-dev
	      librust-libc-dev" ;;
# the bench's peers, side by side with agentprof: perf, bpftrace, libbpf-tools (offcputime)
bench)
	pkgs="linux-perf bpftrace libbpf-tools" ;;
*)
	echo "deps: usage: deps.sh [test|bench]" >&2
	exit 2 ;;
esac

missing() {
	out=""
	for p in $pkgs; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || out="$out $p"
	done
	echo "$out"
}

todo=$(missing)
[ -z "$todo" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages:$todo (run 'make deps' and 'make deps-test' as root)" >&2
	exit 1
fi
echo "deps: installing$todo"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# A fresh machine has no package lists yet; refresh them once, only when the install needs it.
if ! apt-get install -y -qq --no-install-recommends $todo >"$log" 2>&1; then
	apt-get update -qq >"$log" 2>&1 || true
	apt-get install -y -qq --no-install-recommends $todo >"$log" 2>&1 || true
fi
left=$(missing)
if [ -n "$left" ]; then
	why=$(grep -E '^(E|W): ' "$log" | head -1)
	case "${1:-}" in test) who="the tests need" ;; bench) who="the bench needs" ;; *) who="the build needs" ;; esac
	echo "deps: could not install:$left (${why:-apt-get failed}); $who them" >&2
	exit 1
fi
