"""Fixtures for the gatehouse integration tests.

The tests drive the real binary: $GATEHOUSE_BIN, else build/gatehouse of this repository.
Every test gets its own data dir under tmp_path.

    gh(*args, rc=0, input=None, env=None, data=True, cwd=None) -> CompletedProcess
        Runs `gatehouse --data DIR ARGS...` (text mode, stdin empty unless input is given).
        Asserts the exit status is rc (pass rc=None to skip the check and look at
        .returncode yourself). data=False leaves --data out (for GATEHOUSE_DATA tests).

    site -> Site: an initialized data dir with a small site built by script (see
        build_site below; built once per session, each test gets its own copy); its
        attributes name the doors, cards, PIN and useful times.
"""

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO / "build" / "gatehouse"
ROSTER_DATA = REPO / "tests" / "data" / "roster"

# The export header (src/interop/interop.h, EXPORT_CSV_HEADER).
EXPORT_HEADER = "timestamp,badge_id,door_id,door_name,person_id,employee_id,decision,reason"


def gatehouse_bin() -> Path:
    return Path(os.environ.get("GATEHOUSE_BIN") or DEFAULT_BIN)


def base_env(extra=None):
    """The environment for a run: no GATEHOUSE_DATA leaking in from the caller."""
    env = {k: v for k, v in os.environ.items() if k != "GATEHOUSE_DATA"}
    env["LC_ALL"] = "C.UTF-8"
    if extra:
        env.update(extra)
    return env


def run_gatehouse(args, *, rc=0, input=None, env=None, cwd=None, timeout=60):
    """Runs the binary with exactly these arguments; asserts the exit status unless rc=None."""
    exe = gatehouse_bin()
    if not exe.exists():
        pytest.fail(f"{exe} does not exist: build first, or set GATEHOUSE_BIN")
    cmd = [str(exe)] + [str(a) for a in args]
    p = subprocess.run(
        cmd,
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        env=base_env(env),
        cwd=cwd,
        timeout=timeout,
    )
    if rc is not None:
        assert p.returncode == rc, (
            f"exit status {p.returncode}, expected {rc}\n$ {' '.join(cmd)}\n"
            f"--- stdout\n{p.stdout}--- stderr\n{p.stderr}"
        )
    return p


class GH:
    """Runs gatehouse against one data dir."""

    def __init__(self, data: Path):
        self.data = data

    def __call__(self, *args, rc=0, input=None, env=None, data=True, cwd=None):
        pre = ["--data", self.data] if data else []
        return run_gatehouse(pre + list(args), rc=rc, input=input, env=env, cwd=cwd)

    def init(self):
        return self("init")

    def people(self):
        """`person list` as a list of dicts (tab-separated with a header)."""
        return parse_tsv(self("person", "list").stdout)

    def credentials(self, person=None):
        args = ["credential", "list"] + (["--person", person] if person else [])
        return parse_tsv(self(*args).stdout)

    def events(self):
        """Every event line of `events` (all of them, not the latest 20)."""
        return [l for l in self("events", "--limit", "1000000").stdout.splitlines() if l]


def parse_tsv(text):
    lines = [l for l in text.splitlines() if l]
    header = lines[0].split("\t")
    return [dict(zip(header, l.split("\t"))) for l in lines[1:]]


@pytest.fixture
def gh(tmp_path):
    """A runner bound to tmp_path/data (not initialized: call gh.init() or gh('init'))."""
    return GH(tmp_path / "data")


# ---- Wiegand --------------------------------------------------------------------------


def h10301_bits(facility: int, number: int) -> str:
    """A 26-bit H10301 read with correct parity: even bit 1 over bits 2-13, odd bit 26
    over bits 14-25."""
    assert 0 <= facility < 256 and 0 <= number < 65536
    body = f"{facility:08b}{number:016b}"
    lead = str(body[:12].count("1") % 2)
    trail = str(1 - body[12:].count("1") % 2)
    return lead + body + trail


def flip(bits: str, i: int) -> str:
    return bits[:i] + ("1" if bits[i] == "0" else "0") + bits[i + 1 :]


# ---- the site ------------------------------------------------------------------------


@dataclass
class Site:
    gh: GH
    main: str = "Main Entrance"
    lab: str = "Lab Door"
    # Ann (E100, Engineering): levels Staff + Lab; card with PIN 4711.
    ann: str = "E100"
    ann_card: str = "h10301:12:3456"
    ann_pin: str = "4711"
    # Bob (E200, Facilities): level Staff; card without PIN.
    bob: str = "E200"
    bob_card: str = "h10301:12:4000"
    # Cleo (E300, contractor): a card but no access level.
    cleo: str = "E300"
    cleo_card: str = "h10301:12:5000"
    unknown_card: str = "h10301:12:9999"
    # Site-local times (Europe/Berlin; --at without an offset is the door's local time).
    weekday: str = "2026-11-23T10:00"  # Monday, CET (09:00Z)
    weekday_utc: str = "2026-11-23T09:00:00"
    early: str = "2026-11-23T06:30"  # Monday, before Office Hours
    sunday: str = "2026-11-22T10:00"
    christmas: str = "2026-12-25T10:00"  # Friday, a holiday of the Holidays calendar
    night: str = "2026-11-22T23:30"  # Sunday night, inside Night Shift

    def decide(self, door, card, *extra, at=None, rc=0):
        """`decide` at `at` (default: the weekday morning); returns the CompletedProcess."""
        return self.gh("decide", "--door", door, "--card", card, "--at", at or self.weekday,
                       *extra, rc=rc)


def build_site(gh: GH) -> Site:
    s = Site(gh)
    gh("init")
    gh("site", "add", "HQ", "--tz", "Europe/Berlin")
    gh("area", "add", "Outside", "--site", "HQ")
    gh("area", "add", "Lobby", "--site", "HQ")
    gh("area", "add", "Lab", "--site", "HQ", "--parent", "Lobby", "--apb", "hard")
    gh("door", "add", s.main, "--site", "HQ", "--from", "Outside", "--to", "Lobby")
    gh("door", "add", s.lab, "--site", "HQ", "--from", "Lobby", "--to", "Lab",
       "--mode", "card_pin")
    gh("calendar", "add", "Holidays")
    gh("holiday", "add", "--calendar", "Holidays", "--date", "2026-12-25",
       "--name", "Christmas Day")
    gh("schedule", "add", "Office Hours", "--interval", "mon-fri 07:00-19:00",
       "--holidays", "Holidays")
    gh("schedule", "add", "Night Shift", "--interval", "daily 22:00-06:00")
    gh("level", "add", "Staff")
    gh("level", "door", "Staff", "--door", s.main, "--schedule", "Office Hours")
    gh("level", "add", "Lab")
    gh("level", "door", "Lab", "--door", s.lab, "--schedule", "Office Hours")
    gh("level", "add", "Night")
    gh("level", "door", "Night", "--door", s.main, "--schedule", "Night Shift")
    gh("person", "add", s.ann, "--first", "Ann", "--last", "Berg",
       "--department", "Engineering", "--email", "ann.berg@example.test")
    gh("person", "add", s.bob, "--first", "Bob", "--last", "Chen",
       "--department", "Facilities")
    gh("person", "add", s.cleo, "--first", "Cleo", "--last", "Dietz", "--kind", "contractor")
    gh("credential", "add", "--person", s.ann, "--card", s.ann_card, "--pin-stdin",
       input=s.ann_pin + "\n")
    gh("credential", "add", "--person", s.bob, "--card", s.bob_card)
    gh("credential", "add", "--person", s.cleo, "--card", s.cleo_card)
    gh("assign", s.ann, "Staff")
    gh("assign", s.ann, "Lab")
    gh("assign", s.bob, "Staff")
    return s


@pytest.fixture(scope="session")
def site_template(tmp_path_factory):
    """The site, built by script once per session; each test gets a copy."""
    gh = GH(tmp_path_factory.mktemp("site-template") / "data")
    build_site(gh)
    return gh.data


@pytest.fixture
def site(gh, site_template):
    """A private copy of the site (modes kept: the dir 0700, the key 0600)."""
    shutil.copytree(site_template, gh.data)
    return Site(gh)


# ---- the server ------------------------------------------------------------------------

import select
import signal

import requests


class Server:
    """A real `gatehouse serve` on 127.0.0.1 (any free port) over HTTPS with the data dir's
    self-signed certificate. Its log (stderr) goes to DATA/../serve-N.log.

        .url, .data, .token (scope "*"), .gh (CLI on the same data dir)
        .request(method, path, token=..., **kw) -> requests.Response
            token=None uses .token; token=False sends no Authorization header.
        .get/.post/.put/.patch/.delete(path, **kw)
        .make_token(scope, name=None, expires=None) -> str
        .restart(extra_args=None), .stop(), .log() -> text of the current log
    """

    def __init__(self, data: Path, extra_args=None, init=True):
        self.data = Path(data)
        self.gh = GH(self.data)
        if init:
            self.gh("init")
        self.extra_args = list(extra_args or [])
        self.cert = self.data / "tls" / "cert.pem"
        self.token = self.make_token("*", name="test-admin")
        self.session = requests.Session()
        self.session.trust_env = False  # no proxy from the environment for 127.0.0.1
        self.session.verify = str(self.cert)
        self.proc = None
        self.runs = 0
        self.start()

    def make_token(self, scope, name=None, expires=None):
        self._ntok = getattr(self, "_ntok", 0) + 1
        args = ["token", "create", "--name", name or f"t{self._ntok}-{scope}"[:100],
                "--scope", scope]
        if expires:
            args += ["--expires", expires]
        return self.gh(*args).stdout.strip()

    def start(self, extra_args=None, port=0):
        """port: the port to listen on (0: any free one; a restart may ask for the same)."""
        if extra_args is not None:
            self.extra_args = list(extra_args)
        self.runs += 1
        self.log_path = self.data.parent / f"serve-{self.runs}.log"
        self.log_file = open(self.log_path, "w")
        cmd = [str(gatehouse_bin()), "--data", str(self.data), "serve",
               "--listen", f"127.0.0.1:{port}"] + self.extra_args
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log_file,
                                     text=True, env=base_env())
        ready, _, _ = select.select([self.proc.stdout], [], [], 30)
        line = self.proc.stdout.readline() if ready else ""
        if "serving " not in line:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"the server did not start: {line!r}\n--- log\n{self.log()}")
        self.url = line.split("serving ", 1)[1].split()[0]

    def log(self):
        self.log_file.flush()
        return self.log_path.read_text()

    def stop(self, timeout=30):
        if self.proc is None:
            return 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"the server did not stop within {timeout}s of SIGTERM\n{self.log()}")
        self.proc.stdout.close()
        self.proc = None
        self.log_file.close()
        self.session.close()
        return rc

    def kill(self):
        """SIGKILL: no shutdown at all (a crash, a power cut)."""
        self.proc.kill()
        self.proc.wait(30)
        self.proc.stdout.close()
        self.proc = None
        self.log_file.close()

    @property
    def port(self):
        return int(self.url.rsplit(":", 1)[1])

    def assert_clean_stop(self):
        """Stop with SIGTERM and require exit status 0 (under ASan a leak fails here)."""
        log_path = self.log_path
        rc = self.stop()
        assert rc == 0, f"the server exited with {rc}\n{log_path.read_text()}"

    def restart(self, extra_args=None):
        self.assert_clean_stop()
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.verify = str(self.cert)
        self.start(extra_args)

    def request(self, method, path, token=None, **kw):
        headers = dict(kw.pop("headers", None) or {})
        if token is None:
            token = self.token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        kw.setdefault("timeout", 60)
        return self.session.request(method, self.url + path, headers=headers, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


@pytest.fixture
def server_factory(tmp_path):
    """server_factory(extra_args=None, site=False) -> Server. site=True starts on a copy of
    the scripted site (see build_site); every server is stopped at the end of the test."""
    made = []

    def make(extra_args=None, site=False, template=None):
        data = tmp_path / f"srv{len(made)}" / "data"
        data.parent.mkdir()
        if site:
            shutil.copytree(template, data)
        s = Server(data, extra_args, init=not site)
        made.append(s)
        return s

    yield make
    for s in made:
        if s.proc is not None:
            s.assert_clean_stop()


@pytest.fixture
def server(server_factory):
    """A fresh server on an empty, initialized data dir."""
    return server_factory()


@pytest.fixture
def site_server(server_factory, site_template):
    """A server on a private copy of the scripted site (doors, people, cards: see Site)."""
    return server_factory(site=True, template=site_template)


@pytest.fixture(scope="module")
def module_server(tmp_path_factory):
    """One server for a whole test module (tests must not depend on each other's rows)."""
    data = tmp_path_factory.mktemp("module-server") / "data"
    s = Server(data)
    yield s
    if s.proc is not None:
        s.assert_clean_stop()


# ---- signed-in users -------------------------------------------------------------------

USER_PASSWORD = "velvet orbit tangerine ladder"


def add_user(server, name, roles, password=USER_PASSWORD):
    """A local user with these roles and password (CLI, password on stdin)."""
    server.gh("user", "add", name, "--roles", roles, "--password-stdin", input=password + "\n")


def browser(server):
    """A client with its own cookie jar, no bearer token, trusting the server's certificate."""
    c = requests.Session()
    c.trust_env = False
    c.verify = str(server.cert)
    return c


def sign_in_user(server, name, roles, mfa=None):
    """Adds a user with these roles (CLI), signs in over HTTPS and, when the roles need it
    (mfa=None: ask the server) enrolls TOTP with a code from oathtool. Returns a
    requests.Session carrying the session cookie and X-CSRF-Token."""
    import subprocess
    import urllib.parse
    add_user(server, name, roles)
    c = browser(server)
    r = c.post(server.url + "/api/v1/auth/login",
               json={"name": name, "password": USER_PASSWORD}, timeout=60)
    assert r.status_code == 200, r.text
    c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    if mfa is None:
        mfa = r.json()["mfa_enrollment_required"]
    if mfa:
        r = c.post(server.url + "/api/v1/auth/mfa/enroll", json={"password": USER_PASSWORD},
                   timeout=60)
        uri = r.json()["otpauth_uri"]
        secret = urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)["secret"][0]
        code = subprocess.run(["oathtool", "--totp", "-b", secret], check=True,
                              capture_output=True, text=True).stdout.strip()
        r = c.post(server.url + "/api/v1/auth/mfa/confirm", json={"code": code}, timeout=60)
        assert r.status_code == 200, r.text
        c.headers["X-CSRF-Token"] = r.json()["session"]["csrf_token"]
        c.totp_secret = secret
    return c
