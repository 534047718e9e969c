"""API tokens owned by users: made by a signed-in user within their own permissions, shown
once, stored hashed; they carry at most what the owner holds at each use (a role change
shrinks them, disabling the owner stops them); owners list and revoke their own, and
tokens.admin sees and revokes all; someone else's token is 'not found'."""

import requests

STRONG = "velvet orbit tangerine ladder"


def signed_in(server, name, roles):
    server.gh("user", "add", name, "--roles", roles, "--password-stdin", input=STRONG + "\n")
    return login(server, name)


def login(server, name):
    c = requests.Session()
    c.trust_env = False
    c.verify = str(server.cert)
    r = c.post(server.url + "/api/v1/auth/login", json={"name": name, "password": STRONG})
    assert r.status_code == 200, r.text
    c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return c


def test_owned_tokens(server):
    hr = signed_in(server, "hana", "hr")
    fac = signed_in(server, "fred", "facilities")
    url = server.url + "/api/v1/tokens"
    # beyond one's permissions: refused, naming the permission; nothing is made
    r = hr.post(url, json={"name": "too-much", "scope": "people.read,doors.write"})
    assert r.status_code == 422 and "doors.write is not one of your permissions" in r.text
    assert hr.get(url).json()["items"] == []
    r = hr.post(url, json={"name": "hr-sync", "scope": "people.*", "expires_in_days": 30})
    assert r.status_code == 201, r.text
    made = r.json()
    tok = made["token"]
    assert tok.startswith("ghk_") and made["scope"] == ["people.read", "people.write"]
    assert made["state"] == "active" and made["expires"] is not None
    assert tok.encode() not in (server.data / "gatehouse.db").read_bytes()
    listed = hr.get(url).json()["items"]
    assert [t["name"] for t in listed] == ["hr-sync"] and "token" not in listed[0]

    def use(path):
        # a new connection each time, so the requests spread over the worker threads (each
        # has its own token cache)
        return server.get(path, token=tok, headers={"Connection": "close"}).status_code

    assert use("/api/v1/people") == 200 and use("/api/v1/doors") == 403
    # the owner loses the role: the token loses it too (within the token cache's second)
    server.gh("user", "set", "hana", "--roles", "facilities")
    import time
    deadline = time.monotonic() + 5
    while use("/api/v1/people") != 403:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert use("/api/v1/doors") == 403  # never more than the scope
    server.gh("user", "set", "hana", "--roles", "hr")
    # (a change by another process counts within the caches' second, on every thread)
    while [use("/api/v1/people") for _ in range(10)] != [200] * 10:
        assert time.monotonic() < deadline + 5
        time.sleep(0.2)
    hr = login(server, "hana")  # role changes end sessions: sign in again
    # another user neither sees nor revokes it
    assert fac.get(url).json()["items"] == []
    assert fac.delete(f"{url}/{made['id']}").status_code == 404
    r = fac.get(url + "?all=true")
    assert r.status_code == 403 and "tokens.admin" in r.json()["detail"]
    # a token cannot make tokens; a server token with tokens.admin sees them all
    assert server.post("/api/v1/tokens", json={"name": "x", "scope": "read"}).status_code == 400
    names = [t["name"] for t in server.get("/api/v1/tokens?all=true").json()["items"]]
    assert "hr-sync" in names and "test-admin" in names
    # the owner revokes it through the API: refused from the next request on, whichever
    # worker thread takes it (each had it in its token cache)
    assert [use("/api/v1/people") for _ in range(20)] == [200] * 20
    assert hr.delete(f"{url}/{made['id']}").status_code == 204
    assert [use("/api/v1/people") for _ in range(20)] == [401] * 20
    assert hr.delete(f"{url}/{made['id']}").status_code == 409
    assert hr.get(url).json()["items"][0]["state"] == "revoked"


def test_disabled_owner_stops_the_token(server):
    hr = signed_in(server, "ida", "hr")
    tok = hr.post(server.url + "/api/v1/tokens", json={"name": "t", "scope": "people.read"}).json()["token"]
    assert server.get("/api/v1/people", token=tok).status_code == 200
    server.gh("user", "set", "ida", "--disable")
    import time
    deadline = time.monotonic() + 5
    while server.get("/api/v1/people", token=tok).status_code != 401:
        assert time.monotonic() < deadline
        time.sleep(0.2)
