"""Custom rules in Lua on a real server: a script dropped in the data dir's rules directory
is loaded without a restart and its alarms open the incident its type maps to; a script
with an infinite loop and one that eats memory are stopped at their limits and disabled,
each with a rule.script event saying why, while the server and the other rules go on; a
mended script is loaded again."""

import pytest

from edge_proc import wait_for

INACTIVE = """
-- a card that is not active, tried at a door: who, where
subscribe('access.decision', function(ev)
  if ev.decision == 'denied' and ev.reason == 'credential_inactive' then
    alarm{type = 'inactive_card_tried', severity = 3, door = ev.door_id,
          person = ev.person_id, credential = ev.credential_id,
          detail = 'an inactive card was tried at door ' .. ev.door_id}
  end
end)
"""
LOOP = "subscribe('access.decision', function(ev) while true do end end)\n"
BOMB = """subscribe('access.decision', function(ev)
  local t = {}
  for i = 1, 1e9 do t[i] = string.rep('x', 65536) .. i end
end)
"""


def script_events(s):
    items = s.get("/api/v1/events", params={"type": "rule.script", "limit": 100}).json()
    return [e["payload"] for e in items["items"]]


def alarms(s):
    return s.get("/api/v1/alarms", params={"limit": 1000}).json()["items"]


@pytest.fixture
def lua_server(server_factory):
    s = server_factory(extra_args=["--set", "rules.tick_ms=100",
                                   "--set", "rules.lua_instructions=200000",
                                   "--set", "rules.lua_memory=4m"])
    s.gh("sim", "--people", "40", "--day", "2026-11-23")  # a campus, its day judged
    s.rules = s.data / "rules"
    assert s.rules.is_dir()  # made by init
    r = s.post("/api/v1/incident-types", json={
        "name": "inactive_card", "title": "Inactive card tried", "department_id": "Security",
        "alarm_types": ["inactive_card_tried"],
        "steps": [{"text": "Find out who has the card", "required": True}]})
    assert r.status_code == 201, r.text
    return s


def tried(s):
    """The lost card of the simulated day, tried again now."""
    s.gh("decide", "--door", "B1 Main Entrance", "--card", "h10301:42:10001", "--record")


def test_a_custom_rule_fires_and_opens_its_incident(lua_server):
    s = lua_server
    (s.rules / "inactive.lua").write_text(INACTIVE)
    wait_for(lambda: {"script": "inactive.lua", "state": "loaded", "why": ""} in
             script_events(s), what="the script loaded")
    tried(s)
    a = wait_for(lambda: [a for a in alarms(s) if a["type"] == "inactive_card_tried"],
                 what="the custom alarm")[0]
    assert a["key"] == f"inactive_card_tried:door:{a['door_id']}" and a["severity"] == 3
    assert a["detail"] == f"an inactive card was tried at door {a['door_id']}"
    x = s.get(f"/api/v1/incidents/{a['incident_id']}").json()
    assert x["type"] == "inactive_card" and x["department"] == "Security"
    assert [st["text"] for st in x["steps"]] == ["Find out who has the card"]


def test_runaway_rules_are_stopped_and_disabled(lua_server):
    s = lua_server
    (s.rules / "inactive.lua").write_text(INACTIVE)
    (s.rules / "loop.lua").write_text(LOOP)
    (s.rules / "bomb.lua").write_text(BOMB)
    wait_for(lambda: sum(e["state"] == "loaded" for e in script_events(s)) == 3,
             what="three scripts loaded")
    tried(s)
    disabled = wait_for(lambda: {e["script"]: e["why"] for e in script_events(s)
                                 if e["state"] == "disabled"} if
                        len([e for e in script_events(s) if e["state"] == "disabled"]) == 2
                        else None, what="both disabled")
    assert disabled["loop.lua"] == "loop.lua:1: instruction limit (200000) reached"
    assert disabled["bomb.lua"] == "memory limit reached"
    # the server is fine, and the good rule fired for the same read
    assert s.get("/readyz").status_code == 200
    wait_for(lambda: [a for a in alarms(s) if a["type"] == "inactive_card_tried"],
             what="the custom alarm")
    # disabled ones stay so: another read, no new news
    n = len(script_events(s))
    tried(s)
    wait_for(lambda: [a for a in alarms(s) if a["type"] == "inactive_card_tried"][0]["count"] == 2,
             what="the second read judged")
    assert len(script_events(s)) == n
    # mended, the loop is loaded again
    (s.rules / "loop.lua").write_text("subscribe('access.decision', function(ev) end)\n")
    wait_for(lambda: {"script": "loop.lua", "state": "reloaded", "why": ""} in script_events(s),
             what="the mended script reloaded")
    # a script that does not compile is refused, with the line
    (s.rules / "broken.lua").write_text("subscribe('access.decision', function(ev)\n")
    got = wait_for(lambda: [e for e in script_events(s) if e["script"] == "broken.lua"],
                   what="broken.lua refused")
    assert got[0]["state"] == "refused" and got[0]["why"].startswith("broken.lua:2:")
