"""A real OpenID Connect provider for the integration tests (tests/oidc/provider.mjs, built
on the npm package oidc-provider), started on 127.0.0.1 over HTTPS with a fresh
self-signed certificate.

    with OidcProvider(tmp_path, redirect_uri=server.url + "/api/v1/auth/oidc/callback") as op:
        op.issuer, op.ca_file, op.port
        op.next(account="bob", tamper="aud")   # who signs in next; how to spoil the next ID token
        op.last_auth()                         # query of the latest /auth request (dict)
        op.tokens()                            # every id_token the token endpoint returned

Logins need no UI: /auth redirects to /interaction/UID, which signs the account in at once and
redirects to /auth/UID, which redirects to the redirect_uri with code and state. Those hops
need the provider's cookies, so follow them with a requests.Session. The account is the
login_hint if it names one, else the one set by next(), else the first. Tamper modes:
bad_signature unknown_key aud azp iss expired nonce alg_none hs256 no_amr (see provider.mjs).
The provider's log (stderr) is in TMP_DIR/oidc-provider.log, see .log().
"""

import json
import select
import shutil
import socket
import subprocess
import time
from pathlib import Path

import requests

OIDC_DIR = Path(__file__).resolve().parents[1] / "oidc"

DEFAULT_ACCOUNTS = {
    "alice": {"sub": "u-alice-1", "preferred_username": "alice", "name": "Alice Example",
              "email": "alice@example.com", "groups": ["gh-operators"], "amr": ["pwd", "otp"]},
}


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _self_signed(cert, key):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-subj", "/CN=localhost", "-days", "2",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)


class OidcProvider:
    def __init__(self, tmp_dir: Path, *, client_id="gatehouse",
                 client_secret="gatehouse-oidc-test-secret",
                 redirect_uri="https://127.0.0.1/api/v1/auth/oidc/callback",
                 accounts: dict | None = None, alg="RS256"):
        self.dir = Path(tmp_dir)
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.accounts = accounts if accounts is not None else DEFAULT_ACCOUNTS
        self.alg = alg
        self.proc = None
        self.ca_file = str(self.dir / "oidc-cert.pem")
        self.log_path = self.dir / "oidc-provider.log"

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self, timeout=30):
        if not (OIDC_DIR / "node_modules").is_dir():
            npm = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=OIDC_DIR,
                                 capture_output=True, text=True)
            if npm.returncode != 0:
                shutil.rmtree(OIDC_DIR / "node_modules", ignore_errors=True)
                raise RuntimeError(f"npm ci failed in {OIDC_DIR}:\n{npm.stdout}{npm.stderr}")
        self.dir.mkdir(parents=True, exist_ok=True)
        key = self.dir / "oidc-key.pem"
        _self_signed(self.ca_file, key)
        accounts_file = self.dir / "oidc-accounts.json"
        accounts_file.write_text(json.dumps(self.accounts))
        # Up to three tries: another process may take the free port before node binds it,
        # and once (in an ASan run on a loaded machine) node printed nothing for 30 s
        self.log_path.write_text("")
        for _ in range(3):
            self.port = _free_port()
            self.issuer = f"https://127.0.0.1:{self.port}"
            cmd = ["node", "provider.mjs", "--port", str(self.port), "--cert", self.ca_file,
                   "--key", str(key), "--client-id", self.client_id,
                   "--client-secret", self.client_secret, "--redirect-uri", self.redirect_uri,
                   "--accounts", str(accounts_file), "--alg", self.alg]
            if self._spawn(cmd, timeout):
                break
        if self.proc is None:
            raise RuntimeError(f"the OIDC provider did not start\n--- log\n{self.log()}")
        self.session = requests.Session()
        self.session.trust_env = False  # no proxy or CA bundle from the environment
        self.session.verify = self.ca_file
        return self

    def _spawn(self, cmd, timeout):
        """Runs cmd until it prints its ready line; False (and no process) if it does not."""
        started = time.monotonic()
        with open(self.log_path, "a") as log:
            log.write(f"--- {' '.join(cmd[:4])}\n")
            log.flush()
            proc = subprocess.Popen(cmd, cwd=OIDC_DIR, stdout=subprocess.PIPE, stderr=log,
                                    text=True)
        deadline = time.monotonic() + timeout
        line = ""
        while not line and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], deadline - time.monotonic())
            if ready:
                line = proc.stdout.readline() or "EOF"
        if line.strip() != f"ready {self.issuer}":
            proc.kill()
            proc.wait()
            proc.stdout.close()
            with open(self.log_path, "a") as log:
                log.write(f"--- no ready line after {time.monotonic() - started:.1f} s "
                          f"(got {line.strip()!r})\n")
            return False
        self.proc = proc
        return True

    def log(self):
        return self.log_path.read_text() if self.log_path.exists() else ""

    def stop(self, timeout=10):
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.proc = None
        self.session.close()

    # ---- control endpoints (not part of OpenID Connect) ----

    def _control(self, method, path, **kw):
        r = self.session.request(method, self.issuer + path, timeout=30, **kw)
        r.raise_for_status()
        return r.json()

    def next(self, account=None, tamper=None):
        """Sets the account for the next logins (None: keep it) and the tamper mode for the
        next token response only (None: none)."""
        body = {k: v for k, v in (("account", account), ("tamper", tamper)) if v is not None}
        return self._control("POST", "/_test/next", json=body)

    def last_auth(self):
        return self._control("GET", "/_test/last-auth")

    def tokens(self):
        return self._control("GET", "/_test/tokens")
