# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Python test workload for Python frames: the main thread runs main -> outer -> middle, which spends
# 70% of its CPU time in hot_a and 30% in hot_b (by thread CPU time, in rounds of 17.3 ms: no
# multiple of the 99 Hz sampling period). A thread named "napper" sleeps in nap(), 20 ms at a time;
# one named "dozer" sleeps in doze() from before the PID is printed to the end. `deep` adds 100
# frames of recursion under outer (more than the 64 walked). Prints its PID; runs argv[1] seconds
# (default 30).
import ctypes
import os
import sys
import threading
import time

SHARE_A = 0.7
ROUND = 0.0173


def spin(until):
    x = 0
    while time.thread_time() < until:
        for i in range(200):
            x += i * i
    return x


def hot_a(seconds):
    return spin(time.thread_time() + seconds)


def hot_b(seconds):
    return spin(time.thread_time() + seconds)


def middle(deadline):
    while time.monotonic() < deadline:
        hot_a(ROUND * SHARE_A)
        hot_b(ROUND * (1 - SHARE_A))


def recurse(n, deadline):
    if n:
        return recurse(n - 1, deadline)
    return middle(deadline)


def outer(deadline, deep):
    if deep:
        return recurse(100, deadline)
    return middle(deadline)


def nap(deadline):
    ctypes.CDLL(None).prctl(15, b"napper")  # PR_SET_NAME: tell its samples from the main thread's
    while time.monotonic() < deadline:
        time.sleep(0.02)


def doze(seconds):
    ctypes.CDLL(None).prctl(15, b"dozer")
    time.sleep(seconds)


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30
    deep = len(sys.argv) > 2 and sys.argv[2] == "deep"
    deadline = time.monotonic() + seconds
    napper = threading.Thread(target=nap, args=(deadline,), name="napper", daemon=True)
    napper.start()
    dozer = threading.Thread(target=doze, args=(seconds,), name="dozer", daemon=True)
    dozer.start()
    time.sleep(0.1)  # the dozer asleep before anyone records
    print(os.getpid(), flush=True)
    outer(deadline, deep)


main()
