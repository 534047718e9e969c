"""The authorization matrix: every route of the route table for every role, signed in with a
real session (MFA enrolled where the role needs it), against the permission table as the
binary reports it (`gatehouse routes --json`, `gatehouse roles --json`). A role without the
route's permission gets 403 naming it; a role with it gets past authorization. Anonymous
callers reach only health, readiness, first setup, sign-in (password or single sign-on) and
a door controller's enrollment. A door controller's signed routes (permission "controller")
answer 401 to anyone without a controller's signature, a signed-in user included. The
server runs on an empty data dir, so
no allowed request finds anything to change (404 or 422 at most), and the walk ends with
the data as it began."""

import json
import subprocess

import pytest
import requests

from conftest import sign_in_user
# sign-in: the password route, the ways to sign in, and single sign-on's two legs (its
# callback comes from the provider's redirect, before any session exists); a door
# controller's enrollment (its one-time token is the credential)
OPEN = {("GET", "/healthz"), ("GET", "/readyz"), ("POST", "/api/v1/auth/login"),
        ("POST", "/api/v1/setup"), ("GET", "/api/v1/auth/methods"),
        ("GET", "/api/v1/auth/oidc/start"), ("GET", "/api/v1/auth/oidc/callback"),
        ("POST", "/edge/v1/enroll")}
# pseudo-permissions no role grants: any caller, or a controller's signed request only
NOT_GRANTABLE = {"none", "authenticated", "controller"}
# the caller's own session: walked separately (logout would end the walk's session)
OWN_SESSION = {"/api/v1/auth/logout", "/api/v1/auth/session", "/api/v1/auth/mfa/enroll",
               "/api/v1/auth/mfa/confirm", "/api/v1/auth/password"}


def browser(server):
    s = requests.Session()
    s.trust_env = False
    s.verify = str(server.cert)
    return s


def concrete(pattern):
    return (pattern.replace("{id}", "999999").replace("{offset}", "999999").replace("{door_id}", "1").replace("{level_id}", "1")
            .replace("{door}", "1").replace("{date}", "2026-12-25"))


def send(server, client, route):
    """One request of the route (a session client carries its own X-CSRF-Token)."""
    method, path = route["method"], concrete(route["pattern"])
    streams = route["pattern"].endswith("/stream") or route["pattern"] == "/api/v1/exports/events"
    kw = {"headers": {}, "timeout": 60, "stream": streams}
    if route["request"]:
        kw["json"] = {}
    elif route["pattern"] == "/api/v1/imports/roster":
        kw["headers"]["Content-Type"] = "text/csv"
        kw["data"] = b""
    r = client.request(method, server.url + path, **kw)
    if streams and r.status_code == 200:
        r.close()  # a live stream or an export: the status is all that matters here
    return r


@pytest.fixture(scope="module")
def tables():
    from conftest import gatehouse_bin
    routes = json.loads(subprocess.run([str(gatehouse_bin()), "routes", "--json"], check=True,
                                       capture_output=True, text=True).stdout)
    roles = json.loads(subprocess.run([str(gatehouse_bin()), "roles", "--json"], check=True,
                                      capture_output=True, text=True).stdout)
    return routes, roles


def test_every_route_has_a_permission_and_only_sign_in_and_probes_are_open(tables, server):
    routes, _ = tables
    anon = browser(server)
    for route in routes:
        key = (route["method"], route["pattern"])
        assert route["perm"], key
        if key in OPEN:
            assert route["perm"] == "none"
            continue
        assert route["perm"] != "none", key
        r = send(server, anon, route)
        assert r.status_code == 401, (key, r.status_code)


def test_matrix(tables, server):
    routes, roles = tables
    before = server.gh("user", "list").stdout
    sessions = {role: sign_in_user(server, f"u-{role}", role, spec["mfa_required"])
                for role, spec in roles.items()}
    walked = controller_walked = 0
    for role, client in sessions.items():
        granted = set(roles[role]["permissions"])
        assert not (granted & NOT_GRANTABLE), (role, granted & NOT_GRANTABLE)
        for route in routes:
            key = (route["method"], route["pattern"])
            if key in OPEN or route["pattern"] in OWN_SESSION:
                continue
            r = send(server, client, route)
            walked += 1
            if route["perm"] == "controller":
                # a session is not a controller: only a controller's signature gets in
                assert r.status_code == 401, (role, key, r.status_code, r.text[:200])
                assert "not signed" in r.json()["detail"], (role, key, r.text[:200])
                controller_walked += 1
            elif route["perm"] == "authenticated" or route["perm"] in granted:
                assert r.status_code not in (401, 403), (role, key, r.status_code, r.text[:200])
            else:
                assert r.status_code == 403, (role, key, r.status_code)
                assert f"lacks the permission {route['perm']}" in r.json()["detail"]
    assert walked >= 10 * 60
    assert controller_walked == len(roles) * sum(r["perm"] == "controller" for r in routes) > 0
    # nothing was created or changed by the walk (the empty data dir stays empty)
    for path in ("/api/v1/sites", "/api/v1/people", "/api/v1/doors", "/api/v1/levels"):
        assert server.get(path).json()["items"] == []
    assert server.gh("user", "list").stdout.count("\n") == before.count("\n") + len(roles)


def test_security_viewer_reads_what_an_operator_reads_and_changes_nothing(tables, server):
    routes, roles = tables
    op = set(roles["security_operator"]["permissions"])
    viewer = set(roles["security_viewer"]["permissions"])
    reads = {r["perm"] for r in routes if r["method"] == "GET"} & op
    assert reads <= viewer
    # what-if decisions are a POST that changes nothing
    changes = {r["perm"] for r in routes if r["method"] != "GET" and r["perm"] not in
               NOT_GRANTABLE | {"decisions.run"}}
    assert not (changes & viewer)
