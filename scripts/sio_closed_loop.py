#!/usr/bin/python3
"""Closed-loop load with a Python Socket.IO client (Debian's python3-socketio).

Each of --clients connections sends the same JPEG as the image event,
{id, image} with an acknowledgement, and sends its next frame as soon as the
acknowledgement arrives: a closed loop, as a page that paces itself by its
answers. Prints one JSON line: frames answered per second in all, the
round-trip percentiles, and, with --server-pid, the server's CPU time
(utime+stime from /proc/PID/stat) per answered frame.

    /usr/bin/python3 scripts/sio_closed_loop.py --url http://127.0.0.1:9990 \
        --clients 4 --duration 20 --image /tmp/frame-640x480.jpg

--binary sends the JPEG's bytes as a binary attachment instead of a data
URL. Run it with /usr/bin/python3: the python3 on PATH may be a build
without Debian's packages. It measures; it asserts nothing.
"""
import argparse
import base64
import json
import os
import sys
import threading
import time

import socketio

USER_HZ = 100  # the unit of /proc/PID/stat's CPU times on Linux


def server_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / USER_HZ  # utime, stime


class LoopClient:
    def __init__(self, url, payload, binary, end):
        self.payload, self.binary, self.end = payload, binary, end
        self.rtts, self.errors, self.bad = [], 0, 0
        self.seq, self.sent_at = 0, 0.0
        self.done = threading.Event()
        self.sio = socketio.Client(reconnection=False)
        self.sio.connect(url, transports=["websocket"])

    def send(self):
        if time.monotonic() >= self.end:
            self.done.set()
            return
        self.seq += 1
        self.sent_at = time.monotonic()
        self.sio.emit("image", {"id": self.seq, "image": self.payload}, callback=self.on_ack)

    def on_ack(self, reply):
        now = time.monotonic()
        if not isinstance(reply, dict):
            reply = {}
        image = reply.get("image")
        if reply.get("error"):
            self.errors += 1
        elif reply.get("id") != self.seq or not (
            isinstance(image, (bytes, bytearray)) if self.binary else isinstance(image, str) and image.startswith("data:image/jpeg;base64,")
        ):
            self.bad += 1
        else:
            self.rtts.append(now - self.sent_at)
        self.send()


def quantile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default="http://127.0.0.1:9990")
    ap.add_argument("--clients", type=int, default=1)
    ap.add_argument("--duration", type=float, default=20.0, help="seconds of sending")
    ap.add_argument("--image", required=True, help="the JPEG every frame carries")
    ap.add_argument("--binary", action="store_true", help="send the JPEG's bytes, not a data URL")
    ap.add_argument("--server-pid", type=int, default=0)
    ap.add_argument("--label", default="")
    args = ap.parse_args()

    jpg = open(args.image, "rb").read()
    payload = jpg if args.binary else "data:image/jpeg;base64," + base64.b64encode(jpg).decode()
    far = time.monotonic() + 3600
    clients = [LoopClient(args.url, payload, args.binary, far) for _ in range(args.clients)]
    time.sleep(0.5)  # the connections' session and hello events settle
    cpu0 = server_cpu(args.server_pid) if args.server_pid else 0.0
    start = time.monotonic()
    for c in clients:
        c.end = start + args.duration
        c.send()
    for c in clients:
        c.done.wait(args.duration + 10)
    elapsed = time.monotonic() - start
    cpu = server_cpu(args.server_pid) - cpu0 if args.server_pid else 0.0
    for c in clients:
        c.sio.disconnect()

    rtts = sorted(r for c in clients for r in c.rtts)
    out = {
        "label": args.label,
        "clients": args.clients,
        "binary": args.binary,
        "frame_bytes": len(jpg),
        "duration_s": round(elapsed, 2),
        "answered": len(rtts),
        "answered_fps": round(len(rtts) / elapsed, 1),
        "rtt_p50_ms": round(quantile(rtts, 0.5) * 1000, 2),
        "rtt_p95_ms": round(quantile(rtts, 0.95) * 1000, 2),
        "errors": sum(c.errors for c in clients),
        "bad": sum(c.bad for c in clients),
    }
    if args.server_pid and rtts:
        out["server_cpu_s"] = round(cpu, 2)
        out["server_cpu_ms_per_answered_frame"] = round(cpu * 1000 / len(rtts), 2)
    print(json.dumps(out))
    return 0 if rtts and not out["bad"] else 1


if __name__ == "__main__":
    sys.exit(main())
