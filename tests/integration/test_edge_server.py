"""The server's side of the door controllers' protocol (/edge/v1/): a controller record with
its doors, a one-time enrollment token, then signed requests for the snapshot (signed by
the server, only that controller's doors, no names or card numbers), event upload stored
once per (controller, sequence), heartbeats, and the long poll woken by a policy change.
Every refused request (unsigned, wrongly signed, replayed, stale, tampered body, unknown
or used token) is a 401 with its reason, a log line and an edge.refused event."""

import json
import threading
import time

import pytest

from edge_client import EdgeClient


@pytest.fixture
def enrolled(site_server):
    s = site_server
    r = s.post("/api/v1/controllers", json={
        "name": "ctl-lab", "doors": [
            {"door": "Lab Door", "offline_pin_after_s": 3600, "offline_deny_after_s": 86400}]})
    assert r.status_code == 201, r.text
    ctl = r.json()
    tok = s.post(f"/api/v1/controllers/{ctl['id']}/enrollment")
    assert tok.status_code == 201, tok.text
    client = EdgeClient(s)
    r = client.enroll(tok.json()["token"])
    assert r.status_code == 200, r.text
    assert r.json()["controller"] == ctl["id"]
    return s, client, tok.json()["token"]


def refused_events(server):
    r = server.get("/api/v1/events", params={"type": "edge.refused", "limit": 1000})
    return [e["payload"]["reason"] for e in r.json()["items"]]


def test_enrollment_token_works_once(enrolled):
    s, client, token = enrolled
    again = EdgeClient(s).enroll(token)
    assert again.status_code == 401
    assert "not known" in again.json()["detail"]
    assert any("not known" in why for why in refused_events(s))
    ctl = s.get(f"/api/v1/controllers/{client.id}").json()
    assert ctl["enrolled"] is True and ctl["enrollment_expires"] is None
    assert [d["door_id"] for d in ctl["doors"]] != []


def test_snapshot_signed_for_this_controller_only(enrolled):
    s, client, _ = enrolled
    r = client.snapshot()
    assert r.status_code == 200, r.text
    doc = client.verify_snapshot(r)
    assert doc["controller"] == client.id
    assert [d["name"] for d in doc["doors"]] == ["Lab Door"]
    assert doc["doors"][0]["offline_pin_after_s"] == 3600
    # Ann holds Lab; Bob only Staff (Main Entrance): one credential, by id and keyed hash
    assert len(doc["credentials"]) == 1
    assert len(doc["credentials"][0]["card"]) == 64
    text = r.content.decode()
    for clear in ("Ann", "Berg", "E100", "3456", "Main Entrance"):
        assert clear not in text
    # current: 204 with the version
    again = client.snapshot(have=doc["version"])
    assert again.status_code == 204
    assert again.headers["Snapshot-Version"] == str(doc["version"])


def test_events_stored_once_in_order(enrolled):
    s, client, _ = enrolled
    door = s.get("/api/v1/doors", params={"q": "Lab Door"}).json()["items"]
    lab = [d for d in door if d["name"] == "Lab Door"][0]["id"]
    now = int(time.time() * 1e6)

    def ev(seq):
        return {"seq": seq, "time_us": now + seq, "type": "access.decision", "door": lab,
                "decision": 0, "reason": 1, "payload": {"bits": "1" * 26, "seq": seq}}

    r = client.events([ev(1), ev(2), ev(3)])
    assert r.json() == {"acked": 3, "stored": 3}
    # the same batch again (its answer was lost): nothing new
    r = client.events([ev(1), ev(2), ev(3)])
    assert r.json() == {"acked": 3, "stored": 0}
    # overlapping, then a gap: stored up to the gap
    r = client.events([ev(3), ev(4)])
    assert r.json() == {"acked": 4, "stored": 1}
    r = client.events([ev(6), ev(7)])
    assert r.json() == {"acked": 4, "stored": 0}
    got = s.get("/api/v1/events", params={"type": "access.decision", "door_id": lab}).json()
    seqs = [e["payload"]["seq"] for e in got["items"]]
    assert seqs == [1, 2, 3, 4]
    # a batch out of order, or with a type a controller never sends, is refused whole
    r = client.events([ev(5), ev(7)])
    assert r.status_code == 422 and "no gap" in r.json()["detail"]
    bad = ev(5)
    bad["type"] = "user.sign_in"
    r = client.events([bad])
    assert r.status_code == 422 and "does not send" in r.json()["detail"]
    assert client.events([]).json()["acked"] == 4


def test_refusals(enrolled):
    s, client, _ = enrolled
    path = "/edge/v1/snapshot"
    body = json.dumps({"have": 0}).encode()

    def send(headers, data=body):
        return s.post(path, token=False, data=data,
                      headers={"Content-Type": "application/json", **headers})

    cases = []
    cases.append((send({}), "not signed"))
    h = client.signed_headers("POST", path, body)
    cases.append((send(h, json.dumps({"have": 1}).encode()), "Content-Digest does not match"))
    other = EdgeClient(s)
    cases.append((send(client.signed_headers("POST", path, body, key=other.key)),
                  "does not verify"))
    cases.append((send(client.signed_headers("POST", path, body, created=int(time.time()) - 600)),
                  "from the server's clock"))
    cases.append((send(client.signed_headers("POST", path, body, keyid=999)), "not enrolled"))
    h = client.signed_headers("POST", path, body, nonce="once-only-nonce")
    assert send(h).status_code == 200
    cases.append((send(h), "replayed"))
    h = client.signed_headers("POST", "/edge/v1/events", body)
    cases.append((send(h), "does not verify"))  # signed for another path
    for r, why in cases:
        assert r.status_code == 401, (why, r.status_code, r.text)
        assert why in r.json()["detail"], (why, r.json()["detail"])
    reasons = refused_events(s)
    for _, why in cases:
        assert any(why in x for x in reasons), why
    assert "refused" in s.log()
    # a session or a token is not a controller
    assert s.post(path, json={"have": 0}).status_code == 401


def test_heartbeat_and_revocation_lag(enrolled):
    s, client, _ = enrolled
    doc = client.verify_snapshot(client.snapshot())
    applied = doc["issued_us"] + 150_000
    r = client.heartbeat(snapshot_version=doc["version"], snapshot_issued_us=doc["issued_us"],
                         snapshot_applied_us=applied, journal_depth=7,
                         doors=[{"id": doc["doors"][0]["id"], "lock": "locked", "open": False}])
    assert r.status_code == 200, r.text
    ctl = s.get(f"/api/v1/controllers/{client.id}").json()
    assert ctl["online"] is True and ctl["current"] is True
    assert ctl["applied_version"] == doc["version"]
    assert 100 <= ctl["revocation_lag_ms"] <= 5000
    assert ctl["health"]["journal_depth"] == 7
    assert abs(ctl["health"]["clock_offset_ms"]) < 5000


def test_long_poll_wakes_on_a_policy_change(enrolled):
    s, client, _ = enrolled
    doc = client.verify_snapshot(client.snapshot())
    out = {}

    def poll():
        t0 = time.monotonic()
        out["r"] = client.poll(doc["version"], wait_s=20)
        out["t"] = time.monotonic() - t0

    th = threading.Thread(target=poll)
    th.start()
    time.sleep(0.5)  # the poll is waiting (no condition to await from outside)
    ann = s.get("/api/v1/people", params={"q": "E100"}).json()["items"][0]
    changed = time.monotonic()
    r = s.patch(f"/api/v1/people/{ann['id']}", json={"status": "terminated"})
    assert r.status_code == 200, r.text
    th.join(25)
    assert out["r"].status_code == 200
    assert out["r"].json()["snapshot"] > doc["version"]
    assert time.monotonic() - changed < 2.0
    # the new snapshot says so
    new = client.verify_snapshot(client.snapshot(have=doc["version"]))
    assert new["people"][0]["status"] == 3  # terminated
    # a poll with nothing new answers when its time is up
    t0 = time.monotonic()
    r = client.poll(new["version"], wait_s=1)
    assert r.json()["snapshot"] == new["version"]
    assert 0.9 <= time.monotonic() - t0 < 5


def test_controller_records(site_server):
    s = site_server
    r = s.post("/api/v1/controllers", json={"name": "a", "doors": [{"door": "Main Entrance"}]})
    assert r.status_code == 201
    # a door has one controller
    r2 = s.post("/api/v1/controllers", json={"name": "b", "doors": [{"door": "Main Entrance"}]})
    assert r2.status_code == 409, r2.text
    assert s.get("/api/v1/controllers").json()["items"][0]["name"] == "a"
    assert len(s.get("/api/v1/controllers").json()["items"]) == 1  # nothing half made
    r3 = s.post(f"/api/v1/controllers/{r.json()['id']}/doors",
                json={"door": "Lab Door", "offline_pin_after_s": 60, "offline_deny_after_s": 30})
    assert r3.status_code == 422
    assert r3.json()["errors"][0]["field"] == "offline_deny_after_s"
    assert s.delete(f"/api/v1/controllers/{r.json()['id']}").status_code == 204


def test_a_flood_of_refused_requests_is_not_recorded_one_by_one(site_server):
    s = site_server
    before = len(refused_events(s))
    codes = {s.post("/edge/v1/snapshot", token=False, json={"have": 0}).status_code
             for _ in range(150)}
    assert codes == {401}
    recorded = len(refused_events(s)) - before
    assert 1 <= recorded <= 50, recorded


def test_a_controller_files_events_under_its_own_doors_only(enrolled):
    s, client, _ = enrolled
    doors = {d["name"]: d["id"] for d in s.get("/api/v1/doors").json()["items"]}
    people = {p["employee_id"]: p["id"] for p in s.get("/api/v1/people").json()["items"]}
    ann_card = s.get("/api/v1/credentials", params={"card": "h10301:12:3456"}).json()["items"][0]
    now = int(time.time() * 1e6)
    r = client.events([
        {"seq": 1, "time_us": now, "type": "door.forced", "door": doors["Main Entrance"]},
        {"seq": 2, "time_us": now + 1, "type": "access.decision", "door": doors["Lab Door"],
         "decision": 1, "reason": 0,
         "payload": {"credential_id": ann_card["id"], "person_id": people["E200"]}},
        {"seq": 3, "time_us": now + 2, "type": "access.decision", "door": doors["Lab Door"],
         "decision": 1, "reason": 0,
         "payload": {"credential_id": ann_card["id"], "person_id": people["E100"]}}])
    assert r.json()["acked"] == 3
    evs = [e for e in s.get("/api/v1/events", params={"limit": 1000}).json()["items"]
           if "source" in e]
    forced, wrong, right = evs
    assert forced["door_id"] is None
    assert forced["payload"]["claimed_door"] == doors["Main Entrance"]
    assert wrong["person_id"] is None and wrong["credential_id"] is None
    assert wrong["payload"]["unverified_credential"] == ann_card["id"]
    assert right["person_id"] == people["E100"] and right["credential_id"] == ann_card["id"]
