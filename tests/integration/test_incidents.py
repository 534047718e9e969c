"""Alarms and incidents on a real server: the rules thread judges what is committed (by the
server, a controller or the CLI), folds the same condition into one alarm, opens the
incident its type maps to (owned by its department, with its procedure), and the workflow's
rules hold: illegal status changes are refused with problem+json, a resolve waits for the
required steps, nothing is half applied. Controllers that fall silent and access reviews
left open raise theirs. Alarms are not raised twice across a restart."""

import sqlite3
import time
from contextlib import closing

import pytest

from conftest import add_user, browser, USER_PASSWORD
from edge_proc import Edge, wait_for

FAST = ["--set", "rules.tick_ms=200"]


def alarms(s, **params):
    return s.get("/api/v1/alarms", params={"limit": 1000, **params}).json()["items"]


def incidents(s, **params):
    return s.get("/api/v1/incidents", params={"limit": 1000, **params}).json()["items"]


def problem(r, status, slug):
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json"), r.headers
    body = r.json()
    assert body["type"].endswith("/" + slug), body
    return body


def db(s, sql, *args):
    with closing(sqlite3.connect(s.data / "gatehouse.db")) as c:
        rows = c.execute(sql, args).fetchall()
        c.commit()
        return rows


@pytest.fixture
def day(server_factory):
    """A server, then a simulated working day committed by the CLI (its four scenarios)."""
    s = server_factory(extra_args=FAST)
    s.gh("sim", "--people", "200", "--day", "2026-11-23")
    wait_for(lambda: len(alarms(s)) >= 4, timeout=30, what="the day's alarms")
    return s


def test_an_injected_badge_cloning_opens_one_security_incident(day):
    s = day
    got = alarms(s)
    assert sorted(a["type"] for a in got) == ["badge_cloning", "credential_misuse",
                                              "credential_misuse", "door_forced"], got
    clone = [a for a in got if a["type"] == "badge_cloning"][0]
    assert clone["status"] == "open" and clone["count"] == 1 and clone["severity"] == 4
    assert clone["key"] == f"badge_cloning:credential:{clone['credential_id']}"
    assert "walking between them takes at least 200 s" in clone["detail"]
    source = s.get("/api/v1/events", params={"type": "access.decision", "limit": 1000})
    marked = [e for e in source.json()["items"] if e.get("payload", {}).get("scenario") ==
              "badge_cloning"]
    assert clone["event"] in [e["offset"] for e in marked]
    # one incident, of its type, owned by Security, with the type's procedure
    mine = [i for i in incidents(s) if i["type"] == "badge_cloning"]
    assert len(mine) == 1, incidents(s)
    x = s.get(f"/api/v1/incidents/{mine[0]['id']}").json()
    assert x["id"] == clone["incident_id"]
    assert x["title"] == "Suspected cloned badge" and x["department"] == "Security"
    assert x["status"] == "new" and x["next"] == ["acknowledged"]
    assert [(st["number"], st["required"], st["state"]) for st in x["steps"]] == [
        (1, True, "open"), (2, True, "open"), (3, True, "open"), (4, False, "open")]
    assert {"kind": "alarm", "ref": str(clone["id"])} in x["links"]
    assert {"kind": "event", "ref": str(clone["event"])} in x["links"]
    assert {"kind": "person", "ref": str(clone["person_id"])} in x["links"]
    assert [a["id"] for a in x["alarms"]] == [clone["id"]]
    assert [e["kind"] for e in x["timeline"]] == ["opened", "alarm"]
    assert x["escalates"] is not None  # Security's delay, 900 s by default
    # the alarm and the incident are events too: on the live stream, in offset order
    kinds = [e["payload"]["action"] for e in s.get(
        "/api/v1/events", params={"type": "alarm", "limit": 100}).json()["items"]]
    assert kinds.count("raised") == 4
    metrics = s.get("/metrics").text
    for line in ("gatehouse_rules_alarms_total 4", "gatehouse_rules_incidents_total 4",
                 "gatehouse_rules_errors_total 0"):
        assert f"\n{line}\n" in metrics, line


def test_the_same_condition_is_one_alarm_that_counts(day):
    s = day
    before = {a["id"] for a in alarms(s)}
    for _ in range(3):  # the lost card tried again and again, now
        s.gh("decide", "--door", "B1 Main Entrance", "--card", "h10301:42:10001", "--record")
    wait_for(lambda: any(a["count"] == 3 for a in alarms(s) if a["id"] not in before),
             what="one alarm counting three reads")
    new = [a for a in alarms(s) if a["id"] not in before]
    assert len(new) == 1 and new[0]["type"] == "credential_misuse", new
    assert new[0]["last_event"] > new[0]["event"]
    # ... and one incident for it
    assert len([i for i in incidents(s) if i["id"] == new[0]["incident_id"]]) == 1
    assert "\ngatehouse_rules_repeats_total 2\n" in s.get("/metrics").text


def test_acknowledging_the_alarm_acknowledges_its_incident(day):
    s = day
    a = [a for a in alarms(s) if a["type"] == "door_forced"][0]
    r = s.post(f"/api/v1/alarms/{a['id']}/acknowledge")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "acknowledged" and r.json()["acknowledged"]["by"] == "token:test-admin"
    x = s.get(f"/api/v1/incidents/{a['incident_id']}").json()
    assert x["status"] == "acknowledged" and x["escalates"] is None
    assert x["timeline"][-1]["text"] == f"new -> acknowledged: alarm {a['id']} acknowledged"
    # twice is refused, and changes nothing
    problem(s.post(f"/api/v1/alarms/{a['id']}/acknowledge"), 409, "invalid-transition")
    assert s.get(f"/api/v1/alarms/{a['id']}").json() == r.json()
    r = s.post(f"/api/v1/alarms/{a['id']}/clear")
    assert r.status_code == 200 and r.json()["status"] == "cleared", r.text
    problem(s.post(f"/api/v1/alarms/{a['id']}/clear"), 409, "invalid-transition")
    problem(s.post("/api/v1/alarms/99999/acknowledge"), 404, "not-found")
    assert [x["id"] for x in alarms(s, status="cleared")] == [a["id"]]
    assert a["id"] not in [x["id"] for x in alarms(s, status="open,acknowledged")]
    problem(s.get("/api/v1/alarms", params={"status": "gone"}), 400, "bad-request")


def test_the_workflow_refuses_what_it_does_not_allow(day):
    s = day
    x = [i for i in incidents(s) if i["type"] == "badge_cloning"][0]
    url = f"/api/v1/incidents/{x['id']}"

    def status(to, **kw):
        return s.post(url + "/status", json={"status": to, **kw})

    def unchanged():
        now = s.get(url).json()
        assert now["status"] == before["status"] and now["timeline"] == before["timeline"]
        assert now["steps"] == before["steps"]

    before = s.get(url).json()
    for to in ("investigating", "resolved", "closed", "new"):  # from new: acknowledged only
        body = problem(status(to), 409, "invalid-transition")
        assert f"cannot go from new to {to}" in body["detail"]
        assert "it may go to: acknowledged" in body["detail"]
        unchanged()
    problem(status("sideways"), 422, "validation")
    unchanged()
    assert status("acknowledged", note="on it").status_code == 200
    assert status("investigating").status_code == 200
    # resolving waits for the required steps, each named
    before = s.get(url).json()
    body = problem(status("resolved"), 409, "steps-open")
    assert [e["field"] for e in body["errors"]] == ["steps[1]", "steps[2]", "steps[3]"]
    assert "3 required steps are open" in body["detail"]
    unchanged()
    # a skip needs a reason; steps that do not exist are not found
    problem(s.put(url + "/steps/2", json={"state": "skipped"}), 422, "validation")
    problem(s.put(url + "/steps/9", json={"state": "done"}), 404, "not-found")
    problem(s.put(url + "/steps/1", json={"state": "finished"}), 422, "validation")
    unchanged()
    for n in (1, 3):
        assert s.put(url + f"/steps/{n}", json={"state": "done"}).status_code == 200
    r = s.put(url + "/steps/2", json={"state": "skipped", "reason": "holder unreachable"})
    assert r.status_code == 200, r.text
    step2 = r.json()["steps"][1]
    assert step2["state"] == "skipped" and step2["reason"] == "holder unreachable"
    assert step2["by"] == "token:test-admin" and step2["at"]
    r = status("resolved", note="card suspended, holder was at B1")
    assert r.status_code == 200, r.text
    assert r.json()["next"] == ["investigating", "closed"]  # reopen, or close
    assert status("closed").status_code == 200
    before = s.get(url).json()
    assert before["next"] == [] and before["closed"]
    body = problem(status("investigating"), 409, "invalid-transition")
    assert "none (it is closed)" in body["detail"]
    problem(s.put(url + "/steps/4", json={"state": "done"}), 409, "invalid-transition")
    unchanged()
    kinds = [e["kind"] for e in before["timeline"]]
    assert kinds == ["opened", "alarm", "status", "status", "step", "step", "step", "status",
                     "status"]
    # the post-incident report, for the debrief: a recorded read
    assert s.post(url + "/notes", json={"text": "<script>alert(1)</script> & *done*"}
                  ).status_code == 409  # closed: no more notes
    md = s.get(url + "/report")
    assert md.status_code == 200 and md.headers["Content-Type"].startswith("text/markdown")
    assert md.headers["Content-Disposition"] == f'attachment; filename="incident-{x["id"]}.md"'
    text = md.text
    assert text.startswith(f"# Incident {x['id']}: Suspected cloned badge\n")
    for part in ("**Owner:** Security", "## People involved", "token:test-admin (acted on it)",
                 "## Procedure", "(required) - skipped by token:test-admin", 
                 "reason: holder unreachable", "## Timeline", "new -> acknowledged: on it",
                 "card suspended, holder was at B1"):
        assert part in text, part
    html = s.get(url + "/report", params={"format": "html"}).text
    assert html.startswith("<!doctype html>") and "<h2>Procedure</h2>" in html
    assert s.get(url + "/report", params={"format": "pdf"}).status_code == 400
    problem(s.get("/api/v1/incidents/9999/report"), 404, "not-found")
    got = db(s, "SELECT entry FROM audit_entries WHERE entry LIKE '%/report%'")
    assert got, "the report was read without an audit entry"


def test_incidents_by_hand_notes_links_assignees(server):
    s = server
    add_user(s, "olga", "security_operator")
    olga = [u for u in s.get("/api/v1/users").json()["items"] if u["name"] == "olga"][0]
    bad = [({}, "title"), ({"title": ""}, "title"), ({"title": "x", "severity": 9}, "severity"),
           ({"type": "no_such_type"}, "type"), ({"title": "x", "department_id": "Nowhere"},
                                                "department_id"),
           ({"title": "x", "colour": "red"}, "colour")]
    for body, field in bad:
        got = problem(s.post("/api/v1/incidents", json=body), 422, "validation")
        assert field in {e["field"] for e in got["errors"]}, (body, got)
    assert incidents(s) == []
    r = s.post("/api/v1/incidents", json={"title": "Water in the server room", "severity": 4,
                                         "department_id": "Facilities", "note": "seen at 6:40"})
    assert r.status_code == 201, r.text
    x = r.json()
    assert r.headers["Location"] == f"/api/v1/incidents/{x['id']}"
    assert x["type"] == "other" and x["department"] == "Facilities" and x["steps"] == []
    assert [e["kind"] for e in x["timeline"]] == ["opened", "note"]
    url = f"/api/v1/incidents/{x['id']}"
    # a typed one takes its type's title, department and procedure
    t = s.post("/api/v1/incidents", json={"type": "door_held"}).json()
    assert t["title"] == "Door held open" and len(t["steps"]) == 2
    # notes: text of 1 to 1999 bytes, lines allowed, control characters not
    assert s.post(url + "/notes", json={"text": "line one\nline two"}).status_code == 200
    for text in ("", "x" * 2000, "bell\a"):
        problem(s.post(url + "/notes", json={"text": text}), 422, "validation")
    # links
    for body in ({"kind": "clip", "ref": "https://vms.example/clip/7"},
                 {"kind": "door", "ref": "12"}):
        assert s.post(url + "/links", json=body).status_code == 200
    for body in ({"kind": "clip", "ref": "file:///etc/passwd"}, {"kind": "door", "ref": "x"},
                 {"kind": "weather", "ref": "1"}):
        problem(s.post(url + "/links", json=body), 422, "validation")
    r = s.post(url + "/links", json={"kind": "door", "ref": "12", "remove": True})
    assert r.json()["links"] == [{"kind": "clip", "ref": "https://vms.example/clip/7"}]
    # assignees
    r = s.put(url + f"/assignees/{olga['id']}")
    assert r.status_code == 200 and r.json()["assignees"] == [{"id": olga["id"],
                                                                "name": "olga"}]
    problem(s.put(url + "/assignees/9999"), 404, "not-found")
    assert s.delete(url + f"/assignees/{olga['id']}").json()["assignees"] == []
    # changes
    r = s.patch(url, json={"severity": 5, "department_id": "Security"})
    assert r.json()["severity"] == 5 and r.json()["department"] == "Security"
    assert r.json()["timeline"][-1]["text"] == "changed severity 5, department Security"
    problem(s.patch(url, json={"severity": 0}), 422, "validation")
    kinds = [e["kind"] for e in s.get(url).json()["timeline"]]
    assert kinds == ["opened", "note", "note", "link", "link", "link", "assign", "assign",
                     "update"]
    # lists
    assert [i["id"] for i in incidents(s)] == [t["id"], x["id"]]  # newest first
    # x moved to Security; the door_held one is Facilities'
    assert [i["id"] for i in incidents(s, status="new", department_id=x["department_id"])] == [
        t["id"]]
    assert [i["id"] for i in incidents(s, status="acknowledged,closed")] == []
    page = s.get("/api/v1/incidents", params={"limit": 1}).json()
    assert len(page["items"]) == 1 and page["next_cursor"] == str(t["id"])
    page = s.get("/api/v1/incidents", params={"limit": 1, "cursor": page["next_cursor"]})
    assert [i["id"] for i in page.json()["items"]] == [x["id"]]


def test_incident_types_and_their_mapping(server):
    s = server
    types = {t["name"]: t for t in s.get("/api/v1/incident-types").json()["items"]}
    assert types["badge_cloning"]["alarm_types"] == ["badge_cloning"]
    assert types["forced_door"]["alarm_types"] == ["door_forced", "tailgating"]
    before = s.get("/api/v1/incident-types").json()
    for body, field in [
            ({"name": "tailgate", "title": "Tailgating", "alarm_types": ["tailgating"]},
             "alarm_types"),  # forced_door has it
            ({"name": "x", "title": "X", "alarm_types": ["Bad Type!"]}, "alarm_types"),
            ({"name": "x", "title": "X", "steps": [{"text": "a"}]}, "steps"),
            ({"name": "x y", "title": "X"}, "name"),
            ({"name": "x", "title": "X", "steps": "no"}, "steps")]:
        got = problem(s.post("/api/v1/incident-types", json=body), 422, "validation")
        assert field in {e["field"] for e in got["errors"]}, (body, got)
    assert s.get("/api/v1/incident-types").json() == before
    problem(s.post("/api/v1/incident-types", json={"name": "badge_cloning", "title": "Again"}),
            409, "conflict")
    r = s.post("/api/v1/incident-types", json={
        "name": "after_hours", "title": "Unusual hours", "department_id": "Security",
        "severity": 2, "alarm_types": ["after_hours"],
        "steps": [{"text": "Call the person", "required": True}]})
    assert r.status_code == 201, r.text
    t = r.json()
    r = s.patch(f"/api/v1/incident-types/{t['id']}", json={"steps": []})
    assert r.status_code == 200 and r.json()["steps"] == []
    assert s.delete(f"/api/v1/incident-types/{t['id']}").status_code == 204
    problem(s.get(f"/api/v1/incident-types/{t['id']}"), 404, "not-found")


def test_a_silent_controller_raises_an_it_incident(server_factory, tmp_path):
    s = server_factory(extra_args=FAST + ["--set", "rules.offline_after=3",
                                          "--set", "rules.heartbeat_grace=1"])
    s.gh("controller", "add", "ctl-9")
    token = s.gh("controller", "token", "ctl-9").stdout.strip()
    edge = Edge(tmp_path / "edge9", [s.url], s.cert, token=token)  # a heartbeat a second
    ctl = s.get("/api/v1/controllers").json()["items"][0]
    wait_for(lambda: s.get(f"/api/v1/controllers/{ctl['id']}").json()["online"],
             what="the controller online")
    time.sleep(2.5)  # heartbeats on time: nothing is said (a negative wait: nothing to await)
    assert alarms(s) == []
    edge.kill()
    got = wait_for(lambda: [a for a in alarms(s) if a["type"] == "device_offline"],
                   what="device_offline")
    types = sorted(a["type"] for a in alarms(s))
    assert types == ["device_offline", "missed_heartbeat"], types
    off = got[0]
    assert off["controller_id"] == ctl["id"] and off["event"] is None
    x = s.get(f"/api/v1/incidents/{off['incident_id']}").json()
    assert x["type"] == "device_offline" and x["department"] == "IT"
    assert {"kind": "controller", "ref": str(ctl["id"])} in x["links"]
    # back: heard again, and nothing new is raised while it beats
    edge.start()
    wait_for(lambda: s.get(f"/api/v1/controllers/{ctl['id']}").json()["online"],
             what="the controller back")
    n = len(alarms(s))
    time.sleep(1.5)
    assert len(alarms(s)) == n
    assert edge.stop() == 0


def test_an_access_review_left_open_is_stale(server_factory, tmp_path):
    s = server_factory(extra_args=FAST + ["--set", "rules.stale_access_days=2"])
    roster = tmp_path / "roster.csv"
    for dept in ("Finance", "Sales"):  # a department change opens a review
        roster.write_text(f"employee_id,first_name,last_name,department\nE7,Ida,Lind,{dept}\n")
        s.gh("import", "people", str(roster))
    reviews = s.get("/api/v1/access-reviews", params={"open": "true"}).json()["items"]
    assert len(reviews) == 1 and "from 'Finance' to 'Sales'" in reviews[0]["reason"]
    # three days ago, as far as the store knows; the server reads reviews when it starts
    db(s, "UPDATE access_reviews SET opened_us = opened_us - 3 * 86400000000")
    s.restart()
    got = wait_for(lambda: [a for a in alarms(s) if a["type"] == "stale_access"],
                   what="stale_access")
    assert got[0]["person_id"] == reviews[0]["person_id"]
    x = s.get(f"/api/v1/incidents/{got[0]['incident_id']}").json()
    assert x["department"] == "Human Resources" and x["type"] == "stale_access"
    r = s.post(f"/api/v1/access-reviews/{reviews[0]['id']}/close", json={"note": "reviewed"})
    assert r.status_code == 200 and r.json()["closed"], r.text
    problem(s.post(f"/api/v1/access-reviews/{reviews[0]['id']}/close", json={}), 404,
            "not-found")
    assert s.get("/api/v1/access-reviews", params={"open": "true"}).json()["items"] == []


def test_alarms_are_not_raised_twice_across_a_restart(day):
    s = day
    n = len(alarms(s))
    events = s.get("/api/v1/events", params={"limit": 1}).json()
    s.restart()
    s.gh("decide", "--door", "B1 Main Entrance", "--card", "h10301:42:10002", "--record")
    wait_for(lambda: len(alarms(s)) == n + 1, what="the new read judged after the restart")
    time.sleep(1)
    assert len(alarms(s)) == n + 1
    assert events  # the history was there


def test_alarm_and_incident_changes_stream_live(server_factory):
    """GET /api/v1/incidents/stream: the alarm and incident events only, live, resumable;
    for HR (incidents.read, no events.read) too. ?type=a,b filters the event list."""
    s = server_factory(extra_args=FAST)
    s.gh("sim", "--people", "40", "--day", "2026-11-23")
    wait_for(lambda: alarms(s), what="the day's alarms")
    add_user(s, "hana", "hr")
    hr = browser(s)
    assert hr.post(s.url + "/api/v1/auth/login", json={"name": "hana",
                                                      "password": USER_PASSWORD}).ok
    assert hr.get(s.url + "/api/v1/events/stream").status_code == 403
    with hr.get(s.url + "/api/v1/incidents/stream?cursor=0", stream=True, timeout=30) as r:
        assert r.headers["Content-Type"].startswith("text/event-stream")
        seen = []
        for line in r.iter_lines(decode_unicode=True):
            if line.startswith("event: "):
                seen.append(line[7:])
            if len(seen) >= 8:
                break
    assert set(seen) == {"alarm", "incident"}, seen
    both = s.get("/api/v1/events", params={"type": "alarm,incident", "limit": 1000}).json()
    assert {e["type"] for e in both["items"]} == {"alarm", "incident"}
    assert len(both["items"]) == len(s.get("/api/v1/events", params={
        "type": "alarm", "limit": 1000}).json()["items"]) + len(s.get(
            "/api/v1/events", params={"type": "incident", "limit": 1000}).json()["items"])
    r = s.get("/api/v1/events", params={"type": "alarm,nonsense"})
    assert r.status_code == 400 and "nonsense" in r.json()["detail"]


def test_attachments(server):
    """A file on an incident: kept as it came (its SHA-256 on the timeline), read back as a
    recorded read; a type a browser could run is served as bytes to save."""
    import hashlib
    s = server
    x = s.post("/api/v1/incidents", json={"title": "Broken window"}).json()
    url = f"/api/v1/incidents/{x['id']}/attachments"
    photo = bytes(range(256)) * 40
    r = s.post(url, params={"name": "window front.png"}, data=photo,
               headers={"Content-Type": "image/png"})
    assert r.status_code == 201, r.text
    a = r.json()
    assert a["size"] == len(photo) and a["sha256"] == hashlib.sha256(photo).hexdigest()
    assert a["mime"] == "image/png" and a["name"] == "window front.png"
    got = s.get(f"{url}/{a['id']}")
    assert got.status_code == 200 and got.content == photo
    assert got.headers["Content-Type"] == "image/png"
    assert got.headers["Content-Disposition"] == "attachment; filename*=UTF-8''window%20front.png"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    page = s.post(url, params={"name": "note.html"}, data=b"<script>alert(1)</script>",
                  headers={"Content-Type": "text/html; charset=utf-8"}).json()
    assert page["mime"] == "text/html"
    assert s.get(f"{url}/{page['id']}").headers["Content-Type"] == "application/octet-stream"
    detail = s.get(f"/api/v1/incidents/{x['id']}").json()
    assert [f["name"] for f in detail["attachments"]] == ["window front.png", "note.html"]
    assert detail["timeline"][-2]["text"].startswith("attached window front.png (10240 bytes, "
                                                     "image/png, sha256 ")
    before = detail
    for params, data, ctype in ((({"name": "a/b.png"}), b"x", "image/png"),
                                ({}, b"x", "image/png"), ({"name": "x.png"}, b"", "image/png"),
                                ({"name": "x.png"}, b"x", "not a type")):
        problem(s.post(url, params=params, data=data, headers={"Content-Type": ctype}), 422,
                "validation")
    assert s.get(f"/api/v1/incidents/{x['id']}").json()["attachments"] == before["attachments"]
    problem(s.get(f"{url}/9999"), 404, "not-found")
    got = db(s, "SELECT entry FROM audit_entries WHERE entry LIKE '%attachments/{attachment_id}%'")
    assert got, "the download was read without an audit entry"
