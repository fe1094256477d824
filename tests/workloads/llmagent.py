# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# An unmodified Python agent calling an LLM API over HTTPS with urllib (Debian's python3 and its
# ssl module, libssl.so.3), back to back, each call with a new W3C traceparent. Its API key,
# cookie and prompt are canaries that must never appear in agentprof's output.
# `llmagent.py PORT CAFILE CANARY [stream]`: prints its PID, calls until killed; with "stream",
# asks for streamed answers and reads them whole.
import json
import os
import ssl
import sys
import urllib.request

port, cafile, canary = int(sys.argv[1]), sys.argv[2], sys.argv[3]
stream = sys.argv[4:] == ["stream"]
ctx = ssl.create_default_context(cafile=cafile)
print(os.getpid(), flush=True)
while True:
    body = json.dumps({"model": "mock", "stream": stream,
                       "messages": [{"role": "user", "content": "prompt-" + canary}]}).encode()
    req = urllib.request.Request("https://127.0.0.1:%d/v1/chat/completions" % port, data=body, headers={
        "Content-Type": "application/json",
        "Authorization": "Bearer key-" + canary,
        "Cookie": "session=cookie-" + canary,
        "traceparent": "00-%s-%s-01" % (os.urandom(16).hex(), os.urandom(8).hex()),
    })
    urllib.request.urlopen(req, context=ctx).read()
