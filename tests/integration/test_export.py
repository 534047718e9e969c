"""`export events`: the access log as CSV (fixed header) or JSON lines."""

import csv
import io
import json
import os
import re
import stat
from datetime import datetime, timezone

import pytest

from conftest import EXPORT_HEADER, flip, h10301_bits, parse_tsv

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")
FIELDS = EXPORT_HEADER.split(",")


def parse_ts(s):
    assert ISO_Z.match(s), s
    return datetime.fromisoformat(s)


def export_csv(gh, *args):
    out = gh("export", "events", *args).stdout
    assert out.splitlines()[0] == EXPORT_HEADER
    return list(csv.DictReader(io.StringIO(out, newline="")))


def export_jsonl(gh, *args):
    return [json.loads(l) for l in gh("export", "events", "--jsonl", *args).stdout.splitlines()]


def ids(gh, what, key="name"):
    return {r[key]: r["id"] for r in parse_tsv(gh(what, "list").stdout.split("\n\n")[0])}


def record(site, door, card, at, *extra):
    p = site.gh("decide", "--door", door, "--card", card, "--at", at, "--record", *extra)
    verdict, reason = re.match(r"^(GRANTED|DENIED): (\w+)", p.stdout).groups()
    return "granted" if verdict == "GRANTED" else "denied", reason


@pytest.fixture
def log(site):
    """Five recorded decisions on Monday 2026-11-23 (times in UTC), in this order."""
    s = site
    expected = [
        # (at, door, card, employee, decision, reason)
        ("2026-11-23T08:00:00Z", s.main, s.ann_card, s.ann, "granted", "granted"),
        ("2026-11-23T09:00:00Z", s.main, s.unknown_card, "", "denied", "unknown_credential"),
        ("2026-11-23T10:00:00Z", s.lab, s.ann_card, s.ann, "denied", "pin_incorrect"),
        ("2026-11-23T11:00:00Z", s.main, s.cleo_card, s.cleo, "denied", "no_access_level"),
        ("2026-11-23T12:00:00.250000Z", s.main, s.bob_card, s.bob, "granted", "granted"),
    ]
    for at, door, card, _, decision, reason in expected:
        extra = ["--pin", "0000"] if door == s.lab else []
        assert record(s, door, card, at, *extra) == (decision, reason)
    return expected


def test_header_and_rows_match_the_recorded_decisions(site, log):
    gh = site.gh
    doors = ids(gh, "door")
    persons = {p["employee_id"]: p["id"] for p in gh.people()}
    raw = gh("export", "events").stdout
    assert raw.split("\n", 1)[0] == EXPORT_HEADER
    assert "\r" not in raw.split("\n", 1)[0]
    rows = export_csv(gh)
    assert len(rows) == len(log)
    for row, (at, door, card, emp, decision, reason) in zip(rows, log):
        assert list(row) == FIELDS
        assert parse_ts(row["timestamp"]) == parse_ts(at)
        assert row["timestamp"].endswith("Z")
        assert row["door_id"] == doors[door]
        assert row["door_name"] == door
        assert row["employee_id"] == emp
        assert row["person_id"] == (persons[emp] if emp else "")
        # an unknown card keeps what was read (from the event payload)
        assert row["badge_id"] == card
        assert (row["decision"], row["reason"]) == (decision, reason)


def test_timestamps_are_utc_with_z(site):
    # recorded "now": the timestamp is the current UTC time
    before = datetime.now(timezone.utc)
    record(site, site.main, site.ann_card, "now")
    after = datetime.now(timezone.utc)
    (row,) = export_csv(site.gh)
    t = parse_ts(row["timestamp"])
    assert before.replace(microsecond=0) <= t <= after
    # a local --at is stored as its UTC instant
    record(site, site.main, site.ann_card, "2026-07-01T10:00")  # CEST
    assert export_csv(site.gh)[1]["timestamp"].startswith("2026-07-01T08:00:00")


def test_from_to_filter_with_exclusive_end(site, log):
    gh = site.gh
    at = lambda rows: [r["timestamp"][:19] for r in rows]
    rows = export_csv(gh, "--from", "2026-11-23T09:00:00Z", "--to", "2026-11-23T11:00:00Z")
    assert at(rows) == ["2026-11-23T09:00:00", "2026-11-23T10:00:00"]
    rows = export_csv(gh, "--from", "2026-11-23T11:00:00Z")
    assert at(rows) == ["2026-11-23T11:00:00", "2026-11-23T12:00:00"]
    rows = export_csv(gh, "--to", "2026-11-23T08:00:00Z")
    assert rows == []
    rows = export_csv(gh, "--to", "2026-11-23T08:00:00.000001Z")
    assert at(rows) == ["2026-11-23T08:00:00"]
    # offsets are honoured: 12:00 CET is 11:00Z
    rows = export_csv(gh, "--from", "2026-11-23T12:00:00+01:00")
    assert at(rows) == ["2026-11-23T11:00:00", "2026-11-23T12:00:00"]
    # whole days (UTC)
    assert len(export_csv(gh, "--from", "2026-11-23", "--to", "2026-11-24")) == len(log)
    assert export_csv(gh, "--from", "2026-11-24") == []
    assert export_csv(gh, "--to", "2026-11-23") == []
    # the JSON lines obey the same filter
    lines = export_jsonl(gh, "--from", "2026-11-23T09:00:00Z", "--to", "2026-11-23T11:00:00Z")
    assert [l["timestamp"][:19] for l in lines] == ["2026-11-23T09:00:00", "2026-11-23T10:00:00"]


def test_exclusive_end_at_midnight(site):
    record(site, site.main, site.ann_card, "2026-11-24T00:00:00Z")
    record(site, site.main, site.ann_card, "2026-11-23T23:59:59.999999Z")
    rows = export_csv(site.gh, "--from", "2026-11-23", "--to", "2026-11-24")
    assert [r["timestamp"] for r in rows] == ["2026-11-23T23:59:59.999999Z"]


def test_person_and_door_filters(site, log):
    gh = site.gh
    rows = export_csv(gh, "--person", site.ann)
    assert {r["employee_id"] for r in rows} == {site.ann} and len(rows) == 2
    rows = export_csv(gh, "--door", site.lab)
    assert [r["reason"] for r in rows] == ["pin_incorrect"]
    gh("export", "events", "--person", "E404", rc=1)
    gh("export", "events", "--door", "Back Door", rc=1)


def test_jsonl_has_the_same_data(site, log):
    gh = site.gh
    rows = export_csv(gh)
    lines = gh("export", "events", "--jsonl").stdout.splitlines()
    assert len(lines) == len(rows)
    offsets = []
    for line, row in zip(lines, rows):
        obj = json.loads(line)
        offsets.append(obj["offset"])
        assert obj["type"] == "access.decision"
        assert ISO_Z.match(obj["timestamp"])
        for f in FIELDS:
            v = obj.get(f, "")
            assert str(v) == row[f], (f, obj, row)
        assert isinstance(obj["door_id"], int)
        if row["person_id"]:
            assert isinstance(obj["person_id"], int)
        assert obj["payload"]["direction"] == "entry"
    assert offsets == sorted(offsets) and len(set(offsets)) == len(offsets)


def test_output_file_is_private(site, log, tmp_path):
    gh = site.gh
    out = tmp_path / "out" / "events.csv"
    out.parent.mkdir()
    p = gh("export", "events", "--output", out)
    assert p.stdout == ""
    assert f"exported {len(log)} events to {out}" in p.stderr
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert out.read_text() == gh("export", "events").stdout
    jl = tmp_path / "out" / "events.jsonl"
    gh("export", "events", "--jsonl", "--output", jl)
    assert stat.S_IMODE(os.stat(jl).st_mode) == 0o600
    assert len(jl.read_text().splitlines()) == len(log)
    # an unwritable destination is an error naming the option
    p = gh("export", "events", "--output", tmp_path / "missing" / "x.csv", rc=1)
    assert "--output" in p.stderr


def test_empty_export_is_just_the_header(site):
    assert site.gh("export", "events").stdout == EXPORT_HEADER + "\n"
    assert site.gh("export", "events", "--jsonl").stdout == ""


def test_only_access_decisions_unless_all(site, log):
    gh = site.gh
    gh("area", "lockdown", "Lobby")
    gh("area", "release", "Lobby")
    assert len(export_csv(gh)) == len(log)
    rows = export_csv(gh, "--all")
    assert len(rows) == len(log) + 2
    assert [(r["decision"], r["reason"]) for r in rows[-2:]] == [("", ""), ("", "")]
    types = [l["type"] for l in export_jsonl(gh, "--all")]
    assert types[-2:] == ["operator.action", "operator.action"]


def test_raw_read_with_bad_parity_is_exported(site):
    bits = flip(h10301_bits(12, 3456), 0)
    site.gh("decide", "--door", site.main, "--bits", bits, "--at", site.weekday, "--record")
    (row,) = export_csv(site.gh)
    assert (row["decision"], row["reason"], row["door_name"]) == (
        "denied", "invalid_read", site.main)


def add_door_and_record(site, name):
    gh = site.gh
    # "--" ends the options: a name may start with '-'
    gh("door", "add", "--site", "HQ", "--from", "Outside", "--to", "Lobby",
       "--no-exit-reader", "--", name)
    gh("level", "door", "Staff", "--door", name, "--schedule", "Office Hours")
    assert record(site, name, site.ann_card, site.weekday) == ("granted", "granted")


@pytest.mark.parametrize("name", ['Dock "B", north', 'Gate, "East"', 'He said ""hi""'])
def test_door_name_with_comma_and_quote_round_trips(site, name):
    add_door_and_record(site, name)
    raw = site.gh("export", "events").stdout
    (row,) = export_csv(site.gh)
    assert row["door_name"] == name
    assert '"' + name.replace('"', '""') + '"' in raw
    assert len(raw.splitlines()) == 2
    (obj,) = export_jsonl(site.gh)
    assert obj["door_name"] == name


@pytest.mark.parametrize("name", ['=HYPERLINK("http://evil.example","x")', "=1+2", "+SUM(A1)",
                                  "-2+3", "@cmd", "=cmd|' /C calc'!A0"])
def test_formula_door_name_is_defused_in_csv(site, name):
    add_door_and_record(site, name)
    (row,) = export_csv(site.gh)
    assert row["door_name"] == "'" + name
    # other fields are untouched, and the JSON keeps the name as it is
    assert row["employee_id"] == site.ann and row["decision"] == "granted"
    (obj,) = export_jsonl(site.gh)
    assert obj["door_name"] == name


def test_export_to_stdout_is_streamed_with_many_events(site):
    """Forty events export completely and in time order."""
    gh = site.gh
    for minute in range(40):
        gh("decide", "--door", site.main, "--card", site.bob_card, "--at",
           f"2026-11-23T10:{minute:02d}", "--record")
    rows = export_csv(gh)
    assert len(rows) == 40
    ts = [parse_ts(r["timestamp"]) for r in rows]
    assert ts == sorted(ts)
