"""Single sign-on with a real OpenID Connect provider (the npm package oidc-provider, started
by the test on 127.0.0.1 over HTTPS with its own certificate; tests/oidc). The browser is a
requests.Session following each redirect by hand: gatehouse -> provider -> gatehouse. Checked:
the code flow with PKCE S256, state and nonce; the claims-to-roles mapping and the local user
record; refusals of spoiled ID tokens (bad signature, another key, wrong audience or azp,
wrong issuer, expired, wrong nonce, alg none, HS256 with the client secret) with nothing
changed; a state that works once and only in the browser that began the sign-in; the
second-factor rule for admin roles; names already taken; disabled users; an unreachable
provider."""

import base64
import hashlib
import socket
import sqlite3
from urllib.parse import parse_qs, quote, urljoin, urlparse

import pytest
import requests

from conftest import Server, add_user
from oidc_provider import OidcProvider, _self_signed

ACCOUNTS = {
    "alice": {"sub": "u-alice-1", "preferred_username": "alice", "name": "Alice Example",
              "email": "alice@example.com", "groups": ["gh-operators"], "amr": ["pwd", "otp"]},
    "root": {"sub": "u-root-2", "preferred_username": "root", "name": "Root Admin",
             "email": "root@example.com", "groups": ["gh-admins"], "amr": ["pwd"]},
    "rootmfa": {"sub": "u-root-3", "preferred_username": "rootmfa", "name": "Root MFA",
                "email": "rootmfa@example.com", "groups": ["gh-admins"], "amr": ["pwd", "hwk"]},
    "solo": {"sub": "u-solo-6", "preferred_username": "solo", "name": "Solo Key",
             "email": "solo@example.com", "groups": ["gh-admins"], "amr": ["hwk"]},
    "carol": {"sub": "u-carol-4", "preferred_username": "carol", "name": "Carol",
              "email": "carol@example.com", "groups": ["somewhere-else"], "amr": ["pwd"]},
    "hank": {"sub": "u-hank-5", "preferred_username": "hank", "name": "Hank HR",
             "email": "hank@example.com", "groups": ["gh-hr", "unrelated"], "amr": ["pwd"]},
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def sso(tmp_path):
    """A provider and a server configured for it (the server's port chosen first: the
    provider registers its redirect URI)."""
    port = free_port()
    redirect = f"https://127.0.0.1:{port}/api/v1/auth/oidc/callback"
    op = OidcProvider(tmp_path / "op", redirect_uri=redirect, accounts=ACCOUNTS)
    op.start()
    server = Server(tmp_path / "data", extra_args=oidc_args(tmp_path, op, redirect, port))
    bundle = tmp_path / "both-cas.pem"  # the browser trusts both self-signed certificates
    bundle.write_text(server.cert.read_text() + open(op.ca_file).read())
    server.bundle = str(bundle)
    yield server, op
    server.assert_clean_stop()
    op.stop()


def oidc_args(tmp_path, op, redirect, port, issuer=None):
    secret = tmp_path / "oidc-secret"
    secret.write_text(op.client_secret + "\n")
    secret.chmod(0o600)
    cfg = tmp_path / "gatehouse.ini"
    cfg.write_text(f"""[oidc]
issuer = {issuer or op.issuer}
client_id = {op.client_id}
client_secret_file = {secret}
redirect_uri = {redirect}
ca_file = {op.ca_file}
scopes = openid profile email groups
label = Example SSO
timeout = 5
role.security_operator = gh-operators
role.admin = gh-admins
role.hr = gh-hr
""")
    return ["--config", str(cfg), "--listen", f"127.0.0.1:{port}"]


def browser(server):
    c = requests.Session()
    c.trust_env = False
    c.verify = server.bundle
    return c


def to_callback(c, server, op, account=None, tamper=None, return_to=None):
    """Starts a sign-in and follows the provider's redirects up to (not into) gatehouse's
    callback; returns the callback URL."""
    if account or tamper:
        op.next(account=account, tamper=tamper)
    url = server.url + "/api/v1/auth/oidc/start"
    if return_to is not None:
        url += "?return_to=" + quote(return_to, safe="")
    r = c.get(url, allow_redirects=False, timeout=30)
    assert r.status_code == 303, r.text
    assert r.headers["Cache-Control"] == "no-store"
    loc = r.headers["Location"]
    for _ in range(10):
        if loc.startswith(server.url):
            return loc
        r = c.get(loc, allow_redirects=False, timeout=30)
        assert r.status_code in (302, 303), (r.status_code, r.text)
        loc = urljoin(r.url, r.headers["Location"])
    pytest.fail(f"the provider never sent the browser back: {loc}")


def sign_in(c, server, op, **kw):
    return c.get(to_callback(c, server, op, **kw), allow_redirects=False, timeout=60)


def session_of(c, server):
    return c.get(server.url + "/api/v1/auth/session", timeout=30)


def users(server):
    return {u["name"]: u for u in server.get("/api/v1/users").json()["items"]}


def sign_in_events(server):
    evs = server.get("/api/v1/events?type=user.sign_in").json()["items"]
    evs += server.get("/api/v1/events?type=user.sign_in_failed").json()["items"]
    return evs


def audit_entries(server):
    import json
    import sqlite3
    db = sqlite3.connect(server.data / "gatehouse.db")
    try:
        return [json.loads(e) for (e,) in db.execute("SELECT entry FROM audit_entries")]
    finally:
        db.close()


def test_sign_in_maps_claims_to_roles(sso):
    server, op = sso
    c = browser(server)
    r = sign_in(c, server, op, account="alice", return_to="/monitor?area=3")
    assert r.status_code == 303, r.text
    assert r.headers["Location"] == "/monitor?area=3"
    assert "__Host-gh_session=" in r.headers["Set-Cookie"]
    # the authorization request: code flow, PKCE S256, state bound to this browser, a nonce
    auth = op.last_auth()
    assert auth["response_type"] == "code" and auth["client_id"] == "gatehouse"
    assert auth["code_challenge_method"] == "S256" and len(auth["code_challenge"]) == 43
    assert len(auth["state"]) == 43 and len(auth["nonce"]) == 43
    assert auth["scope"].split()[0] == "openid"
    # the ID token carried that nonce (the provider got the verifier: it requires PKCE)
    claims = op_claims(op.tokens()[-1])
    assert claims["nonce"] == auth["nonce"] and claims["aud"] == "gatehouse"

    s = session_of(c, server).json()
    assert s["user"]["name"] == "alice" and s["user"]["display_name"] == "Alice Example"
    assert s["roles"] == ["security_operator"] and "doors.control" in s["permissions"]
    assert s["mfa_enrollment_required"] is False  # the provider reported otp (amr)
    u = users(server)["alice"]
    assert u["source"] == "oidc" and u["email"] == "alice@example.com"
    ev = [e for e in sign_in_events(server) if e["type"] == "user.sign_in"]
    assert ev[-1]["payload"]["method"] == "oidc" and ev[-1]["payload"]["user"] == "alice"
    # the audit log has the sign-in, with the user it made (the callback is a GET that writes)
    entry = [e for e in audit_entries(server)
             if e["action"] == "GET /api/v1/auth/oidc/callback"][-1]
    assert entry["outcome"] == "alice signed in (oidc)"
    assert any(c["table"] == "users" and c["op"] == "insert" and c["after"]["name"] == "alice"
               for c in entry["changes"])

    # the session works for the API like any other (CSRF included)
    c.headers["X-CSRF-Token"] = s["csrf_token"]
    assert c.get(server.url + "/api/v1/doors", timeout=30).status_code == 200

    # roles come from the provider at every sign-in: a local change is put back, and the
    # user's other sessions end with it
    server.gh("user", "set", "alice", "--roles", "hr")
    c2 = browser(server)
    assert sign_in(c2, server, op, account="alice").headers["Location"] == "/"
    assert session_of(c2, server).json()["roles"] == ["security_operator"]
    assert session_of(c, server).status_code == 401
    assert len([n for n in users(server) if n == "alice"]) == 1  # matched by sub, not added

    # MFA and password belong to the provider
    c2.headers["X-CSRF-Token"] = session_of(c2, server).json()["csrf_token"]
    r = c2.post(server.url + "/api/v1/auth/mfa/enroll", json={"password": "x"}, timeout=30)
    assert r.status_code == 409 and "identity provider" in r.json()["detail"]


def op_claims(token):
    import json
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


REFUSALS = [
    ("bad_signature", "signature does not verify"),
    ("unknown_key", "signature does not verify"),
    ("aud", "audience is not (only) this client"),
    ("azp", "audience is not (only) this client"),  # another audience beside us
    ("iss", "issuer 'https://evil.example'"),
    ("expired", "expired"),
    ("nonce", "nonce is not the one of this sign-in"),
    ("alg_none", "algorithm 'none' is not accepted"),
    ("hs256", "algorithm 'HS256' is not accepted"),
]


def test_spoiled_id_tokens_are_refused(sso):
    server, op = sso
    before = users(server)
    for tamper, why in REFUSALS:
        c = browser(server)
        r = sign_in(c, server, op, account="alice", tamper=tamper)
        assert r.status_code == 401, (tamper, r.text)
        p = r.json()
        assert p["type"].endswith("/sso-refused") and why in p["detail"], (tamper, p)
        assert "__Host-gh_session=" not in r.headers.get("Set-Cookie", "")
        assert session_of(c, server).status_code == 401
    assert users(server) == before  # nobody was created or changed
    failed = [e for e in sign_in_events(server) if e["type"] == "user.sign_in_failed"]
    assert len(failed) == len(REFUSALS)
    assert all(e["payload"]["method"] == "oidc" for e in failed)
    # and an honest token still works afterwards
    assert sign_in(browser(server), server, op, account="alice").status_code == 303


def test_state_works_once_and_only_in_its_browser(sso):
    server, op = sso
    c = browser(server)
    callback = to_callback(c, server, op, account="alice")
    sealed = c.cookies.get("__Host-gh_oidc")
    assert sealed.startswith(op.last_auth()["state"] + ".")
    # the callback in another browser (a login CSRF: the attacker's code in a victim's
    # browser): no state cookie there
    other = browser(server)
    r = other.get(callback, allow_redirects=False, timeout=30)
    assert r.status_code == 401 and "not started in this browser" in r.json()["detail"]
    # a victim's browser that began its own sign-in: the states differ
    to_callback(other, server, op, account="alice")
    r = other.get(callback, allow_redirects=False, timeout=30)
    assert r.status_code == 401 and "not started in this browser" in r.json()["detail"]
    # the right browser signs in once ...
    r = c.get(callback, allow_redirects=False, timeout=30)
    assert r.status_code == 303, r.text
    assert "__Host-gh_oidc=; Path=/" in r.headers["Set-Cookie"]  # cleared
    # ... and a replay of the same state is refused, even with its cookie put back
    replay = browser(server)
    replay.cookies.set("__Host-gh_oidc", sealed, path="/")
    r = replay.get(callback, allow_redirects=False, timeout=30)
    assert r.status_code == 401 and "used already" in r.json()["detail"]
    # a cookie gatehouse never sealed
    forged = browser(server)
    forged.cookies.set("__Host-gh_oidc", "A" * 43 + "." + "A" * 80, path="/")
    r = forged.get(server.url + "/api/v1/auth/oidc/callback?code=x&state=" + "A" * 43,
                   allow_redirects=False, timeout=30)
    assert r.status_code == 401 and "not started in this browser" in r.json()["detail"]
    # none of these was a sign-in of ours: no events (anyone can call the callback)
    assert [e for e in sign_in_events(server) if e["type"] == "user.sign_in_failed"] == []
    # a reply that names another issuer (RFC 9207) is refused before the code is used
    c4 = browser(server)
    callback = to_callback(c4, server, op, account="alice")
    r = c4.get(callback.replace("iss=", "iss=https%3A%2F%2Fevil.example&x="),
               allow_redirects=False, timeout=30)
    assert r.status_code == 401 and "another issuer" in r.json()["detail"]
    # the provider's own refusal (the user cancelled) is told
    c3 = browser(server)
    callback = to_callback(c3, server, op, account="alice")
    state = parse_qs(urlparse(callback).query)["state"][0]
    r = c3.get(server.url + "/api/v1/auth/oidc/callback?error=access_denied"
               "&error_description=cancelled&state=" + state, allow_redirects=False, timeout=30)
    assert r.status_code == 401 and "access_denied (cancelled)" in r.json()["detail"]


def test_browsers_are_sent_back_to_the_sign_in_page_with_a_code(sso):
    """A browser (Accept: text/html) that the provider sent back with a refusal lands on
    the console's sign-in page with a fixed code, never free text in the URL."""
    server, op = sso
    c = browser(server)
    c.headers["Accept"] = "text/html,application/xhtml+xml"
    cases = [("alice", "aud", "token"), ("carol", None, "account")]
    for account, tamper, code in cases:
        r = sign_in(c, server, op, account=account, tamper=tamper)
        assert r.status_code == 303, r.text
        assert r.headers["Location"] == f"/sign-in?sso_error={code}"
    r = c.get(server.url + "/api/v1/auth/oidc/callback?code=x&state=" + "A" * 43,
              allow_redirects=False, timeout=30)
    assert r.headers["Location"] == "/sign-in?sso_error=state"
    assert c.get(server.url + "/sign-in?sso_error=state", timeout=30).status_code == 200


def test_admin_roles_need_a_second_factor_at_the_provider(sso):
    server, op = sso
    c = browser(server)
    r = sign_in(c, server, op, account="root")  # amr: pwd only
    assert r.status_code == 403 and "second factor" in r.json()["detail"]
    assert "root" not in users(server)
    r = sign_in(c, server, op, account="alice", tamper="no_amr")  # operators need it too
    assert r.status_code == 403 and "second factor" in r.json()["detail"]
    r = sign_in(c, server, op, account="solo")  # amr: hwk alone is one factor
    assert r.status_code == 403 and "second factor" in r.json()["detail"]
    r = sign_in(c, server, op, account="rootmfa")  # amr: pwd + hwk
    assert r.status_code == 303, r.text
    s = session_of(c, server).json()
    assert s["roles"] == ["admin"] and "users.admin" in s["permissions"]
    # hr needs no second factor; an unmapped group is ignored
    h = browser(server)
    assert sign_in(h, server, op, account="hank").status_code == 303
    assert session_of(h, server).json()["roles"] == ["hr"]


def test_who_may_not_sign_in(sso):
    server, op = sso
    c = browser(server)
    r = sign_in(c, server, op, account="carol")  # no group maps to a role
    assert r.status_code == 403 and "maps to a gatehouse role" in r.json()["detail"]
    assert "carol" not in users(server)
    # a local account's name cannot be taken over by the provider
    add_user(server, "hank", "facilities")
    r = sign_in(c, server, op, account="hank")
    assert r.status_code == 403 and "belongs to another user" in r.json()["detail"]
    u = users(server)["hank"]
    assert u["source"] == "local" and u["roles"] == ["facilities"]
    # a provider's user disabled here stays out
    assert sign_in(c, server, op, account="alice").status_code == 303
    server.gh("user", "set", "alice", "--disable")
    assert session_of(c, server).status_code == 401
    r = sign_in(browser(server), server, op, account="alice")
    assert r.status_code == 403 and "disabled" in r.json()["detail"]


def test_start_checks_and_methods(sso):
    server, op = sso
    c = browser(server)
    m = c.get(server.url + "/api/v1/auth/methods", timeout=30).json()
    assert m == {"password": True, "ldap": False,
                 "oidc": {"label": "Example SSO", "start": "/api/v1/auth/oidc/start"}}
    for bad in ["//evil.example/", "https://evil.example/", "/\\evil.example", "monitor"]:
        r = c.get(server.url + "/api/v1/auth/oidc/start?return_to=" + quote(bad, safe=""),
                  allow_redirects=False, timeout=30)
        assert r.status_code == 400, bad
        assert r.json()["errors"][0]["field"] == "return_to"
    # beginning a sign-in stores nothing: the state, return_to and the deadline travel
    # sealed in the cookie (so anonymous calls to start cannot fill anything)
    db_path = server.data / "gatehouse.db"
    for _ in range(30):
        r = c.get(server.url + "/api/v1/auth/oidc/start?return_to=/secret-place",
                  allow_redirects=False, timeout=30)
        assert r.status_code == 303
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("__Host-gh_oidc=")
    assert cookie.endswith("; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=600")
    assert "secret-place" not in cookie
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT count(*) FROM oidc_used_states").fetchone()[0] == 0
    # a state that came back is remembered (hashed) until it would have expired
    c2 = browser(server)
    assert sign_in(c2, server, op, account="alice").status_code == 303
    state = op.last_auth()["state"]
    with sqlite3.connect(db_path) as db:
        rows = db.execute("SELECT state_hash FROM oidc_used_states").fetchall()
    assert rows == [(hashlib.blake2b(state.encode(), digest_size=32).hexdigest(),)]


def test_roles_the_provider_takes_away_go_at_once(sso):
    server, op = sso
    c = browser(server)
    assert sign_in(c, server, op, account="alice").status_code == 303
    c.headers["X-CSRF-Token"] = session_of(c, server).json()["csrf_token"]
    # provider users get no API tokens: a token would outlive the provider's say
    r = c.post(server.url + "/api/v1/tokens", json={"name": "mine", "scope": "doors.read"},
               timeout=30)
    assert r.status_code == 409 and "identity provider" in r.json()["detail"]
    # the provider stops reporting the second factor her role needs: refused, and the
    # roles she held here are gone with her live session
    r = sign_in(browser(server), server, op, account="alice", tamper="no_amr")
    assert r.status_code == 403 and "second factor" in r.json()["detail"]
    assert users(server)["alice"]["roles"] == []
    assert session_of(c, server).status_code == 401
    # and they come back with the next sign-in the provider fully vouches for
    c3 = browser(server)
    assert sign_in(c3, server, op, account="alice").status_code == 303
    assert session_of(c3, server).json()["roles"] == ["security_operator"]


def test_unreachable_provider_and_no_oidc(tmp_path, server_factory):
    port = free_port()
    redirect = f"https://127.0.0.1:{port}/api/v1/auth/oidc/callback"
    op = OidcProvider(tmp_path / "op", redirect_uri=redirect)  # configured, never started
    (tmp_path / "op").mkdir()
    open(op.ca_file, "w").close()
    server = Server(tmp_path / "data", extra_args=oidc_args(
        tmp_path, op, redirect, port, issuer=f"https://127.0.0.1:{free_port()}"))
    r = server.session.get(server.url + "/api/v1/auth/oidc/start", allow_redirects=False,
                           timeout=60)
    assert r.status_code == 503 and r.json()["type"].endswith("/provider-unavailable")
    assert r.headers["Retry-After"]
    # a provider known to be down is not waited on again for 30 s
    r = server.session.get(server.url + "/api/v1/auth/oidc/start", allow_redirects=False,
                           timeout=60)
    assert r.status_code == 503
    assert "(less than 30 s ago)" in server.log()
    server.assert_clean_stop()

    plain = server_factory()
    assert plain.get("/api/v1/auth/methods", token=False).json()["oidc"] is None
    r = plain.get("/api/v1/auth/oidc/start", token=False, allow_redirects=False)
    assert r.status_code == 404


def test_a_hanging_provider_never_takes_password_sign_in_down(tmp_path):
    """A provider that accepts connections and never answers: sign-ins that wait on it
    are capped (workers - 1), the next one is told 'busy' at once, a password sign-in
    still gets the last worker, and after the first failure nobody waits on it for 30 s."""
    import threading
    import time
    from conftest import USER_PASSWORD
    hang = socket.socket()
    hang.bind(("127.0.0.1", 0))
    hang.listen(16)  # never accepted: the TLS handshake never completes
    port = free_port()
    redirect = f"https://127.0.0.1:{port}/api/v1/auth/oidc/callback"
    op = OidcProvider(tmp_path / "op", redirect_uri=redirect)  # for its settings only
    (tmp_path / "op").mkdir()
    _self_signed(op.ca_file, tmp_path / "op" / "key.pem")  # a CA file that loads
    args = oidc_args(tmp_path, op, redirect, port,
                     issuer=f"https://127.0.0.1:{hang.getsockname()[1]}")
    with open(tmp_path / "gatehouse.ini", "a") as f:
        f.write("\n[limits]\nworkers = 3\n")
    server = Server(tmp_path / "data", extra_args=args)
    add_user(server, "pat", "hr")
    try:
        results = []

        def start():
            r = server.session.get(server.url + "/api/v1/auth/oidc/start",
                                   allow_redirects=False, timeout=60)
            results.append(r)

        waiting = [threading.Thread(target=start) for _ in range(2)]
        for t in waiting:
            t.start()
        hang.settimeout(20)
        held = [hang.accept()[0] for _ in range(2)]  # both are waiting on the provider now
        r = server.session.get(server.url + "/api/v1/auth/oidc/start", allow_redirects=False,
                               timeout=60)
        assert r.status_code == 503 and r.json()["type"].endswith("/busy"), r.text
        assert all(t.is_alive() for t in waiting)
        # the third worker is free for a password sign-in while two wait on the provider
        # (they give up 3 s after they began connecting)
        r = requests.post(server.url + "/api/v1/auth/login", verify=str(server.cert),
                          json={"name": "pat", "password": USER_PASSWORD}, timeout=60)
        assert r.status_code == 200, r.text
        for conn in held:
            conn.close()
        for t in waiting:
            t.join()
        assert [x.status_code for x in results] == [503, 503]
        # the provider failed: the next sign-in is refused at once
        t0 = time.monotonic()
        r = server.session.get(server.url + "/api/v1/auth/oidc/start", allow_redirects=False,
                               timeout=60)
        assert r.status_code == 503 and time.monotonic() - t0 < 1
        assert "(less than 30 s ago)" in server.log()
    finally:
        server.assert_clean_stop()
        hang.close()
