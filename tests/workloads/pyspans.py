# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Python test workload for the span SDK: a loop of root spans "cpu" (burns ~20 ms of CPU) and
# "sleep" (time.sleep 20 ms). Prints its PID; runs argv[1] seconds (default 30).
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "sdk", "python"))
import agentprof_span  # noqa: E402


@agentprof_span.span("cpu")
def burn():
    deadline = time.thread_time() + 0.02
    x = 0
    while time.thread_time() < deadline:
        for i in range(1000):
            x += i * i
    return x


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30
    end = time.monotonic() + seconds
    print(os.getpid(), flush=True)
    while time.monotonic() < end:
        burn()
        with agentprof_span.span("sleep"):
            time.sleep(0.02)


main()
