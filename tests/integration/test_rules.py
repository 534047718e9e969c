"""`gatehouse rules replay`: the built-in detectors run over a data dir's stored events.

A simulated working day raises no alarm but its injected scenarios (a lost card used, a
terminated employee's card, a cloned badge at two buildings, a door forced open at night):
every alarm points at an event the simulator marked as a scenario, and each scenario is
found. The simulator's live mode (people walking through their day again, stamped now)
raises none either. The replay changes nothing (no event, no audit entry). The detectors
themselves are tested on synthetic streams in tests/unit/rules."""

import json
import signal
import sqlite3
import subprocess
import time
from contextlib import closing

import pytest

from conftest import base_env, gatehouse_bin

SCENARIOS = {"lost_card_used", "terminated_employee", "badge_cloning", "door_forced"}


def counts(data):
    with closing(sqlite3.connect(data / "gatehouse.db")) as db:
        return (db.execute("SELECT count(*) FROM events").fetchone()[0],
                db.execute("SELECT count(*) FROM audit_entries").fetchone()[0])


def payloads(data):
    """offset -> the event's payload (a dict)."""
    with closing(sqlite3.connect(data / "gatehouse.db")) as db:
        return {seq: json.loads(p) if p else {}
                for seq, p in db.execute("SELECT seq, payload FROM events")}


def replay(gh, *args):
    p = gh("rules", "replay", "--json", *args)
    alarms = [json.loads(line) for line in p.stdout.splitlines()]
    assert p.stderr.strip() == f"{len(alarms)} alarm{'' if len(alarms) == 1 else 's'}"
    return alarms


@pytest.mark.parametrize("args", [["--people", "200"],
                                  ["--people", "1500", "--buildings", "3", "--seed", "11"]],
                         ids=["200-people", "1500-people-3-buildings"])
def test_a_normal_day_raises_only_its_injected_scenarios(gh, args):
    gh("init")
    gh("sim", *args, "--day", "2026-11-23")
    before = counts(gh.data)
    alarms = replay(gh)
    assert all({"offset", "time", "type", "severity", "key", "detail"} <= set(a) for a in alarms)
    marked = payloads(gh.data)
    stray = [a for a in alarms if marked[a["offset"]].get("scenario") not in SCENARIOS]
    assert stray == [], stray
    found = {marked[a["offset"]]["scenario"]: a for a in alarms}
    assert set(found) == SCENARIOS, alarms
    assert found["door_forced"]["type"] == "door_forced"
    assert found["badge_cloning"]["type"] == "badge_cloning"
    assert "walking between them takes at least" in found["badge_cloning"]["detail"]
    assert "a lost card" in found["lost_card_used"]["detail"]
    assert "a revoked card" in found["terminated_employee"]["detail"]
    assert counts(gh.data) == before  # it changed nothing
    # from a later offset: only what follows
    last = max(a["offset"] for a in alarms)
    p = gh("rules", "replay", "--from", str(last + 1))
    assert p.stdout == "" and p.stderr.strip() == "0 alarms"
    # the plain form: tab-separated
    first = gh("rules", "replay").stdout.splitlines()[0].split("\t")
    assert len(first) == 5 and first[0].isdigit()


def test_the_live_campus_raises_no_alarm(gh):
    """Live, everyone walks through their day again no faster than the doors are apart; with
    --flood the same reads go out in plan order, and impossible travel is what it is."""
    gh("init")
    gh("sim", "--people", "200", "--no-scenarios", "--day", "2026-11-23")
    assert replay(gh) == []
    start = counts(gh.data)[0]

    def live(*extra, want):
        proc = subprocess.Popen([str(gatehouse_bin()), "--data", str(gh.data), "sim", *extra],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                env=base_env(), text=True)
        try:
            deadline = time.monotonic() + 60
            first = counts(gh.data)[0]
            while counts(gh.data)[0] < first + want:
                assert proc.poll() is None, proc.stderr.read()
                assert time.monotonic() < deadline, "the live reads did not come"
                time.sleep(0.1)
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0, proc.stderr.read()

    live("--rate", "200", want=300)
    assert replay(gh, "--from", str(start + 1)) == []
    after = counts(gh.data)[0]
    live("--rate", "500", "--flood", want=1500)
    assert any(a["type"] == "badge_cloning" for a in replay(gh, "--from", str(after + 1)))
