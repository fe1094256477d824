# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A mock OpenAI-compatible API on asyncio (Debian's python3-aiohttp), for the async tests: a separate
# process, HTTP/1.1 with keep-alive, plain or over TLS. It answers
# POST /v1/chat/completions: a streamed answer ("stream": true) as server-sent events, chunked, the
# first after FIRST_MS and the others CHUNK_MS apart, then "data: [DONE]"; otherwise one JSON body
# with a Content-Length after WHOLE_MS (ASYNCLLM_DELAY_MS=N adds N ms to both, for a slower API). `asyncllm.py PORT_FILE LOG [CERT KEY]` appends "user start_ns" to
# LOG for each request (the body's "user" field; CLOCK_MONOTONIC when its handler began). Writes its
# port to PORT_FILE, prints its PID, serves until killed.
import asyncio
import json
import os
import ssl
import sys
import time

from aiohttp import web

FIRST_MS, CHUNK_MS, CHUNKS, WHOLE_MS = 150, 20, 5, 250
FIRST_MS += int(os.environ.get("ASYNCLLM_DELAY_MS", "0"))
WHOLE_MS += int(os.environ.get("ASYNCLLM_DELAY_MS", "0"))


async def completions(request):
    start = time.monotonic_ns()
    body = await request.json()
    log.write("%s %d\n" % (body.get("user", "-"), start))
    if not body.get("stream"):
        await asyncio.sleep(WHOLE_MS / 1000)
        return web.json_response({"id": "chatcmpl-1", "object": "chat.completion",
                                  "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}}]})
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await resp.prepare(request)
    await asyncio.sleep(FIRST_MS / 1000)
    for i in range(CHUNKS):
        if i:
            await asyncio.sleep(CHUNK_MS / 1000)
        await resp.write(b'data: {"choices": [{"delta": {"content": "tok%d"}}]}\n\n' % i)
    await resp.write(b"data: [DONE]\n\n")
    await resp.write_eof()
    return resp


async def main(port_file, tls):
    app = web.Application()
    app.router.add_post("/v1/chat/completions", completions)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls)
    await site.start()
    port = runner.addresses[0][1]
    with open(port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(port_file + ".tmp", port_file)
    print(os.getpid(), flush=True)
    await asyncio.Event().wait()


log = open(sys.argv[2], "a", buffering=1)
tls = None
if len(sys.argv) == 5:
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(sys.argv[3], sys.argv[4])
asyncio.run(main(sys.argv[1], tls))
