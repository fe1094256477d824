# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Test workload for --memory in Python: ConversationStore.append grows a history of small
objects (kept forever, in pymalloc's arenas) while churn() builds tool results of the same size
in all (256 KiB strings, from the C heap) and drops them, in turns. Prints its PID; runs argv[1]
seconds (default 30). argv[2]: rounds a second (default 4).

The churn is of large objects on purpose: the kernel sees memory that goes back to it, or that
its allocator reuses for the same kind of object. Small objects freed and reused by another
function's small objects are invisible to the kernel (pymalloc's free pools): there, the first
function to touch the pages is charged (see user/model/memledger.h)."""
import os
import sys
import time

PER_ROUND = 10000  # messages per round: about 2 MB of small objects (pymalloc's arenas)
RESULTS = 8  # tool results per round, 256 KiB each: the same 2 MB


class ConversationStore:
    def __init__(self):
        self.messages = []

    def append(self, n):
        for i in range(n):
            self.messages.append(("user", "x" * 100 + str(i)))


def churn(n):
    scratch = ["y" * (256 << 10) + str(i) for i in range(n)]
    return len(scratch)  # dropped here: every result freed


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30
    rounds = float(sys.argv[2]) if len(sys.argv) > 2 else 4
    store = ConversationStore()
    print(os.getpid(), flush=True)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        churn(RESULTS)
        store.append(PER_ROUND)
        time.sleep(1 / rounds)


main()
