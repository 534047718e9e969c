"""The live event stream (Server-Sent Events): committed events only, in offset order, each
with its offset as `id`; a client that disconnects and reconnects with Last-Event-ID,
also across a server restart, gets exactly the stored sequence: no gap, no duplicate."""

import json
import threading
import time


class Stream:
    """Reads an SSE response message by message."""

    def __init__(self, server, path="/api/v1/events/stream", last_id=None, **kw):
        headers = {"Last-Event-ID": str(last_id)} if last_id is not None else {}
        self.r = server.get(path, stream=True, headers=headers, timeout=30, **kw)
        assert self.r.status_code == 200, self.r.text
        assert self.r.headers["Content-Type"] == "text/event-stream"
        self.lines = self.r.iter_lines(decode_unicode=True)
        self.comments = []

    def next(self):
        """The next message as (id, event, data), skipping comments (kept in .comments)."""
        msg = {}
        for line in self.lines:
            if line == "":
                if "id" in msg:
                    return int(msg["id"]), msg["event"], json.loads(msg["data"])
                msg = {}
                continue
            if line.startswith(":"):
                self.comments.append(line)
                continue
            key, _, value = line.partition(": ")
            msg[key] = value
        raise EOFError("the stream ended")

    def close(self):
        self.r.close()


def record(server, n, card="h10301:12:3456"):
    for _ in range(n):
        server.gh("decide", "--door", "Main Entrance", "--card", card, "--record")


def stored(server):
    out, cursor = [], 0
    while True:
        page = server.get(f"/api/v1/events?cursor={cursor}&limit=1000").json()
        out += [e["offset"] for e in page["items"]]
        if page["next_cursor"] is None:
            return out
        cursor = page["next_cursor"]


def test_stream_resumes_without_gap_or_duplicate_across_a_restart(site_server):
    s = site_server
    record(s, 3)
    got = []
    # from the beginning (Last-Event-ID 0), disconnect in the middle
    st = Stream(s, last_id=0)
    for _ in range(2):
        off, ev, data = st.next()
        assert ev == "access.decision" and data["offset"] == off and data["type"] == ev
        got.append(off)
    st.close()
    record(s, 2)  # while nobody listens
    st = Stream(s, last_id=got[-1])
    for _ in range(3):
        got.append(st.next()[0])
    # live: events committed while connected arrive
    record(s, 2)
    for _ in range(2):
        got.append(st.next()[0])
    st.close()
    # across a restart of the server
    s.restart()
    record(s, 2)
    st = Stream(s, last_id=got[-1])
    for _ in range(2):
        got.append(st.next()[0])
    st.close()
    assert got == stored(s) == list(range(1, 10))


def test_api_writes_reach_the_stream(site_server):
    s = site_server
    st = Stream(s)  # from now on
    s.post("/api/v1/areas/2/lockdown", json={"reason": "drill"})
    off, ev, data = st.next()
    assert ev == "operator.action" and data["payload"]["action"] == "lockdown"
    assert off == stored(s)[-1]
    st.close()


def test_filtered_stream(site_server):
    s = site_server
    st = Stream(s, path="/api/v1/events/stream?decision=denied&door_id=1", last_id=0)
    record(s, 2)                      # granted or denied, depending on the hour
    record(s, 3, card="h10301:12:9999")  # unknown card: denied
    denied = [e for e in s.get("/api/v1/events?decision=denied&door_id=1").json()["items"]]
    want = [e["offset"] for e in denied]
    got = [st.next()[0] for _ in want]
    assert got == want
    st.close()
    from_ = s.get("/api/v1/events/stream?type=nope", stream=True)
    assert from_.status_code == 400


def test_heartbeat_and_limits(server_factory, site_template):
    s = server_factory(site=True, template=site_template,
                       extra_args=["--set", "limits.sse_heartbeat=1",
                                   "--set", "limits.max_sse_clients=2"])
    a = Stream(s)
    b = Stream(s)
    third = s.get("/api/v1/events/stream", stream=True)
    assert third.status_code == 503 and third.json()["type"].endswith("/busy")
    third.close()
    # an idle stream gets keep-alive comments
    deadline = time.monotonic() + 10
    for line in a.lines:
        if line.startswith(": keep-alive"):
            break
        assert time.monotonic() < deadline
    metrics = s.get("/metrics").text
    assert "gatehouse_sse_clients 2" in metrics
    a.close()
    b.close()
    # closed streams are noticed (at the next heartbeat at the latest) and free their place
    deadline = time.monotonic() + 10
    while True:
        r = s.get("/api/v1/events/stream", stream=True)
        if r.status_code == 200:
            r.close()
            break
        r.close()
        assert time.monotonic() < deadline, "closed streams kept their places"
        time.sleep(0.2)


def test_shutdown_ends_open_streams(site_server):
    s = site_server
    st = Stream(s)
    done = threading.Event()

    def drain():
        try:
            while True:
                st.next()
        except Exception:
            done.set()

    threading.Thread(target=drain, daemon=True).start()
    assert s.stop() == 0
    assert done.wait(10), "the stream did not end at shutdown"
