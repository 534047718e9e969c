"""`gatehouse rules replay`: the built-in detectors run over a data dir's stored events. On a
simulated day with its injected scenarios (a lost card used, a terminated employee's card,
a door forced open at night) each scenario is found, every alarm says what and where, and
the replay changes nothing (no event, no audit entry). (The detectors themselves are
tested on synthetic streams in tests/unit/rules.)"""

import json
import sqlite3
from contextlib import closing


def counts(data):
    with closing(sqlite3.connect(data / "gatehouse.db")) as db:
        return (db.execute("SELECT count(*) FROM events").fetchone()[0],
                db.execute("SELECT count(*) FROM audit_entries").fetchone()[0])


def test_the_injected_scenarios_are_found(gh):
    gh("init")
    gh("sim", "--people", "200", "--day", "2026-11-23")
    before = counts(gh.data)
    p = gh("rules", "replay", "--json")
    alarms = [json.loads(line) for line in p.stdout.splitlines()]
    assert p.stderr.strip() == f"{len(alarms)} alarm{'' if len(alarms) == 1 else 's'}"
    assert all({"offset", "time", "type", "severity", "key", "detail"} <= set(a) for a in alarms)
    details = [a["detail"] for a in alarms]
    assert any(a["type"] == "door_forced" for a in alarms), details
    assert any("a lost card" in d for d in details), details
    assert any("a revoked card" in d for d in details), details  # the terminated employee's
    assert counts(gh.data) == before  # it changed nothing
    # from a later offset: only what follows
    last = max(a["offset"] for a in alarms)
    p = gh("rules", "replay", "--from", str(last))
    assert p.stdout == "" and p.stderr.strip() == "0 alarms"
    # the plain form: tab-separated
    first = gh("rules", "replay").stdout.splitlines()[0].split("\t")
    assert len(first) == 5 and first[0].isdigit()
