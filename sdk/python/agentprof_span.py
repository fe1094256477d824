# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""agentprof spans for Python agents: mark tool calls, LLM calls and requests so that agentprof
attributes CPU and wait time to them, by W3C trace id.

    import agentprof_span

    with agentprof_span.span("llm.call"):
        reply = client.chat(...)

    @agentprof_span.span("tool.search")
    def search(query): ...

Spans nest: a span's parent is the enclosing span on the same thread, and it shares its trace
id; a root span starts a new trace unless trace_id (32 hex digits) or traceparent is given.
The calls go through libagentprof_span.so (ctypes), whose functions are USDT probes: without a
profiler attached they cost a function call. Without the library, spans are no-ops and one
warning says so. The library is looked for in $AGENTPROF_SPAN_LIB, next to this file, in
agentprof's build directory, then by the dynamic linker.
"""
import contextlib
import ctypes
import ctypes.util
import functools
import os
import threading
import warnings

__all__ = ["span", "current_traceparent", "new_trace_id", "new_span_id"]

_HERE = os.path.dirname(os.path.abspath(__file__))
_CANDIDATES = [
    os.environ.get("AGENTPROF_SPAN_LIB", ""),
    os.path.join(_HERE, "libagentprof_span.so"),
    os.path.join(_HERE, "..", "..", "build", "libagentprof_span.so"),
    "libagentprof_span.so",
]


def _load():
    for path in _CANDIDATES:
        if not path:
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        lib.agentprof_span_begin.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p]
        lib.agentprof_span_begin.restype = None
        lib.agentprof_span_end.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
        lib.agentprof_span_end.restype = None
        return lib
    warnings.warn("agentprof_span: libagentprof_span.so not found (set AGENTPROF_SPAN_LIB); spans are no-ops",
                  RuntimeWarning, stacklevel=3)
    return None


_lib = None
_loaded = False
_local = threading.local()


def _library():
    global _lib, _loaded
    if not _loaded:
        _lib, _loaded = _load(), True
    return _lib


def _random_id(n):
    while True:
        b = os.urandom(n)
        if any(b):  # W3C: all-zero ids are invalid
            return b


def new_trace_id():
    return _random_id(16).hex()


def new_span_id():
    return _random_id(8).hex()


def _parse_traceparent(tp):
    parts = tp.strip().split("-")
    if len(parts) < 4 or len(parts[0]) != 2 or parts[0] == "ff" or len(parts[1]) != 32 or len(parts[2]) != 16:
        raise ValueError("not a W3C traceparent: %r" % tp)
    if parts[0] == "00" and len(parts) != 4:
        raise ValueError("not a W3C traceparent: %r" % tp)
    for p in parts[:4]:
        if p != p.lower() or any(c not in "0123456789abcdef" for c in p):
            raise ValueError("not a W3C traceparent: %r" % tp)
    if set(parts[1]) == {"0"} or set(parts[2]) == {"0"}:
        raise ValueError("all-zero id in traceparent: %r" % tp)
    return parts[1], parts[2]


def _stack():
    s = getattr(_local, "stack", None)
    if s is None:
        s = _local.stack = []
    return s


def current_traceparent():
    """The traceparent header value for an outbound call from the current span, or None."""
    s = _stack()
    if not s:
        return None
    trace_id, span_id, _ = s[-1]
    return "00-%s-%s-01" % (trace_id, span_id)


class span(contextlib.ContextDecorator):
    """A span around a block (`with span("name"):`) or a function (`@span("name")`)."""

    def __init__(self, name, trace_id=None, parent_span_id=None, traceparent=None):
        if traceparent is not None:
            trace_id, parent_span_id = _parse_traceparent(traceparent)
        if trace_id is not None and (len(trace_id) != 32 or set(trace_id) == {"0"}):
            raise ValueError("trace_id must be 32 hex digits, not all zero")
        self.name = name
        self._trace_id = trace_id
        self._parent = parent_span_id

    def __enter__(self):
        stack = _stack()
        trace_id, parent = self._trace_id, self._parent
        if trace_id is None:
            trace_id, parent = (stack[-1][:2] if stack else (new_trace_id(), None))
        span_id = new_span_id()
        lib = _library()
        if lib is not None:
            lib.agentprof_span_begin(bytes.fromhex(trace_id), bytes.fromhex(span_id),
                                     bytes.fromhex(parent) if parent else None, self.name.encode()[:63])
        # the thread's stack, not the object, holds the ids: a decorated function may run on
        # several threads at once, or recurse
        stack.append((trace_id, span_id, self))
        return self

    def __exit__(self, *exc):
        stack = _stack()
        for i in range(len(stack) - 1, -1, -1):
            if stack[i][2] is self:
                trace_id, span_id, _ = stack.pop(i)
                break
        else:
            return False
        lib = _library()
        if lib is not None:
            lib.agentprof_span_end(bytes.fromhex(trace_id), bytes.fromhex(span_id))
        return False
