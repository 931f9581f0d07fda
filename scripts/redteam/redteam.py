#!/usr/bin/env python3
"""Red team of the upload path (issue 21): rows 1, 2, 4, 5, 7, 8, 9 and 11
of the issue's table, against a server already running on 127.0.0.1.

For each row it prints the HTTP codes the server answered, the peak
resident memory of the server and of its ffmpeg children (sampled from
/proc every 20 ms), and, while the attack runs, a live client's round
trips (cmd/loadgen, one Socket.IO client at 30 fps): p50 and p95.

Standard library only. Run it through scripts/redteam/run.sh, which
builds and starts the server; see docs/BENCHMARKS.md, "Red team: uploads
(issue 21)".
"""

import argparse
import http.client
import json
import math
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib
from urllib.parse import urlparse


# --- sampling the server and its children ---------------------------------

def status_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children_of(pid):
    """The processes whose parent is pid: the server's ffmpeg, ffprobe (and
    the prlimit and nice that exec into them)."""
    kids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        close = stat.rfind(")")
        comm = stat[stat.find("(") + 1:close]
        fields = stat[close + 2:].split()
        if len(fields) > 1 and fields[1] == str(pid) and fields[0] != "Z":  # a zombie holds no memory
            kids.append((int(name), comm))
    return kids


class Sampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.lock = threading.Lock()
        self.reset()
        self.start()

    def reset(self):
        with getattr(self, "lock", threading.Lock()):
            self.server_peak = 0      # kB, VmRSS of the server
            self.child_peak = 0       # kB, highest VmHWM of any one child
            self.children_sum = 0     # kB, highest sum of the children's VmRSS
            self.children_max = 0     # most children at once
            self.probes_max = 0       # most ffprobes at once
            self.fds_max = 0          # most descriptors the server held

    def run(self):
        n = 0
        while True:
            rss = status_kb(self.pid, "VmRSS")
            kids = children_of(self.pid)
            total = 0
            peak = 0
            for pid, _ in kids:
                total += status_kb(pid, "VmRSS")
                peak = max(peak, status_kb(pid, "VmHWM"))
            fds = 0
            if n % 10 == 0:
                try:
                    fds = len(os.listdir(f"/proc/{self.pid}/fd"))
                except OSError:
                    pass
            n += 1
            with self.lock:
                self.server_peak = max(self.server_peak, rss)
                self.child_peak = max(self.child_peak, peak)
                self.children_sum = max(self.children_sum, total)
                self.children_max = max(self.children_max, len(kids))
                self.probes_max = max(self.probes_max, sum(1 for _, c in kids if c == "ffprobe"))
                self.fds_max = max(self.fds_max, fds)
            time.sleep(0.02)


# --- HTTP ------------------------------------------------------------------

class Server:
    def __init__(self, url):
        u = urlparse(url)
        self.host, self.port = u.hostname, u.port or 80

    def request(self, method, path, body=None, ctype=None, timeout=600, source=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout,
                                          source_address=(source, 0) if source else None)
        headers = {"Content-Type": ctype} if ctype else {}
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, data
        except OSError as e:
            return 0, str(e).encode()
        finally:
            conn.close()

    def upload(self, data, ctype="video/mp4", source=None):
        status, body = self.request("POST", "/api/v1/videos", data, ctype, source=source)
        return status, body

    def job(self, jid):
        status, body = self.request("GET", f"/api/v1/videos/{jid}")
        try:
            return status, json.loads(body)
        except ValueError:
            return status, {}

    def wait(self, jid, limit=600):
        deadline = time.time() + limit
        while time.time() < deadline:
            _, j = self.job(jid)
            if j.get("state") in ("done", "failed", "cancelled"):
                return j
            time.sleep(0.2)
        return j

    def delete(self, jid):
        return self.request("DELETE", f"/api/v1/videos/{jid}")[0]


def code_of(status, body):
    try:
        c = json.loads(body).get("error", {}).get("code", "")
    except ValueError:
        c = ""
    return f"{status} {c}".strip()


def tally(codes):
    out = {}
    for c in codes:
        out[c] = out.get(c, 0) + 1
    return ", ".join(f"{n} x {c}" if n > 1 else c for c, n in sorted(out.items()))


# --- files -----------------------------------------------------------------

def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def png_bomb(work):
    """A Matroska of PNG frames whose headers claim 16000x16000 at 16 bits a
    channel (2 GB a picture); the file is 3 KB."""
    small = os.path.join(work, "small.mkv")
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=16x16:rate=10", "-t", "1", "-pix_fmt", "rgb48be", "-c:v", "png", small)
    b = bytearray(open(small, "rb").read())
    i = b.find(b"IHDR")
    while i >= 0:
        struct.pack_into(">II", b, i + 4, 16000, 16000)
        struct.pack_into(">I", b, i + 17, zlib.crc32(bytes(b[i:i + 17])) & 0xFFFFFFFF)
        i = b.find(b"IHDR", i + 4)
    return bytes(b)


def clip(work, name, size="320x240", rate=30, seconds=2, audio=False, extra=()):
    path = os.path.join(work, name)
    args = ["-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}:duration={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}", "-c:a", "aac"]
    ffmpeg(*args, *extra, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", path)
    return path


def packet_times(path, stream):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", stream, "-show_entries", "packet=pts_time",
                          "-of", "csv=p=0", path], capture_output=True, text=True).stdout
    return sorted(float(x.strip(",")) for x in out.split() if x.strip(",") not in ("", "N/A"))


# --- the live client -------------------------------------------------------

class Live:
    """cmd/loadgen: one Socket.IO client at 30 fps for the row's duration."""

    def __init__(self, args, seconds):
        self.out = os.path.join(args.work, "live.json")
        if os.path.exists(self.out):
            os.remove(self.out)
        self.proc = subprocess.Popen([args.loadgen, "--url", args.url, "--clients", "1", "--fps", "30",
                                      "--duration", f"{seconds}s", "--image", args.image, "--json", self.out],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)  # connected and sending before the attack

    def result(self):
        self.proc.wait()
        try:
            r = json.load(open(self.out))
            return f"{r['age_p50_ms']:.1f} / {r['age_p95_ms']:.1f} ms ({r['answered']}/{r['sent']})"
        except (OSError, ValueError, KeyError):
            return "no report"


# --- the rows --------------------------------------------------------------

def row1(args, srv):
    bomb = png_bomb(args.work)
    one = code_of(*srv.upload(bomb))
    codes = []
    ts = [threading.Thread(target=lambda: codes.append(code_of(*srv.upload(bomb)))) for _ in range(2)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    return f"one: {one}; two at once: {tally(codes)}", f"{len(bomb)} B file"


def row2(args, srv):
    planted = clip(args.work, "planted.mp4")
    missing = os.path.join(args.work, "missing.mp4")
    hls = lambda p: f"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n{p}\n#EXT-X-ENDLIST\n".encode()
    dash = lambda p: (f'<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" '
                      f'mediaPresentationDuration="PT1S" minBufferTime="PT1S" profiles="urn:mpeg:dash:profile:isoff-on-demand:2011">'
                      f'<Period><AdaptationSet mimeType="video/mp4"><Representation id="0" bandwidth="1000" width="320" height="240">'
                      f'<BaseURL>file://{p}</BaseURL><SegmentBase indexRange="0-0"/></Representation></AdaptationSet></Period></MPD>').encode()
    res = []
    same = True
    for name, make in (("HLS", hls), ("DASH", dash)):
        s1, b1 = srv.upload(make(planted))
        s2, b2 = srv.upload(make(missing))
        res.append(f"{name}: {code_of(s1, b1)}")
        same = same and b1 == b2
    return "; ".join(res), f"{len(hls(planted))} B playlist; same answer for an existing and a missing path: {same}"


def row4(args, srv, sampler):
    fast = clip(args.work, "fast.mp4", size="2x2", rate=1000, seconds=10)
    t0 = time.time()
    c1 = code_of(*srv.upload(open(fast, "rb").read()))
    t1 = time.time() - t0
    fast2 = clip(args.work, "fast300k.mp4", size="2x2", rate=1000, seconds=300)
    t0 = time.time()
    c2 = code_of(*srv.upload(open(fast2, "rb").read()))
    t2 = time.time() - t0
    # The most frames the defaults take (35,400 of 64x64 at 60 fps), and a
    # 1080p clip: the server's memory while each runs, then after a DELETE.
    note = ""
    for label, path in (("35,400 frames of 64x64", clip(args.work, "many.mp4", size="64x64", rate=60, seconds=590)),
                        ("1,800 frames of 1920x1080", clip(args.work, "hd.mp4", size="1920x1080", rate=30, seconds=60))):
        before = status_kb(args.server_pid, "VmRSS")
        sampler.server_peak = 0
        s, b = srv.upload(open(path, "rb").read())
        if s != 201:
            note += f"; {label}: {code_of(s, b)}"
            continue
        jid = json.loads(b)["id"]
        time.sleep(15)
        _, j = srv.job(jid)
        during = sampler.server_peak
        srv.delete(jid)
        time.sleep(5)
        after = status_kb(args.server_pid, "VmRSS")
        note += (f"; {label}: 201, {j.get('frames_done')} frames in 15 s, server {before >> 10} MB before, "
                 f"{during >> 10} MB peak, {after >> 10} MB 5 s after the DELETE")
    return (f"10,000 frames at 1000 fps: {c1} in {t1:.2f} s; 300,000 frames: {c2} in {t2:.2f} s{note}",
            f"{os.path.getsize(fast) >> 10} KB and {os.path.getsize(fast2) >> 10} KB files")


def row5(args, srv, sampler):
    path = clip(args.work, "normal.mp4", size="640x360", seconds=5)
    data = open(path, "rb").read()
    results = []
    for label, sources in (("from one address", ["127.0.0.1"] * 40),
                           ("from 40 addresses", [f"127.0.0.{10 + i}" for i in range(40)])):
        codes = []
        lock = threading.Lock()
        sampler.children_max = sampler.probes_max = 0

        def one(src):
            c = code_of(*srv.upload(data, source=src))
            with lock:
                codes.append(c)
        ts = [threading.Thread(target=one, args=(src,)) for src in sources]
        [t.start() for t in ts]
        [t.join() for t in ts]
        results.append(f"40 at once {label}: {tally(codes)}, at most {sampler.probes_max} ffprobes and "
                       f"{sampler.children_max} ffmpeg children at once")
        for jid in list_jobs(srv, args):  # the queue as it was, for the next part
            srv.delete(jid)
    # 1,000 slow uploads from one address: headers and 1 KB, then nothing.
    sampler.fds_max = 0
    socks, refused = [], []
    for _ in range(1000):
        s = socket.create_connection((srv.host, srv.port))
        s.sendall(b"POST /api/v1/videos HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: video/mp4\r\n"
                  b"Content-Length: 10000000\r\n\r\n" + b"\0" * 1024)
        socks.append(s)
    time.sleep(2)
    for s in socks:
        s.setblocking(False)
        try:
            line = s.recv(64).split(b"\r\n")[0].decode()
            refused.append(line.split(" ", 2)[1] if line else "closed")
        except BlockingIOError:
            refused.append("waiting")
        except OSError:
            refused.append("reset")
    steady = len(os.listdir(f"/proc/{args.server_pid}/fd"))
    fds = sampler.fds_max
    for s in socks:
        s.close()
    results.append(f"1,000 slow from one address: {tally(refused)}; the server's descriptors: at most {fds}, "
                   f"{steady} 2 s after the last connected")
    return "; ".join(results), ""


def list_jobs(srv, args):
    """The jobs' ids, from the data directory (the API has no list)."""
    d = os.path.join(args.data, "videos")
    try:
        return [n for n in os.listdir(d) if len(n) == 32]
    except OSError:
        return []


def row7(args, srv):
    frames = os.path.join(args.work, "f")
    os.makedirs(frames, exist_ok=True)
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=640x480", "-frames:v", "1", os.path.join(frames, "f00.jpg"))
    ffmpeg("-f", "lavfi", "-i", "color=c=gray:size=8192x8192", "-frames:v", "1", os.path.join(frames, "big.jpg"))
    big = open(os.path.join(frames, "big.jpg"), "rb").read()
    for i in range(1, 30):
        open(os.path.join(frames, f"f{i:02d}.jpg"), "wb").write(big)
    mixed = os.path.join(args.work, "mixed.mkv")
    ffmpeg("-framerate", "10", "-i", os.path.join(frames, "f%02d.jpg"), "-c", "copy", mixed)
    s, b = srv.upload(open(mixed, "rb").read(), "video/x-matroska")
    c = code_of(s, b)
    if s == 201:
        j = srv.wait(json.loads(b)["id"])
        c += f", then {j.get('state')} {(j.get('error') or {}).get('code', '')} with {j.get('frames_done')} frames"
    return c, f"{os.path.getsize(mixed) >> 10} KB file: 640x480 in the header, 29 of 30 frames 8192x8192"


def row8(args, srv):
    vfr = os.path.join(args.work, "vfr.mp4")
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=640x360:rate=30:duration=60", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=70",
           "-vf", "settb=1/90000,setpts='(N/30+if(gte(N,900),(N-900)/30,0)+0.008*sin(N))/TB'", "-fps_mode", "passthrough",
           "-enc_time_base", "-1", "-video_track_timescale", "90000", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
           "-c:a", "aac", "-t", "90", vfr)
    s, b = srv.upload(open(vfr, "rb").read())
    if s != 201:
        return code_of(s, b), ""
    jid = json.loads(b)["id"]
    j = srv.wait(jid)
    st, result = srv.request("GET", f"/api/v1/videos/{jid}/result.mp4")
    out = os.path.join(args.work, "vfr-result.mp4")
    open(out, "wb").write(result)
    vin, vout = packet_times(vfr, "v:0"), packet_times(out, "v:0")
    ain, aout = packet_times(vfr, "a:0"), packet_times(out, "a:0")
    worst = max(abs(a - b) for a, b in zip(vin, vout)) if len(vin) == len(vout) else float("nan")
    end_skew = (aout[-1] - vout[-1]) - (ain[-1] - vin[-1]) if aout and ain else float("nan")
    srv.delete(jid)
    return (f"201, then {j.get('state')}; {len(vout)} of {len(vin)} frames, each within {worst * 1000:.1f} ms of the clip's; "
            f"sound against picture at the end: {end_skew * 1000:+.1f} ms",
            f"{vin[-1]:.1f} s of picture: 30 fps for 30 s, then 15 fps, with jitter, and sound")


def row9(args, srv, sampler):
    path = clip(args.work, "sse.mp4", size="640x360", seconds=20)
    s, b = srv.upload(open(path, "rb").read())
    if s != 201:
        return code_of(s, b), ""
    jid = json.loads(b)["id"]
    before = status_kb(args.server_pid, "VmRSS")
    threads_before = status_kb(args.server_pid, "Threads")
    socks, answers = [], []
    for _ in range(2000):
        c = socket.create_connection((srv.host, srv.port))
        c.sendall(f"GET /api/v1/videos/{jid}/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        socks.append(c)
    time.sleep(2)
    for c in socks:
        c.settimeout(2)
        try:
            line = c.recv(64).split(b"\r\n")[0].decode()
            answers.append(line.split(" ", 2)[1] if line else "closed")
        except OSError:
            answers.append("none")
    held = status_kb(args.server_pid, "VmRSS")
    for c in socks:
        c.close()
    srv.delete(jid)
    return (f"2,000 listeners: {tally(answers)}; server {before >> 10} MB before, {held >> 10} MB while they were open",
            "")


def row11(args, srv):
    path = clip(args.work, "id.mp4", size="160x120", seconds=1)
    s, b = srv.upload(open(path, "rb").read())
    if s != 201:
        return code_of(s, b), ""
    jid = json.loads(b)["id"]
    srv.wait(jid)
    deleted = srv.delete(jid)
    time.sleep(0.5)
    log = open(args.log, errors="replace").read()
    return (f"201; DELETE with the id: {deleted}",
            f"the server's log has the whole id {log.count(jid)} times and its 8-character prefix {log.count(jid[:8])} times")


ROWS = {
    "1": ("PNG-header bomb (16000x16000x16-bit claimed)", row1, 20, False),
    "2": ("HLS playlist / DASH manifest naming a file on the server, as video/mp4", row2, 10, False),
    "4": ("2x2 at 1000 fps; the most frames the defaults take, and 1080p, then DELETE", row4, 90, True),
    "5": ("40 uploads at once; 1,000 slow uploads from one address", row5, 40, True),
    "7": ("640x480 header, 8192x8192 frames inside", row7, 20, False),
    "8": ("a phone-like variable-frame-rate video with sound", row8, 60, False),
    "9": ("2,000 SSE listeners on one job", row9, 20, True),
    "11": ("job ids in the log; DELETE with the id", row11, 10, False),
}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="http://127.0.0.1:9990")
    p.add_argument("--server-pid", type=int, required=True)
    p.add_argument("--loadgen", default="bin/loadgen")
    p.add_argument("--image", default="testdata/obama-480p.jpg")
    p.add_argument("--work", required=True, help="a directory for the files made")
    p.add_argument("--data", required=True, help="the server's --data-dir")
    p.add_argument("--log", required=True, help="the server's log file")
    p.add_argument("rows", nargs="*", default=list(ROWS))
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    srv = Server(args.url)
    sampler = Sampler(args.server_pid)
    print("| row | attack | answered | server peak RSS | ffmpeg children: peak of one (sum) | live client p50 / p95 | notes |")
    print("|---|---|---|---|---|---|---|")
    for r in args.rows:
        title, fn, seconds, wants_sampler = ROWS[r]
        live = Live(args, seconds)
        sampler.reset()
        try:
            answered, notes = fn(args, srv, sampler) if wants_sampler else fn(args, srv)
        except Exception as e:  # a row that breaks is reported, the others run
            answered, notes = f"script error: {e}", ""
        lv = live.result()
        print(f"| {r} | {title} | {answered} | {sampler.server_peak >> 10} MB | "
              f"{sampler.child_peak >> 10} MB ({sampler.children_sum >> 10} MB, {sampler.children_max} at once) | {lv} | {notes} |",
              flush=True)


if __name__ == "__main__":
    main()
