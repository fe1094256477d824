# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The load for asyncagent.py: CONCURRENCY clients (httpx AsyncClient, keep-alive), each posting
# /task again as soon as its last answer came, with a W3C traceparent of its own or ("bare") none.
# `asyncload.py URL CONCURRENCY tp|bare`: prints its PID, runs until killed.
import asyncio
import os
import sys

import httpx

url, concurrency, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]


async def client(c):
    while True:
        headers = {}
        if mode == "tp":
            headers["traceparent"] = "00-%s-%s-01" % (os.urandom(16).hex(), os.urandom(8).hex())
        try:
            await c.post(url, content=b"{}", headers=headers)
        except httpx.HTTPError:
            await asyncio.sleep(0.05)


async def main():
    print(os.getpid(), flush=True)
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency), timeout=30) as c:
        await asyncio.gather(*(client(c) for _ in range(concurrency)))


asyncio.run(main())
