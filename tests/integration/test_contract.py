"""The API contract: the route table of the binary (`gatehouse routes --json`, built from
src/http/routes.c) and docs/api/openapi.yaml describe the same API, the document is valid
OpenAPI 3.1, and the server's replies match the document's schemas."""

import json
import re

import jsonschema
import pytest
import yaml

from conftest import REPO, run_gatehouse
from edge_proc import wait_for

SPEC_PATH = REPO / "docs" / "api" / "openapi.yaml"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@pytest.fixture(scope="module")
def spec():
    return yaml.safe_load(SPEC_PATH.read_text())


@pytest.fixture(scope="module")
def routes():
    return json.loads(run_gatehouse(["routes", "--json"]).stdout)


def schema_name(ref):
    return ref["$ref"].rsplit("/", 1)[1] if ref and "$ref" in ref else None


def test_route_table_equals_the_document(spec, routes):
    table = {(r["method"].lower(), r["pattern"]): r for r in routes}
    doc = {(m, p): op for p, item in spec["paths"].items() for m, op in item.items()
           if m in METHODS}
    missing = sorted(set(table) - set(doc))
    extra = sorted(set(doc) - set(table))
    assert not missing, f"routes missing from {SPEC_PATH.name}: {missing}"
    assert not extra, f"{SPEC_PATH.name} has paths with no route: {extra}"
    problems = []
    for key, r in table.items():
        op = doc[key]
        if op.get("x-permission") != r["perm"]:
            problems.append(f"{key}: x-permission {op.get('x-permission')} != {r['perm']}")
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        got = schema_name(body["schema"]) if body else None
        if got != r["request"]:
            problems.append(f"{key}: request schema {got} != {r['request']}")
        if r["response"]:
            ok = [c for c in op["responses"] if c.startswith("2")]
            content = op["responses"][ok[0]].get("content", {}).get("application/json")
            got = schema_name(content["schema"]) if content else None
            if got != r["response"]:
                problems.append(f"{key}: response schema {got} != {r['response']}")
        if op.get("summary") != r["summary"]:
            problems.append(f"{key}: summary differs from the route table")
        if (r["perm"] == "none") != (op.get("security") == []):
            problems.append(f"{key}: open routes (and only they) have security: []")
    assert not problems, "\n".join(problems)


# ---- the document is valid OpenAPI 3.1 ------------------------------------------------------


def walk(node, path=""):
    """Yields (path, node) for every dict in the document."""
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from walk(v, f"{path}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, f"{path}/{i}")


def resolve(spec, ref):
    assert ref.startswith("#/"), f"only local references are used: {ref}"
    node = spec
    for part in ref[2:].split("/"):
        assert isinstance(node, dict) and part in node, f"unresolvable $ref {ref}"
        node = node[part]
    return node


def test_document_is_valid_openapi_3_1(spec):
    assert re.fullmatch(r"3\.1\.\d+", spec["openapi"])
    assert spec["info"]["title"] and spec["info"]["version"]
    for _, node in walk(spec):
        if "$ref" in node:
            resolve(spec, node["$ref"])
    schemes = spec["components"]["securitySchemes"]
    tags = {t["name"] for t in spec["tags"]}
    op_ids = set()
    for path, item in spec["paths"].items():
        assert path.startswith("/"), path
        templ = set(re.findall(r"\{([^}]+)\}", path))
        for method, op in item.items():
            assert method in METHODS, f"{path}: {method} is not an HTTP method"
            where = f"{method.upper()} {path}"
            assert op.get("responses"), f"{where}: no responses"
            for code in op["responses"]:
                assert re.fullmatch(r"[1-5]\d\d|[1-5]XX|default", code), f"{where}: {code}"
            oid = op.get("operationId")
            assert oid and oid not in op_ids, f"{where}: operationId missing or reused"
            op_ids.add(oid)
            assert set(op.get("tags", [])) <= tags, f"{where}: undeclared tag"
            params = [resolve(spec, p["$ref"]) if "$ref" in p else p
                      for p in op.get("parameters", [])]
            for p in params:
                assert p["in"] in ("query", "header", "path", "cookie"), p
                assert "schema" in p, f"{where}: parameter {p['name']} has no schema"
            declared = {p["name"] for p in params if p["in"] == "path"}
            assert declared == templ, f"{where}: path parameters {declared} != {templ}"
            assert all(p["required"] for p in params if p["in"] == "path")
            for req in op.get("security", spec["security"]):
                assert set(req) <= set(schemes), f"{where}: unknown security scheme"
    for name, schema in spec["components"]["schemas"].items():
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as e:
            pytest.fail(f"components.schemas.{name} is not valid JSON Schema 2020-12: {e}")


# ---- the server's replies match the document ----------------------------------------------


def validator(spec, name):
    resolver = jsonschema.RefResolver.from_schema(spec)
    return jsonschema.Draft202012Validator({"$ref": f"#/components/schemas/{name}"},
                                           resolver=resolver)


def check(spec, name, body):
    errors = sorted(validator(spec, name).iter_errors(body), key=str)
    assert not errors, f"{name}: " + "; ".join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5])


def test_replies_match_the_schemas(spec, site_server):
    s = site_server
    # one of everything, made through the API
    site = s.post("/api/v1/sites", json={"name": "B2", "timezone": "Europe/Paris"}).json()
    out = s.post("/api/v1/areas", json={"name": "B2 Out", "site_id": "B2"}).json()
    inside = s.post("/api/v1/areas", json={"name": "B2 In", "site_id": site["id"],
                                           "parent_id": "B2 Out"}).json()
    door = s.post("/api/v1/doors", json={"name": "B2 Door", "site_id": "B2",
                                         "from_area_id": out["id"],
                                         "to_area_id": inside["id"]}).json()
    sched = s.post("/api/v1/schedules", json={"name": "Days", "intervals": ["daily 06:00-22:00"]}
                   ).json()
    cal = s.post("/api/v1/calendars", json={"name": "FR"}).json()
    s.post(f"/api/v1/calendars/{cal['id']}/holidays", json={"date": "2026-07-14",
                                                            "name": "Bastille Day"})
    level = s.post("/api/v1/levels", json={"name": "B2 Staff"}).json()
    s.put(f"/api/v1/levels/{level['id']}/doors/{door['id']}", json={"schedule_id": "Days"})
    dept = s.post("/api/v1/departments", json={"name": "Legal"}).json()
    person = s.post("/api/v1/people", json={"employee_id": "L1", "first_name": "Lea",
                                            "last_name": "Roux", "department_id": "Legal"}
                    ).json()
    cred = s.post("/api/v1/credentials", json={"person_id": "L1", "format": "h10301",
                                               "facility": 7, "number": 77, "pin": "2468"}
                  ).json()
    s.put(f"/api/v1/people/{person['id']}/levels/{level['id']}", json={})
    s.post("/api/v1/areas/1/lockdown", json={"reason": "drill"})
    # an alarm and its incident (Cleo's card reported lost, then tried), a review, a type
    s.gh("credential", "set", "h10301:12:5000", "--status", "lost")
    s.gh("decide", "--door", "Main Entrance", "--card", "h10301:12:5000", "--record")
    alarm = wait_for(lambda: s.get("/api/v1/alarms").json()["items"], what="an alarm")[0]
    for d in ("Legal", "Sales"):
        s.post("/api/v1/imports/roster", headers={"Content-Type": "text/csv"},
               data=f"employee_id,first_name,last_name,department\nL9,Kai,Moss,{d}\n".encode())
    review = s.get("/api/v1/access-reviews").json()["items"][0]
    inc = s.put(f"/api/v1/incidents/{alarm['incident_id']}/steps/1", json={"state": "done"})
    check(spec, "Incident", inc.json())
    check(spec, "AccessReview", s.post(f"/api/v1/access-reviews/{review['id']}/close",
                                       json={}).json())
    check(spec, "Alarm", s.post(f"/api/v1/alarms/{alarm['id']}/acknowledge").json())
    contact = s.post("/api/v1/contacts", json={"department_id": "Security", "level": 0,
                                               "name": "Lea", "email": "lea@example.org"})
    check(spec, "Contact", contact.json())
    check(spec, "NotificationQueued", s.post("/api/v1/notifications", json={
        "template": "all_clear", "variables": {"site": "HQ"}}).json())
    check(spec, "DirectoryEntry", s.patch("/api/v1/directory/1",
                                          json={"escalate_after_s": 60}).json())
    gets = {
        "/healthz": "Health", "/readyz": "Readiness", "/api/v1/whoami": "Caller",
        "/api/v1/sites": "SiteList", f"/api/v1/sites/{site['id']}": "Site",
        "/api/v1/areas": "AreaList", f"/api/v1/areas/{out['id']}": "Area",
        "/api/v1/doors": "DoorList", f"/api/v1/doors/{door['id']}": "Door",
        "/api/v1/schedules": "ScheduleList", f"/api/v1/schedules/{sched['id']}": "Schedule",
        "/api/v1/calendars": "CalendarList", f"/api/v1/calendars/{cal['id']}": "Calendar",
        f"/api/v1/calendars/{cal['id']}/holidays": "HolidayList",
        "/api/v1/levels": "LevelList", f"/api/v1/levels/{level['id']}": "Level",
        f"/api/v1/levels/{level['id']}/doors": "LevelDoorList",
        "/api/v1/departments": "DepartmentList", f"/api/v1/departments/{dept['id']}":
            "Department",
        "/api/v1/people": "PersonList", f"/api/v1/people/{person['id']}": "Person",
        f"/api/v1/people/{person['id']}/credentials": "CredentialList",
        "/api/v1/credentials": "CredentialList", f"/api/v1/credentials/{cred['id']}":
            "Credential",
        "/api/v1/assignments": "AssignmentList", "/api/v1/events": "EventPage",
        "/api/v1/alarms": "AlarmList", f"/api/v1/alarms/{alarm['id']}": "Alarm",
        "/api/v1/incidents": "IncidentList",
        f"/api/v1/incidents/{alarm['incident_id']}": "Incident",
        "/api/v1/incident-types": "IncidentTypeList", "/api/v1/incident-types/1": "IncidentType",
        "/api/v1/access-reviews": "AccessReviewList",
        "/api/v1/directory": "Directory", "/api/v1/templates": "TemplateList",
        "/api/v1/notifications": "NotificationList",
    }
    for path, name in gets.items():
        r = s.get(path)
        assert r.status_code == 200, f"{path}: {r.text}"
        check(spec, name, r.json())
    d = s.post("/api/v1/decisions", json={"door_id": "Main Entrance", "card": "h10301:12:3456"})
    check(spec, "Decision", d.json())
    imp = s.post("/api/v1/imports/roster?dry_run=true",
                 data=(REPO / "tests/data/roster/good.csv").read_bytes(),
                 headers={"Content-Type": "text/csv"})
    check(spec, "ImportSummary", imp.json())
    # errors
    for r in (s.get("/api/v1/doors/999"), s.post("/api/v1/doors", json={"bogus": 1}),
              s.get("/api/v1/doors", token=False)):
        check(spec, "Problem", r.json())
