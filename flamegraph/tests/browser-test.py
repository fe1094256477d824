#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Browser test of the flame graph SVG: a person's clicks and keys, in headless Chromium.

Renders a small graph with build/flamegraph, opens it in headless Chromium and drives it over the
DevTools protocol (a minimal WebSocket client, Python standard library only): hovering shows the
details line, a real mouse click zooms, Ctrl-F opens the search prompt and the answer highlights
the matches with their share, Reset Zoom undoes the zoom, and ?s= in the URL searches at load.
Screenshots go to --shots (default: a temporary directory), for a person to look at.

Fails (exit 1, one line) when Chromium is missing (Debian package chromium). Runs as root
with --no-sandbox. Ends with "browser: N passed, N failed".
"""
import argparse
import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TIMEOUT = 20.0

# total 100: alpha 50 (beta 30, gamma 20), delta 10 (beta 10), epsilon 40
FOLDED = """main;alpha;beta 30
main;alpha;gamma 20
main;delta;beta 10
main;epsilon 40
"""


class WebSocket:
    """Just enough of RFC 6455 for one DevTools connection: text frames, client side."""

    def __init__(self, url):
        assert url.startswith("ws://")
        hostport, path = url[5:].split("/", 1)
        host, port = hostport.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=TIMEOUT)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("websocket handshake: connection closed")
            head += chunk
        head, self.buf = head.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError(f"websocket handshake: {head[:80]!r}")

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("websocket closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _send_frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 1 << 16:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def send(self, text):
        self._send_frame(0x1, text.encode())

    def recv(self):
        message = b""
        while True:
            b0, b1 = self._read(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else None
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x8:
                raise ConnectionError("websocket closed by the browser")
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode in (0x0, 0x1, 0x2):
                message += payload
                if b0 & 0x80:
                    return message.decode()


class DevTools:
    def __init__(self, ws_url):
        self.ws = WebSocket(ws_url)
        self.next_id = 0
        self.pending = []

    def send(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        return self.next_id

    def wait(self, match, what):
        for i, msg in enumerate(self.pending):
            if match(msg):
                return self.pending.pop(i)
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv())
            if match(msg):
                return msg
            self.pending.append(msg)
        raise TimeoutError(f"no {what} within {TIMEOUT} s")

    def reply(self, call_id):
        msg = self.wait(lambda m: m.get("id") == call_id, f"reply to call {call_id}")
        if "error" in msg:
            raise RuntimeError(f"DevTools error: {msg['error']}")
        return msg.get("result", {})

    def call(self, method, **params):
        return self.reply(self.send(method, **params))

    def event(self, method):
        return self.wait(lambda m: m.get("method") == method, method)

    def js(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--flamegraph", default=os.path.join(ROOT, "build", "flamegraph"))
    ap.add_argument("--shots", help="directory for the screenshots")
    args = ap.parse_args()

    chromium = next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)
    if not chromium:
        print("browser: chromium is missing: install Debian's chromium (make deps-test does)", file=sys.stderr)
        return 1
    if not os.access(args.flamegraph, os.X_OK):
        print(f"browser: {args.flamegraph} missing: make build/flamegraph first", file=sys.stderr)
        return 1

    work = tempfile.mkdtemp(prefix="fg-browser-")
    shots = args.shots or work
    os.makedirs(shots, exist_ok=True)
    svg_path = os.path.join(work, "graph.svg")
    with open(svg_path, "w") as out:
        subprocess.run([args.flamegraph, "--title", "browser test"], input=FOLDED, text=True,
                       stdout=out, check=True)
    profile = os.path.join(work, "profile")
    browser = subprocess.Popen(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--remote-debugging-port=0", "--window-size=1200,400",
         "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    passed = failed = 0

    def check(name, ok, detail=""):
        nonlocal passed, failed
        if ok:
            passed += 1
            print(f"ok   {name}")
        else:
            failed += 1
            print(f"FAIL {name}: {detail}")

    try:
        port_file = os.path.join(profile, "DevToolsActivePort")
        deadline = time.monotonic() + TIMEOUT
        while not os.path.exists(port_file) or os.path.getsize(port_file) == 0:
            if time.monotonic() > deadline or browser.poll() is not None:
                raise RuntimeError("chromium did not open its DevTools port")
            time.sleep(0.1)
        port = open(port_file).read().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=TIMEOUT) as r:
            page = next(t for t in json.load(r) if t["type"] == "page")
        dt = DevTools(page["webSocketDebuggerUrl"])
        dt.call("Page.enable")
        dt.call("Runtime.enable")
        dt.call("Emulation.setDeviceMetricsOverride", width=1200, height=400, deviceScaleFactor=1,
                mobile=False)

        def load(query=""):
            dt.call("Page.navigate", url="file://" + svg_path + query)
            dt.event("Page.loadEventFired")

        def shot(name):
            data = dt.call("Page.captureScreenshot", format="png")["data"]
            path = os.path.join(shots, name)
            with open(path, "wb") as f:
                f.write(base64.b64decode(data))
            print(f"     screenshot {path}")

        def frame(name, nth=0):
            """Geometry and state of the nth frame whose title starts with name + ' ('."""
            return dt.js(f"""(function () {{
                var gs = document.querySelectorAll('#frames > g'), seen = 0;
                for (var i = 0; i < gs.length; i++) {{
                    var t = gs[i].querySelector('title').textContent;
                    if (t.indexOf({json.dumps(name + ' (')}) !== 0 || seen++ !== {nth}) continue;
                    var r = gs[i].querySelector('rect'), b = r.getBoundingClientRect();
                    return {{ x: parseFloat(r.getAttribute('x')), w: parseFloat(r.getAttribute('width')),
                             fill: r.getAttribute('fill'), cls: gs[i].getAttribute('class') || '',
                             shown: getComputedStyle(gs[i]).display !== 'none',
                             cx: b.left + b.width / 2, cy: b.top + b.height / 2 }};
                }}
                return null;
            }})()""")

        def mouse(kind, x, y):
            dt.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

        def click(x, y):
            mouse("mouseMoved", x, y)
            mouse("mousePressed", x, y)
            mouse("mouseReleased", x, y)

        load()
        check("the script ran at load", dt.js("frames.length") == 8, dt.js("frames.length"))
        eps = frame("epsilon")
        mouse("mouseMoved", eps["cx"], eps["cy"])
        details = dt.js("document.getElementById('details').textContent")
        check("hover shows the title", details == "Function: epsilon (40 samples, 40.00%)", details)
        shot("1-loaded.png")

        alpha = frame("alpha")
        click(alpha["cx"], alpha["cy"])
        alpha, beta, gamma = frame("alpha"), frame("beta"), frame("gamma")
        check("click zooms: the frame fills the width", (alpha["x"], alpha["w"]) == (10, 1180), alpha)
        check("click zooms: children scale", (beta["x"], beta["w"]) == (10, 708) and
              (gamma["x"], gamma["w"]) == (718, 472), (beta, gamma))
        check("click zooms: other subtrees hide",
              not frame("epsilon")["shown"] and not frame("delta")["shown"] and
              not frame("beta", 1)["shown"], frame("epsilon"))
        main_ = frame("main")
        check("click zooms: ancestors stay, dimmed", main_["shown"] and "parent" in main_["cls"] and
              main_["w"] == 1180, main_)
        check("Reset Zoom shows", "hide" not in (dt.js(
            "document.getElementById('unzoom').getAttribute('class')") or ""))
        url = dt.js("location.search")
        check("the zoom is kept in the URL", url.startswith("?x=") and "&y=" in url, url)
        shot("2-zoomed.png")

        # Ctrl-F: the page's prompt() blocks the key event until the dialog is answered
        key = dict(modifiers=2, key="f", code="KeyF", windowsVirtualKeyCode=70)
        down = dt.send("Input.dispatchKeyEvent", type="rawKeyDown", **key)
        dialog = dt.event("Page.javascriptDialogOpening")
        check("Ctrl-F opens the search prompt", dialog["params"]["type"] == "prompt", dialog)
        dt.call("Page.handleJavaScriptDialog", accept=True, promptText="^beta$")
        dt.reply(down)
        dt.call("Input.dispatchKeyEvent", type="keyUp", **key)
        b0, b1, alpha = frame("beta"), frame("beta", 1), frame("alpha")
        check("search paints the matches", b0["fill"] == b1["fill"] == "rgb(230,0,230)", (b0, b1))
        check("search leaves the rest", alpha["fill"] != "rgb(230,0,230)", alpha)
        matched = dt.js("document.getElementById('matched').textContent")
        check("search shows the matched share", matched == "Matched: 40.0%", matched)
        shot("3-zoomed-search.png")

        unzoom = dt.js("(function () { var b = document.getElementById('unzoom').getBBox();"
                       " return [b.x + b.width / 2, b.y + b.height / 2]; })()")
        click(*unzoom)
        eps, alpha = frame("epsilon"), frame("alpha")
        check("Reset Zoom restores every frame", eps["shown"] and alpha["w"] == 590 and
              "parent" not in frame("main")["cls"], (eps, alpha))
        check("the search outlives the zoom", frame("beta", 1)["fill"] == "rgb(230,0,230)")

        load("?s=gam")
        matched = dt.js("document.getElementById('matched').textContent")
        check("?s= searches at load", matched == "Matched: 20.0%" and
              frame("gamma")["fill"] == "rgb(230,0,230)", matched)
        shot("4-url-search.png")
    except Exception as e:  # a browser that hangs or dies is a failure, not a crash of the runner
        check("browser session", False, repr(e))
    finally:
        browser.terminate()
        try:
            browser.wait(timeout=10)
        except subprocess.TimeoutExpired:
            browser.kill()
            browser.wait()
        shutil.rmtree(profile, ignore_errors=True)
        if not args.shots:
            print(f"     (screenshots kept in {work})")
    print(f"browser: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
