#!/usr/bin/python3
"""bench_edge.py: a door controller's swipe-to-decision latency and sustained swipes/s.

A real `gatehouse serve` and a real `gatehouse edge` (enrolled, its snapshot fetched) in a
scratch dir; swipes go through the simulator socket. The latency is from writing the
swipe line to reading its answer, one swipe at a time: the decision, the journal commit
(synchronous=FULL: an fsync) and the answer. The baseline, in the same run and the same
directory, is the disk's own cost of a small write + fsync. Throughput: swipes sent in
pipelined batches for a few seconds (the controller commits up to 64 per turn, one fsync
each turn); its baseline is fsyncs per second.

Run from the build dir (bench/run.sh does): uses ./gatehouse.
Prints "bench: ..." lines on stdout; everything else on stderr.
"""

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

GH = os.path.abspath(os.environ.get("GATEHOUSE_BIN", "./gatehouse"))


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def gh(data, *args):
    return subprocess.run([GH, "--data", data, *args], check=True, capture_output=True,
                          text=True).stdout


def bits(facility, number):
    b = format(facility, "08b") + format(number, "016b")
    return (str(b[:12].count("1") % 2) + b + str(1 - b[12:].count("1") % 2))


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def fsync_cost(directory, n=400):
    """Seconds for a 100-byte append + fsync, n times (the disk under the journal)."""
    path = os.path.join(directory, "fsync-probe")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    out = []
    try:
        for _ in range(n):
            t = time.perf_counter()
            os.write(fd, b"x" * 100)
            os.fsync(fd)
            out.append(time.perf_counter() - t)
    finally:
        os.close(fd)
        os.unlink(path)
    return out


def main():
    tmp = tempfile.mkdtemp(prefix="gh-bench-edge-", dir=os.environ.get("GH_BENCH_TMP"))
    srv = edge = None
    try:
        data = os.path.join(tmp, "srv")
        gh(data, "init")
        gh(data, "site", "add", "HQ", "--tz", "Europe/Berlin")
        gh(data, "area", "add", "Outside", "--site", "HQ")
        gh(data, "area", "add", "Lobby", "--site", "HQ")
        gh(data, "door", "add", "Main", "--site", "HQ", "--from", "Outside", "--to", "Lobby")
        gh(data, "schedule", "add", "Always", "--interval", "daily 00:00-24:00")
        gh(data, "level", "add", "Staff")
        gh(data, "level", "door", "Staff", "--door", "Main", "--schedule", "Always")
        gh(data, "person", "add", "E1", "--first", "Bench", "--last", "Mark")
        gh(data, "credential", "add", "--person", "E1", "--card", "h10301:12:3456")
        gh(data, "assign", "E1", "Staff")
        gh(data, "controller", "add", "bench", "--door", "Main")
        token = gh(data, "controller", "token", "bench").strip()
        srv = subprocess.Popen([GH, "--data", data, "serve", "--listen", "127.0.0.1:0"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        url = srv.stdout.readline().split("serving ", 1)[1].split()[0]
        edata = os.path.join(tmp, "edge")
        r, w = os.pipe()
        edge = subprocess.Popen([GH, "edge", "--data", edata, "--server", url, "--ca",
                                 os.path.join(data, "tls", "cert.pem"), "--enroll", token,
                                 "--ready-fd", str(w)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, pass_fds=(w,))
        os.close(w)
        with os.fdopen(r) as ready:
            assert ready.readline() == "ready\n", "the controller did not start"
        sock = socket.socket(socket.AF_UNIX)
        sock.connect(os.path.join(edata, "sim.sock"))
        f = sock.makefile("rw")

        def send(line):
            f.write(line + "\n")
            f.flush()
            return f.readline()

        deadline = time.monotonic() + 30
        while not send("state Main").startswith("state"):
            assert time.monotonic() < deadline, "no snapshot"
            time.sleep(0.05)
        swipe = f"swipe Main {bits(12, 3456)}"
        assert send(swipe).startswith("granted")

        base = fsync_cost(edata)
        lat = []
        for _ in range(2000):
            t = time.perf_counter()
            a = send(swipe)
            lat.append(time.perf_counter() - t)
            assert a.startswith("granted"), a
        # sustained: pipelined batches for 4 s, best of the middle (median of 5 windows)
        rates = []
        for _ in range(5):
            n, t0 = 0, time.perf_counter()
            while time.perf_counter() - t0 < 0.8:
                f.write((swipe + "\n") * 256)
                f.flush()
                for _ in range(256):
                    f.readline()
                n += 256
            rates.append(n / (time.perf_counter() - t0))
        base_rate = 1 / statistics.median(base)
        p50, p99 = pct(lat, 50) * 1e3, pct(lat, 99) * 1e3
        b50, b99 = pct(base, 50) * 1e3, pct(base, 99) * 1e3
        rate = statistics.median(rates)
        log(f"bench_edge: {len(lat)} swipes one at a time; fsync probe {len(base)} times in "
            f"the controller's data dir; throughput 5 windows of 0.8 s, batches of 256")
        print(f"bench: edge_swipe_latency_p50 {p50:.3f} ms baseline {b50:.3f} ms "
              f"ratio {p50 / b50:.2f} target <=2")
        print(f"bench: edge_swipe_latency_p99 {p99:.3f} ms baseline {b99:.3f} ms "
              f"ratio {p99 / b99:.2f} target <=2")
        print(f"bench: edge_swipes_per_s {rate:.0f} swipes/s baseline {base_rate:.0f} fsync/s "
              f"ratio {rate / base_rate:.1f} target >=1000")
        f.close()
        sock.close()
    finally:
        for p in (edge, srv):
            if p is not None:
                p.terminate()
                p.wait(30)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
