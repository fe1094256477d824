# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Hostile HTTP traffic against an asyncio server (Debian's python3-aiohttp), for agentprof's HTTP
# capture: nothing here knows agentprof.
#
# `httpfaults.py server PORT_FILE`: the recorded process. One event loop serves
#   GET /ok                 "ok"
#   GET /held               answers only once GET /release has come (requests in flight at once)
#   GET /release            lets every /held go
#   GET /upstream?to=P&path=X  calls 127.0.0.1:P X (a plain client, no traceparent, 1 s timeout),
#                           then answers with what came of it
# It writes its port to PORT_FILE, prints its PID and serves until killed.
#
# `httpfaults.py client PORT HELD DONE`: the faults, in order, then creates the file DONE and
# sleeps (its idle connections closed by then). It prints one line per check:
#   "split TRACE"   a request whose headers came over many reads, a few bytes at a time after
#                   its request line and traceparent
#   "cutline TRACE" the same with its request line in pieces too (read as no request at all)
#   "hang TRACE"    a request whose call upstream never got an answer (the upstream holds it)
#   "cut TRACE"     a request whose call upstream was cut mid-stream (chunked, no last chunk)
#   "held N"        N connections each sent GET /held, all in flight at once, then answered; they
#                   stay open, idle (keep-alive): the client creates DONE.idle and waits (30 s at
#                   most) for it to be removed, then closes them
# and sends malformed and truncated requests in between that must make no span.
import asyncio
import logging
import os
import resource
import socket
import sys
import time


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def traceparent():
    trace = os.urandom(16).hex()
    return trace, "00-%s-%s-01" % (trace, os.urandom(8).hex())


def serve(port_file):
    from aiohttp import web

    release = asyncio.Event()

    async def ok(request):
        return web.Response(text="ok")

    async def held(request):
        await release.wait()
        return web.Response(text="held")

    async def let_go(request):
        release.set()
        return web.Response(text="released")

    async def upstream(request):
        port, path = int(request.query["to"]), request.query["path"]
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError as e:
            return web.Response(status=502, text=str(e))
        writer.write(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % (path, port)).encode())
        got = b""
        try:
            async with asyncio.timeout(1):
                while True:
                    b = await reader.read(4096)
                    if not b:
                        break
                    got += b
        except (asyncio.TimeoutError, ConnectionError):
            pass
        writer.close()
        return web.Response(status=504 if not got else 200, text="%d bytes" % len(got))

    async def main():
        app = web.Application()
        app.router.add_get("/ok", ok)
        app.router.add_get("/held", held)
        app.router.add_get("/release", let_go)
        app.router.add_get("/upstream", upstream)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=16384)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        with open(port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.rename(port_file + ".tmp", port_file)
        print(os.getpid(), flush=True)
        await asyncio.Event().wait()

    raise_fd_limit()
    logging.getLogger("aiohttp").setLevel(logging.CRITICAL)	# a 400 for each bad request is expected
    asyncio.run(main())


async def exchange(port, data, read=True):
    """Sends data (a list of parts: each its own write, a pause between) and reads until closed or 2 s."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for part in data:
        writer.write(part)
        await writer.drain()
        await asyncio.sleep(0.02)
    got = b""
    if read:
        try:
            got = await asyncio.wait_for(reader.read(65536), 2)
        except asyncio.TimeoutError:
            pass
    writer.close()
    return got


async def upstreams():
    """An upstream that never answers (/never) and one that cuts a chunked answer short (/cut)."""

    async def handle(reader, writer):
        line = await reader.readline()
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        if b"/cut" in line:
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
            await writer.drain()
            await asyncio.sleep(0.1)
            writer.transport.abort()
            return
        await asyncio.sleep(3600)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def request(path, tp=None, close=False):
    head = "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n" % path
    if tp:
        head += "traceparent: %s\r\n" % tp
    if close:
        head += "Connection: close\r\n"
    return (head + "\r\n").encode()


async def client(port, n_held, done):
    _, up = await upstreams()
    # malformed and truncated: none of these is a request
    for bad in ([b"GARBAGE\r\n\r\n"], [b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + os.urandom(32)],
                [b"GET\r\n\r\n"], [b"GET /ok HTTP/1.1\r\nHost: 127.0"], [b"\r\n\r\n"], [os.urandom(300)]):
        await exchange(port, bad)
    # a request's headers over many reads: its line and traceparent in the first, the rest a few
    # bytes at a time (no piece of it is a request of its own)
    trace, tp = traceparent()
    whole = request("/ok", tp, close=True)
    first = whole.index(b"\r\n", whole.index(b"traceparent")) + 2
    await exchange(port, [whole[:first]] + [whole[i:i + 7] for i in range(first, len(whole), 7)])
    print("split", trace, flush=True)
    # a request line cut in pieces: not read as a request (no span), nor as anything else
    trace, tp = traceparent()
    whole = request("/ok", tp, close=True)
    await exchange(port, [whole[i:i + 7] for i in range(0, len(whole), 7)])
    print("cutline", trace, flush=True)
    # a call upstream that never gets its answer, and one cut mid-stream
    for check, path in (("hang", "/never"), ("cut", "/cut")):
        trace, tp = traceparent()
        await exchange(port, [request("/upstream?to=%d&path=%s" % (up, path), tp, close=True)])
        print(check, trace, flush=True)
    # many requests in flight at once, then many idle keep-alive connections
    conns = []
    for i in range(n_held):
        for attempt in range(50):
            try:
                conns.append(await asyncio.open_connection("127.0.0.1", port))
                break
            except OSError:
                await asyncio.sleep(0.05)
        conns[-1][1].write(request("/held"))
    await asyncio.gather(*(w.drain() for _, w in conns))
    await asyncio.sleep(2)
    await exchange(port, [request("/release", close=True)])
    answered = 0
    for r, _ in conns:
        got = b""
        try:
            while b"held" not in got:
                b = await asyncio.wait_for(r.read(4096), 30)
                if not b:
                    break
                got += b
        except (asyncio.TimeoutError, ConnectionError):
            pass
        answered += b"held" in got
    print("held", answered, flush=True)
    # idle keep-alive connections, until whoever runs this has looked (it removes DONE.idle)
    with open(done + ".idle", "w"):
        pass
    for i in range(300):
        if not os.path.exists(done + ".idle"):
            break
        await asyncio.sleep(0.1)
    for _, w in conns:
        w.close()
    await asyncio.sleep(1)
    with open(done, "w"):
        pass
    await asyncio.sleep(3600)


if sys.argv[1] == "server":
    serve(sys.argv[2])
elif sys.argv[1] == "client":
    raise_fd_limit()
    asyncio.run(client(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]))
