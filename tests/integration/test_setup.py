"""The first administrator: `gatehouse init` prints a one-time setup token and there is no
default account; POST /api/v1/setup creates one admin with a password that must pass the
policy, once, within 24 hours, and only while no administrator exists. Refusals create
nothing and leave the token usable."""

import re
import sqlite3

import requests

from conftest import GH, Server

STRONG = "velvet orbit tangerine ladder"


def setup_server(tmp_path):
    data = tmp_path / "data"
    gh = GH(data)
    out = gh("init").stdout
    m = re.search(r'"token": "(ghs_[A-Za-z0-9_-]{43})"', out)
    assert m, out
    assert "there is no default" not in out and "password" in out
    return Server(data, init=False), m.group(1)


def post(server, body):
    c = requests.Session()
    c.trust_env = False
    c.verify = str(server.cert)
    return c.post(server.url + "/api/v1/setup", json=body, timeout=60)


def users(server):
    with sqlite3.connect(server.data / "gatehouse.db") as db:
        return db.execute("SELECT name, roles FROM users").fetchall()


def test_no_default_account_and_the_token_makes_one_admin(tmp_path):
    server, token = setup_server(tmp_path)
    try:
        assert users(server) == []
        assert token.encode() not in (server.data / "gatehouse.db").read_bytes()
        # refusals change nothing and do not use the token up
        r = post(server, {"token": "ghs_" + "A" * 43, "name": "boss", "password": STRONG})
        assert r.status_code == 403 and "unknown, used or expired" in r.json()["detail"]
        r = post(server, {"token": token, "name": "boss", "password": "password1234567890"})
        assert r.status_code == 422 and "too easy to guess" in r.text
        r = post(server, {"token": token, "name": "bad name", "password": STRONG})
        assert r.status_code == 422
        assert users(server) == []
        r = post(server, {"token": token, "name": "boss", "password": STRONG})
        assert r.status_code == 201, r.text
        assert r.json()["roles"] == ["admin"] and users(server) == [("boss", "admin")]
        # once only
        r = post(server, {"token": token, "name": "boss2", "password": STRONG})
        assert r.status_code == 403
        assert len(users(server)) == 1
        assert token not in server.log() and STRONG not in server.log()
        # the new admin signs in (and must enroll MFA before anything else)
        c = requests.Session()
        c.trust_env = False
        c.verify = str(server.cert)
        s = c.post(server.url + "/api/v1/auth/login", json={"name": "boss", "password": STRONG})
        assert s.status_code == 200 and s.json()["mfa_enrollment_required"]
    finally:
        server.assert_clean_stop()


def test_refused_once_an_admin_exists_or_when_expired(tmp_path):
    server, token = setup_server(tmp_path)
    try:
        with sqlite3.connect(server.data / "gatehouse.db") as db:
            db.execute("UPDATE setup_tokens SET expires_us = 1")
        r = post(server, {"token": token, "name": "boss", "password": STRONG})
        assert r.status_code == 403 and "expired" in r.json()["detail"]
        with sqlite3.connect(server.data / "gatehouse.db") as db:
            db.execute("UPDATE setup_tokens SET expires_us = 9000000000000000")
        server.gh("user", "add", "root", "--roles", "admin")
        r = post(server, {"token": token, "name": "boss", "password": STRONG})
        assert r.status_code == 403 and "exists already" in r.json()["detail"]
        assert [u for u, _ in users(server)] == ["root"]
    finally:
        server.assert_clean_stop()
