#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Checks that includes run only down the stages of user/, and that flamegraph/ and bpf/ stand alone.

The stages, lowest first: a file of a stage may include its own stage's headers and those of the
stages before it, never one after it. No header may reach itself through its includes (no circle). Prints every include that runs the
wrong way; exit 1 if any.
"""
import os
import re
import sys

STAGES = ['base', 'target', 'classify', 'python', 'ruby', 'node', 'model', 'symbols', 'report', 'compare', 'capture', 'cmd']
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def includes(path):
    with open(path, encoding='utf-8') as f:
        for m in INCLUDE.finditer(f.read()):
            yield m.group(1)


def sources(top):
    for d, _, files in os.walk(top):
        for f in sorted(files):
            if f.endswith(('.c', '.h')):
                yield os.path.join(d, f)


def circles(graph):
    """Each include circle once, as the list of files around it."""
    found, state = [], {}

    def walk(node, path):
        state[node] = 'open'
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 'open':
                found.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                walk(nxt, path + [nxt])
        state[node] = 'done'

    for node in sorted(graph):
        if node not in state:
            walk(node, [node])
    return found


def main():
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
    wrong = []
    rank = {s: i for i, s in enumerate(STAGES)}
    for st in sorted(os.listdir('user')):
        if st not in rank:
            wrong.append(f'user/{st}/: a folder that is no stage (tools/check-layers.py lists them)')
            continue
        for path in sources(f'user/{st}'):
            for inc in includes(path):
                dep = inc.split('/')[0] if '/' in inc else None
                if dep in rank and rank[dep] > rank[st]:
                    wrong.append(f'{path}: includes {inc}, a stage above {st}/')
                elif dep is None and os.path.exists(os.path.join('user', inc)):
                    wrong.append(f'{path}: includes {inc} without its stage')
    graph = {}
    for path in sources('user'):
        graph[path] = [os.path.join('user', inc) for inc in includes(path)
                       if os.path.exists(os.path.join('user', inc))]
    for circle in circles(graph):
        wrong.append('an include circle: ' + ' -> '.join(circle))
    for top in ('flamegraph', 'bpf'):
        for path in sources(top):
            for inc in includes(path):
                if inc.split('/')[0] in rank:
                    wrong.append(f'{path}: includes {inc}: {top}/ needs nothing of user/')
    for w in wrong:
        print('layers:', w)
    if wrong:
        return 1
    print(f'layers: {len(STAGES)} stages, every include runs down, no circle')
    return 0


if __name__ == '__main__':
    sys.exit(main())
