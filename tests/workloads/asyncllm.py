# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A mock OpenAI-compatible API on asyncio (Debian's python3-aiohttp), for the async tests: a separate
# process, HTTP/1.1 with keep-alive, plain or over TLS. It answers
# POST /v1/chat/completions: a streamed answer ("stream": true) as server-sent events, chunked, the
# first after FIRST_MS and the others CHUNK_MS apart, then the usage in a last chunk when the
# request's stream_options ask for it (include_usage), then "data: [DONE]"; otherwise one JSON
# body with a Content-Length and its usage after WHOLE_MS (ASYNCLLM_DELAY_MS=N adds N ms to both, for a slower API). Every answer carries the ~2 KB of
# headers OpenAI's do (request ids, rate limits, Cloudflare's, cookies) and names a dated version
# of the model asked for, as OpenAI does. `asyncllm.py PORT_FILE LOG [CERT KEY]` appends
# "user start_ns model input_tokens output_tokens" to LOG for each request (the body's "user"
# field; CLOCK_MONOTONIC when its handler began; the model and usage it answered with). Writes
# its port to PORT_FILE (ASYNCLLM_PORT=N: that one, not any free one), prints its PID, serves until killed.
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
served = 0


def openai_headers(n):
    """What api.openai.com sends beside the body (values of the same sizes), ~2 KB in all."""
    ray = "%016x" % (n * 2654435761 % (1 << 64))
    return {
        "openai-organization": "user-abcdefghijklmnopqrstuvwx",
        "openai-processing-ms": str(100 + n % 900),
        "openai-project": "proj_abcdefghijklmnopqrstuvwx",
        "openai-version": "2020-10-01",
        "x-ratelimit-limit-requests": "10000",
        "x-ratelimit-limit-tokens": "30000000",
        "x-ratelimit-remaining-requests": "9999",
        "x-ratelimit-remaining-tokens": "29999990",
        "x-ratelimit-reset-requests": "6ms",
        "x-ratelimit-reset-tokens": "0s",
        "x-request-id": "req_%032x" % n,
        "x-envoy-upstream-service-time": str(90 + n % 800),
        "strict-transport-security": "max-age=31536000; includeSubDomains; preload",
        "cf-cache-status": "DYNAMIC",
        "set-cookie": "__cf_bm=%s.%s-1733270400-1.0.1.1-%s; path=/; expires=Wed, 04-Dec-24 01:00:00 GMT; "
                      "domain=.api.openai.com; HttpOnly; Secure; SameSite=None" % (ray * 2, ray, ray * 4),
        "Set-Cookie": "_cfuvid=%s.%s-1733270400000-0.0.1.1-604800000; path=/; domain=.api.openai.com; HttpOnly; "
                      "Secure; SameSite=None" % (ray * 2, ray),
        "x-content-type-options": "nosniff",
        "cf-ray": "%s-AMS" % ray,
        "alt-svc": 'h3=":443"; ma=86400',
        "access-control-expose-headers": "X-Request-ID",
        "x-ratelimit-limit-project-tokens": "30000000",
        "x-ratelimit-remaining-project-tokens": "29999990",
        "x-ratelimit-reset-project-tokens": "0s",
        "x-openai-proxy-wasm": "v0.1",
        "access-control-allow-origin": "*",
        "vary": "Origin, Accept-Encoding",
        "report-to": '{"endpoints":[{"url":"https:\\/\\/a.nel.cloudflare.com\\/report\\/v4?s=%s"}],'
                     '"group":"cf-nel","max_age":604800}' % (ray * 6),
        "nel": '{"success_fraction":0,"report_to":"cf-nel","max_age":604800}',
        "server": "cloudflare",
    }


def usage(body):
    """The counts answered: from the prompt's length and the answer's, as a tokenizer's would be."""
    prompt = sum(len(m.get("content", "")) for m in body.get("messages", []))
    return 7 + prompt // 4, 3 * CHUNKS + 1


async def completions(request):
    global served
    start = time.monotonic_ns()
    body = await request.json()
    served += 1
    model = body.get("model", "gpt-4o-mini") + "-2024-07-18"
    inp, out = usage(body)
    log.write("%s %d %s %d %d\n" % (body.get("user", "-"), start, model, inp, out))
    counts = {"prompt_tokens": inp, "completion_tokens": out, "total_tokens": inp + out,
              "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
              "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0}}
    head = {"id": "chatcmpl-%d" % served, "created": 1733270400, "model": model,
            "system_fingerprint": "fp_0ba0d124f1"}
    if not body.get("stream"):
        await asyncio.sleep(WHOLE_MS / 1000)
        return web.json_response(dict(head, object="chat.completion", usage=counts,
                                      choices=[{"index": 0, "finish_reason": "stop", "logprobs": None,
                                                "message": {"role": "assistant", "content": "ok"}}]),
                                 headers=openai_headers(served))
    resp = web.StreamResponse(headers=dict(openai_headers(served), **{"Content-Type": "text/event-stream"}))
    await resp.prepare(request)
    await asyncio.sleep(FIRST_MS / 1000)
    chunk = dict(head, object="chat.completion.chunk")
    for i in range(CHUNKS):
        if i:
            await asyncio.sleep(CHUNK_MS / 1000)
        delta = {"index": 0, "delta": {"content": "tok%d" % i}, "logprobs": None, "finish_reason": None}
        await resp.write(b"data: %s\n\n" % json.dumps(dict(chunk, choices=[delta], usage=None)).encode())
    if body.get("stream_options", {}).get("include_usage"):
        await resp.write(b"data: %s\n\n" % json.dumps(dict(chunk, choices=[], usage=counts)).encode())
    await resp.write(b"data: [DONE]\n\n")
    await resp.write_eof()
    return resp


async def main(port_file, tls):
    app = web.Application()
    app.router.add_post("/v1/chat/completions", completions)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", int(os.environ.get("ASYNCLLM_PORT", "0")), ssl_context=tls)
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
