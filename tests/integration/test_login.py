"""Signing in with a password over HTTPS (POST /api/v1/auth/login): the session cookie and
its flags, permissions from roles, CSRF protection of changes, the same reply for unknown
users and wrong passwords (status, body and comparable time), throttling with a growing
delay, sign-out, sessions that end on idleness, at their absolute limit and when the user
is disabled, and every attempt recorded as an event without the password."""

import sqlite3
import statistics
import time

import pytest

from conftest import USER_PASSWORD as STRONG, add_user, browser


def login(server, client, name, password=STRONG):
    return client.post(server.url + "/api/v1/auth/login",
                       json={"name": name, "password": password}, timeout=60)


def sql(server, query, *args):
    with sqlite3.connect(server.data / "gatehouse.db") as db:
        return db.execute(query, args).fetchall()


def test_sign_in_sets_a_strict_cookie_and_grants_role_permissions(server):
    add_user(server, "hanna", "hr")
    c = browser(server)
    r = login(server, c, "hanna")
    assert r.status_code == 200, r.text
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("__Host-gh_session=")
    for flag in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/"):
        assert flag in cookie
    body = r.json()
    assert body["user"]["name"] == "hanna" and body["roles"] == ["hr"]
    assert "people.write" in body["permissions"] and "doors.control" not in body["permissions"]
    assert len(body["csrf_token"]) == 43 and body["idle_timeout_s"] == 1800
    value = c.cookies["__Host-gh_session"]
    assert len(value) == 43 and value.encode() not in (server.data / "gatehouse.db").read_bytes()
    who = c.get(server.url + "/api/v1/whoami").json()
    assert who["kind"] == "user" and who["name"] == "user:hanna"
    assert c.get(server.url + "/api/v1/people").status_code == 200
    r = c.get(server.url + "/metrics")
    assert r.status_code == 403 and "metrics.read" in r.json()["detail"]
    assert c.get(server.url + "/api/v1/auth/session").json()["csrf_token"] == body["csrf_token"]
    assert STRONG not in server.log()


def test_changes_need_the_csrf_token(server):
    add_user(server, "fac", "facilities")
    c = browser(server)
    csrf = login(server, c, "fac").json()["csrf_token"]
    site = {"name": "HQ", "timezone": "Europe/Berlin"}
    r = c.post(server.url + "/api/v1/sites", json=site)
    assert r.status_code == 403 and r.json()["type"].endswith("/csrf")
    r = c.post(server.url + "/api/v1/sites", json=site, headers={"X-CSRF-Token": csrf[:-1] + "x"})
    assert r.status_code == 403
    assert server.get("/api/v1/sites").json()["items"] == []  # nothing was made
    r = c.post(server.url + "/api/v1/sites", json=site, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.text
    # a bearer token needs no CSRF token (no ambient credential)
    assert server.post("/api/v1/sites", json={"name": "B", "timezone": "UTC"}).status_code == 201


def test_no_enumeration(server):
    add_user(server, "ivan", "security_viewer")
    c = browser(server)

    def attempt(name, password):
        t0 = time.monotonic()
        r = login(server, c, name, password)
        return r, time.monotonic() - t0

    wrong, unknown = [], []
    for i in range(3):
        r1, t1 = attempt("ivan", "not the password at all")
        r2, t2 = attempt("nobody-here", "not the password at all")
        for r in (r1, r2):
            assert r.status_code == 401
            body = r.json()
            body.pop("instance")
            assert body == {"type": "https://gatehouse.dev/problems/sign-in-failed",
                            "title": "Unauthorized", "status": 401,
                            "detail": "the name or the password is not right"}
            assert "Set-Cookie" not in r.headers
        wrong.append(t1)
        unknown.append(t2)
    ratio = statistics.median(wrong) / statistics.median(unknown)
    assert 0.5 < ratio < 2.0, (wrong, unknown)
    # a disabled user and a user without a password look the same too
    server.gh("user", "add", "nopass")
    server.gh("user", "set", "ivan", "--disable")
    for name in ("nopass", "ivan"):
        sql(server, "DELETE FROM login_throttle")  # six failures from this address so far
        r = login(server, c, name, STRONG)
        assert r.status_code == 401 and r.json()["detail"] == "the name or the password is not right"


def test_throttling_grows_and_the_right_password_waits_too(server):
    add_user(server, "jo", "auditor")
    c = browser(server)
    for i in range(6):
        assert login(server, c, "jo", f"wrong {i}").status_code == 401
    r = login(server, c, "jo")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert "too many failed sign-ins" in r.json()["detail"]
    # unknown names are throttled alike (by name, and by address)
    [(failures,)] = sql(server, "SELECT failures FROM login_throttle WHERE key = 'user:jo'")
    assert failures == 6
    # once the wait is over the right password works, and clears the count for the name
    sql(server, "UPDATE login_throttle SET blocked_until_us = 0")
    assert login(server, c, "jo").status_code == 200
    assert sql(server, "SELECT count(*) FROM login_throttle WHERE key = 'user:jo'") == [(0,)]


def test_events_record_every_attempt_without_the_password(server):
    add_user(server, "kim", "legal")
    c = browser(server)
    login(server, c, "kim", "a wrong password here")
    login(server, c, "ghost", "another wrong one")
    assert login(server, c, "kim").status_code == 200
    csrf = c.get(server.url + "/api/v1/auth/session").json()["csrf_token"]
    assert c.post(server.url + "/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    ev = server.get("/api/v1/events?limit=100").json()["items"]
    kinds = [(e["type"], e["payload"].get("user"), e["payload"].get("reason")) for e in ev]
    assert ("user.sign_in_failed", "kim", "wrong password") in kinds
    assert ("user.sign_in_failed", "ghost", "unknown user") in kinds
    assert ("user.sign_in", "kim", None) in kinds and ("user.sign_out", "kim", None) in kinds
    assert all(e["payload"].get("address") == "127.0.0.1" for e in ev if e["type"].startswith("user."))
    text = str(ev)
    assert "a wrong password here" not in text and STRONG not in text


def test_sign_out_ends_the_session(server):
    add_user(server, "lee", "finance")
    c = browser(server)
    csrf = login(server, c, "lee").json()["csrf_token"]
    r = c.post(server.url + "/api/v1/auth/logout")  # no CSRF token: refused
    assert r.status_code == 403
    r = c.post(server.url + "/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 204 and "Max-Age=0" in r.headers["Set-Cookie"]
    # the old cookie value is dead even if a client kept it
    stale = browser(server)
    stale.cookies.set("__Host-gh_session", c.cookies.get("__Host-gh_session") or "x" * 43)
    assert stale.get(server.url + "/api/v1/whoami").status_code == 401


def test_sessions_end_when_idle_at_their_limit_and_when_disabled(server_factory):
    server = server_factory(["--set", "sessions.idle_timeout=60"])
    add_user(server, "max", "communications")
    a, b, d = browser(server), browser(server), browser(server)
    for cl in (a, b, d):
        assert login(server, cl, "max").status_code == 200
    assert a.get(server.url + "/api/v1/sites").status_code == 200
    ids = [row[0] for row in sql(server, "SELECT id FROM sessions ORDER BY id")]
    # a: unused for 61 s
    sql(server, "UPDATE sessions SET last_seen_us = last_seen_us - 61000000 WHERE id = ?", ids[0])
    r = a.get(server.url + "/api/v1/sites")
    assert r.status_code == 401 and "sign in again" in r.json()["detail"]
    # b: past its absolute end
    sql(server, "UPDATE sessions SET expires_us = 1 WHERE id = ?", ids[1])
    assert b.get(server.url + "/api/v1/sites").status_code == 401
    # d: alive until the user is disabled, which ends every session at once
    assert d.get(server.url + "/api/v1/sites").status_code == 200
    p = server.gh("user", "set", "max", "--disable")
    assert "session" in p.stdout
    assert d.get(server.url + "/api/v1/sites").status_code == 401
    assert "session refused" in server.log()


def test_role_change_ends_sessions_and_tokens_have_no_session(server):
    add_user(server, "ned", "security_operator")
    c = browser(server)
    assert login(server, c, "ned").status_code == 200
    server.gh("user", "set", "ned", "--roles", "security_viewer")
    assert c.get(server.url + "/api/v1/whoami").status_code == 401
    assert login(server, c, "ned").json()["roles"] == ["security_viewer"]
    assert server.get("/api/v1/auth/session").status_code == 404
    assert server.post("/api/v1/auth/logout").status_code == 400


@pytest.mark.parametrize("body,status", [
    ({"name": "x"}, 422),
    ({"name": "x", "password": 5}, 422),
    ({"name": "x", "password": "y", "extra": 1}, 422),
])
def test_bad_sign_in_bodies(server, body, status):
    r = browser(server).post(server.url + "/api/v1/auth/login", json=body)
    assert r.status_code == status and r.json()["type"].endswith("/validation")


def test_own_sessions_listed_and_ended_one_by_one(server):
    add_user(server, "ines", "hr")
    add_user(server, "otto", "hr")
    here, there = browser(server), browser(server)
    csrf = login(server, here, "ines").json()["csrf_token"]
    login(server, there, "ines")
    otto = browser(server)
    login(server, otto, "otto")
    mine = here.get(server.url + "/api/v1/auth/sessions").json()["items"]
    assert len(mine) == 2 and [s["current"] for s in mine] == [True, False]
    assert all(s["address"] == "127.0.0.1" for s in mine)
    other = mine[1]["id"]
    otto_id = otto.get(server.url + "/api/v1/auth/sessions").json()["items"][0]["id"]
    # another user's session, an unknown one, no CSRF token: refused, nothing ended
    h = {"X-CSRF-Token": csrf}
    assert here.delete(f"{server.url}/api/v1/auth/sessions/{otto_id}", headers=h).status_code == 404
    assert here.delete(f"{server.url}/api/v1/auth/sessions/999999", headers=h).status_code == 404
    assert here.delete(f"{server.url}/api/v1/auth/sessions/{other}").status_code == 403
    assert otto.get(server.url + "/api/v1/auth/session").status_code == 200
    assert there.get(server.url + "/api/v1/auth/session").status_code == 200
    # end the other one: signed out there, recorded, and gone from the list
    assert here.delete(f"{server.url}/api/v1/auth/sessions/{other}", headers=h).status_code == 204
    assert there.get(server.url + "/api/v1/auth/session").status_code == 401
    assert [s["id"] for s in here.get(server.url + "/api/v1/auth/sessions").json()["items"]] == \
        [mine[0]["id"]]
    outs = server.get("/api/v1/events?type=user.sign_out").json()["items"]
    assert len(outs) == 1
    # an API token has no sessions; a session already ended is not found again
    assert server.get("/api/v1/auth/sessions").status_code == 404
    assert server.delete(f"/api/v1/auth/sessions/{mine[0]['id']}").status_code == 404
    assert here.delete(f"{server.url}/api/v1/auth/sessions/{other}", headers=h).status_code == 404
    # ending the current one signs this client out
    r = here.delete(f"{server.url}/api/v1/auth/sessions/{mine[0]['id']}", headers=h)
    assert r.status_code == 204 and "Max-Age=0" in r.headers["Set-Cookie"]
    assert here.get(server.url + "/api/v1/auth/session").status_code == 401
