"""Runs aiortc's example server (server.py, from aiortc 1.4.0, unchanged)
for the side-by-side latency benchmark (scripts/bench-webrtc.sh).

Two things the example needs here:
- aioice gathers no loopback address, so a browser on this machine could
  not reach it: its host addresses are restricted to 127.0.0.1;
- the example plays demo-instruct.wav back as audio: a second of silence
  is written next to a copy of server.py, in a temporary directory.
Use Debian's python3 (/usr/bin/python3), which has python3-aiortc.
"""
import os
import runpy
import shutil
import sys
import tempfile
import wave

import aioice.ice

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

here = os.path.dirname(os.path.abspath(__file__))
work = tempfile.mkdtemp(prefix="aiortc-")
shutil.copy(os.path.join(here, "server.py"), work)
with wave.open(os.path.join(work, "demo-instruct.wav"), "wb") as w:
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(48000)
    w.writeframes(b"\0\0" * 48000)
sys.argv = [os.path.join(work, "server.py")] + sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
