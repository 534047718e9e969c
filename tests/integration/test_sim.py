"""The simulator and the demo: deterministic per seed, the scenarios reach the event log
with the reasons an operator would expect, and the demo prints where to look."""

import csv
import io
import json
import shlex

from conftest import gatehouse_bin, run_gatehouse


def export(gh, *args):
    return gh("export", "events", *args).stdout


def test_same_seed_same_day(gh, tmp_path):
    from conftest import GH  # noqa: E402  (the fixture module)

    a, b = GH(tmp_path / "a"), GH(tmp_path / "b")
    for g in (a, b):
        g.init()
        g("sim", "--seed", "7", "--people", "60", "--day", "2026-11-20")
    assert export(a) == export(b)
    c = GH(tmp_path / "c")
    c.init()
    c("sim", "--seed", "8", "--people", "60", "--day", "2026-11-20")
    assert export(c) != export(a)


def test_scenarios_are_in_the_log(gh):
    gh.init()
    p = gh("sim", "--seed", "3", "--people", "80", "--day", "2026-11-20")
    assert "decisions by reason:" in p.stdout and "top doors:" in p.stdout
    events = [json.loads(line) for line in export(gh, "--all", "--jsonl").splitlines()]
    by_scenario = {}
    for e in events:
        s = e.get("payload", {}).get("scenario")
        if s:
            by_scenario.setdefault(s, []).append(e)
    assert set(by_scenario) == {"lost_card_used", "terminated_employee", "badge_cloning",
                                "door_forced"}
    lost = by_scenario["lost_card_used"][0]
    assert (lost["decision"], lost["reason"]) == ("denied", "credential_inactive")
    fired = by_scenario["terminated_employee"][0]
    assert fired["decision"] == "denied"
    assert fired["reason"] in ("credential_inactive", "person_inactive")
    cloned = by_scenario["badge_cloning"]
    assert len(cloned) == 2 and cloned[0]["badge_id"] == cloned[1]["badge_id"]
    assert cloned[0]["door_name"] != cloned[1]["door_name"]
    assert by_scenario["door_forced"][0]["type"] == "door.forced"
    # the CSV export has the same decisions
    rows = list(csv.DictReader(io.StringIO(export(gh))))
    assert len(rows) == sum(1 for e in events if e["type"] == "access.decision")


def test_no_scenarios(gh):
    gh.init()
    gh("sim", "--seed", "3", "--people", "30", "--day", "2026-11-20", "--no-scenarios")
    assert "scenario" not in export(gh, "--all", "--jsonl")


def test_demo_initializes_and_points_the_way(gh):
    p = gh("demo", "--people", "40", "--seed", "2", "--no-serve")
    assert "built a campus" in p.stdout and "Where to look:" in p.stdout
    assert str(gh.data) in p.stdout
    # the suggested decide command works as printed and explains the lost card
    line = next(l for l in p.stdout.splitlines() if " decide " in l)
    argv = shlex.split(line.strip())
    assert argv[0] == str(gatehouse_bin())
    out = run_gatehouse(argv[1:]).stdout
    assert out.startswith("DENIED: credential_inactive"), out
    assert "is lost" in out
    # a second demo on the same dir simulates another day on the same campus
    p2 = gh("demo", "--people", "40", "--seed", "2", "--day", "2026-11-19", "--no-serve")
    assert "built a campus" not in p2.stdout


def test_sim_rejects_bad_options(gh):
    gh.init()
    gh("sim", "--people", "0", rc=2)
    gh("sim", "--day", "2026-02-30", rc=2)
    gh("sim", "--buildings", "99", rc=2)
    p = gh("sim", "--tz", "Nowhere/City", rc=1)
    assert "Nowhere/City" in p.stderr
    gh("sim", "--rate", "0", rc=2)
    gh("sim", "--rate", "1001", rc=2)


def test_sim_live_feeds_reads_until_stopped(gh):
    """`sim --rate N` replays the day's reads stamped now, until SIGTERM (exit 0)."""
    import signal
    import subprocess
    import time

    from conftest import base_env

    gh.init()
    gh("sim", "--people", "20", "--no-scenarios")
    last = lambda: int(gh("events", "--limit", "1").stdout.split()[0])
    first = last()
    proc = subprocess.Popen([str(gatehouse_bin()), "--data", str(gh.data), "sim", "--rate", "200", "--flood"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=base_env())
    try:
        deadline = time.monotonic() + 30
        while last() < first + 100:  # live reads arrive
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "no live reads arrived"
            time.sleep(0.05)
        newest = gh("events", "--limit", "1").stdout
        assert "sim" in newest
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, proc.stderr.read()


def test_demo_serves_live_reads(gh):
    """`demo` then serves the API with the simulator feeding it: the printed URL and token
    work, new reads keep arriving, and SIGTERM stops everything cleanly."""
    import os
    import re
    import select
    import signal
    import subprocess
    import time

    import requests

    from conftest import base_env

    proc = subprocess.Popen([str(gatehouse_bin()), "--data", str(gh.data), "demo", "--people",
                             "30", "--listen", "127.0.0.1:0", "--rate", "50"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=base_env())
    try:
        out = ""
        deadline = time.monotonic() + 60
        fd = proc.stdout.fileno()
        while "Ctrl-C stops it." not in out and time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 1)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                out += chunk.decode()
        assert "Ctrl-C stops it." in out, out
        url = re.search(r"URL\s+(https://\S+)", out).group(1)
        token = re.search(r"token\s+(ghk_\S+)", out).group(1)
        s = requests.Session()
        s.trust_env = False
        s.verify = str(gh.data / "tls" / "cert.pem")
        s.headers["Authorization"] = f"Bearer {token}"
        assert s.get(url + "/api/v1/whoami", timeout=10).status_code == 200
        # the demo's door controller, a real gatehouse edge, is enrolled and reports
        assert "A door controller (gatehouse edge) drives" in out, out
        deadline = time.monotonic() + 30
        while True:
            ctl = s.get(url + "/api/v1/controllers", timeout=10).json()["items"]
            if ctl and ctl[0]["enrolled"] and ctl[0]["current"]:
                break
            assert time.monotonic() < deadline, ctl
            time.sleep(0.1)
        # the console and its printed sign-in: an operator, no MFA in the demo
        console = re.search(r"console\s+(https://\S+)", out).group(1)
        name, password = re.search(r"sign in\s+(\S+) / (\S+)", out).groups()
        b = requests.Session()
        b.trust_env = False
        b.verify = s.verify
        assert "<script" in b.get(console, timeout=10).text
        r = b.post(url + "/api/v1/auth/login", json={"name": name, "password": password},
                   timeout=30)
        assert r.status_code == 200, r.text
        assert r.json()["roles"] == ["security_operator"]
        assert "doors.control" in r.json()["permissions"]
        first = int(gh("events", "--limit", "1").stdout.split()[0])
        deadline = time.monotonic() + 30
        while int(gh("events", "--limit", "1").stdout.split()[0]) <= first:
            assert time.monotonic() < deadline, "no live reads arrived"
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=30)
    assert rc == 0, proc.stderr.read().decode()
