"""`gatehouse audit head` and `gatehouse audit verify` on a real data dir: a head signed and
saved, the log verified with it; a saved head that is malformed, or not signed by the
server's key, refused with what is wrong; verifying makes no key of its own; an entry
edited, deleted, swapped or the tail truncated in the SQLite file, each named by its index;
what the API and the CLI record, who and what, secrets left out; the API's heads, entries,
proofs (checked here independently), verification and filters."""

import json

import pytest


def test_head_signed_saved_and_verified(gh, tmp_path):
    gh("init")
    assert gh("audit", "head", rc=1).stderr.strip().endswith(
        "no tree head has been signed yet (--sign signs one now)")
    # the log begins with init; each reading of the log is itself an entry: the refused one,
    # then this one, which the head signed now covers
    assert entries(gh)[0]["action"] == "init"
    head = json.loads(gh("audit", "head", "--sign").stdout)
    assert head["size"] == 3 and len(head["root"]) == 64
    saved = tmp_path / "sth.json"
    saved.write_text(json.dumps(head) + "\n")
    out = gh("audit", "verify", "--since-sth", str(saved)).stdout
    assert "the audit log verifies: 3 entries, 1 signed tree heads, and it extends" in out
    out = gh("audit", "verify").stdout  # the verification before is in the log now
    assert "the audit log verifies: 4 entries, 1 signed tree heads" in out
    last = entries(gh)[-1]
    assert last["action"] == "audit verify" and last["outcome"].startswith("verified: 4 entries")


def test_saved_heads_refused(gh, tmp_path):
    gh("init")
    head = json.loads(gh("audit", "head", "--sign").stdout)
    bad = tmp_path / "bad.json"
    bad.write_text('{"size": 1}')
    err = gh("audit", "verify", "--since-sth", str(bad), rc=1).stderr
    assert "tree head: Object item not found: time_us" in err
    bad.write_text(json.dumps({**head, "root": "zz" * 32}))
    assert "root must be 64 hex digits" in gh("audit", "verify", "--since-sth", str(bad),
                                              rc=1).stderr
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**head, "size": 3}))
    out = gh("audit", "verify", "--since-sth", str(forged), rc=1).stdout
    assert "index 3: the saved tree head is not signed by this server's key" in out
    assert "does NOT verify" in out


def test_verify_needs_a_key_and_makes_none(gh, tmp_path):
    gh("init")
    key = gh.data / "keys" / "server.key"
    if key.exists():
        key.unlink()
    err = gh("audit", "verify", rc=1).stderr
    assert "no server key to check the tree heads with" in err
    assert not key.exists()


def entries(owner):
    import sqlite3
    db = sqlite3.connect(owner.data / "gatehouse.db")
    try:
        return [json.loads(row[0]) for row in
                db.execute("SELECT entry FROM audit_entries ORDER BY idx")]
    finally:
        db.close()


def test_api_changes_are_audited_signed_and_verified(server, tmp_path):
    import sqlite3
    import time
    s = server
    assert s.post("/api/v1/sites", json={"name": "HQ", "timezone": "Europe/Berlin"}).status_code == 201
    r = s.post("/api/v1/users", json={"name": "nora", "roles": "hr",
                                       "password": "velvet orbit tangerine ladder"})
    assert r.status_code == 201, r.text
    site = s.get("/api/v1/sites").json()["items"][0]["id"]
    assert s.patch(f"/api/v1/sites/{site}", json={"name": "Head Office"}).status_code == 200
    assert s.get("/api/v1/sites").status_code == 200  # a read changes nothing
    every = entries(s)
    assert [e["action"] for e in every[:2]] == ["init", "token create"]  # the test's own token
    got = every[2:]
    actions = [e["action"] for e in got]
    assert actions == ["POST /api/v1/sites", "POST /api/v1/users", "PATCH /api/v1/sites/{id}"]
    e = got[2]
    assert e["who"] == "token:test-admin" and e["auth"] == "token"
    assert e["object"] == f"/api/v1/sites/{site}" and e["request"].startswith("r")
    assert e["request_body"] == {"name": "Head Office"} and e["address"] == "127.0.0.1"
    assert got[1]["request_body"]["password"] == "(not recorded)"
    assert "velvet" not in json.dumps(got)
    # the server signs a head within a second or so of the last change (watched in the file:
    # `audit head` would add an entry of its own each time)
    deadline = time.monotonic() + 10
    while True:
        db = sqlite3.connect(s.data / "gatehouse.db")
        signed = db.execute("SELECT max(size) FROM audit_heads").fetchone()[0]
        db.close()
        if signed == 5:
            break
        assert time.monotonic() < deadline, signed
        time.sleep(0.1)
    head = json.loads(s.gh("audit", "head").stdout)
    assert head["size"] >= 5
    saved = tmp_path / "sth.json"
    saved.write_text(json.dumps(head))
    assert "the audit log verifies: 6 entries" in s.gh("audit", "verify", "--since-sth",
                                                       str(saved)).stdout
    # someone edits the file underneath: verify names the entry
    s.stop()
    db = sqlite3.connect(s.data / "gatehouse.db")
    db.executescript("DROP TRIGGER audit_entries_no_update;"
                     "UPDATE audit_entries SET entry = replace(entry, 'Head Office', 'Elsewhere')"
                     " WHERE idx = 4;")
    db.close()
    out = s.gh("audit", "verify", "--since-sth", str(saved), rc=1).stdout
    assert "index 4: entry 4 is not the entry that was appended" in out
    s.start()


def _node(left, right):
    import hashlib
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(index, size, leaf, proof, root):
    """RFC 9162 section 2.1.3.2, written here independently of the server's C."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = _node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = _node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def test_the_audit_api_gives_heads_entries_and_proofs(server):
    import base64
    import hashlib
    import time
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    s = server
    for name in ("A", "B", "C", "D", "E"):
        assert s.post("/api/v1/sites", json={"name": name, "timezone": "UTC"}).status_code == 201
    deadline = time.monotonic() + 10
    while s.get("/api/v1/audit/head").status_code != 200 or \
            s.get("/api/v1/audit/head").json()["size"] < 5:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    head = s.get("/api/v1/audit/head").json()
    # the signature, checked here with the key the server names
    msg = (b"gatehouse-sth-v1" + head["size"].to_bytes(8, "big") +
           head["time_us"].to_bytes(8, "big") + bytes.fromhex(head["root"]))
    Ed25519PublicKey.from_public_bytes(base64.b64decode(head["public_key"])).verify(
        base64.b64decode(head["signature"]), msg)
    page = s.get("/api/v1/audit/entries", params={"limit": 2}).json()
    assert [e["index"] for e in page["items"]] == [0, 1]
    more = s.get("/api/v1/audit/entries", params={"cursor": page["next_cursor"]}).json()
    assert more["items"][0]["index"] == 2
    for i in range(head["size"]):
        e = s.get(f"/api/v1/audit/entries/{i}").json()
        leaf = hashlib.sha256(b"\x00" + json.dumps(e["entry"], separators=(",", ":"),
                                                   sort_keys=True).encode()).digest()
        assert leaf.hex() == e["leaf_hash"], i  # the entry is the canonical JSON hashed
        proof = [bytes.fromhex(h) for h in e["inclusion"]["hashes"]]
        assert e["inclusion"]["size"] >= head["size"]
        root = bytes.fromhex(e["inclusion"]["root"])
        assert verify_inclusion(i, e["inclusion"]["size"], leaf, proof, root)
    c = s.get("/api/v1/audit/consistency", params={"from": 2, "to": 5})
    assert c.status_code == 200 and len(c.json()["hashes"]) >= 1
    assert s.get("/api/v1/audit/consistency", params={"from": 5, "to": 2}).status_code == 400
    assert s.get("/api/v1/audit/entries/999999").status_code == 404
    # reading the log is recorded in it
    actions = [e["entry"]["action"] for e in
               s.get("/api/v1/audit/entries", params={"limit": 1000}).json()["items"]]
    assert "GET /api/v1/audit/entries/{index}" in actions


def test_sign_ins_and_refusals_are_audited(server):
    from conftest import add_user, USER_PASSWORD
    import requests
    s = server
    add_user(s, "nina", "security_viewer")
    b = requests.Session()
    b.trust_env = False
    b.verify = str(s.cert)
    assert b.post(s.url + "/api/v1/auth/login",
                  json={"name": "nina", "password": "not her password"}).status_code == 401
    assert b.post(s.url + "/api/v1/auth/login",
                  json={"name": "nina", "password": USER_PASSWORD}).status_code == 200
    got = [e for e in entries(s) if e["action"] == "POST /api/v1/auth/login"]
    assert got[0]["outcome"].startswith("sign-in of 'nina' refused: ")
    assert got[0]["request_body"] == {"name": "nina", "password": "(not recorded)"}
    assert got[1]["outcome"] == "nina signed in (password)"


def test_cli_changes_are_audited(gh):
    gh("init")
    gh("site", "add", "HQ", "--tz", "Europe/Berlin")
    gh("area", "add", "Outside", "--site", "HQ")
    gh("person", "add", "E1", "--first", "Ann", "--last", "Berg")
    gh("credential", "add", "--person", "E1", "--card", "h10301:12:3456", "--pin-stdin",
       input="4711\n")
    import sqlite3
    db = sqlite3.connect(gh.data / "gatehouse.db")
    got = [json.loads(r[0]) for r in db.execute("SELECT entry FROM audit_entries ORDER BY idx")]
    db.close()
    assert [e["action"] for e in got] == ["init", "site add", "area add", "person add",
                                          "credential add"]
    got = got[1:]
    assert got[0]["args"] == ["--tz", "Europe/Berlin", "HQ"] and got[0]["auth"] == "local"
    assert got[0]["who"].startswith("local:")
    assert "4711" not in json.dumps(got)  # the PIN came on stdin, and is nowhere
    token = gh("token", "create", "--name", "ci", "--scope", "events.read").stdout.strip()
    gh("token", "revoke", "ci")
    gh("user", "add", "hana", "--roles", "hr", "--password-stdin",
       input="velvet orbit tangerine ladder\n")
    gh("user", "add", "weak", "--password-stdin", input="1234\n", rc=1)  # refused: no entry
    db = sqlite3.connect(gh.data / "gatehouse.db")
    got = [json.loads(r[0]) for r in db.execute("SELECT entry FROM audit_entries ORDER BY idx")]
    db.close()
    assert [e["action"] for e in got[5:]] == ["token create", "token revoke", "user add"]
    assert token not in json.dumps(got) and "velvet" not in json.dumps(got)
    gh("audit", "head", "--sign")
    assert "the audit log verifies: 9 entries" in gh("audit", "verify").stdout  # + the head read


def test_the_whole_log_verified_and_entries_filtered_through_the_api(server):
    import sqlite3
    s = server
    for name in ("Nord", "Süd", "Ost"):
        assert s.post("/api/v1/sites", json={"name": name, "timezone": "UTC"}).status_code == 201
    v = s.get("/api/v1/audit/verification").json()
    assert v["verified"] and v["problems"] == [] and v["entries"] >= 5
    # filters: text anywhere (any case), exactly who
    got = s.get("/api/v1/audit/entries", params={"q": "SüD"}).json()["items"]
    assert [e["entry"]["request_body"]["name"] for e in got] == ["Süd"]
    assert s.get("/api/v1/audit/entries", params={"q": "SÜD"}).json()["items"] == []  # ASCII only
    got = s.get("/api/v1/audit/entries", params={"q": "nord"}).json()["items"]
    assert [e["entry"]["request_body"]["name"] for e in got] == ["Nord"]
    got = s.get("/api/v1/audit/entries", params={"who": "token:test-admin",
                                                 "q": "post /api/v1/sites"}).json()["items"]
    assert len(got) == 3
    assert s.get("/api/v1/audit/entries", params={"who": "nobody"}).json()["items"] == []
    assert s.get("/api/v1/audit/entries", params={"q": "x" * 300}).status_code == 400
    # an entry edited in the file underneath: the server's verification names it
    index = got[1]["index"]
    db = sqlite3.connect(s.data / "gatehouse.db")
    db.executescript("DROP TRIGGER audit_entries_no_update;"
                     f"UPDATE audit_entries SET entry = replace(entry, 'Süd', 'West') "
                     f"WHERE idx = {index};")
    db.close()
    v = s.get("/api/v1/audit/verification").json()
    assert not v["verified"] and v["problem_count"] >= 1
    assert v["problems"][0]["index"] == index
    assert f"entry {index} is not the entry that was appended" in v["problems"][0]["what"]
    last = entries(s)[-1]
    assert last["action"] == "GET /api/v1/audit/verification"
    assert last["outcome"].startswith("does not verify")


# Done means 2: each tampering done directly in the SQLite file of a real data dir, and
# `gatehouse audit verify` naming the index; the untouched copy verifies.
TAMPERING = [
    ("edit", "UPDATE audit_entries SET entry = replace(entry, 'Door 5', 'Door X') WHERE idx = 8",
     ["index 8: entry 8 is not the entry that was appended"]),
    ("delete", "DELETE FROM audit_entries WHERE idx = 5", ["index 5: entries 5 to 5 are missing"]),
    ("swap", "UPDATE audit_entries SET idx = -1 WHERE idx = 3;"
             "UPDATE audit_entries SET idx = 3 WHERE idx = 4;"
             "UPDATE audit_entries SET idx = 4 WHERE idx = -1",
     ["index 3: entry 3 is not", "index 4: entry 4 is not"]),
    ("truncate", "DELETE FROM audit_entries WHERE idx >= 9;"
                 "DELETE FROM audit_nodes WHERE (idx << level) + (1 << level) > 9",
     ["index 9: the log ends at index 9", "entries 9 to 12 are missing (the log was truncated)",
      "index 9: the log ends at index 9, before the saved tree head's size 13"]),
]


@pytest.fixture(scope="module")
def signed_log(tmp_path_factory):
    """A data dir whose log has 13 entries (init, 11 changes, the head's reading; door N is
    entry 3 + N) and a signed head of them."""
    from conftest import GH
    g = GH(tmp_path_factory.mktemp("signed-log") / "data")
    g("init")
    g("site", "add", "HQ", "--tz", "UTC")
    g("area", "add", "Outside", "--site", "HQ")
    g("area", "add", "Inside", "--site", "HQ")
    for i in range(1, 9):
        g("door", "add", f"Door {i}", "--site", "HQ", "--from", "Outside", "--to", "Inside")
    head = json.loads(g("audit", "head", "--sign").stdout)  # entry 12 (the read), then signed
    assert head["size"] == 13
    return g.data, head


@pytest.mark.parametrize("name, sql, says", TAMPERING, ids=[t[0] for t in TAMPERING])
def test_tampering_in_the_file_is_named_by_audit_verify(signed_log, tmp_path, name, sql, says):
    import shutil
    import sqlite3
    from conftest import GH
    data, head = signed_log
    g = GH(tmp_path / "data")
    shutil.copytree(data, g.data)
    saved = tmp_path / "sth.json"
    saved.write_text(json.dumps({k: head[k] for k in ("size", "time_us", "root", "signature")}))
    db = sqlite3.connect(g.data / "gatehouse.db")
    db.executescript("DROP TRIGGER audit_entries_no_update; DROP TRIGGER audit_entries_no_delete;"
                     "DROP TRIGGER audit_nodes_no_delete;" + sql + ";")
    db.close()
    out = g("audit", "verify", "--since-sth", str(saved), rc=1).stdout
    for words in says:
        assert words in out, out
    assert "the audit log does NOT verify" in out


def test_an_untouched_copy_verifies(signed_log, tmp_path):
    import shutil
    from conftest import GH
    data, head = signed_log
    g = GH(tmp_path / "data")
    shutil.copytree(data, g.data)
    saved = tmp_path / "sth.json"
    saved.write_text(json.dumps({k: head[k] for k in ("size", "time_us", "root", "signature")}))
    out = g("audit", "verify", "--since-sth", str(saved)).stdout
    assert "the audit log verifies: 13 entries, 1 signed tree heads, and it extends" in out


def test_naming_a_person_is_not_opening_their_record(server):
    s = server
    p = s.post("/api/v1/people", json={"employee_id": "E7", "first_name": "Ida",
                                       "last_name": "Lund"}).json()
    before = len(entries(s))
    got = s.get("/api/v1/people", params={"id": p["id"], "limit": 1}).json()
    assert [x["employee_id"] for x in got["items"]] == ["E7"]
    assert s.get("/api/v1/people", params={"id": 999999}).json()["items"] == []
    assert len(entries(s)) == before  # the list, by id: how the console names people
    assert s.get(f"/api/v1/people/{p['id']}").status_code == 200
    last = entries(s)[-1]
    assert last["action"] == "GET /api/v1/people/{id}" and last["object"] == f"/api/v1/people/{p['id']}"
