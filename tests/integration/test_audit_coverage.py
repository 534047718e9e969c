"""Every change leaves an entry in the audit log, and a new route or command that does not is
noticed.

The routes come from `gatehouse routes --json` and the commands from `gatehouse --help`. A
route that must be audited (every one that is not a GET, but for the door controllers' own
traffic and the what-if decision, plus the sensitive reads) must have a recipe in
ROUTE_RECIPES, and every command a place in the CLI tables, or the test fails naming it. Each
recipe makes a successful request on a real server, each command runs on a real data dir, and
the test then requires a new entry with that action (and, for a change, the rows it changed).
Reads that are not sensitive, the what-if decision and the read-only commands must leave no
entry; a refused sign-in must; the secrets sent (passwords, PINs, tokens, TOTP keys,
recovery codes and sessions' CSRF tokens) must appear in no entry.
"""

import json
import re
import sqlite3
import subprocess
import urllib.parse
from collections import namedtuple
from contextlib import closing

from conftest import GH, USER_PASSWORD, add_user, browser, run_gatehouse
from edge_client import EdgeClient
from edge_proc import wait_for
from test_ldap import config as ldap_config
from test_ldap import slapd  # noqa: F401 (a fixture: a real LDAP directory for user sync-ldap)

# What the entry a route or command leaves must show besides its action (see entry_problem).
CHANGE = "change"  # a non-empty list of the rows it changed
READ = "read"  # nothing more (a sensitive read)
SIGN_IN = "sign-in"  # nothing more (a session begins or ends: "changes" may be absent)
# nothing more: it changes no row of the state, only adds an event (and the event log is left
# out of "changes") or queues a command in memory
ACTION = "action"
INIT = "init"  # the outcome "data dir created"

# ---- the audit log -------------------------------------------------------------------------


def audit_mark(data):
    """The index the next entry will get."""
    if not (data / "gatehouse.db").exists():
        return 0
    with closing(sqlite3.connect(data / "gatehouse.db")) as db:
        return db.execute("SELECT coalesce(max(idx) + 1, 0) FROM audit_entries").fetchone()[0]


def audit_since(data, mark=0):
    with closing(sqlite3.connect(data / "gatehouse.db")) as db:
        return [json.loads(e) for (e,) in db.execute(
            "SELECT entry FROM audit_entries WHERE idx >= ? ORDER BY idx", (mark,))]


def entry_problem(new, action, kind):
    """What is wrong with the entries a request or command left (None: nothing)."""
    got = [e for e in new if e.get("action") == action]
    if not got:
        return f"no entry {action!r} (new entries: {[e.get('action') for e in new]})"
    e = got[-1]
    if kind == CHANGE and not (isinstance(e.get("changes"), list) and e["changes"]):
        return f"the entry lists no changes: {e}"
    if kind == INIT and e.get("outcome") != "data dir created":
        return f"the entry has not the outcome 'data dir created': {e}"
    return None


def leaks(data, secrets):
    """Problems: the secrets found in the audit log."""
    text = json.dumps(audit_since(data))
    return [f"the secret {s!r} is in the audit log of {data}" for s in secrets if s and s in text]


# ---- routes ----------------------------------------------------------------------------------

# The door controllers' own traffic: recorded as events, not audit entries.
EDGE_TRAFFIC = {"POST /edge/v1/snapshot", "POST /edge/v1/events", "POST /edge/v1/heartbeat",
                "POST /edge/v1/commands"}
WHAT_IF = "POST /api/v1/decisions"  # changes nothing, records nothing
SENSITIVE_READS = {"GET /api/v1/people/{id}", "GET /api/v1/people/{id}/credentials",
                   "GET /api/v1/exports/events", "GET /api/v1/audit/head",
                   "GET /api/v1/audit/entries", "GET /api/v1/audit/entries/{index}",
                   "GET /api/v1/audit/consistency", "GET /api/v1/audit/verification",
                   "GET /api/v1/incidents/{id}/report",
                   "GET /api/v1/incidents/{id}/attachments/{attachment_id}"}
# Reads not walked by test_other_reads_and_the_what_if_leave_no_entry, and why.
READS_NOT_WALKED = {
    "GET /api/v1/events/stream": "Server-Sent Events: the response does not end",
    "GET /api/v1/incidents/stream": "Server-Sent Events: the response does not end",
    "GET /api/v1/auth/oidc/start": "needs an OpenID provider",
    # a read in form only: it signs in, and is audited; test_oidc.py covers SSO sign-in
    "GET /api/v1/auth/oidc/callback": "signs in with an OpenID provider: its entry is checked "
                                      "in test_oidc.py::test_sign_in_maps_claims_to_roles",
}


def routes():
    return json.loads(run_gatehouse(["routes", "--json"]).stdout)


def key(route):
    return f"{route['method']} {route['pattern']}"


def audited_routes(table):
    """The routes that must leave an entry."""
    edge = {key(r) for r in table if r["perm"] == "controller"}
    assert edge == EDGE_TRAFFIC, f"controller routes changed: {sorted(edge ^ EDGE_TRAFFIC)}"
    return {key(r) for r in table
            if r["method"] != "GET" and r["perm"] != "controller"} - {WHAT_IF} | SENSITIVE_READS


class Api:
    """What the route recipes share: the server, the ids (and tokens) they keep by name, the
    clients they sign in, and the secrets they send."""

    def __init__(self, server):
        self.s = server
        self.ids = {}
        self.clients = {"anonymous": browser(server)}
        self.secrets = [PIN, USER_PASSWORD, NEW_PASSWORD, UMA_PASSWORD]

    def call(self, method, path, body=None, who="admin", **kw):
        """One request; {name} in the path is what an earlier recipe kept. who: "admin" (the
        server's token, scope *), "anonymous", or a client a recipe signed in."""
        path = path.format_map(self.ids)
        if body is not None:
            kw["json"] = body
        if who == "admin":
            return self.s.request(method, path, **kw)
        client = self.clients[who]
        r = client.request(method, self.s.url + path, timeout=60, **kw)
        if r.ok and r.headers.get("Content-Type", "").startswith("application/json"):
            doc = r.json()
            session = doc.get("session", doc) if isinstance(doc, dict) else {}
            if "csrf_token" in session:  # a sign-in, or a renewed session
                client.headers["X-CSRF-Token"] = session["csrf_token"]
                self.secrets.append(session["csrf_token"])  # stored with the session
        return r


def send(method, path, body=None, who="admin", keep=None, **kw):
    """A recipe of one request. keep="name" keeps the id in the answer under that name;
    keep=("name", "field") another field of it."""
    def run(api):
        r = api.call(method, path, body, who, **kw)
        if keep and r.ok:
            name, field = (keep, "id") if isinstance(keep, str) else keep
            api.ids[name] = r.json()[field]
        return r
    return run


def steps(*recipes):
    """Recipes in turn, stopping at the first failure; the last answer is the one checked."""
    def run(api):
        for recipe in recipes:
            r = recipe(api)
            if not r.ok:
                break
        return r
    return run


def make(path, **bodies):
    """POSTs each body to the collection, keeping each id by its name (the first is used on
    by later recipes, a second is a spare for the DELETE recipe)."""
    return steps(*(send("POST", path, body, keep=name) for name, body in bodies.items()))


def sign_in(name, roles=None, password=USER_PASSWORD, client=None):
    """Signs in (adding the user with these roles first, with the CLI); keeps the session as
    the client `client` (default: the name) and the user's id under the name."""
    def run(api):
        if roles:
            add_user(api.s, name, roles, password)
        api.clients[client or name] = browser(api.s)
        r = api.call("POST", "/api/v1/auth/login", {"name": name, "password": password},
                     who=client or name)
        if r.ok:
            api.ids[name] = r.json()["user"]["id"]
        return r
    return run


def confirm_mfa(api):
    uri = api.ids["otpauth_uri"]
    secret = urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)["secret"][0]
    code = subprocess.run(["oathtool", "--totp", "-b", secret], check=True,
                          capture_output=True, text=True).stdout.strip()
    r = api.call("POST", "/api/v1/auth/mfa/confirm", {"code": code}, who="omar")
    api.secrets += [secret] + (r.json()["recovery_codes"] if r.ok else [])
    return r


def end_other_session(api):
    mine = api.call("GET", "/api/v1/auth/sessions", who="hana").json()["items"]
    other = [s["id"] for s in mine if not s["current"]][0]
    return api.call("DELETE", f"/api/v1/auth/sessions/{other}", who="hana")


def make_own_token(api):
    r = send("POST", "/api/v1/tokens", {"name": "hana-sync", "scope": "people.read"},
             who="hana", keep="hana_token")(api)
    api.secrets += [r.json()["token"]] if r.ok else []
    return r


def enroll_controller(api):
    api.secrets.append(api.ids["enrollment_token"])
    return EdgeClient(api.s).enroll(api.ids["enrollment_token"])


def read_head(api):
    api.s.gh("audit", "head", "--sign")  # a signed head now (the server signs one within ~1 s)
    return api.call("GET", "/api/v1/audit/head")


def set_up_first_admin(api):
    api.secrets.append(api.ids["setup_token"])
    return api.call("POST", "/api/v1/setup", {"token": api.ids["setup_token"], "name": "boss",
                                              "password": USER_PASSWORD}, who="anonymous")


def raise_alarm(api):
    """The lost card (card2) tried at Main, recorded by the CLI: the rules thread raises a
    credential_misuse alarm and opens its incident (with a procedure)."""
    api.s.gh("decide", "--door", "Main", "--card", "h10301:12:3457", "--record")
    got = wait_for(lambda: api.call("GET", "/api/v1/alarms").json()["items"], what="an alarm")
    api.ids["alarm"] = got[0]["id"]
    api.ids["alarm_incident"] = got[0]["incident_id"]
    return api.call("GET", "/api/v1/alarms")


def open_review(api):
    """A department change in a roster import opens an access review."""
    for dept in ("Engineering", "Facilities"):
        r = api.call("POST", "/api/v1/imports/roster",
                     data=f"employee_id,first_name,last_name,department\nE60,Ines,Vale,{dept}\n"
                     .encode(), headers={"Content-Type": "text/csv"})
        if not r.ok:
            return r
    r = api.call("GET", "/api/v1/access-reviews?open=true")
    api.ids["review"] = r.json()["items"][0]["id"]
    return r


PIN = "5839204716"
NEW_PASSWORD = "quartz meadow lantern violin"
UMA_PASSWORD = "amber falcon pebble orchard"
ROSTER_CSV = b"employee_id,first_name,last_name\nE50,Rhea,Stone\n"

# One recipe per audited route, in the order they run: each makes what later ones use.
ROUTE_RECIPES = [
    ("POST /api/v1/sites", CHANGE, make(
        "/api/v1/sites", site={"name": "HQ", "timezone": "Europe/Berlin"},
        site2={"name": "Spare", "timezone": "UTC"})),
    ("PATCH /api/v1/sites/{id}", CHANGE,
     send("PATCH", "/api/v1/sites/{site2}", {"timezone": "Europe/Paris"})),
    ("POST /api/v1/areas", CHANGE, make(
        "/api/v1/areas", outside={"name": "Outside", "site_id": "HQ"},
        lobby={"name": "Lobby", "site_id": "HQ"},
        area2={"name": "Spare Hall", "site_id": "Spare"})),
    ("PATCH /api/v1/areas/{id}", CHANGE, send("PATCH", "/api/v1/areas/{lobby}", {"apb": "soft"})),
    ("POST /api/v1/areas/{id}/lockdown", CHANGE,
     send("POST", "/api/v1/areas/{lobby}/lockdown", {"reason": "drill"})),
    ("POST /api/v1/areas/{id}/release", CHANGE, send("POST", "/api/v1/areas/{lobby}/release", {})),
    ("POST /api/v1/doors", CHANGE, make(
        "/api/v1/doors",
        main={"name": "Main", "site_id": "HQ", "from_area_id": "Outside", "to_area_id": "Lobby"},
        door2={"name": "Side", "site_id": "HQ", "from_area_id": "Lobby", "to_area_id": "Outside"})),
    ("PATCH /api/v1/doors/{id}", CHANGE,
     send("PATCH", "/api/v1/doors/{main}", {"held_open_s": 20})),
    ("POST /api/v1/calendars", CHANGE,
     make("/api/v1/calendars", holidays={"name": "Holidays"}, cal2={"name": "Spare"})),
    ("PATCH /api/v1/calendars/{id}", CHANGE,
     send("PATCH", "/api/v1/calendars/{cal2}", {"name": "Closures"})),
    ("POST /api/v1/calendars/{id}/holidays", CHANGE, send(
        "POST", "/api/v1/calendars/{holidays}/holidays",
        {"date": "2026-12-25", "name": "Christmas Day"})),
    ("DELETE /api/v1/calendars/{id}/holidays/{date}", CHANGE,
     send("DELETE", "/api/v1/calendars/{holidays}/holidays/2026-12-25")),
    ("POST /api/v1/schedules", CHANGE, make(
        "/api/v1/schedules", office={"name": "Office", "intervals": ["mon-fri 07:00-19:00"]},
        sched2={"name": "Nights", "intervals": ["daily 22:00-06:00"]})),
    ("PATCH /api/v1/schedules/{id}", CHANGE,
     send("PATCH", "/api/v1/schedules/{sched2}", {"intervals": ["sat,sun 10:00-14:00"]})),
    ("POST /api/v1/levels", CHANGE,
     make("/api/v1/levels", staff={"name": "Staff"}, level2={"name": "Night"})),
    ("PATCH /api/v1/levels/{id}", CHANGE,
     send("PATCH", "/api/v1/levels/{level2}", {"name": "Night crew"})),
    ("PUT /api/v1/levels/{id}/doors/{door_id}", CHANGE, steps(
        send("PUT", "/api/v1/levels/{staff}/doors/{main}", {"schedule_id": "Office"}),
        send("PUT", "/api/v1/levels/{staff}/doors/{door2}", {"schedule_id": "Office"}))),
    ("DELETE /api/v1/levels/{id}/doors/{door_id}", CHANGE,
     send("DELETE", "/api/v1/levels/{staff}/doors/{door2}")),
    ("POST /api/v1/departments", CHANGE,
     make("/api/v1/departments", eng={"name": "Engineering"}, dept2={"name": "Legal"})),
    ("PATCH /api/v1/departments/{id}", CHANGE,
     send("PATCH", "/api/v1/departments/{dept2}", {"name": "Legal & Compliance"})),
    ("POST /api/v1/people", CHANGE, make(
        "/api/v1/people",
        ann={"employee_id": "E1", "first_name": "Ann", "last_name": "Berg",
             "department_id": "Engineering"},
        person2={"employee_id": "E2", "first_name": "Bob", "last_name": "Chen"})),
    ("PATCH /api/v1/people/{id}", CHANGE,
     send("PATCH", "/api/v1/people/{ann}", {"title": "Engineer"})),
    ("GET /api/v1/people/{id}", READ, send("GET", "/api/v1/people/{ann}")),
    ("PUT /api/v1/people/{id}/levels/{level_id}", CHANGE,
     send("PUT", "/api/v1/people/{ann}/levels/{staff}", {})),
    ("DELETE /api/v1/people/{id}/levels/{level_id}", CHANGE,
     send("DELETE", "/api/v1/people/{ann}/levels/{staff}")),
    ("POST /api/v1/credentials", CHANGE, make(
        "/api/v1/credentials",
        card={"person_id": "E1", "format": "h10301", "facility": 12, "number": 3456, "pin": PIN},
        card2={"person_id": "E1", "format": "h10301", "facility": 12, "number": 3457})),
    ("PATCH /api/v1/credentials/{id}", CHANGE,
     send("PATCH", "/api/v1/credentials/{card}", {"valid_until": "2027-01-01T00:00:00Z"})),
    ("POST /api/v1/credentials/{id}/revoke", CHANGE, send(
        "POST", "/api/v1/credentials/{card2}/revoke", {"status": "lost", "reason": "by phone"})),
    ("GET /api/v1/people/{id}/credentials", READ, send("GET", "/api/v1/people/{ann}/credentials")),
    ("POST /api/v1/controllers", CHANGE, make(
        "/api/v1/controllers", ctl={"name": "ctl-main", "doors": [{"door": "Main"}]},
        ctl2={"name": "ctl-spare"})),
    ("POST /api/v1/controllers/{id}/doors", CHANGE,
     send("POST", "/api/v1/controllers/{ctl}/doors", {"door": "Side"})),
    ("DELETE /api/v1/controllers/{id}/doors/{door}", CHANGE,
     send("DELETE", "/api/v1/controllers/{ctl}/doors/{door2}")),
    ("POST /api/v1/controllers/{id}/enrollment", CHANGE, send(
        "POST", "/api/v1/controllers/{ctl}/enrollment", keep=("enrollment_token", "token"))),
    ("POST /edge/v1/enroll", CHANGE, enroll_controller),
    ("POST /api/v1/doors/{id}/unlock", ACTION,
     send("POST", "/api/v1/doors/{main}/unlock", {"seconds": 1})),
    ("POST /api/v1/imports/roster", CHANGE, send(
        "POST", "/api/v1/imports/roster", data=ROSTER_CSV, headers={"Content-Type": "text/csv"})),
    ("GET /api/v1/exports/events", READ, send("GET", "/api/v1/exports/events")),
    ("POST /api/v1/access-reviews/{id}/close", CHANGE, steps(
        open_review, send("POST", "/api/v1/access-reviews/{review}/close", {"note": "done"}))),
    # alarms and incidents
    ("POST /api/v1/alarms/{id}/acknowledge", CHANGE,
     steps(raise_alarm, send("POST", "/api/v1/alarms/{alarm}/acknowledge"))),
    ("PUT /api/v1/incidents/{id}/steps/{number}", CHANGE,
     send("PUT", "/api/v1/incidents/{alarm_incident}/steps/1", {"state": "done"})),
    ("POST /api/v1/alarms/{id}/clear", CHANGE, send("POST", "/api/v1/alarms/{alarm}/clear")),
    ("POST /api/v1/incidents", CHANGE,
     make("/api/v1/incidents", inc={"title": "Water leak", "department_id": "Engineering"})),
    ("PATCH /api/v1/incidents/{id}", CHANGE,
     send("PATCH", "/api/v1/incidents/{inc}", {"severity": 4})),
    ("POST /api/v1/incidents/{id}/notes", CHANGE,
     send("POST", "/api/v1/incidents/{inc}/notes", {"text": "mopped"})),
    ("POST /api/v1/incidents/{id}/links", CHANGE, send(
        "POST", "/api/v1/incidents/{inc}/links", {"kind": "clip", "ref": "https://vms.example/1"})),
    ("POST /api/v1/incidents/{id}/status", CHANGE,
     send("POST", "/api/v1/incidents/{inc}/status", {"status": "acknowledged"})),
    ("GET /api/v1/incidents/{id}/report", READ, send("GET", "/api/v1/incidents/{inc}/report")),
    ("POST /api/v1/incidents/{id}/attachments", CHANGE, send(
        "POST", "/api/v1/incidents/{inc}/attachments?name=photo.jpg", data=b"\xff\xd8\xff jpeg",
        headers={"Content-Type": "image/jpeg"}, keep="attachment")),
    ("GET /api/v1/incidents/{id}/attachments/{attachment_id}", READ,
     send("GET", "/api/v1/incidents/{inc}/attachments/{attachment}")),
    ("POST /api/v1/incident-types", CHANGE, make(
        "/api/v1/incident-types", itype={"name": "leak", "title": "Water leak"},
        itype2={"name": "spare", "title": "Spare"})),
    ("PATCH /api/v1/incident-types/{id}", CHANGE, send(
        "PATCH", "/api/v1/incident-types/{itype}",
        {"steps": [{"text": "Shut the valve", "required": True}]})),
    ("DELETE /api/v1/incident-types/{id}", CHANGE,
     send("DELETE", "/api/v1/incident-types/{itype2}")),
    # the directory, templates, mass notification
    ("POST /api/v1/contacts", CHANGE, make(
        "/api/v1/contacts", lea={"department_id": "Engineering", "level": 0, "name": "Lea",
                                 "email": "lea@example.org"},
        contact2={"department_id": "Engineering", "level": 1, "name": "Otto",
                  "phone": "+49 30 1234"})),
    ("PATCH /api/v1/contacts/{id}", CHANGE,
     send("PATCH", "/api/v1/contacts/{lea}", {"role": "Liaison"})),
    ("DELETE /api/v1/contacts/{id}", CHANGE, send("DELETE", "/api/v1/contacts/{contact2}")),
    ("PATCH /api/v1/directory/{id}", CHANGE,
     send("PATCH", "/api/v1/directory/{eng}", {"escalate_after_s": 600})),
    ("PUT /api/v1/templates/{name}", CHANGE, send(
        "PUT", "/api/v1/templates/evacuation", {"subject": "EVACUATE {{site}}", "body": "Go."})),
    ("POST /api/v1/drills", CHANGE,
     send("POST", "/api/v1/drills", {"scenario": "forced-door", "door": "Main"})),
    ("POST /api/v1/notifications", CHANGE, send(
        "POST", "/api/v1/notifications", {"template": "all_clear", "departments": ["Engineering"],
                                          "variables": {"site": "HQ"}})),
    # signing in: hana (hr, twice) and omar (security_operator: must enroll MFA)
    ("POST /api/v1/auth/login", SIGN_IN, steps(
        sign_in("hana", "hr"), sign_in("hana", client="hana2"),
        sign_in("omar", "security_operator"))),
    ("POST /api/v1/auth/mfa/enroll", CHANGE, send(
        "POST", "/api/v1/auth/mfa/enroll", {"password": USER_PASSWORD}, who="omar",
        keep=("otpauth_uri", "otpauth_uri"))),
    ("POST /api/v1/auth/mfa/confirm", CHANGE, confirm_mfa),
    ("POST /api/v1/users/{id}/reset-mfa", CHANGE, send("POST", "/api/v1/users/{omar}/reset-mfa")),
    ("PUT /api/v1/incidents/{id}/assignees/{user_id}", CHANGE,
     send("PUT", "/api/v1/incidents/{inc}/assignees/{omar}")),
    ("DELETE /api/v1/incidents/{id}/assignees/{user_id}", CHANGE,
     send("DELETE", "/api/v1/incidents/{inc}/assignees/{omar}")),
    ("POST /api/v1/tokens", CHANGE, make_own_token),
    ("DELETE /api/v1/tokens/{id}", CHANGE,
     send("DELETE", "/api/v1/tokens/{hana_token}", who="hana")),
    ("DELETE /api/v1/auth/sessions/{id}", SIGN_IN, end_other_session),
    ("POST /api/v1/auth/password", CHANGE, send(
        "POST", "/api/v1/auth/password",
        {"current_password": USER_PASSWORD, "new_password": NEW_PASSWORD}, who="hana")),
    ("POST /api/v1/auth/logout", SIGN_IN, send("POST", "/api/v1/auth/logout", who="hana")),
    # administering users
    ("POST /api/v1/users", CHANGE, send(
        "POST", "/api/v1/users", {"name": "uma", "roles": "hr", "password": UMA_PASSWORD},
        keep="uma")),
    ("PATCH /api/v1/users/{id}", CHANGE,
     send("PATCH", "/api/v1/users/{uma}", {"display_name": "Uma"})),
    ("POST /api/v1/users/{id}/end-sessions", CHANGE, steps(
        sign_in("uma", password=UMA_PASSWORD), send("POST", "/api/v1/users/{uma}/end-sessions"))),
    # NOTE: runs in test_first_admin_setup_leaves_an_entry, on a data dir with no administrator
    ("POST /api/v1/setup", CHANGE, set_up_first_admin),
    # removing the spares
    ("DELETE /api/v1/credentials/{id}", CHANGE, send("DELETE", "/api/v1/credentials/{card2}")),
    ("DELETE /api/v1/people/{id}", CHANGE, send("DELETE", "/api/v1/people/{person2}")),
    ("DELETE /api/v1/controllers/{id}", CHANGE, send("DELETE", "/api/v1/controllers/{ctl2}")),
    ("DELETE /api/v1/doors/{id}", CHANGE, send("DELETE", "/api/v1/doors/{door2}")),
    ("DELETE /api/v1/areas/{id}", CHANGE, send("DELETE", "/api/v1/areas/{area2}")),
    ("DELETE /api/v1/schedules/{id}", CHANGE, send("DELETE", "/api/v1/schedules/{sched2}")),
    ("DELETE /api/v1/calendars/{id}", CHANGE, send("DELETE", "/api/v1/calendars/{cal2}")),
    ("DELETE /api/v1/levels/{id}", CHANGE, send("DELETE", "/api/v1/levels/{level2}")),
    ("DELETE /api/v1/departments/{id}", CHANGE, send("DELETE", "/api/v1/departments/{dept2}")),
    ("DELETE /api/v1/sites/{id}", CHANGE, send("DELETE", "/api/v1/sites/{site2}")),
    # reading the audit log
    ("GET /api/v1/audit/head", READ, read_head),
    ("GET /api/v1/audit/entries", READ, send("GET", "/api/v1/audit/entries?limit=5")),
    ("GET /api/v1/audit/entries/{index}", READ, send("GET", "/api/v1/audit/entries/0")),
    ("GET /api/v1/audit/consistency", READ, send("GET", "/api/v1/audit/consistency?from=1&to=2")),
    ("GET /api/v1/audit/verification", READ, send("GET", "/api/v1/audit/verification")),
]
SETUP = "POST /api/v1/setup"


def run_recipes(api, rows):
    """Runs the recipes in turn; returns what went wrong with each (a failed request, no
    entry, an entry without its changes)."""
    problems = []
    for route, kind, recipe in rows:
        mark = audit_mark(api.s.data)
        try:
            r = recipe(api)
        except KeyError as e:
            problems.append(f"{route}: needs {e}, which an earlier recipe did not make")
            continue
        if not 200 <= r.status_code < 300:
            problems.append(f"{route}: {r.status_code} {r.text}")
            continue
        problem = entry_problem(audit_since(api.s.data, mark), route, kind)
        if problem:
            problems.append(f"{route}: {problem}")
    return problems


def test_every_audited_route_leaves_an_entry(server):
    want = audited_routes(routes())
    have = {route for route, _, _ in ROUTE_RECIPES}
    assert have == want, (f"audited routes without a recipe: {sorted(want - have)}; "
                          f"recipes of no audited route: {sorted(have - want)}")
    api = Api(server)
    problems = run_recipes(api, [row for row in ROUTE_RECIPES if row[0] != SETUP])
    problems += leaks(server.data, api.secrets)
    assert not problems, "\n".join(problems)


def test_first_admin_setup_leaves_an_entry(gh, server_factory):
    """POST /api/v1/setup works only on a data dir with no administrator: its own server."""
    out = gh("init").stdout
    token = re.search(r'"token": "(ghs_[A-Za-z0-9_-]{43})"', out).group(1)
    api = Api(server_factory(site=True, template=gh.data))  # a copy of this data dir
    api.ids["setup_token"] = token
    problems = run_recipes(api, [row for row in ROUTE_RECIPES if row[0] == SETUP])
    problems += leaks(api.s.data, api.secrets)
    assert not problems, "\n".join(problems)


def test_a_refused_sign_in_leaves_an_entry(server):
    add_user(server, "nina", "hr")
    mark = audit_mark(server.data)
    r = browser(server).post(server.url + "/api/v1/auth/login",
                             json={"name": "nina", "password": "not her password"}, timeout=60)
    assert r.status_code == 401, r.text
    got = [e for e in audit_since(server.data, mark) if e["action"] == "POST /api/v1/auth/login"]
    assert got and "refused" in got[0].get("outcome", ""), got


def an_id(s, collection):
    """The id of the first item a list route gives (of events: the first decision's offset)."""
    if collection == "/api/v1/events":
        return s.get(collection, params={"type": "access.decision"}).json()["items"][0]["offset"]
    return s.get(collection).json()["items"][0]["id"]


def test_other_reads_and_the_what_if_leave_no_entry(site_server):
    s = site_server
    s.gh("decide", "--door", "Main Entrance", "--card", "h10301:12:3456", "--record")
    s.gh("controller", "add", "ctl-1", "--door", "Main Entrance")
    # an alarm and its incident to read: a card reported lost, then tried
    s.gh("credential", "set", "h10301:12:5000", "--status", "lost")  # Cleo's
    s.gh("decide", "--door", "Main Entrance", "--card", "h10301:12:5000", "--record")
    s.gh("drill", "forced-door")  # a drill to read the report of
    wait_for(lambda: s.get("/api/v1/alarms").json()["items"], what="an alarm")
    api = Api(s)
    assert sign_in("rita", "hr")(api).ok  # reads of one's own session need a session
    reads = sorted(key(r) for r in routes() if r["method"] == "GET")
    quiet = [k for k in reads if k not in SENSITIVE_READS and k not in READS_NOT_WALKED]
    problems = []
    for route in quiet + [WHAT_IF]:
        method, pattern = route.split(" ")
        path = re.sub(r"(.*?)/\{\w+\}", lambda m: f"{m[1]}/{an_id(s, m[1])}", pattern)
        body = {"door_id": "Main Entrance", "card": "h10301:12:3456"} if route == WHAT_IF else None
        mark = audit_mark(s.data)
        r = api.call(method, path, body, who="rita" if "/auth/" in path else "admin")
        new = [e["action"] for e in audit_since(s.data, mark)]
        if not 200 <= r.status_code < 300 or new:
            problems.append(f"{route} ({path}): {r.status_code}, new entries {new}")
    assert not problems, "\n".join(problems)


# ---- CLI commands ----------------------------------------------------------------------------

Run = namedtuple("Run", "command args stdin fresh kind", defaults=((), None, False, CHANGE))
CLI_PIN, CLI_PIN2 = "6401758392", "7302915846"
CLI_PASSWORD, CLI_PASSWORD2 = "copper willow sextant harbor", "maple comet drizzle anchor"
CLI_ROSTER = "employee_id,first_name,last_name\nE500,Rhea,Stone\n"

# The commands that change something, in order: init and sim on a data dir of their own
# (fresh=True; sim builds its campus only in an empty store), the rest on the scripted site
# (conftest.build_site). {roster} and {ldap} are files the test writes.
CLI_CHANGES = [
    Run("init", fresh=True, kind=INIT),
    Run("sim", ("--people", "20", "--buildings", "1", "--day", "2026-11-20"), fresh=True),
    Run("site add", ("Annex", "--tz", "Europe/Paris")),
    Run("area add", ("Annex Hall", "--site", "Annex")),
    Run("area lockdown", ("Lobby",)),
    Run("area release", ("Lobby",)),
    Run("door add", ("Side Door", "--site", "HQ", "--from", "Lobby", "--to", "Outside")),
    Run("door set", ("Side Door", "--held-open", "20")),
    Run("calendar add", ("Closures",)),
    Run("holiday add", ("--calendar", "Closures", "--date", "2026-08-14", "--name", "Summer")),
    Run("schedule add", ("Weekend", "--interval", "sat,sun 10:00-14:00")),
    Run("schedule set", ("Weekend", "--interval", "sat 10:00-14:00", "--holidays", "Closures")),
    Run("level add", ("Visitors",)),
    Run("level door", ("Visitors", "--door", "Side Door", "--schedule", "Weekend")),
    Run("department add", ("Legal",)),
    Run("person add", ("E400", "--first", "Dora", "--last", "Ek", "--department", "Legal")),
    Run("person set", ("E400", "--title", "Counsel")),
    Run("credential add", ("--person", "E400", "--card", "h10301:12:6000", "--pin-stdin"),
        stdin=CLI_PIN),
    Run("credential set", ("h10301:12:6000", "--pin-stdin"), stdin=CLI_PIN2),
    Run("assign", ("E400", "Visitors")),
    Run("import people", ("{roster}",)),
    Run("decide", ("--door", "Main Entrance", "--card", "h10301:12:4000", "--at",
                   "2026-11-23T10:00", "--record"), kind=ACTION),  # a decision event
    Run("drill", ("forced-door",)),  # its record, the drill person, its events
    Run("token create", ("--name", "ci", "--scope", "events.read")),
    Run("token revoke", ("ci",)),
    Run("user add", ("vera", "--roles", "hr", "--password-stdin"), stdin=CLI_PASSWORD),
    Run("user set", ("vera", "--display-name", "Vera Voss", "--password-stdin"),
        stdin=CLI_PASSWORD2),
    Run("user sync-ldap", ("--config", "{ldap}")),
    Run("controller add", ("ctl-1", "--door", "Main Entrance")),
    Run("controller door", ("ctl-1", "--door", "Lab Door", "--offline-pin-after", "60")),
    Run("controller token", ("ctl-1",)),
    Run("credential remove", ("h10301:12:6000",)),
    Run("level remove", ("Visitors",)),
    Run("person remove", ("E400",)),
    Run("department remove", ("Legal",)),
    Run("door remove", ("Side Door",)),
    Run("schedule remove", ("Weekend",)),
    Run("calendar remove", ("Closures",)),
    Run("area remove", ("Annex Hall",)),
    Run("site remove", ("Annex",)),
]
PRINTS_A_SECRET = {"token create", "controller token"}
# Reads that must leave an entry.
CLI_AUDITED_READS = [Run("export events", ("--csv",), kind=READ),
                     Run("export dump", ("--dir", "{dumps}", "--day", "2026-11-23"), kind=READ),
                     Run("audit head", ("--sign",), kind=READ), Run("audit verify", kind=READ)]
# Reads that must leave none.
CLI_READ_ONLY = [Run(f"{group} list") for group in (
    "site", "area", "door", "schedule", "level", "department", "person", "credential", "token",
    "user", "controller")] + [
    Run("routes"), Run("roles"), Run("card bits", ("h10301:12:3456",)), Run("events"),
    Run("rules replay"),
    Run("decide", ("--door", "Main Entrance", "--card", "h10301:12:3456", "--at",
                   "2026-11-23T10:00"))]
CLI_NOT_RUN = {
    "serve": "the server: what it changes goes through the routes, checked above",
    "demo": "init, sim and serve in one, then runs until stopped: each part is checked",
    "edge": "a door controller, runs until stopped: its traffic is the /edge/v1/ routes",
}


def cli_commands():
    """The commands `gatehouse --help` lists ("  group verb   Summary"; a summary that wraps
    continues on an unindented line)."""
    out = run_gatehouse(["--help"]).stdout
    block = out.split("Commands:", 1)[1].split("Every command takes", 1)[0]
    return {m[1] for m in re.finditer(r"^  ([a-z][a-z-]*(?: [a-z][a-z-]*)?)  +\S", block, re.M)}


def run_cli(gh, run, fill):
    """Runs a command; returns the new entries (or a string saying how it failed) and the
    process."""
    mark = audit_mark(gh.data)
    args = run.command.split() + [a.format(**fill) for a in run.args]
    p = gh(*args, input=run.stdin and run.stdin + "\n", rc=None)
    if p.returncode != 0:
        return f"exit status {p.returncode}: {p.stderr.strip()}", p
    return audit_since(gh.data, mark), p


def test_every_cli_command_is_classified():
    classified = ({r.command for r in CLI_CHANGES + CLI_AUDITED_READS + CLI_READ_ONLY}
                  | set(CLI_NOT_RUN))
    listed = cli_commands()
    assert len(listed) > 50
    assert classified == listed, (f"commands not classified: {sorted(listed - classified)}; "
                                  f"classified but not listed: {sorted(classified - listed)}")


def test_every_changing_cli_command_and_audited_read_leaves_an_entry(site, tmp_path, slapd):
    fresh = GH(tmp_path / "fresh")
    (tmp_path / "roster.csv").write_text(CLI_ROSTER)
    (tmp_path / "dumps").mkdir()
    fill = {"roster": tmp_path / "roster.csv", "ldap": ldap_config(tmp_path, slapd)[1],
            "dumps": tmp_path / "dumps"}
    problems, secrets = [], []
    for run in CLI_CHANGES + CLI_AUDITED_READS:
        new, p = run_cli(fresh if run.fresh else site.gh, run, fill)
        problem = new if isinstance(new, str) else entry_problem(new, run.command, run.kind)
        if problem is None and not all(e["who"].startswith("local:") for e in new):
            problem = f"not recorded as a local user's: {new}"
        if problem:
            problems.append(f"{run.command}: {problem}")
        secrets += [run.stdin] if run.stdin else []
        secrets += [p.stdout.strip()] if run.command in PRINTS_A_SECRET else []
    problems += leaks(fresh.data, secrets) + leaks(site.gh.data, secrets)
    assert not problems, "\n".join(problems)


def test_read_only_cli_commands_leave_no_entry(site):
    problems = []
    for run in CLI_READ_ONLY:
        new, _ = run_cli(site.gh, run, {})
        if new:
            problems.append(f"{run.command}: {new if isinstance(new, str) else new[0]}")
    assert not problems, "\n".join(problems)
