"""Two-factor sign-in with TOTP over HTTPS, with codes from the real `oathtool`: enrollment
needs the password again and returns an otpauth:// URI and a QR code; a first code confirms
it and returns 10 recovery codes; roles that need MFA get no permissions until enrolled;
sign-in then needs a code, each code works once, recovery codes work once; a password
change needs the current password and ends other sessions."""

import re
import sqlite3
import subprocess
import time
import urllib.parse


from conftest import USER_PASSWORD as STRONG, add_user, browser


def call(server, client, method, path, body=None, csrf=None):
    headers = {"X-CSRF-Token": csrf} if csrf else {}
    return client.request(method, server.url + path, json=body, headers=headers, timeout=60)


def totp(secret, offset_steps=0):
    """The code oathtool computes for now (+ offset steps of 30 s)."""
    args = ["oathtool", "--totp", "-b", secret]
    if offset_steps:
        args += ["-N", f"now {'+' if offset_steps > 0 else '-'} {abs(offset_steps) * 30} seconds"]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout.strip()


def wait_for_next_step():
    """Sleeps into the next 30 s time step when the current one is about to end (a code
    made near the end of a step would be refused as 'reused' by the next test step)."""
    left = 30 - time.time() % 30
    if left < 3:
        time.sleep(left + 0.1)


def enroll(server, client, csrf, password=STRONG):
    r = call(server, client, "POST", "/api/v1/auth/mfa/enroll", {"password": password}, csrf)
    assert r.status_code == 200, r.text
    uri = r.json()["otpauth_uri"]
    q = urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)
    secret = q["secret"][0]
    wait_for_next_step()
    r = call(server, client, "POST", "/api/v1/auth/mfa/confirm", {"code": totp(secret)}, csrf)
    assert r.status_code == 200, r.text
    return secret, r.json()


def login(server, client, name, password=STRONG, **extra):
    return call(server, client, "POST", "/api/v1/auth/login",
                dict({"name": name, "password": password}, **extra))


def test_enrollment_and_sign_in_with_codes(server):
    add_user(server, "olga", "admin")
    c = browser(server)
    r = login(server, c, "olga")
    assert r.status_code == 200
    s = r.json()
    assert s["mfa_enrollment_required"] and not s["mfa_enabled"] and s["permissions"] == []
    csrf = s["csrf_token"]
    # until enrolled, the admin can do nothing but enroll
    assert call(server, c, "GET", "/api/v1/sites").status_code == 403
    # enrollment needs the password again
    r = call(server, c, "POST", "/api/v1/auth/mfa/enroll", {"password": "wrong password"}, csrf)
    assert r.status_code == 401 and r.json()["type"].endswith("/reauth-failed")
    r = call(server, c, "POST", "/api/v1/auth/mfa/enroll", {"password": STRONG}, csrf)
    body = r.json()
    assert re.fullmatch(r"otpauth://totp/gatehouse:olga\?secret=[A-Z2-7]{32}&issuer=gatehouse"
                        r"&algorithm=SHA1&digits=6&period=30", body["otpauth_uri"])
    assert body["qr_svg"].startswith("<svg") and body["qr_svg"].endswith("</svg>")
    secret = urllib.parse.parse_qs(urllib.parse.urlparse(body["otpauth_uri"]).query)["secret"][0]
    # the key is sealed at rest: not in the database in clear
    import base64
    raw = base64.b32decode(secret)
    assert raw not in (server.data / "gatehouse.db").read_bytes()
    # a wrong first code is refused and changes nothing
    r = call(server, c, "POST", "/api/v1/auth/mfa/confirm", {"code": "000000"}, csrf)
    assert r.status_code == 422
    wait_for_next_step()
    r = call(server, c, "POST", "/api/v1/auth/mfa/confirm", {"code": totp(secret)}, csrf)
    assert r.status_code == 200, r.text
    done = r.json()
    codes = done["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", x) for x in codes)
    assert done["session"]["mfa_enabled"] and "users.admin" in done["session"]["permissions"]
    # the session got a new id (privilege change); the new one works, with a new CSRF token
    csrf = done["session"]["csrf_token"]
    assert call(server, c, "GET", "/api/v1/sites").status_code == 200

    # sign-in now needs a code
    d = browser(server)
    r = login(server, d, "olga")
    assert r.status_code == 401 and r.json()["type"].endswith("/mfa-required")
    assert "Set-Cookie" not in r.headers
    time.sleep(30 - time.time() % 30 + 0.1)  # the confirmation used this step's code
    code = totp(secret)
    assert login(server, d, "olga", code=code).status_code == 200
    # the same code again (a replay) is refused, even from another client
    r = login(server, browser(server), "olga", code=code)
    assert r.status_code == 401 and r.json()["type"].endswith("/sign-in-failed")
    # a code of the previous step is refused too (steps only move forward); a wrong one too
    assert login(server, browser(server), "olga", code=totp(secret, -1)).status_code == 401
    assert login(server, browser(server), "olga", code="123456").status_code == 401
    ev = server.get("/api/v1/events?type=user.sign_in_failed").json()["items"]
    assert any(e["payload"]["reason"] == "wrong or reused code" for e in ev)


def test_recovery_codes_work_once(server):
    add_user(server, "pia", "it_admin")
    c = browser(server)
    csrf = login(server, c, "pia").json()["csrf_token"]
    secret, done = enroll(server, c, csrf)
    codes = done["recovery_codes"]
    e = browser(server)
    r = login(server, e, "pia", recovery_code=codes[3].upper())  # case and dashes do not matter
    assert r.status_code == 200 and "users.admin" in r.json()["permissions"]
    assert login(server, browser(server), "pia", recovery_code=codes[3]).status_code == 401
    assert login(server, browser(server), "pia", recovery_code="aaaa-bbbb-cccc").status_code == 401
    with sqlite3.connect(server.data / "gatehouse.db") as db:
        [(left,)] = db.execute("SELECT count(*) FROM recovery_codes WHERE used_us IS NULL")
        hashes = [h for (h,) in db.execute("SELECT code_hash FROM recovery_codes")]
    assert left == 9 and all(len(h) == 64 for h in hashes)
    assert not any(x.replace("-", "") in str(hashes) for x in codes)
    # a lost device: an administrator removes the MFA; the user signs in with the password
    # alone, ends up needing to enroll again, and the old codes are gone
    assert "totp" in server.gh("user", "list").stdout
    p = server.gh("user", "set", "pia", "--reset-mfa")
    assert "MFA removed" in p.stdout and "session" in p.stdout
    assert call(server, e, "GET", "/api/v1/whoami").status_code == 401  # sessions ended
    s = login(server, browser(server), "pia").json()
    assert s["mfa_enrollment_required"] and s["permissions"] == []
    with sqlite3.connect(server.data / "gatehouse.db") as db:
        assert db.execute("SELECT count(*) FROM recovery_codes").fetchone() == (0,)


def test_roles_without_mfa_requirement_work_at_once(server):
    add_user(server, "quinn", "hr")
    c = browser(server)
    s = login(server, c, "quinn").json()
    assert not s["mfa_enrollment_required"] and "people.write" in s["permissions"]
    assert call(server, c, "GET", "/api/v1/people").status_code == 200


def test_password_change_needs_the_current_one_and_ends_other_sessions(server):
    add_user(server, "rui", "facilities")
    a, b = browser(server), browser(server)
    csrf = login(server, a, "rui").json()["csrf_token"]
    assert login(server, b, "rui").status_code == 200
    new = "quartz meadow lantern violin"
    r = call(server, a, "POST", "/api/v1/auth/password",
             {"current_password": "not it", "new_password": new}, csrf)
    assert r.status_code == 401
    r = call(server, a, "POST", "/api/v1/auth/password",
             {"current_password": STRONG, "new_password": "short"}, csrf)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "new_password"
    assert "at least 15" in r.json()["errors"][0]["detail"]
    assert call(server, b, "GET", "/api/v1/sites").status_code == 200  # nothing changed yet
    r = call(server, a, "POST", "/api/v1/auth/password",
             {"current_password": STRONG, "new_password": new}, csrf)
    assert r.status_code == 200, r.text
    assert call(server, b, "GET", "/api/v1/sites").status_code == 401  # the other session ended
    assert call(server, a, "GET", "/api/v1/sites").status_code == 200  # this one, renewed
    assert login(server, browser(server), "rui").status_code == 401
    assert login(server, browser(server), "rui", new).status_code == 200
    assert new not in server.log() and STRONG not in server.log()
