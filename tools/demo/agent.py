# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The Python demo agent: a loop of requests, each a trace of spans through the span SDK:
"plan" thinks on CPU, "llm.call" waits on a slow local LLM server (another process, over
loopback), "tool.search" sleeps as a slow tool would. Prints its PID; runs argv[1] seconds."""
import ctypes
import http.server
import os
import signal
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "sdk", "python"))
import agentprof_span  # noqa: E402

LLM = r'''
import http.server, time
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(0.12)
        self.send_response(200); self.send_header("Content-Length", "15"); self.end_headers()
        self.wfile.write(b'{"text": "ok"}\n')
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
'''


def die_with_parent():
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


@agentprof_span.span("plan")
def plan(step):
    deadline = time.thread_time() + 0.02
    x = step
    while time.thread_time() < deadline:
        for i in range(1000):
            x = (x * 31 + i) % 1000003
    return x


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60
    llm = subprocess.Popen([sys.executable, "-c", LLM], stdout=subprocess.PIPE, text=True,
                           preexec_fn=die_with_parent)
    url = "http://127.0.0.1:%s/v1/chat/completions" % llm.stdout.readline().strip()
    print(os.getpid(), flush=True)
    end = time.monotonic() + seconds
    step = 0
    while time.monotonic() < end:
        with agentprof_span.span("request"):
            plan(step)
            with agentprof_span.span("llm.call"):
                urllib.request.urlopen(urllib.request.Request(url, data=b'{"prompt": "next step?"}')).read()
            with agentprof_span.span("tool.search"):
                time.sleep(0.03)
        step += 1
    llm.kill()


main()
