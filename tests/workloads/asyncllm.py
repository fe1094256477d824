# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A mock LLM API on asyncio (Debian's python3-aiohttp), for the async tests: a separate process,
# HTTP/1.1 with keep-alive, plain or over TLS. It answers
# POST /v1/chat/completions (OpenAI's): a streamed answer ("stream": true) as server-sent events,
# chunked, the first after FIRST_MS and the others CHUNK_MS apart, then the usage in a last chunk
# when the request's stream_options ask for it (include_usage), then "data: [DONE]"; otherwise one
# JSON body with a Content-Length and its usage after WHOLE_MS;
# POST /v1/messages (Anthropic's Messages API): streamed, the events Anthropic sends (message_start
# with the input count and an output count of 1, content_block_start, ping, content_block_delta
# CHUNKS times, content_block_stop, message_delta with the CUMULATIVE output count, message_stop),
# first after FIRST_MS; otherwise one JSON message with its usage after WHOLE_MS.
# ASYNCLLM_DELAY_MS=N adds N ms to both, for a slower API. Every answer carries the ~2 KB of
# headers the real API's do (request ids, rate limits, Cloudflare's, cookies) and names a dated
# version of the model asked for, as both do. The usage differs from one request to the next (the
# n-th answer's input and output counts are each shifted by n modulo a different prime), so that
# counts given to the wrong call are seen. `asyncllm.py PORT_FILE LOG [CERT KEY]` appends
# "user start_ns model input_tokens output_tokens" to LOG for each request (the body's "user"
# field, or Anthropic's metadata.user_id; CLOCK_MONOTONIC when its handler began; the model and
# usage it answered with). Writes its port to PORT_FILE (ASYNCLLM_PORT=N: that one, not any free
# one), prints its PID, serves until killed.
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


def usage(body, n):
    """The counts of the n-th answer: from the prompt's length and the answer's, as a tokenizer's
    would be, each shifted by n modulo a prime (31, 23: the pair repeats every 713 answers)."""
    prompt = sum(len(m.get("content", "")) for m in body.get("messages", []))
    return 7 + prompt // 4 + n * 7 % 31, 3 * CHUNKS + 1 + n % 23


async def completions(request):
    global served
    start = time.monotonic_ns()
    body = await request.json()
    served += 1
    model = body.get("model", "gpt-4o-mini") + "-2024-07-18"
    inp, out = usage(body, served)
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


def anthropic_headers(n):
    """What api.anthropic.com sends beside the body (values of the same sizes)."""
    ray = "%016x" % (n * 2654435761 % (1 << 64))
    reset = "2024-12-04T00:00:%02dZ" % (n % 60)
    return {
        "request-id": "req_011C%020x" % n,
        "anthropic-organization-id": "0b2c6a1e-7f3d-4c59-9a8e-%012x" % n,
        "anthropic-ratelimit-requests-limit": "4000",
        "anthropic-ratelimit-requests-remaining": "3999",
        "anthropic-ratelimit-requests-reset": reset,
        "anthropic-ratelimit-tokens-limit": "480000",
        "anthropic-ratelimit-tokens-remaining": "479000",
        "anthropic-ratelimit-tokens-reset": reset,
        "anthropic-ratelimit-input-tokens-limit": "400000",
        "anthropic-ratelimit-input-tokens-remaining": "399000",
        "anthropic-ratelimit-input-tokens-reset": reset,
        "anthropic-ratelimit-output-tokens-limit": "80000",
        "anthropic-ratelimit-output-tokens-remaining": "80000",
        "anthropic-ratelimit-output-tokens-reset": reset,
        "x-envoy-upstream-service-time": str(90 + n % 800),
        "via": "1.1 google",
        "cf-cache-status": "DYNAMIC",
        "x-robots-tag": "none",
        "strict-transport-security": "max-age=31536000; includeSubDomains; preload",
        "set-cookie": "__cf_bm=%s.%s-1733270400-1.0.1.1-%s; path=/; expires=Wed, 04-Dec-24 01:00:00 GMT; "
                      "domain=.api.anthropic.com; HttpOnly; Secure; SameSite=None" % (ray * 2, ray, ray * 4),
        "server": "cloudflare",
        "cf-ray": "%s-AMS" % ray,
    }


def sse(event, data):
    return b"event: %s\ndata: %s\n\n" % (event.encode(), json.dumps(data).encode())


async def messages(request):
    global served
    start = time.monotonic_ns()
    body = await request.json()
    served += 1
    # an alias answered with the dated model it stands for, as Anthropic does
    model = body.get("model", "claude-sonnet-4-5") + "-20250929"
    inp, out = usage(body, served)
    log.write("%s %d %s %d %d\n" % (body.get("metadata", {}).get("user_id", "-"), start, model, inp, out))
    msg = {"id": "msg_01%022x" % served, "type": "message", "role": "assistant", "model": model}
    counts = {"input_tokens": inp, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
              "output_tokens": out, "service_tier": "standard"}
    if not body.get("stream"):
        await asyncio.sleep(WHOLE_MS / 1000)
        return web.json_response(dict(msg, content=[{"type": "text", "text": "ok"}], stop_reason="end_turn",
                                      stop_sequence=None, usage=counts),
                                 headers=anthropic_headers(served))
    resp = web.StreamResponse(headers=dict(anthropic_headers(served), **{
        "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache"}))
    await resp.prepare(request)
    await asyncio.sleep(FIRST_MS / 1000)
    await resp.write(sse("message_start", {"type": "message_start", "message": dict(
        msg, content=[], stop_reason=None, stop_sequence=None, usage=dict(counts, output_tokens=1))}))
    await resp.write(sse("content_block_start", {"type": "content_block_start", "index": 0,
                                                 "content_block": {"type": "text", "text": ""}}))
    await resp.write(sse("ping", {"type": "ping"}))
    for i in range(CHUNKS):
        if i:
            await asyncio.sleep(CHUNK_MS / 1000)
        await resp.write(sse("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                     "delta": {"type": "text_delta", "text": "tok%d" % i}}))
    await resp.write(sse("content_block_stop", {"type": "content_block_stop", "index": 0}))
    # the output count so far, all of it: a reader that adds it to message_start's 1 is off by one
    await resp.write(sse("message_delta", {"type": "message_delta",
                                           "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                           "usage": {"output_tokens": out}}))
    await resp.write(sse("message_stop", {"type": "message_stop"}))
    await resp.write_eof()
    return resp


async def main(port_file, tls):
    app = web.Application()
    app.router.add_post("/v1/chat/completions", completions)
    app.router.add_post("/v1/messages", messages)
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
