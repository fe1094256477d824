#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# What can be checked of tools/container/ without Docker or Kubernetes: the runtime stage installs
# exactly the packages of the libraries `ldd BINARY` lists (libc6 is in the base image), and the
# DaemonSet parses, runs with hostPID and mounts what agentprof reads.
set -eu
bin=${1:-build/agentprof}
here=$(dirname "$0")

want=$(sed -n 's/^ARG RUNTIME_PACKAGES="\(.*\)"$/\1/p' "$here/Dockerfile" | tr ' ' '\n' | sort -u)
[ -n "$want" ] || { echo "container: no ARG RUNTIME_PACKAGES in $here/Dockerfile" >&2; exit 1; }
# the package of each library, by the path ldd resolved (dpkg may know it with or without /usr)
have=$(ldd "$bin" | awk '/=> \//{print $3}' | while read -r lib; do
	for p in "$lib" "$(realpath "$lib")" "/usr$lib"; do
		pkg=$(dpkg -S "$p" 2>/dev/null | head -1 | cut -d: -f1) && [ -n "$pkg" ] && { echo "$pkg"; break; }
	done || { echo "container: no Debian package holds $lib" >&2; echo "?$lib"; }
done | grep -vx libc6 | sort -u)
if [ "$want" != "$have" ]; then
	echo "container: the runtime stage's packages differ from what ldd $bin needs:" >&2
	printf '%s\n' "$want" > /tmp/agentprof-want.$$
	printf '%s\n' "$have" | diff /tmp/agentprof-want.$$ - | sed -n 's/^[<>]/  &/p' >&2 || true
	rm -f /tmp/agentprof-want.$$
	exit 1
fi

/usr/bin/python3 - "$here/daemonset.yaml" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
ds = next(d for d in docs if d["kind"] == "DaemonSet")
spec = ds["spec"]["template"]["spec"]
assert spec["hostPID"] is True, "hostPID"
c = spec["containers"][0]
mounts = {m["mountPath"] for m in c["volumeMounts"]}
paths = {v["name"]: v["hostPath"]["path"] for v in spec["volumes"]}
for need in ["/sys/kernel/tracing", "/sys/kernel/debug", "/sys/fs/bpf", "/sys/fs/cgroup", "/proc"]:
    assert need in paths.values(), "no hostPath volume of " + need
for m in c["volumeMounts"]:
    assert m["name"] in paths, "mount of an undefined volume " + m["name"]
caps = set(c["securityContext"]["capabilities"]["add"])
assert caps == {"BPF", "PERFMON", "SYS_PTRACE", "SYSLOG"}, caps
assert ds["spec"]["selector"]["matchLabels"].items() <= ds["spec"]["template"]["metadata"]["labels"].items()
PY
echo "container: runtime packages match ldd ($(echo "$have" | wc -l) packages), daemonset.yaml parses"
