"""`decide`: GRANTED/DENIED with the reason and the explanation of every check made."""

import csv
import io
import json
import re

import pytest

from conftest import flip, h10301_bits

HEAD = re.compile(
    r"^(?P<verdict>GRANTED|DENIED): (?P<reason>[a-z_]+) \(door (?P<door>.+), "
    r"(?P<dir>entry|exit), (?P<utc>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) = "
    r"(?P<local>\w{3} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (?P<zone>\S+), "
    r"policy version (?P<version>\d+)\)$"
)
STEP = re.compile(r"^  (?P<ok>ok|FAIL) +(?P<check>[a-z]+) +(?P<detail>.+)$")


class Decision:
    def __init__(self, proc):
        self.proc = proc
        lines = proc.stdout.splitlines()
        m = HEAD.match(lines[0])
        assert m, f"unexpected first line: {lines[0]!r}"
        self.head = m.groupdict()
        self.granted = m["verdict"] == "GRANTED"
        self.reason = m["reason"]
        self.holder = None
        self.steps = []
        self.recorded = None
        for line in lines[1:]:
            if line.startswith("  card holder: "):
                self.holder = line[len("  card holder: "):]
            elif line.startswith("recorded as event "):
                self.recorded = int(line.split()[-1])
            else:
                s = STEP.match(line)
                assert s, f"unexpected explanation line: {line!r}"
                self.steps.append((s["ok"] == "ok", s["check"], s["detail"]))

    def failed(self):
        return [(c, d) for ok, c, d in self.steps if not ok]

    def step(self, check):
        return [(ok, d) for ok, c, d in self.steps if c == check]


def decide(site, door, card, *extra, at=None):
    p = site.decide(door, card, *extra, at=at)
    assert p.stderr == ""
    return Decision(p)


def assert_denied(d, reason, check, *words):
    """DENIED with `reason`; the explanation ends with a failed `check`, and one failed
    `check` line names every word."""
    assert not d.granted, d.proc.stdout
    assert d.reason == reason, d.proc.stdout
    ok, c, _ = d.steps[-1]
    assert not ok and c == check, d.proc.stdout
    details = [det for ok, det in d.step(check) if not ok]
    assert any(all(w in det for w in words) for det in details), (words, d.proc.stdout)


# ---- granted -------------------------------------------------------------------------------


def test_granted_with_the_full_explanation(site):
    d = decide(site, site.main, site.ann_card)
    assert d.granted and d.reason == "granted"
    assert d.head["door"] == site.main
    assert d.head["dir"] == "entry"
    # --at without an offset is the site's local time: 10:00 CET is 09:00Z
    assert d.head["utc"] == "2026-11-23T09:00:00.000000Z"
    assert d.head["local"] == "Mon 2026-11-23 10:00:00"
    assert d.head["zone"] == "Europe/Berlin"
    assert d.holder == "Ann Berg (E100, active)"
    checks = [c for ok, c, _ in d.steps if ok]
    assert checks[:4] == ["door", "credential", "person", "level"]
    assert d.steps[-1] == (True, "decision", "granted")
    assert "Outside" in d.step("door")[0][1] and "Lobby" in d.step("door")[0][1]
    assert any(ok and "Staff" in det and "Office Hours" in det for ok, det in d.step("level"))
    assert d.recorded is None


def test_at_with_an_offset_is_that_instant_and_dst_is_honoured(site):
    d = decide(site, site.main, site.ann_card, at="2026-11-23T09:00:00Z")
    assert d.granted and d.head["local"] == "Mon 2026-11-23 10:00:00"
    # summer time: 10:00 local is 08:00Z
    d = decide(site, site.main, site.ann_card, at="2026-07-01T10:00")
    assert d.granted
    assert d.head["utc"] == "2026-07-01T08:00:00.000000Z"
    assert d.head["local"] == "Wed 2026-07-01 10:00:00"


def test_exit_direction(site):
    d = decide(site, site.main, site.ann_card, "--exit")
    assert d.head["dir"] == "exit"
    assert "from 'Lobby' to 'Outside'" in d.step("door")[0][1]


def test_decide_is_exit_0_for_a_denial_and_records_nothing_by_default(site):
    p = site.decide(site.main, site.unknown_card, rc=0)
    assert p.stdout.startswith("DENIED")
    assert site.gh.events() == []


# ---- denials ------------------------------------------------------------------------------


def test_unknown_card(site):
    d = decide(site, site.main, site.unknown_card)
    assert_denied(d, "unknown_credential", "credential", "12:9999", "no credential")
    assert d.holder is None


def test_no_access_level(site):
    d = decide(site, site.main, site.cleo_card)
    assert_denied(d, "no_access_level", "level", "no assigned access level")
    assert d.holder == "Cleo Dietz (E300, active)"


def test_raw_wiegand_read_good_parity_decodes_to_the_card(site):
    bits = h10301_bits(12, 3456)
    p = site.gh("decide", "--door", site.main, "--bits", bits, "--at", site.weekday)
    d = Decision(p)
    assert d.granted
    ok, detail = d.step("read")[0]
    assert ok and "26-bit" in detail and "facility 12 card 3456" in detail


@pytest.mark.parametrize("bit, which", [(0, "leading even parity"), (25, "trailing odd parity")])
def test_bad_wiegand_parity(site, bit, which):
    bits = flip(h10301_bits(12, 3456), bit)
    p = site.gh("decide", "--door", site.main, "--bits", bits, "--at", site.weekday)
    d = Decision(p)
    assert_denied(d, "invalid_read", "read", which)
    assert d.holder is None


def test_flipped_data_bit_breaks_parity(site):
    bits = flip(h10301_bits(12, 3456), 5)  # a facility bit: the even parity no longer holds
    d = Decision(site.gh("decide", "--door", site.main, "--bits", bits, "--at", site.weekday))
    assert_denied(d, "invalid_read", "read", "parity")


def test_unknown_wiegand_length(site):
    d = Decision(site.gh("decide", "--door", site.main, "--bits", "0" * 30, "--at", site.weekday))
    assert_denied(d, "invalid_read", "read", "30")


def test_outside_schedule(site):
    d = decide(site, site.main, site.ann_card, at=site.early)
    assert_denied(d, "outside_schedule", "level", "Office Hours", "not active", "06:30 Mon")
    d = decide(site, site.main, site.ann_card, at=site.sunday)
    assert_denied(d, "outside_schedule", "level", "Office Hours", "Sun")


def test_night_schedule_crosses_midnight(site):
    site.gh("assign", site.bob, "Night")
    assert decide(site, site.main, site.bob_card, at=site.night).granted  # Sun 23:30
    assert decide(site, site.main, site.bob_card, at="2026-11-23T05:30").granted  # Mon
    d = decide(site, site.main, site.bob_card, at="2026-11-23T06:30")
    assert_denied(d, "outside_schedule", "level")


def test_holiday(site):
    d = decide(site, site.main, site.ann_card, at=site.christmas)
    assert d.head["local"] == "Fri 2026-12-25 10:00:00"
    assert d.reason == "holiday" and not d.granted
    assert any(not ok and "closed for a holiday" in det for ok, det in d.step("level"))
    # the day after is a normal Saturday (outside schedule), the day before a working day
    assert decide(site, site.main, site.ann_card, at="2026-12-24T10:00").granted


def test_lockdown_and_release(site):
    gh = site.gh
    assert decide(site, site.main, site.ann_card).granted
    p = gh("area", "lockdown", "Lobby")
    assert "Lobby" in p.stdout and "locked down" in p.stdout
    d = decide(site, site.main, site.ann_card)
    assert_denied(d, "door_locked_down", "lockdown", "locked down")
    # the Lab is inside the Lobby: its door is locked down too
    d = decide(site, site.lab, site.ann_card, "--pin", site.ann_pin)
    assert_denied(d, "door_locked_down", "lockdown", "locked down")
    # the explanation names the lockdown to release
    out = gh("decide", "--door", site.lab, "--card", site.ann_card, "--pin", site.ann_pin,
             "--at", site.weekday).stdout
    assert "'Lab' is locked down (lockdown of 'Lobby')" in out, out
    assert "locked" in gh("area", "list").stdout
    p = gh("area", "release", "Lobby")
    assert "released" in p.stdout
    assert decide(site, site.main, site.ann_card).granted
    assert decide(site, site.lab, site.ann_card, "--pin", site.ann_pin).granted
    # both operator actions are in the event log
    actions = [e for e in gh.events() if "operator.action" in e]
    assert len(actions) == 2
    assert '"lockdown"' in actions[0] and '"release"' in actions[1]


def test_lockdown_of_an_unknown_area_fails(site):
    p = site.gh("area", "lockdown", "Basement", rc=1)
    assert "Basement" in p.stderr


def test_credential_lost(site):
    gh = site.gh
    p = gh("credential", "set", site.bob_card, "--status", "lost")
    assert "lost" in p.stdout
    d = decide(site, site.main, site.bob_card)
    assert_denied(d, "credential_inactive", "credential", "lost")
    creds = {c["card"]: c for c in gh.credentials()}
    assert creds[site.bob_card]["status"] == "lost"
    # found again
    gh("credential", "set", site.bob_card, "--status", "active")
    assert decide(site, site.main, site.bob_card).granted


def test_credential_bad_status_is_a_usage_error(site):
    p = site.gh("credential", "set", site.bob_card, "--status", "misplaced", rc=2)
    assert "--status" in p.stderr and "misplaced" in p.stderr


def test_credential_validity_window(site):
    gh = site.gh
    gh("credential", "set", site.bob_card, "--until", "2026-11-01T00:00:00Z")
    assert_denied(decide(site, site.main, site.bob_card), "credential_expired", "credential",
                  "expired")
    gh("credential", "set", site.bob_card, "--from", "2026-12-01T00:00:00Z", "--until",
       "2027-01-01T00:00:00Z")
    assert_denied(decide(site, site.main, site.bob_card), "credential_not_yet_valid",
                  "credential")


def test_person_terminated_revokes_cards(site):
    gh = site.gh
    p = gh("person", "set", site.ann, "--status", "terminated")
    assert "1 credential" in p.stdout
    creds = gh.credentials(person=site.ann)
    assert [c["status"] for c in creds] == ["revoked"]
    d = decide(site, site.main, site.ann_card)
    assert_denied(d, "credential_inactive", "credential", "revoked")
    assert d.holder == "Ann Berg (E100, terminated)"
    people = {r["employee_id"]: r for r in gh.people()}
    assert people[site.ann]["status"] == "terminated"
    # the others keep their access
    assert decide(site, site.main, site.bob_card).granted


def test_person_inactive_with_an_active_card(site):
    """A card that is itself active still opens nothing for a suspended person."""
    site.gh("person", "set", site.bob, "--status", "suspended")
    assert [c["status"] for c in site.gh.credentials(person=site.bob)] == ["active"]
    d = decide(site, site.main, site.bob_card)
    assert_denied(d, "person_inactive", "person", "suspended")


def test_card_and_pin_door(site):
    # right PIN
    d = decide(site, site.lab, site.ann_card, "--pin", site.ann_pin)
    assert d.granted
    assert d.step("pin") == [(True, "PIN matches")]
    # wrong PIN
    d = decide(site, site.lab, site.ann_card, "--pin", "1234")
    assert_denied(d, "pin_incorrect", "pin", "not the credential's PIN")
    # no PIN
    d = decide(site, site.lab, site.ann_card)
    assert_denied(d, "pin_required", "pin", "no PIN entered")
    # the main door is card only: no PIN needed
    assert decide(site, site.main, site.ann_card).granted


def test_card_and_pin_door_with_a_card_that_has_no_pin(site):
    site.gh("assign", site.bob, "Lab")
    d = decide(site, site.lab, site.bob_card, "--pin", "4711")
    assert_denied(d, "pin_required", "pin", "no PIN")


def test_pin_is_stored_only_as_a_hash_and_can_be_changed(site):
    gh = site.gh
    creds = {c["card"]: c for c in gh.credentials()}
    assert creds[site.ann_card]["pin"] == "pin"
    assert creds[site.bob_card]["pin"] == ""
    db = (gh.data / "gatehouse.db").read_bytes()
    assert b"4711" not in db
    gh("credential", "set", site.ann_card, "--pin-stdin", input="98765\n")
    assert not decide(site, site.lab, site.ann_card, "--pin", site.ann_pin).granted
    assert decide(site, site.lab, site.ann_card, "--pin", "98765").granted


@pytest.mark.parametrize("pin", ["12", "abcd", "1234567890123"])
def test_bad_pin_at_enrollment_is_refused(site, pin):
    gh = site.gh
    gh("person", "add", "E400", "--first", "Dana", "--last", "Eck")
    p = gh("credential", "add", "--person", "E400", "--card", "h10301:12:6000", "--pin-stdin",
           input=pin + "\n", rc=2)
    assert "PIN" in p.stderr or "pin" in p.stderr
    assert gh.credentials(person="E400") == []


def test_pin_stdin_without_input_fails(site):
    p = site.gh("credential", "set", site.bob_card, "--pin-stdin", input="", rc=1)
    assert "--pin-stdin" in p.stderr


def test_unknown_door_fails(site):
    p = site.gh("decide", "--door", "Back Door", "--card", site.ann_card, rc=1)
    assert "--door" in p.stderr and "Back Door" in p.stderr
    assert p.stdout == ""


def test_at_bad_value_is_a_usage_error(site):
    p = site.gh("decide", "--door", site.main, "--card", site.ann_card, "--at", "soon", rc=2)
    assert "--at" in p.stderr


# ---- --record --------------------------------------------------------------------------


def test_record_writes_an_event_visible_in_events_and_export(site):
    gh = site.gh
    d = decide(site, site.main, site.ann_card, "--record")
    assert d.granted and d.recorded is not None
    d2 = decide(site, site.main, site.unknown_card, "--record", at=site.early)
    assert d2.recorded is not None and d2.recorded > d.recorded
    bits = flip(h10301_bits(12, 3456), 25)
    d3 = Decision(gh("decide", "--door", site.main, "--bits", bits, "--at", site.weekday,
                     "--record"))
    assert d3.reason == "invalid_read" and d3.recorded > d2.recorded

    events = gh.events()
    assert len(events) == 3
    by_offset = {int(e.split("\t")[0]): e.split("\t") for e in events}
    e = by_offset[d.recorded]
    assert e[1] == "2026-11-23T09:00:00.000000Z"
    assert e[2] == "access.decision" and e[3] == "granted" and e[4] == "granted"
    assert "door=1" in e and "person=1" in e
    e = by_offset[d2.recorded]
    assert e[3:5] == ["denied", "unknown_credential"]
    assert by_offset[d3.recorded][3:5] == ["denied", "invalid_read"]

    rows = list(csv.DictReader(io.StringIO(gh("export", "events").stdout)))
    assert [(r["decision"], r["reason"]) for r in rows] == [
        ("granted", "granted"), ("denied", "unknown_credential"), ("denied", "invalid_read")]
    assert rows[0]["badge_id"] == site.ann_card
    assert rows[0]["employee_id"] == site.ann
    assert rows[0]["door_name"] == site.main
    assert rows[0]["timestamp"] == "2026-11-23T09:00:00.000000Z"
    assert rows[1]["employee_id"] == "" and rows[1]["person_id"] == ""

    lines = [json.loads(l) for l in gh("export", "events", "--jsonl").stdout.splitlines()]
    assert [l["offset"] for l in lines] == [d.recorded, d2.recorded, d3.recorded]
    # recorded for another time than now: marked as a manual entry with its recording time
    payload = lines[0]["payload"]
    assert payload["direction"] == "entry" and payload["source"] == "cli-manual"
    assert payload["recorded_at"].endswith("Z") and payload["recorded_at"] != lines[0]["timestamp"]


def test_record_of_an_exit(site):
    d = decide(site, site.main, site.ann_card, "--exit", "--record")
    assert d.recorded
    lines = [json.loads(l) for l in site.gh("export", "events", "--jsonl").stdout.splitlines()]
    assert lines[0]["payload"]["direction"] == "exit"
