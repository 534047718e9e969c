"""User accounts from the command line (`gatehouse user add|set|list`): roles, the password
policy with its reasons, passwords read from stdin and stored only as Argon2id hashes,
disabling, and refusals that change nothing."""

import sqlite3

from conftest import parse_tsv

STRONG = "velvet orbit tangerine ladder"


def users(gh):
    return {u["name"]: u for u in parse_tsv(gh("user", "list").stdout)}


def db_rows(gh, sql):
    with sqlite3.connect(gh.data / "gatehouse.db") as db:
        return db.execute(sql).fetchall()


def test_add_with_roles_and_password(gh):
    gh.init()
    p = gh("user", "add", "amartin", "--roles", "hr, facilities", "--display-name",
           "Alice Martin", "--email", "alice@example.org", "--password-stdin", input=STRONG + "\n")
    assert "user amartin added (roles: hr facilities)" in p.stdout
    u = users(gh)["amartin"]
    assert u == {"id": "1", "name": "amartin", "display name": "Alice Martin",
                 "email": "alice@example.org", "source": "local", "state": "enabled",
                 "password": "yes", "mfa": "none", "roles": "hr facilities"}
    [(h,)] = db_rows(gh, "SELECT password_hash FROM users WHERE name = 'amartin'")
    assert h.startswith("$argon2id$v=19$m=65536,t=3,p=1$")
    db = (gh.data / "gatehouse.db").read_bytes() + (gh.data / "gatehouse.db-wal").read_bytes() \
        if (gh.data / "gatehouse.db-wal").exists() else (gh.data / "gatehouse.db").read_bytes()
    assert STRONG.encode() not in db
    assert STRONG not in p.stdout + p.stderr


def test_add_without_password_then_set_one(gh):
    gh.init()
    p = gh("user", "add", "bob", "--roles", "security_viewer")
    assert "no password yet" in p.stdout
    assert users(gh)["bob"]["password"] == "no"
    p = gh("user", "set", "bob", "--password-stdin", input=STRONG)
    assert "password changed" in p.stdout
    assert users(gh)["bob"]["password"] == "yes"


def test_refusals_change_nothing(gh):
    gh.init()
    gh("user", "add", "carol", "--roles", "auditor", "--email", "carol@example.org")
    before = db_rows(gh, "SELECT * FROM users ORDER BY id")
    cases = [
        (["user", "add", "Carol"], None, 1, "user 'Carol' already exists"),
        (["user", "add", "bad name"], None, 1, "name: only letters, digits and . _ @ - are allowed"),
        (["user", "add", ".dot"], None, 1, "name: must start with a letter or a digit"),
        (["user", "add", "dave", "--roles", "boss"], None, 1, "roles: unknown role 'boss'"),
        (["user", "add", "dave", "--email", "no-at-sign"], None, 1, "email"),
        (["user", "add", "dave", "--password-stdin"], "password12345678\n", 1,
         "password: the password is too easy to guess"),
        (["user", "add", "dave", "--password-stdin"], "short\n", 1,
         "at least 15 are needed (12 with two-factor sign-in)"),
        (["user", "add", "dave", "--password-stdin"], "", 1, "no password on standard input"),
        (["user", "add", "dave", "--password-stdin"], "x" * 2000 + "\n", 1, "too long"),
        (["user", "add", "dave", "--display-name", "Qwzplk Vbnrtx", "--password-stdin"],
         "qwzplkvbnrtx dave\n", 1, "too easy to guess"),
        (["user", "set", "carol", "--roles", "admin", "--email", "bad"], None, 2, "--email"),
        (["user", "set", "carol", "--roles", "king"], None, 2, "unknown role 'king'"),
        (["user", "set", "carol", "--password-stdin"], "carolcarolcarolcarol\n", 1,
         "too easy to guess"),
        (["user", "set", "nobody", "--disable"], None, 1, "there is no user named 'nobody'"),
        (["user", "set", "carol", "--disable", "--enable"], None, 2, "together"),
        (["user", "add", "eve", "--disable"], None, 2, "for `user set`"),
    ]
    for args, stdin, rc, msg in cases:
        p = gh(*args, input=stdin, rc=rc)
        if msg:
            assert msg in p.stderr, (args, p.stderr)
        assert db_rows(gh, "SELECT * FROM users ORDER BY id") == before, args


def test_personal_words_are_weak(gh):
    gh.init()
    p = gh("user", "add", "kzrwtpbnq", "--display-name", "Kzrwtpbnq Hvmlsdxcf",
           "--password-stdin", input="kzrwtpbnqhvmlsdxcf\n", rc=1)
    assert "too easy to guess" in p.stderr
    gh("user", "add", "someone", "--password-stdin", input="kzrwtpbnqhvmlsdxcf\n")


def test_roles_replace_and_disable_enable(gh):
    gh.init()
    gh("user", "add", "frank", "--roles", "hr")
    p = gh("user", "set", "frank", "--roles", "legal,finance", "--disable")
    assert "roles finance legal" in p.stdout or "roles legal finance" in p.stdout
    u = users(gh)["frank"]
    assert u["state"] == "disabled" and set(u["roles"].split()) == {"legal", "finance"}
    gh("user", "set", "FRANK", "--enable")  # names are case-insensitive
    assert users(gh)["frank"]["state"] == "enabled"
