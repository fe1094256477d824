# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Python test workload for the GIL and idle pools: `busy` runs four CPU-bound threads (they take
# turns on the GIL); `idle` parks a four-thread pool and the main thread with nothing to do.
# Prints its PID; runs argv[2] seconds (default 30).
import concurrent.futures
import os
import sys
import threading
import time


def burn(deadline):
    x = 0
    while time.monotonic() < deadline:
        for i in range(10000):
            x += i * i
    return x


def main():
    mode = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 30
    deadline = time.monotonic() + seconds
    if mode == "busy":
        threads = [threading.Thread(target=burn, args=(deadline,)) for _ in range(4)]
        for t in threads:
            t.start()
        print(os.getpid(), flush=True)
        for t in threads:
            t.join()
    elif mode == "idle":
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=4)
        list(pool.map(lambda _: None, range(16)))  # start the workers, then leave them idle
        print(os.getpid(), flush=True)
        threading.Event().wait(seconds)
        pool.shutdown()
    else:
        sys.exit("usage: pyagent.py busy|idle [SECONDS]")


main()
