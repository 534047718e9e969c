"""The REST API over HTTPS against a real server: CRUD for every resource, paging,
references by name, validation (422 with every bad field, nothing changed), conflicts,
permissions, the CLI's semantics (terminations, lockdown events), events and their
filters, what-if decisions, roster import and export."""

import csv
import io
import json

import pytest

from conftest import REPO, EXPORT_HEADER

ROSTER = REPO / "tests" / "data" / "roster"


def ok(r, status=200):
    assert r.status_code == status, f"{r.request.method} {r.request.url}: {r.status_code} {r.text}"
    return r.json() if r.content else None


def problem(r, status, slug):
    assert r.status_code == status, r.text
    body = r.json()
    assert body["type"].endswith("/" + slug), body
    return body


def fields(body):
    return {e["field"] for e in body.get("errors", [])}


def all_items(s, path):
    """Every item of a list, following next_cursor with small pages."""
    items, cursor = [], None
    while True:
        sep = "&" if "?" in path else "?"
        q = f"{path}{sep}limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = ok(s.get(q))
        assert len(page["items"]) <= 2
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


# ---- one of everything ---------------------------------------------------------------------


@pytest.fixture
def base(server):
    s = server
    site = ok(s.post("/api/v1/sites", json={"name": "HQ", "timezone": "Europe/Berlin"}), 201)
    outside = ok(s.post("/api/v1/areas", json={"name": "Outside", "site_id": "HQ"}), 201)
    lobby = ok(s.post("/api/v1/areas", json={"name": "Lobby", "site_id": site["id"]}), 201)
    door = ok(s.post("/api/v1/doors", json={"name": "Main", "site_id": "HQ",
                                            "from_area_id": "Outside", "to_area_id": "Lobby"}),
              201)
    sched = ok(s.post("/api/v1/schedules", json={"name": "Office",
                                                 "intervals": ["mon-fri 07:00-19:00"]}), 201)
    level = ok(s.post("/api/v1/levels", json={"name": "Staff"}), 201)
    ok(s.put(f"/api/v1/levels/{level['id']}/doors/{door['id']}", json={"schedule_id": "Office"}))
    person = ok(s.post("/api/v1/people", json={"employee_id": "E1", "first_name": "Ann",
                                               "last_name": "Berg"}), 201)
    cred = ok(s.post("/api/v1/credentials", json={"person_id": "E1", "format": "h10301",
                                                  "facility": 12, "number": 3456}), 201)
    ok(s.put(f"/api/v1/people/{person['id']}/levels/{level['id']}", json={}))
    return dict(s=s, site=site, outside=outside, lobby=lobby, door=door, sched=sched,
                level=level, person=person, cred=cred)


# (plural, create body, patch body, field the patch changes) for every resource with CRUD
RESOURCES = [
    ("sites", {"name": "Annex", "timezone": "Europe/Paris"}, {"timezone": "Europe/Rome"},
     "timezone"),
    ("areas", {"name": "Annex Hall", "site_id": "HQ", "apb": "soft"}, {"apb": "hard"}, "apb"),
    ("doors", {"name": "Side", "site_id": "HQ", "from_area_id": "Lobby",
               "to_area_id": "Outside"}, {"mode": "card_pin"}, "mode"),
    ("schedules", {"name": "Nights", "intervals": ["daily 22:00-06:00"]},
     {"intervals": ["sat,sun 10:00-14:00"]}, "intervals"),
    ("calendars", {"name": "Holidays"}, {"name": "Public holidays"}, "name"),
    ("levels", {"name": "Night"}, {"name": "Night crew"}, "name"),
    ("departments", {"name": "Legal"}, {"name": "Legal & Compliance"}, "name"),
    ("people", {"employee_id": "E9", "first_name": "Bob", "last_name": "Chen",
                "email": "bob@example.test", "kind": "contractor"},
     {"title": "Electrician"}, "title"),
    ("credentials", {"person_id": "E1", "format": "h10306", "facility": 300, "number": 7},
     {"valid_until": "2027-01-01T00:00:00Z"}, "valid_until"),
]


@pytest.mark.parametrize("plural,create,patch,changed", RESOURCES,
                         ids=[r[0] for r in RESOURCES])
def test_crud(base, plural, create, patch, changed):
    s = base["s"]
    r = s.post(f"/api/v1/{plural}", json=create)
    made = ok(r, 201)
    assert r.headers["Location"] == f"/api/v1/{plural}/{made['id']}"
    assert ok(s.get(f"/api/v1/{plural}/{made['id']}")) == made
    assert made in all_items(s, f"/api/v1/{plural}")
    updated = ok(s.patch(f"/api/v1/{plural}/{made['id']}", json=patch))
    assert updated[changed] != made[changed]
    assert {k: v for k, v in updated.items() if k != changed} == \
        {k: v for k, v in made.items() if k != changed}
    assert ok(s.get(f"/api/v1/{plural}/{made['id']}")) == updated
    assert s.delete(f"/api/v1/{plural}/{made['id']}").status_code == 204
    problem(s.get(f"/api/v1/{plural}/{made['id']}"), 404, "not-found")
    problem(s.delete(f"/api/v1/{plural}/{made['id']}"), 404, "not-found")


def test_paging_and_filters(base):
    s = base["s"]
    for i in range(5):
        ok(s.post("/api/v1/people", json={"employee_id": f"P{i}", "first_name": "P",
                                          "last_name": str(i), "kind": "visitor"}), 201)
    people = all_items(s, "/api/v1/people")
    assert [p["employee_id"] for p in people] == ["E1", "P0", "P1", "P2", "P3", "P4"]
    assert [p["employee_id"] for p in all_items(s, "/api/v1/people?kind=visitor")] == \
        ["P0", "P1", "P2", "P3", "P4"]
    problem(s.get("/api/v1/people?kind=robot"), 400, "bad-request")
    problem(s.get("/api/v1/people?limit=0"), 400, "bad-request")
    problem(s.get("/api/v1/people?limit=1001"), 400, "bad-request")
    problem(s.get("/api/v1/doors?site_id=x"), 400, "bad-request")
    assert all_items(s, f"/api/v1/credentials?person_id={base['person']['id']}") == \
        [base["cred"]]
    assert all_items(s, "/api/v1/credentials?status=lost") == []


def test_nested_resources(base):
    s = base["s"]
    cal = ok(s.post("/api/v1/calendars", json={"name": "Holidays"}), 201)
    h = ok(s.post(f"/api/v1/calendars/{cal['id']}/holidays",
                  json={"date": "2026-12-25", "name": "Christmas Day"}), 201)
    assert h == {"calendar_id": cal["id"], "date": "2026-12-25", "name": "Christmas Day"}
    problem(s.post(f"/api/v1/calendars/{cal['id']}/holidays",
                   json={"date": "2026-12-25", "name": "Again"}), 409, "conflict")
    body = problem(s.post(f"/api/v1/calendars/{cal['id']}/holidays",
                          json={"date": "2026-02-30", "name": "No"}), 422, "validation")
    assert fields(body) == {"date"}
    assert ok(s.get(f"/api/v1/calendars/{cal['id']}/holidays"))["items"] == [h]
    assert s.delete(f"/api/v1/calendars/{cal['id']}/holidays/2026-12-25").status_code == 204
    problem(s.delete(f"/api/v1/calendars/{cal['id']}/holidays/2026-12-25"), 404, "not-found")
    lvl, door = base["level"], base["door"]
    assert ok(s.get(f"/api/v1/levels/{lvl['id']}/doors"))["items"] == [
        {"level_id": lvl["id"], "door_id": door["id"], "schedule_id": base["sched"]["id"]}]
    assert s.delete(f"/api/v1/levels/{lvl['id']}/doors/{door['id']}").status_code == 204
    assert ok(s.get(f"/api/v1/levels/{lvl['id']}/doors"))["items"] == []
    a = ok(s.get(f"/api/v1/assignments?person_id={base['person']['id']}"))["items"]
    assert [x["level_id"] for x in a] == [lvl["id"]] and a[0]["expires"] is None
    a2 = ok(s.put(f"/api/v1/people/{base['person']['id']}/levels/{lvl['id']}",
                  json={"expires": "2027-01-01T00:00:00Z"}))
    assert a2["expires"] == "2027-01-01T00:00:00.000000Z"
    assert s.delete(f"/api/v1/people/{base['person']['id']}/levels/{lvl['id']}"
                    ).status_code == 204
    assert ok(s.get(f"/api/v1/assignments?person_id={base['person']['id']}"))["items"] == []


# ---- validation: every bad field at once, nothing changed -------------------------------------


BAD = [
    ("sites", {"name": " padded", "timezone": "Mars/Olympus", "extra": 1},
     {"name", "timezone", "extra"}),
    ("areas", {"name": "X", "site_id": "Nowhere", "apb": "sometimes"}, {"site_id", "apb"}),
    ("doors", {"name": "X", "site_id": "HQ", "from_area_id": "Lobby", "to_area_id": "Lobby",
               "unlock_ms": 5}, {"unlock_ms"}),
    ("doors", {"name": "X", "site_id": "HQ", "from_area_id": "Lobby", "to_area_id": "Lobby"},
     {"to_area_id"}),
    ("doors", {"name": "X", "site_id": "HQ", "from_area_id": "Lobby", "to_area_id": "Outside",
               "mode": "unlocked_schedule"}, {"unlock_schedule_id"}),
    ("schedules", {"name": "X", "intervals": ["someday 25:00-26:00", 7]},
     {"intervals[0]", "intervals[1]"}),
    ("schedules", {"name": "X"}, {"intervals"}),
    ("people", {"employee_id": "has space", "first_name": "", "last_name": "L",
                "email": "nope", "status": "retired", "valid_from": "yesterday"},
     {"employee_id", "first_name", "email", "status", "valid_from"}),
    ("credentials", {"person_id": "E1", "format": "h10301", "facility": 256, "number": 1},
     {"number"}),
    ("credentials", {"person_id": "E404", "format": "h99", "facility": 1, "number": 1,
                     "pin": "12ab"}, {"person_id", "format", "pin"}),
    ("levels", {"name": 5}, {"name"}),
    ("departments", {}, {"name"}),
]


@pytest.mark.parametrize("plural,body,bad", BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_validation_names_every_field_and_changes_nothing(base, plural, body, bad):
    s = base["s"]
    before = all_items(s, f"/api/v1/{plural}")
    events = ok(s.get("/api/v1/events"))["items"]
    r = s.post(f"/api/v1/{plural}", json=body)
    assert r.headers["Content-Type"].startswith("application/problem+json")
    got = problem(r, 422, "validation")
    assert fields(got) == bad, got
    assert all(e["detail"] for e in got["errors"])
    assert all_items(s, f"/api/v1/{plural}") == before
    assert ok(s.get("/api/v1/events"))["items"] == events


def test_patch_validation_changes_nothing(base):
    s = base["s"]
    door = base["door"]
    body = problem(s.patch(f"/api/v1/doors/{door['id']}",
                           json={"held_open_s": 0, "fail": "maybe", "name": "Renamed"}),
                   422, "validation")
    assert fields(body) == {"held_open_s", "fail"}
    assert ok(s.get(f"/api/v1/doors/{door['id']}")) == door


def test_a_door_is_placed_on_its_site_plan(base):
    """position {x_m, y_m} (whole metres) or null; bad ones refused, the door unchanged."""
    s = base["s"]
    door = base["door"]
    assert door["position"] is None
    placed = ok(s.patch(f"/api/v1/doors/{door['id']}", json={"position": {"x_m": 120,
                                                                          "y_m": -35}}))
    assert placed["position"] == {"x_m": 120, "y_m": -35}
    assert ok(s.get(f"/api/v1/doors/{door['id']}")) == placed
    for bad in ({"x_m": 1}, {"x_m": 1, "y_m": 2, "z_m": 3}, {"x_m": 1.5, "y_m": 2},
                {"x_m": 1000001, "y_m": 0}, [1, 2], "1,2"):
        body = problem(s.patch(f"/api/v1/doors/{door['id']}", json={"position": bad}), 422,
                       "validation")
        assert fields(body) == {"position"}, bad
        assert ok(s.get(f"/api/v1/doors/{door['id']}")) == placed
    cleared = ok(s.patch(f"/api/v1/doors/{door['id']}", json={"position": None}))
    assert cleared["position"] is None and cleared == door


def test_conflicts(base):
    s = base["s"]
    problem(s.post("/api/v1/sites", json={"name": "hq", "timezone": "UTC"}), 409, "conflict")
    problem(s.post("/api/v1/credentials", json={"person_id": "E1", "format": "h10301",
                                                "facility": 12, "number": 3456}), 409,
            "conflict")
    # a row still referred to is not deleted
    body = problem(s.delete(f"/api/v1/sites/{base['site']['id']}"), 409, "conflict")
    assert "still" in body["detail"]
    assert ok(s.get(f"/api/v1/sites/{base['site']['id']}")) == base["site"]
    problem(s.delete(f"/api/v1/areas/{base['lobby']['id']}"), 409, "conflict")


def test_permissions(base):
    s = base["s"]
    reader = s.make_token("read")
    ok(s.get("/api/v1/doors", token=reader))
    problem(s.post("/api/v1/levels", token=reader, json={"name": "X"}), 403, "forbidden")
    hr = s.make_token("credentials.revoke,people.read")
    problem(s.patch(f"/api/v1/credentials/{base['cred']['id']}", token=hr,
                    json={"status": "active"}), 403, "forbidden")
    c = ok(s.post(f"/api/v1/credentials/{base['cred']['id']}/revoke", token=hr,
                  json={"status": "lost", "reason": "reported by phone"}))
    assert c["status"] == "lost"
    problem(s.post(f"/api/v1/credentials/{base['cred']['id']}/revoke", token=hr,
                   json={"status": "active"}), 422, "validation")
    problem(s.get("/api/v1/events", token=hr), 403, "forbidden")
    problem(s.get("/api/v1/doors", token=False), 401, "unauthorized")


# ---- the CLI's semantics ------------------------------------------------------------------------


def test_termination_revokes_credentials_and_is_logged(base):
    s = base["s"]
    pid = base["person"]["id"]
    p = ok(s.patch(f"/api/v1/people/{pid}", json={"status": "terminated"}))
    assert p["status"] == "terminated"
    creds = ok(s.get(f"/api/v1/people/{pid}/credentials"))["items"]
    assert [c["status"] for c in creds] == ["revoked"]
    evs = ok(s.get(f"/api/v1/events?person_id={pid}"))["items"]
    kinds = [(e["type"], e["payload"].get("action")) for e in evs]
    assert ("operator.action", "person.status") in kinds
    revoked = [e for e in evs if e["type"] == "credential.revoked"]
    assert revoked and revoked[0]["payload"]["by"] == "token:test-admin"
    # the next decision at the door is denied for that reason
    d = ok(s.post("/api/v1/decisions", json={"door_id": "Main", "card": "h10301:12:3456",
                                             "at": "2026-11-23T10:00"}))
    assert d["decision"] == "denied"


def test_lockdown_and_release(base):
    s = base["s"]
    at = {"door_id": "Main", "card": "h10301:12:3456", "at": "2026-11-23T10:00"}
    assert ok(s.post("/api/v1/decisions", json=at))["decision"] == "granted"
    lobby = base["lobby"]["id"]
    a = ok(s.post(f"/api/v1/areas/{lobby}/lockdown", json={"reason": "drill"}))
    assert a["locked_down"] is True
    d = ok(s.post("/api/v1/decisions", json=at))
    assert (d["decision"], d["reason"]) == ("denied", "door_locked_down")
    ev = ok(s.get("/api/v1/events?type=operator.action"))["items"][-1]
    assert ev["payload"] == {"action": "lockdown", "area_id": lobby, "area": "Lobby",
                             "reason": "drill", "by": "token:test-admin"}
    assert ok(s.post(f"/api/v1/areas/{lobby}/release"))["locked_down"] is False
    assert ok(s.post("/api/v1/decisions", json=at))["decision"] == "granted"


def test_policy_check_refuses_a_change_that_breaks_the_policy(base):
    """Deleting the unlock schedule of an unlocked_schedule door is refused by the store;
    a change the compiler refuses is a 422 `policy` and nothing is changed."""
    s = base["s"]
    r = s.patch(f"/api/v1/doors/{base['door']['id']}", json={"mode": "unlocked_schedule",
                                                                 "unlock_schedule_id": "Office"})
    ok(r)
    problem(s.delete(f"/api/v1/schedules/{base['sched']['id']}"), 409, "conflict")


# ---- decisions ------------------------------------------------------------------------------------


def test_decisions_explain(base):
    s = base["s"]
    d = ok(s.post("/api/v1/decisions", json={"door_id": "Main", "card": "h10301:12:3456",
                                             "at": "2026-11-22T10:00"}))  # a Sunday
    assert (d["decision"], d["reason"]) == ("denied", "outside_schedule")
    assert d["time"] == "2026-11-22T09:00:00.000000Z"  # local Berlin time -> UTC
    assert d["person_id"] == base["person"]["id"]
    assert any(not step["ok"] and step["check"] == "level" for step in d["explanation"])
    unknown = ok(s.post("/api/v1/decisions", json={"door_id": base["door"]["id"],
                                                   "card": "h10301:12:9999"}))
    assert unknown["reason"] == "unknown_credential" and unknown["person_id"] is None
    body = problem(s.post("/api/v1/decisions", json={"door_id": "Nope", "card": "x:1",
                                                     "bits": "012"}), 422, "validation")
    assert {"door_id", "bits"} <= fields(body)
    # a policy change is visible to the very next decision
    ok(s.patch(f"/api/v1/schedules/{base['sched']['id']}", json={"intervals": ["daily 00:00-24:00"]}))
    assert ok(s.post("/api/v1/decisions", json={"door_id": "Main", "card": "h10301:12:3456",
                                                "at": "2026-11-22T10:00"}))["decision"] == "granted"


# ---- events --------------------------------------------------------------------------------------


def test_event_query_filters_and_pages(site_server):
    s = site_server
    gh = s.gh
    cards = ("h10301:12:3456", "h10301:12:4000", "h10301:12:9999", "h10301:12:3456")
    for minute, card in enumerate(cards):  # a Friday morning, a minute apart
        gh("decide", "--door", "Main Entrance", "--card", card, "--at",
           f"2026-11-20T10:0{minute}", "--record")
    gh("area", "lockdown", "Lobby")
    all_ev = all_items(s, "/api/v1/events")
    assert [e["offset"] for e in all_ev] == list(range(1, 6))
    dec = all_items(s, "/api/v1/events?type=access.decision")
    assert len(dec) == 4 and all(e["decision"] in ("granted", "denied") for e in dec)
    assert [e["offset"] for e in all_items(s, "/api/v1/events?decision=denied")] == [3]
    ann = all_items(s, "/api/v1/events?person_id=1")
    assert [e["offset"] for e in ann] == [1, 4]
    assert [e["offset"] for e in all_items(s, "/api/v1/events?credential_id=2")] == [2]
    assert len(all_items(s, "/api/v1/events?door_id=1")) == 4
    t = all_ev[2]["time"]
    assert [e["offset"] for e in all_items(s, f"/api/v1/events?from={t}")] == [3, 4, 5]
    assert [e["offset"] for e in all_items(s, f"/api/v1/events?to={t}")] == [1, 2]
    page = ok(s.get("/api/v1/events?cursor=3&limit=1"))
    assert [e["offset"] for e in page["items"]] == [4] and page["next_cursor"] == "4"
    for bad in ("type=nope", "decision=maybe", "from=yesterday", "person_id=-1",
                f"from={t}&to={all_ev[0]['time']}"):
        problem(s.get(f"/api/v1/events?{bad}"), 400, "bad-request")


def test_explanation_of_a_recorded_decision(site_server):
    s = site_server
    gh = s.gh
    gh("decide", "--door", "Main Entrance", "--card", "h10301:12:3456", "--at",
       "2026-11-20T10:00", "--record")  # Ann, a Friday morning: granted by Staff
    gh("decide", "--door", "Main Entrance", "--card", "h10301:12:9999", "--at",
       "2026-11-20T10:01", "--record")  # nobody's card
    gh("decide", "--door", "Main Entrance", "--card", "h10301:12:4000", "--at",
       "2026-11-21T10:00", "--record")  # Bob on a Saturday: outside Office Hours
    gh("decide", "--door", "Lab Door", "--card", "h10301:12:3456", "--at", "2026-11-20T10:02",
       "--pin", "4711", "--record")  # Ann at the lab with her PIN
    gh("area", "lockdown", "Lobby")
    before = all_items(s, "/api/v1/events")

    ex = ok(s.get("/api/v1/events/3/explanation"))
    assert ex["event"]["offset"] == 3 and ex["event"]["reason"] == "outside_schedule"
    assert ex["replay"]["reason"] == "door_locked_down"  # what today's policy says
    failed = [st for st in ex["replay"]["explanation"] if not st["ok"]]
    assert failed and "Lobby" in failed[0]["detail"]
    gh("area", "release", "Lobby")
    ex = ok(s.get("/api/v1/events/3/explanation"))
    assert (ex["replay"]["decision"], ex["replay"]["reason"]) == ("denied", "outside_schedule")
    assert ex["notes"] == []
    granted = ok(s.get("/api/v1/events/1/explanation"))
    assert granted["replay"]["decision"] == "granted" and granted["replay"]["person_id"] == 1
    assert all(st["ok"] for st in granted["replay"]["explanation"])
    unknown = ok(s.get("/api/v1/events/2/explanation"))  # replayed from the card it kept
    assert unknown["replay"]["reason"] == "unknown_credential"
    lab = ok(s.get("/api/v1/events/4/explanation"))  # the PIN is not recorded: said so
    assert lab["event"]["decision"] == "granted" and lab["replay"]["reason"] == "pin_required"
    assert any("PIN" in n for n in lab["notes"])
    # not a decision, no such event, not an offset: refused; nothing was recorded
    body = problem(s.get("/api/v1/events/5/explanation"), 422, "validation")
    assert "operator.action" in body["detail"]
    problem(s.get("/api/v1/events/99/explanation"), 404, "not-found")
    problem(s.get("/api/v1/events/x/explanation"), 404, "not-found")
    # finance reads events but not people, cards, levels or schedules: no explanation
    fin = s.make_token("events.read,events.export", name="finance-like")
    problem(s.get("/api/v1/events/1/explanation", token=fin), 403, "forbidden")
    what_if_only = s.make_token("decisions.run", name="what-if-only")  # and no events.read
    body = problem(s.get("/api/v1/events/1/explanation", token=what_if_only), 403, "forbidden")
    assert "events.read" in body["detail"]
    assert all_items(s, "/api/v1/events")[: len(before)] == before
    assert len(all_items(s, "/api/v1/events")) == len(before) + 1  # the release only


def test_people_search_and_card_lookup(site_server):
    s = site_server
    names = lambda q: [p["employee_id"] for p in all_items(s, f"/api/v1/people?q={q}")]
    assert names("ann") == ["E100"]
    assert names("BOB%20CHEN") == ["E200"]  # "first last", case ignored
    assert names("e") == ["E100", "E200", "E300"]
    assert names("example.test") == ["E100"]
    assert names("nobody") == []
    assert names("") == ["E100", "E200", "E300"]
    problem(s.get("/api/v1/people?q=" + "x" * 101), 400, "bad-request")
    problem(s.get("/api/v1/people?q=%FF%FE"), 400, "bad-request")  # not UTF-8
    cards = lambda q: [c["number"] for c in all_items(s, f"/api/v1/credentials?{q}")]
    assert cards("card=h10301:12:4000") == [4000]
    assert cards("card=h10301:13:4000") == []
    assert cards("number=5000") == [5000]
    body = problem(s.get("/api/v1/credentials?card=h10301:12"), 400, "bad-request")
    assert fields(body) == {"card"}
    problem(s.get("/api/v1/credentials?number=-1"), 400, "bad-request")


# ---- roster import and export -------------------------------------------------------------------


def test_roster_import_good_bad_dry_run(server):
    s = server
    csv_good = (ROSTER / "good.csv").read_bytes()
    dry = ok(s.post("/api/v1/imports/roster?dry_run=true", data=csv_good,
                    headers={"Content-Type": "text/csv"}))
    assert dry["dry_run"] is True and dry["created"] == dry["rows"] > 0
    assert all_items(s, "/api/v1/people") == []
    done = ok(s.post("/api/v1/imports/roster", data=csv_good,
                     headers={"Content-Type": "text/csv"}))
    assert done["created"] == dry["created"] and done["dry_run"] is False
    people = all_items(s, "/api/v1/people")
    assert len(people) == done["rows"]
    # a bad file: every row error by line and column, nothing changes
    events = all_items(s, "/api/v1/events")
    body = problem(s.post("/api/v1/imports/roster", data=(ROSTER / "bad.csv").read_bytes(),
                          headers={"Content-Type": "text/csv"}), 422, "validation")
    assert len(body["errors"]) >= 5
    assert all(e["line"] > 1 and "detail" in e for e in body["errors"])
    assert "nothing was imported" in body["detail"]
    assert all_items(s, "/api/v1/people") == people
    assert all_items(s, "/api/v1/events") == events
    problem(s.post("/api/v1/imports/roster", data=csv_good,
                   headers={"Content-Type": "application/json"}), 415, "unsupported-media-type")
    problem(s.post("/api/v1/imports/roster?full=maybe", data=csv_good,
                   headers={"Content-Type": "text/csv"}), 400, "bad-request")
    # the guard of a full import
    body = problem(s.post("/api/v1/imports/roster?full=true", data=b"employee_id,first_name,"
                          b"last_name\nE1,A,B\n", headers={"Content-Type": "text/csv"}),
                   422, "validation")
    assert all_items(s, "/api/v1/people") == people


def test_export_matches_the_cli(site_server):
    s = site_server
    for card in ("h10301:12:3456", "h10301:12:9999"):
        s.gh("decide", "--door", "Main Entrance", "--card", card, "--record")
    r = s.get("/api/v1/exports/events")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in r.headers["Content-Disposition"]
    cli = s.gh("export", "events", "--csv").stdout
    assert r.text == cli
    assert r.text.splitlines()[0] == EXPORT_HEADER
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["badge_id"] for row in rows] == ["h10301:12:3456", "h10301:12:9999"]
    j = s.get("/api/v1/exports/events?format=jsonl&all_types=true")
    assert j.headers["Content-Type"] == "application/x-ndjson"
    assert j.text == s.gh("export", "events", "--jsonl", "--all").stdout
    assert [json.loads(l)["offset"] for l in j.text.splitlines()] == [1, 2]
    problem(s.get("/api/v1/exports/events?format=xml"), 400, "bad-request")


def test_large_export_streams(server):
    """An export bigger than one page streams every row once, in order."""
    s = server
    s.gh("sim", "--people", "120", "--seed", "4", "--day", "2026-11-20")
    r = s.get("/api/v1/exports/events?format=jsonl&all_types=true", stream=True)
    offsets = [json.loads(l)["offset"] for l in r.iter_lines() if l]
    assert offsets == sorted(offsets) and len(offsets) == len(set(offsets))
    # every event up to the export's last (the rules thread may add alarms after it)
    last = ok(s.get("/api/v1/events?cursor=0&limit=1000"))
    listed = [e["offset"] for e in last["items"]]
    while last["next_cursor"]:
        last = ok(s.get(f"/api/v1/events?cursor={last['next_cursor']}&limit=1000"))
        listed += [e["offset"] for e in last["items"]]
    assert offsets == [o for o in listed if o <= offsets[-1]] and len(offsets) > 500
