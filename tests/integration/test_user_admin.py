"""User administration over HTTPS (users.read / users.admin): an administrator creates a
user with a first password (policy checked), changes roles and details, disables and
re-enables, ends a user's sessions and removes a lost device's MFA; sessions end at once
where privileges change; bad input changes nothing; an administrator cannot lock
themselves out; a reader cannot change anything."""

from conftest import USER_PASSWORD, sign_in_user


def api(server, client, method, path, body=None):
    return client.request(method, server.url + path, json=body, timeout=60)


def test_administration(server):
    admin = sign_in_user(server, "ada", "it_admin")
    r = api(server, admin, "POST", "/api/v1/users",
            {"name": "hugo", "display_name": "Hugo Ruiz", "email": "hugo@example.org",
             "roles": "hr", "password": "amber falcon pebble orchard"})
    assert r.status_code == 201, r.text
    hugo = r.json()
    assert r.headers["Location"] == f"/api/v1/users/{hugo['id']}"
    assert hugo["roles"] == ["hr"] and hugo["password_set"] and hugo["enabled"]
    assert not hugo["mfa_enabled"] and hugo["source"] == "local"
    # refusals name the field and create nothing
    before = api(server, admin, "GET", "/api/v1/users").json()["items"]
    for body, field in [({"name": "x y"}, "name"), ({"name": "v", "roles": "king"}, "roles"),
                        ({"name": "v", "password": "password1234567"}, "password"),
                        ({"name": "v", "email": "nope"}, "email"),
                        ({"name": "v", "extra": 1}, "extra")]:
        r = api(server, admin, "POST", "/api/v1/users", body)
        assert r.status_code == 422, (body, r.text)
        assert any(e["field"] == field for e in r.json()["errors"]), (body, r.json())
    r = api(server, admin, "POST", "/api/v1/users", {"name": "HUGO"})
    assert r.status_code == 409
    assert api(server, admin, "GET", "/api/v1/users").json()["items"] == before
    assert "amber falcon" not in server.log()

    # hugo signs in; a role change ends his session, as does disabling him
    import requests
    h = requests.Session()
    h.trust_env = False
    h.verify = str(server.cert)
    assert h.post(server.url + "/api/v1/auth/login",
                  json={"name": "hugo", "password": "amber falcon pebble orchard"}).status_code == 200
    uid = hugo["id"]
    r = api(server, admin, "PATCH", f"/api/v1/users/{uid}", {"roles": "hr, facilities"})
    assert r.status_code == 200 and r.json()["roles"] == ["hr", "facilities"]
    assert h.get(server.url + "/api/v1/whoami").status_code == 401
    r = api(server, admin, "PATCH", f"/api/v1/users/{uid}", {"display_name": "Hugo R."})
    assert r.json()["display_name"] == "Hugo R."
    r = api(server, admin, "PATCH", f"/api/v1/users/{uid}", {"roles": "nope", "email": "bad"})
    assert r.status_code == 422 and len(r.json()["errors"]) == 2
    assert api(server, admin, "GET", f"/api/v1/users/{uid}").json()["roles"] == ["hr", "facilities"]
    r = api(server, admin, "PATCH", f"/api/v1/users/{uid}", {"enabled": False})
    assert r.status_code == 200 and not r.json()["enabled"]
    assert h.post(server.url + "/api/v1/auth/login",
                  json={"name": "hugo", "password": "amber falcon pebble orchard"}).status_code == 401
    assert api(server, admin, "PATCH", f"/api/v1/users/{uid}", {"enabled": True}).json()["enabled"]
    assert h.post(server.url + "/api/v1/auth/login",
                  json={"name": "hugo", "password": "amber falcon pebble orchard"}).status_code == 200
    r = api(server, admin, "POST", f"/api/v1/users/{uid}/end-sessions")
    assert r.status_code == 200
    assert h.get(server.url + "/api/v1/whoami").status_code == 401
    assert api(server, admin, "GET", "/api/v1/users/999").status_code == 404

    # no self-lockout
    me = [u for u in api(server, admin, "GET", "/api/v1/users").json()["items"]
          if u["name"] == "ada"][0]
    r = api(server, admin, "PATCH", f"/api/v1/users/{me['id']}", {"enabled": False})
    assert r.status_code == 409
    r = api(server, admin, "PATCH", f"/api/v1/users/{me['id']}", {"roles": "hr"})
    assert r.status_code == 409
    assert api(server, admin, "GET", "/api/v1/users").status_code == 200


def test_reset_mfa_and_readers(server):
    admin = sign_in_user(server, "ada", "admin")
    op = sign_in_user(server, "omar", "security_operator")
    assert op.get(server.url + "/api/v1/sites").status_code == 200
    uid = [u for u in api(server, admin, "GET", "/api/v1/users").json()["items"]
           if u["name"] == "omar"][0]["id"]
    r = api(server, admin, "POST", f"/api/v1/users/{uid}/reset-mfa")
    assert r.status_code == 200 and not r.json()["mfa_enabled"]
    assert op.get(server.url + "/api/v1/sites").status_code == 401
    # an auditor reads users and changes nothing
    aud = sign_in_user(server, "aud", "auditor")
    assert api(server, aud, "GET", "/api/v1/users").status_code == 200
    r = api(server, aud, "POST", "/api/v1/users", {"name": "x", "password": USER_PASSWORD})
    assert r.status_code == 403 and "users.admin" in r.json()["detail"]


def test_the_role_table_follows_the_mfa_policy(server_factory):
    import json

    from conftest import run_gatehouse
    cli = json.loads(run_gatehouse(["roles", "--json"]).stdout)
    s = server_factory(["--set", "mfa.required_roles=admin"])
    reader = sign_in_user(s, "rita", "auditor", mfa=False)
    table = api(s, reader, "GET", "/api/v1/roles").json()
    assert set(table) == set(cli)
    for name, role in table.items():
        assert role["permissions"] == cli[name]["permissions"]
        assert role["summary"] == cli[name]["summary"]
        assert role["mfa_required"] == (name == "admin")  # this server's policy
    hr = sign_in_user(s, "hank", "hr", mfa=False)
    r = api(s, hr, "GET", "/api/v1/roles")
    assert r.status_code == 403 and "users.read" in r.json()["detail"]
