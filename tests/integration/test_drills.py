"""Drills: `gatehouse drill SCENARIO` and POST /api/v1/drills inject a marked scenario; the
server's detectors raise its alarm, the incident it opens is marked as the drill's (and
left out of the real ones on request), and the report gives, per department, the seconds
from the injection to the alarm, to the acknowledgement and to the resolution."""

import json

import pytest

from edge_proc import wait_for

FAST = ["--set", "rules.tick_ms=100"]


def alarms(s, **params):
    return s.get("/api/v1/alarms", params={"limit": 1000, **params}).json()["items"]


@pytest.fixture
def campus(server_factory):
    s = server_factory(extra_args=FAST)
    s.gh("sim", "--people", "40", "--day", "2026-11-23", "--no-scenarios")
    return s


def test_a_badge_cloning_drill_end_to_end(campus):
    s = campus
    r = s.post("/api/v1/drills", json={"scenario": "badge-cloning"})
    assert r.status_code == 201, r.text
    drill = r.json()
    assert drill["scenario"] == "badge-cloning" and drill["by"] == "token:test-admin"
    a = wait_for(lambda: [a for a in alarms(s) if a["drill_id"] == drill["id"]],
                 what="the drill's alarm")[0]
    assert a["type"] == "badge_cloning"
    x = s.get(f"/api/v1/incidents/{a['incident_id']}").json()
    assert x["drill_id"] == drill["id"] and x["department"] == "Security"
    # real incidents only: the drill's is left out
    real = s.get("/api/v1/incidents", params={"drills": "false"}).json()["items"]
    assert x["id"] not in [i["id"] for i in real]
    assert [i["id"] for i in s.get("/api/v1/incidents", params={"drill_id": drill["id"]}
                                   ).json()["items"]] == [x["id"]]
    # the drill's events are marked
    marked = [e for e in s.get("/api/v1/events", params={"type": "access.decision",
                                                         "limit": 1000}).json()["items"]
              if e["payload"].get("drill") == drill["id"]]
    assert len(marked) == 2 and {e["payload"]["scenario"] for e in marked} == {"badge-cloning"}
    # worked through: acknowledged, steps done, resolved
    rep = s.get(f"/api/v1/drills/{drill['id']}").json()
    row = rep["departments"]["Security"][0]
    assert 0 <= row["to_alarm_s"] < 10 and row["to_acknowledge_s"] is None
    assert s.post(f"/api/v1/alarms/{a['id']}/acknowledge").status_code == 200
    for n in (1, 2, 3):
        assert s.put(f"/api/v1/incidents/{x['id']}/steps/{n}",
                     json={"state": "done"}).status_code == 200
    assert s.post(f"/api/v1/incidents/{x['id']}/status",
                  json={"status": "resolved"}).status_code == 200
    rep = s.get(f"/api/v1/drills/{drill['id']}").json()
    row = rep["departments"]["Security"][0]
    assert row["incident"] == x["id"] and row["status"] == "resolved"
    assert row["alarm"] == "badge_cloning"
    assert row["to_alarm_s"] <= row["to_acknowledge_s"] <= row["to_resolve_s"]
    assert [d["id"] for d in s.get("/api/v1/drills").json()["items"]] == [drill["id"]]


@pytest.mark.parametrize("scenario, alarm_type, department", [
    ("terminated-employee", "credential_misuse", "Security"),
    ("forced-door", "door_forced", "Security"),
    ("after-hours", "after_hours", None)])
def test_each_scenario_from_the_command_line(campus, scenario, alarm_type, department):
    s = campus
    out = s.gh("drill", scenario, "--door", "B1 Main Entrance").stdout
    drill = int(out.split()[1].rstrip(":"))
    a = wait_for(lambda: [a for a in alarms(s) if a["drill_id"] == drill],
                 what=f"the {scenario} drill's alarm")[0]
    assert a["type"] == alarm_type
    rep = json.loads(s.gh("drill", "report", str(drill), "--json").stdout)
    assert rep["scenario"] == scenario
    if department is None:  # no incident type for it: an alarm only
        assert a["incident_id"] is None and rep["departments"] == {}
    else:
        assert list(rep["departments"]) == [department]
    text = s.gh("drill", "report", str(drill)).stdout
    assert text.startswith(f"drill {drill}: {scenario}, started ")
    assert str(drill) in s.gh("drill", "list").stdout


def test_what_a_site_cannot_stage_is_refused(server_factory):
    s = server_factory(extra_args=FAST)
    r = s.post("/api/v1/drills", json={"scenario": "badge-cloning"})
    assert r.status_code == 422 and "needs doors" in r.json()["detail"]
    r = s.post("/api/v1/drills", json={"scenario": "fire"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "scenario"
    s.gh("site", "add", "HQ", "--tz", "UTC")
    s.gh("area", "add", "Out", "--site", "HQ")
    s.gh("area", "add", "In", "--site", "HQ")
    s.gh("door", "add", "Main", "--site", "HQ", "--from", "Out", "--to", "In")
    r = s.post("/api/v1/drills", json={"scenario": "badge-cloning"})
    assert r.status_code == 422 and "two doors too far apart" in r.json()["detail"]
    r = s.post("/api/v1/drills", json={"scenario": "forced-door", "door": "Nowhere"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "door"
    assert s.get("/api/v1/drills").json()["items"] == []
    p = s.gh("drill", "fire", rc=2)
    assert "'fire' is not a scenario" in p.stderr
