#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Writes a synthetic folded-stacks file for benchmarks: N unique stacks, same bytes for same args.

Stacks are walks down a fixed random call graph (thread roots, C and C++ names of realistic
length, kernel frames with _[k] at the leaves), so they share prefixes like real profiles; counts
are heavy-tailed. Lines come out unsorted, as concatenated or hand-merged inputs do. The default,
200,000 stacks, is about 40 MB.
"""
import argparse
import random
import sys

WORDS = ("alloc buffer cache commit compact decode dispatch drain encode event fetch flush "
         "handle hash index insert lookup merge parse poll process read reap refill render "
         "request resolve schedule scan send serialize sort spawn submit sync task tokenize "
         "update validate visit wait wake write yield").split()
NAMESPACES = ["std", "tokio", "llm", "rt", "db", "http", "json", "agent", "tool", "vec"]


def make_names(rng, n):
    names = []
    for i in range(n):
        a, b = rng.choice(WORDS), rng.choice(WORDS)
        kind = rng.random()
        if kind < 0.4:
            names.append(f"{a}_{b}_{i}")
        elif kind < 0.8:
            ns = rng.choice(NAMESPACES)
            args = "(unsigned long, char const*)" if rng.random() < 0.25 else "()"
            names.append(f"{ns}::{a.capitalize()}::{b}_{i}{args}")
        else:
            names.append(f"lib{a}.so.{i % 7}`{b}_{a}_{i}")
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--stacks", type=int, default=200000, help="unique stacks (default 200000)")
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--diff", action="store_true",
                    help="a second profile of the same program: some counts moved")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    names = make_names(rng, 6000)
    kernel = [f"{rng.choice(WORDS)}_{rng.choice(WORDS)}_{i}_[k]" for i in range(400)]
    callees = [rng.sample(range(len(names)), rng.randint(2, 6)) for _ in names]
    roots = [f"worker-{i}" for i in range(12)] + ["main", "io-uring", "python3"]
    seen = set()
    out = sys.stdout
    # the diff profile walks the same graph with another seed for the counts
    counts = random.Random(args.seed + 1 if args.diff else args.seed)
    while len(seen) < args.stacks:
        frames = [rng.choice(roots)]
        f = rng.randrange(len(names))
        for _ in range(rng.randint(3, 11)):
            frames.append(names[f])
            f = rng.choice(callees[f])
        if rng.random() < 0.3:
            frames += rng.sample(kernel, rng.randint(1, 5))
        stack = ";".join(frames)
        if stack in seen:
            continue
        seen.add(stack)
        count = int(counts.paretovariate(1.2))
        if args.diff and counts.random() < 0.2:
            count *= 3
        out.write(f"{stack} {count}\n")


if __name__ == "__main__":
    main()
