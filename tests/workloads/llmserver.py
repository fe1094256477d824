# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A mock LLM API over HTTPS for the TLS tests: a separate process, HTTP/1.1 with keep-alive.
# `llmserver.py CERT KEY PORT_FILE LOG` answers every POST after 50 ms with a small chat
# completion that echoes the prompt (a canary in a response body, for the tests), or, when the request asks for "stream": true, streams it as server-sent events
# (chunked: 4 events 30 ms apart); it appends "trace_id start_ns end_ns" (CLOCK_MONOTONIC, end:
# when the answer was sent whole) to LOG for each request that carried a traceparent. Writes its
# port to PORT_FILE, prints its PID, serves until killed.
import http.server
import json
import os
import ssl
import sys
import threading
import time

cert, key, port_file, log_path = sys.argv[1:5]
log = open(log_path, "a", buffering=1)
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body reach the client together

    def do_POST(self):
        start = time.monotonic_ns()
        request = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        time.sleep(0.05)
        if b'"stream": true' in request:
            self.stream()
        else:
            try:
                prompt = json.loads(request)["messages"][-1]["content"]
            except (ValueError, KeyError, IndexError, TypeError):
                prompt = ""
            body = json.dumps({"id": "chatcmpl-1", "object": "chat.completion",
                               "choices": [{"index": 0, "message": {"role": "assistant",
                                                                    "content": "echo " + prompt}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        tp = self.headers.get("traceparent", "")
        if len(tp) == 55:
            with lock:
                log.write("%s %d %d\n" % (tp[3:35], start, time.monotonic_ns()))

    def stream(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for i in range(4):
            event = b'data: {"choices": [{"delta": {"content": "tok%d"}}]}\n\n' % i
            self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
            time.sleep(0.03)
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
server.socket = ctx.wrap_socket(server.socket, server_side=True)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
print(os.getpid(), flush=True)
server.serve_forever()
