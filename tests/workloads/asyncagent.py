# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# An unmodified asyncio agent (Debian's python3-aiohttp server, python3-httpx AsyncClient): one
# event loop thread serves POST /task, each request doing its own CPU work, one LLM call (streamed
# or not, HTTP or HTTPS, no traceparent, an API key that is a canary), more CPU work. The call is
# OpenAI's chat completions, or Anthropic's Messages API when LLM_URL's path is /v1/messages
# (sent as their SDKs send them: the key in Authorization or x-api-key). It times
# each request itself and appends the truth to TRUTH, one line per request:
#   "trace_id start end cpu_ns llm_start llm_first llm_end call" (CLOCK_MONOTONIC ns; trace_id
#   from the request's traceparent, "-" without one; cpu_ns: thread CPU time of its own work;
#   llm_first: when the first bytes of the answer's body arrived; call: the name of the LLM call,
#   sent in its body's "user" field, or Anthropic's metadata.user_id, which the mock API logs).
# `asyncagent.py PORT_FILE LLM_URL CAFILE CANARY TRUTH stream|whole`: writes its port to PORT_FILE,
# prints its PID, serves until killed.
import asyncio
import os
import sys
import time

import httpx
from aiohttp import web

port_file, llm_url, cafile, canary, truth_path, mode = sys.argv[1:7]
anthropic = llm_url.endswith("/v1/messages")
truth = open(truth_path, "a", buffering=1)
calls = 0
WORK = 30000	# iterations of the CPU work: ~2-4 ms of Python


def work():
    start = time.thread_time_ns()
    x = 0
    for i in range(WORK):
        x += i * i % 7
    return time.thread_time_ns() - start


async def task(request):
    start = time.monotonic_ns()
    tp = request.headers.get("traceparent", "")
    trace = tp[3:35] if len(tp) == 55 else "-"
    await request.read()
    cpu = work()
    global calls
    calls += 1
    call = "call-%d-%d" % (os.getpid(), calls)
    if anthropic:
        # the order the anthropic SDK sends: max_tokens, the prompt, the model, the rest
        body = {"max_tokens": 1024, "messages": [{"role": "user", "content": "prompt-" + canary}],
                "model": "claude-sonnet-4-5", "metadata": {"user_id": call}, "stream": mode == "stream"}
        headers = {"x-api-key": "sk-ant-api03-" + canary, "anthropic-version": "2023-06-01"}
    else:
        # the order the openai SDK sends: the prompt first, the model after it
        body = {"messages": [{"role": "user", "content": "prompt-" + canary}], "model": "gpt-4o-mini",
                "stream": mode == "stream", "user": call}
        if mode == "stream":
            body["stream_options"] = {"include_usage": True}
        headers = {"Authorization": "Bearer key-" + canary}
    client = request.app["client"]
    llm_start = time.monotonic_ns()
    first = 0
    async with client.stream("POST", llm_url, json=body, headers=headers) as r:
        async for chunk in r.aiter_raw():
            if not first and chunk:
                first = time.monotonic_ns()
    llm_end = time.monotonic_ns()
    cpu += work()
    end = time.monotonic_ns()
    truth.write("%s %d %d %d %d %d %d %s\n" % (trace, start, end, cpu, llm_start, first, llm_end, call))
    return web.Response(text="done")


async def main():
    app = web.Application()
    app["client"] = httpx.AsyncClient(verify=cafile if llm_url.startswith("https") else False,
                                      limits=httpx.Limits(max_connections=64), timeout=30)
    app.router.add_post("/task", task)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    with open(port_file + ".tmp", "w") as f:
        f.write(str(runner.addresses[0][1]))
    os.rename(port_file + ".tmp", port_file)
    print(os.getpid(), flush=True)
    await asyncio.Event().wait()


asyncio.run(main())
