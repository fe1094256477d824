# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# An unmodified Python agent for the traceparent capture: http.server with two handlers, /cpu
# (burns ~30 ms of CPU) and /backend (waits ~40 ms on a slow backend, another process, over
# loopback). Nothing here knows agentprof. Writes its port to argv[1]; prints its PID; serves
# until killed. `pyhttp.py client PORT N` sends N requests of each kind with traceparent
# headers and prints one line per request: "path trace_id"; then malformed ones: "bad trace_id".
# `pyhttp.py closer GO DONE TRACE1 TRACE2` prints its PID, waits for the file GO, sends a request
# with traceparent TRACE1 and one with TRACE2 on another connection to a listener of its own that
# never answers, closes the first connection, writes the file DONE and sleeps until killed.
import ctypes
import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

BACKEND = r'''
import http.server, sys, time
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(0.04)
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
'''


def die_with_parent():
    # the tests SIGKILL the agent: its backend must not outlive it
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def serve(port_file):
    backend = subprocess.Popen([sys.executable, "-c", BACKEND], stdout=subprocess.PIPE, text=True,
                               preexec_fn=die_with_parent)
    backend_port = int(backend.stdout.readline())

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/cpu":
                deadline = time.thread_time() + 0.03
                x = 0
                while time.thread_time() < deadline:
                    for i in range(1000):
                        x += i * i
            else:
                urllib.request.urlopen("http://127.0.0.1:%d/" % backend_port).read()
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    with open(port_file, "w") as f:
        f.write(str(server.server_address[1]))
    print(os.getpid(), flush=True)
    try:
        server.serve_forever()
    finally:
        backend.kill()


def get(port, path, traceparent):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), headers={"traceparent": traceparent})
    urllib.request.urlopen(req).read()


def client(port, n):
    for i in range(n):
        for path in ("/cpu", "/backend"):
            trace = os.urandom(16).hex()
            get(port, path, "00-%s-%s-01" % (trace, os.urandom(8).hex()))
            print(path, trace, flush=True)
    # malformed headers: none of these traces may be listed
    for bad in ("00-%s-%s-01" % (os.urandom(16).hex().upper(), os.urandom(8).hex()),
                "00-%s-%s-01" % ("0" * 32, os.urandom(8).hex()),
                "00-%s-%s-01" % (os.urandom(16).hex(), "0" * 16),
                "ff-%s-%s-01" % (os.urandom(16).hex(), os.urandom(8).hex()),
                "00-%s-%s" % (os.urandom(16).hex(), os.urandom(8).hex()[:10]),
                "00_%s_%s_01" % (os.urandom(16).hex(), os.urandom(8).hex())):
        get(port, "/cpu", bad)
        print("bad", bad[3:35].lower(), flush=True)


def closer(go, done, traces):
    listener = socket.create_server(("127.0.0.1", 0))  # connections wait in its backlog, never accepted
    port = listener.getsockname()[1]
    print(os.getpid(), flush=True)
    while not os.path.exists(go):
        time.sleep(0.01)
    conns = []
    for trace in traces:
        c = socket.create_connection(("127.0.0.1", port))
        c.sendall(("GET /cpu HTTP/1.1\r\nHost: 127.0.0.1:%d\r\ntraceparent: 00-%s-%s-01\r\n\r\n"
                   % (port, trace, os.urandom(8).hex())).encode())
        conns.append(c)
    conns[0].close()
    with open(done, "w"):
        pass
    time.sleep(3600)


if sys.argv[1] == "client":
    client(int(sys.argv[2]), int(sys.argv[3]))
elif sys.argv[1] == "closer":
    closer(sys.argv[2], sys.argv[3], sys.argv[4:6])
else:
    serve(sys.argv[1])
