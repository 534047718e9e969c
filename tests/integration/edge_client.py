"""A door controller's side of /edge/v1/ in Python, for tests of the server: enrollment,
then requests signed as RFC 9421 says (ed25519 with python3-cryptography), in the one form
the server accepts. Each call returns the requests.Response."""

import base64
import hashlib
import json
import secrets
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (Ed25519PrivateKey,
                                                               Ed25519PublicKey)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def digest(body: bytes) -> str:
    return f"sha-256=:{b64(hashlib.sha256(body).digest())}:"


class EdgeClient:
    def __init__(self, server, key=None):
        self.server = server
        self.key = key or Ed25519PrivateKey.generate()
        self.id = None
        self.server_key = None

    def public_key(self) -> str:
        raw = self.key.public_key().public_bytes(serialization.Encoding.Raw,
                                                 serialization.PublicFormat.Raw)
        return b64(raw)

    def enroll(self, token):
        r = self.server.post("/edge/v1/enroll", token=False,
                             json={"token": token, "public_key": self.public_key()})
        if r.status_code == 200:
            self.id = r.json()["controller"]
            self.server_key = Ed25519PublicKey.from_public_bytes(
                base64.b64decode(r.json()["server_key"]))
        return r

    def signed_headers(self, method, path, body: bytes, *, created=None, nonce=None,
                       keyid=None, key=None, components=None):
        created = int(time.time()) if created is None else created
        nonce = nonce or secrets.token_urlsafe(16)
        keyid = str(self.id if keyid is None else keyid)
        comps = components or ["@method", "@path", "content-digest"]
        values = {"@method": method, "@path": path, "content-digest": digest(body)}
        names = " ".join(f'"{c}"' for c in comps)
        params = f'({names});created={created};nonce="{nonce}";keyid="{keyid}";alg="ed25519"'
        lines = [f'"{c}": {values[c]}' for c in comps]
        lines.append(f'"@signature-params": {params}')
        sig = (key or self.key).sign("\n".join(lines).encode())
        return {"Signature-Input": f"sig1={params}", "Signature": f"sig1=:{b64(sig)}:",
                "Content-Digest": values["content-digest"],
                "Content-Type": "application/json"}

    def post(self, path, obj, **sign):
        body = json.dumps(obj).encode()
        headers = self.signed_headers("POST", path, body, **sign)
        return self.server.post(path, token=False, data=body, headers=headers)

    def snapshot(self, have=0, **sign):
        return self.post("/edge/v1/snapshot", {"have": have}, **sign)

    def verify_snapshot(self, r):
        """The document if the server's signature holds (else raises)."""
        sig = r.headers["Snapshot-Signature"]
        assert sig.startswith(":") and sig.endswith(":")
        self.server_key.verify(base64.b64decode(sig[1:-1]), r.content)
        return json.loads(r.content)

    def events(self, events, **sign):
        return self.post("/edge/v1/events", {"events": events}, **sign)

    def heartbeat(self, **fields):
        body = {"time_us": int(time.time() * 1e6), "snapshot_version": 0,
                "snapshot_issued_us": 0, "snapshot_applied_us": 0}
        body.update(fields)
        return self.post("/edge/v1/heartbeat", body)

    def poll(self, have, wait_s=25):
        return self.post("/edge/v1/commands", {"have": have, "wait_s": wait_s})
