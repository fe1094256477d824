# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Python test workload with hostile interpreter memory (CPython 3.11 only): hostile() rewrites its
# own _PyInterpreterFrame, then spins in it and never returns (returning would crash).
#   cycle: frame->previous points at the frame itself: an endless chain of frames
#   wild:  frame->previous points at unmapped memory
#   code:  the caller's frame->f_code points at a bytes object, not a code object
# Prints its PID once the frame is rewritten; runs argv[2] seconds (default 30).
import ctypes
import os
import sys
import time

F_FRAME = 24         # PyFrameObject.f_frame
F_CODE = 32          # _PyInterpreterFrame.f_code
PREVIOUS = 48        # _PyInterpreterFrame.previous
DECOY = b"not a code object, only bytes" * 4


def frame_of(pyframe):
    return ctypes.c_void_p.from_address(id(pyframe) + F_FRAME).value


def hostile(mode, deadline):
    me = frame_of(sys._getframe())
    if mode == "cycle":
        ctypes.c_void_p.from_address(me + PREVIOUS).value = me
    elif mode == "wild":
        ctypes.c_void_p.from_address(me + PREVIOUS).value = 0xdead0000
    else:
        caller = frame_of(sys._getframe(1))
        ctypes.c_void_p.from_address(caller + F_CODE).value = id(DECOY)
    print(os.getpid(), flush=True)
    x = 0
    while time.monotonic() < deadline:
        x += 1
    os._exit(0)  # never unwinds through the rewritten frames


def caller(mode, deadline):
    hostile(mode, deadline)


if sys.version_info[:2] != (3, 11):
    sys.exit("pyhostile.py knows 3.11's frame layout only")
caller(sys.argv[1], time.monotonic() + (float(sys.argv[2]) if len(sys.argv) > 2 else 30))
