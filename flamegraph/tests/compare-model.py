#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Checks build/flamegraph against a model of flamegraph.pl: same frames, same counts.

flamegraph.pl is not packaged for Debian, so this models what it does, written from its behaviour:
each line is matched by /^(.*)\\s+?(\\d+(?:\\.\\d*)?)$/ (and the stack part again for a second
count column); --reverse rebuilds each line leaf first; the lines are sorted as byte strings; a
frame stays open while consecutive lines share it (same name, same depth, from the root) and its
count is the time between opening and closing, recorded under "name;depth;end" as flamegraph.pl
keys it; frames narrower than 0.1 pixel of 1180 are dropped. Then every frame wider than 0.1% of
the total must be in the SVG with the same depth, start and count, and nothing else that wide.
One difference is intended and counted: when a zero-width frame (from a zero count, as
difffolded.pl writes for vanished stacks) ends with the same name, depth and end time as an
earlier frame, flamegraph.pl's key collides and the earlier frame is lost; here it is drawn.

Inputs: random lines built to hit the corners (names that are prefixes of siblings, spaces and
digits in names, empty fields, decimals, differential columns, malformed lines), and any files
given on the command line. Ends with "model: N passed, N failed".
"""
import argparse
import html
import os
import random
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LINE = re.compile(rb"^(.*)\s+?(\d+(?:\.\d*)?)$", re.S)
ANNOTATION = re.compile(r"_\[[kwij]\]$")


def perl_split(stack):
    fields = stack.split(b";")
    while fields and fields[-1] == b"":
        fields.pop()
    return fields


def match(line):
    # Perl's $ also matches before a final "\n", which a chomped line no longer has
    m = LINE.match(line)
    return (m.group(1), m.group(2)) if m and not m.group(2).endswith(b"\n") else (None, None)


def model(data, reverse=False):
    lines = data.split(b"\n")
    if data.endswith(b"\n"):
        lines.pop()
    if reverse:
        rebuilt = []
        for line in lines:
            stack, c = match(line)
            if stack is None:
                rebuilt.append(b" ")
                continue
            s2, c1 = match(stack)
            if s2 is not None:
                rebuilt.append(b";".join(reversed(perl_split(s2))) + b" " + c1 + b" " + c)
            else:
                rebuilt.append(b";".join(reversed(perl_split(stack))) + b" " + c)
        lines = rebuilt
    nodes, opened, time, lost = {}, [], 0.0, []

    def close(name, depth, start):
        key = (name, depth, "%.15g" % time)
        if key in nodes:
            # flamegraph.pl's %Node: a zero-width frame ending when an earlier one of the same name
            # and depth ended replaces it, and the earlier frame is lost. Here it is drawn.
            lost.append((depth, nodes[key], float(key[2]) - nodes[key], name))
        nodes[key] = start

    for line in sorted(lines):
        stack, c = match(line)
        if stack is None:
            continue
        width = float(c)
        s2, _ = match(stack)
        if s2 is not None:
            stack = s2
        frames = [b""] + perl_split(stack)
        same = 0
        while same < len(opened) and same < len(frames) and opened[same][0] == frames[same]:
            same += 1
        while len(opened) > same:
            name, start = opened.pop()
            close(name, len(opened), start)
        for name in frames[same:]:
            opened.append((name, time))
        time += width
    while opened:
        name, start = opened.pop()
        close(name, len(opened), start)
    out = []
    for (name, depth, end), start in nodes.items():
        out.append((depth, start, float(end) - start, name))
    return out, lost, time


def ours(flamegraph, data, reverse):
    args = [flamegraph] + (["--reverse"] if reverse else [])
    svg = subprocess.run(args, input=data, capture_output=True, check=False).stdout.decode()
    height = int(re.search(r'<svg [^>]*height="(\d+)"', svg).group(1)) if "<g id=" in svg else 0
    frames = []
    for m in re.finditer(r'<g><title>(.*?)</title><rect x="[^"]*" y="([^"]*)"[^>]*'
                         r'fg:x="([^"]*)" fg:w="([^"]*)"', svg):
        title, y, fx, fw = m.groups()
        depth = round((height - 34 + 1 - float(y)) / 16) - 1
        frames.append((depth, float(fx), float(fw), html.unescape(title[:title.rindex(" (")])))
    return frames


def shown(name, depth):
    if depth == 0:
        return "all"
    return ANNOTATION.sub("", name.decode("utf-8"))


def compare(flamegraph, data, reverse):
    want, lost, total = model(data, reverse)
    if not total:
        return [], 0
    wide = 0.001 * total
    want += lost
    expect = sorted((d, round(s, 6), round(c, 6), shown(n, d)) for d, s, c, n in want if c > wide)
    got = sorted((d, round(s, 6), round(c, 6), n) for d, s, c, n in ours(flamegraph, data, reverse)
                 if c > wide)
    problems = []
    if expect != got:
        missing = sorted(set(expect) - set(got))[:5]
        extra = sorted(set(got) - set(expect))[:5]
        problems.append(f"{len(expect)} frames expected, {len(got)} drawn; "
                        f"missing {missing}, unexpected {extra}")
    return problems, sum(1 for f in lost if f[2] > wide)


def random_input(rng):
    names = ["f", "f.cold", "f2", "f 2", "g", "G", "a_[k]", "x&y", "<t>", "", "9", "f;", "b  c"]
    lines = []
    for _ in range(rng.randint(1, 60)):
        r = rng.random()
        if r < 0.05:
            lines.append(rng.choice(["junk", "", "x -1", "y 1e3", "z .5", "w 0x1f"]))
            continue
        frames = [rng.choice(names) for _ in range(rng.randint(0, 6))]
        stack = ";".join(frames) + rng.choice(["", "", "", " ", ";"])
        count = rng.choice([str(rng.randint(0, 50)), f"{rng.random() * 20:.3f}", "7.", "0"])
        if r < 0.15:
            count = f"{rng.randint(0, 30)} {count}"	# a differential line
        lines.append(f"{stack}{rng.choice([' ', chr(9)])}{count}")
    return ("\n".join(lines) + rng.choice(["\n", ""])).encode()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--flamegraph", default=os.path.join(ROOT, "build", "flamegraph"))
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    cases = [(f"random #{i}", random_input(rng)) for i in range(args.cases)]
    cases += [(path, open(path, "rb").read()) for path in args.files]
    passed = failed = collisions = 0
    for name, data in cases:
        for reverse in (False, True):
            problems, n = compare(args.flamegraph, data, reverse)
            collisions += n
            if problems:
                failed += 1
                print(f"FAIL {name}{' --reverse' if reverse else ''}: {problems[0]}")
                if failed == 1 and len(data) < 2000:
                    print(data.decode(errors="replace"))
            else:
                passed += 1
    if collisions:
        print(f"note: {collisions} frames wider than 0.1% that flamegraph.pl loses to its name;depth;end "
              "key (zero-count lines) are drawn here")
    print(f"model: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
