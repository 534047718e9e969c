"""A real `gatehouse edge` for tests: enrolled against a test server with a token from the
CLI, driven through its simulator socket (one line in, one line back)."""

import os
import socket
import subprocess
import time
from pathlib import Path

from conftest import base_env, gatehouse_bin, h10301_bits


class Edge:
    def __init__(self, data: Path, servers, ca, token=None, extra=None):
        self.data = Path(data)
        self.servers = servers
        self.ca = ca
        self.extra = list(extra or [])
        self.proc = None
        self.sock = None
        self.runs = 0
        self.start(token)

    @property
    def socket_path(self):
        return str(self.data / "sim.sock")

    def start(self, token=None):
        """Starts the daemon and waits until it says it is running."""
        self.data.mkdir(parents=True, exist_ok=True)
        self.runs += 1
        self.log_path = self.data.parent / f"{self.data.name}-edge-{self.runs}.log"
        r, w = os.pipe()
        args = [str(gatehouse_bin()), "edge", "--data", str(self.data), "--server",
                ",".join(self.servers), "--ca", str(self.ca), "--ready-fd", str(w),
                "--heartbeat", "1", *self.extra]
        if token:
            args += ["--enroll", token]
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                         env=base_env(), pass_fds=(w,))
        os.close(w)
        with os.fdopen(r) as ready:
            line = ready.readline()  # EOF (empty) if it exits first
        if line != "ready\n":
            self.proc.wait(10)
            raise AssertionError(f"edge did not start: {self.log()}")
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(self.socket_path)
        self.f = self.sock.makefile("rw")

    def wait_door(self, door, timeout=20):
        """Waits until the controller decides for door (its snapshot has come)."""
        wait_for(lambda: self.send(f"state {door}").startswith("state "), timeout=timeout,
                 what=f"door {door} in the controller's snapshot")

    def log(self):
        return Path(self.log_path).read_text()

    def send(self, line):
        self.f.write(line + "\n")
        self.f.flush()
        return self.f.readline().strip()

    def swipe(self, door, facility, number, pin=None):
        line = f"swipe {door} {h10301_bits(facility, number)}"
        if pin:
            line += f" pin={pin}"
        return self.send(line)

    def pipeline(self, lines):
        """Sends lines without waiting, then reads one answer per line (the controller takes
        up to a turn's worth at a time and commits them together)."""
        self.f.write("".join(line + "\n" for line in lines))
        self.f.flush()
        return [self.f.readline().strip() for _ in lines]

    def close_socket(self):
        if self.sock:
            self.f.close()
            self.sock.close()
            self.sock = None

    def stop(self, sig=15, timeout=10):
        self.close_socket()
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout)
        rc = self.proc.returncode
        self.proc = None
        return rc

    def kill(self):
        return self.stop(sig=9)


def wait_for(cond, timeout=20, step=0.05, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")
