"""Forwarding to a SIEM: a real rsyslogd, started here, receives every event and every audit
entry from `gatehouse serve` as RFC 5424 messages with octet-counted framing, over TLS (the
receiver's certificate checked against the CA given) or plain TCP, as JSON or CEF. The
receiver is stopped in the middle of a load and started again, and the server restarted:
nothing is missing (duplicates are allowed: at least once, each message with its offset or
index). A receiver whose certificate is not trusted gets nothing."""

import json
import re
import sqlite3
import subprocess
import time
from contextlib import closing

import pytest

from conftest import gatehouse_bin, run_gatehouse
from rsyslog_proc import Rsyslog


def db_counts(data):
    """(last event offset, audit log size) of a data dir."""
    with closing(sqlite3.connect(data / "gatehouse.db")) as db:
        last = db.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
        size = db.execute("SELECT count(*) FROM audit_entries").fetchone()[0]
    return last, size


def received(rs):
    """(event offsets, audit indexes, number of messages) rsyslog has written."""
    offsets, indexes, n = set(), set(), 0
    for msgid, body in rs.json_messages():
        n += 1
        if msgid == "event":
            offsets.add(body["offset"])
        elif msgid == "audit":
            indexes.add(body["index"])
    return offsets, indexes, n


def wait_for(what, cond, timeout=60):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def wait_all_received(rs, data, timeout=60):
    def done():
        last, size = db_counts(data)
        offsets, indexes, _ = received(rs)
        return offsets >= set(range(1, last + 1)) and indexes >= set(range(size))
    wait_for("every event and audit entry at rsyslog", done, timeout)


def metric(server, name):
    text = server.get("/metrics").text
    m = re.search(rf"^{name} (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def start_sim(server, rate=400):
    """`gatehouse sim --rate`: card reads into the server's store, live, until stopped."""
    return subprocess.Popen([str(gatehouse_bin()), "--data", str(server.data), "sim",
                             "--people", "40", "--buildings", "1", "--rate", str(rate), "--flood"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def stop_sim(p):
    p.terminate()
    assert p.wait(timeout=30) == 0, p.stderr.read()


def test_everything_arrives_over_tls_through_receiver_and_server_restarts(server_factory,
                                                                        tmp_path):
    rs = Rsyslog(tmp_path / "rsyslog", tls=True)
    rs.start()
    s = server_factory(extra_args=[
        "--set", f"siem.target={rs.target}", "--set", f"siem.ca_file={rs.dir}/ca.pem",
        "--set", "siem.start=beginning", "--set", "siem.max_backoff=1"])
    sim = start_sim(s)
    try:
        wait_for("the first events at rsyslog", lambda: len(received(rs)[0]) >= 50)
        # the receiver goes away in the middle of the load ...
        rs.stop()
        stopped_at, _ = db_counts(s.data)
        for i in range(10):
            assert s.post("/api/v1/sites", json={"name": f"Site {i}",
                                                 "timezone": "UTC"}).status_code == 201
        wait_for("reads while rsyslog is down",
                 lambda: db_counts(s.data)[0] >= stopped_at + 300)
        assert "SIEM forwarding" in s.log()
        # ... and comes back on the same port
        rs.start()
        wait_for("messages after the restart",
                 lambda: max(received(rs)[0], default=0) > stopped_at + 300)
    finally:
        stop_sim(sim)
    wait_all_received(rs, s.data)
    assert metric(s, "gatehouse_siem_reconnects_total") >= 1
    assert metric(s, "gatehouse_siem_connected") == 1
    # the server restarts: it resumes from its saved cursor
    s.restart()
    for i in range(5):
        assert s.post("/api/v1/departments", json={"name": f"Dept {i}"}).status_code == 201
    wait_all_received(rs, s.data)
    last, size = db_counts(s.data)
    offsets, indexes, n = received(rs)
    assert offsets == set(range(1, last + 1)) and indexes == set(range(size))
    print(f"{last} events and {size} audit entries forwarded through a receiver restart and "
          f"a server restart; {n - last - size} sent twice")
    # what arrives is what the export and the audit API say
    by_offset = {b["offset"]: b for m, b in rs.json_messages() if m == "event"}
    export = [json.loads(line) for line in s.get(
        "/api/v1/exports/events", params={"format": "jsonl", "all_types": "true"}).text.split("\n")
        if line]
    for e in export[:50]:
        assert {k: v for k, v in by_offset[e["offset"]].items() if k != "stream"} == e
    by_index = {b["index"]: b["entry"] for m, b in rs.json_messages() if m == "audit"}
    for i in (0, size - 1):
        assert by_index[i] == s.get(f"/api/v1/audit/entries/{i}").json()["entry"]
    assert by_index[0]["action"] == "init"


def test_cef_over_plain_tcp(server_factory, tmp_path):
    rs = Rsyslog(tmp_path / "rsyslog", tls=False)
    rs.start()
    s = server_factory(extra_args=["--set", f"siem.target={rs.target}",
                                   "--set", "siem.format=cef"])
    r = s.post("/api/v1/sites", json={"name": "HQ | North = 1", "timezone": "Europe/Berlin"})
    assert r.status_code == 201
    s.gh("sim", "--people", "5", "--buildings", "1", "--no-scenarios")
    wait_all_received_cef = lambda: any(  # noqa: E731
        m == "event" for m, _ in rs.messages()) and any(m == "audit" for m, _ in rs.messages())
    wait_for("CEF messages", wait_all_received_cef)
    audit = [b for m, b in rs.messages() if m == "audit"]
    site = next(b for b in audit if "POST /api/v1/sites" in b)
    assert site.startswith("CEF:0|gatehouse|gatehouse|")
    header = site.split("|")
    assert header[4] == "audit" and header[5] == "POST /api/v1/sites"
    assert "suser=token:test-admin" in site
    # the extension escapes '=' and '\\'; the entry is there whole
    entry = re.search(r"cs2=(.*)$", site).group(1).replace("\\=", "=").replace("\\\\", "\\")
    assert json.loads(entry)["request_body"]["name"] == "HQ | North = 1"
    events = [b for m, b in rs.messages() if m == "event"]
    decision = next(b for b in events if "|access.decision|" in b)
    assert re.search(r"\|access (granted|denied)\|\d+\|rt=\d+ externalId=\d+ act=", decision)


def test_an_untrusted_receiver_gets_nothing(server_factory, tmp_path):
    rs = Rsyslog(tmp_path / "rsyslog", tls=True)
    rs.start()
    other = Rsyslog(tmp_path / "other-ca", tls=True)  # only for its CA
    s = server_factory(extra_args=["--set", f"siem.target={rs.target}",
                                   "--set", f"siem.ca_file={other.dir}/ca.pem",
                                   "--set", "siem.start=beginning"])
    wait_for("the refusal in the log", lambda: "is not trusted" in s.log())
    assert s.post("/api/v1/sites", json={"name": "HQ", "timezone": "UTC"}).status_code == 201
    assert metric(s, "gatehouse_siem_connected") == 0
    assert rs.messages() == []


@pytest.mark.parametrize("setting, message", [
    ("siem.target=udp://127.0.0.1:514", "is not tcp://HOST:PORT or tls://HOST:PORT"),
    ("siem.target=tls://127.0.0.1", "the port (1 to 65535) is missing"),
    ("siem.format=leef", "json or cef"),
    ("siem.streams=alarms", "'events', 'audit' or 'events, audit'"),
])
def test_bad_settings_are_refused(gh, setting, message):
    gh("init")
    err = gh("serve", "--check-config", "--set", setting, rc=None).stderr
    assert message in err and "siem." in err
