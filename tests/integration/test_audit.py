"""`gatehouse audit head` and `gatehouse audit verify` on a real data dir: a head signed and
saved, the log verified with it; a saved head that is malformed, or not signed by the
server's key, refused with what is wrong; verifying makes no key of its own. (The log's
entries, their tampering and the proofs are tested in tests/unit/audit; the entries the
server and the CLI record come with the rest of issue 7.)"""

import json


def test_head_signed_saved_and_verified(gh, tmp_path):
    gh("init")
    assert gh("audit", "head", rc=1).stderr.strip().endswith(
        "no tree head has been signed yet (--sign signs one now)")
    head = json.loads(gh("audit", "head", "--sign").stdout)
    assert head["size"] == 0 and len(head["root"]) == 64
    saved = tmp_path / "sth.json"
    saved.write_text(json.dumps(head) + "\n")
    out = gh("audit", "verify", "--since-sth", str(saved)).stdout
    assert "the audit log verifies: 0 entries, 1 signed tree heads, and it extends" in out


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
