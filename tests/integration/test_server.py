"""The server itself: configuration and its checks, TLS, tokens and permissions, the
limits every request meets, health, readiness, metrics, the request log and a graceful
shutdown. Resource semantics are in test_api_*.py, the live stream in test_sse.py."""

import re
import socket
import ssl
import time
import warnings

import pytest

from conftest import run_gatehouse


def problem(r, status, slug):
    """Asserts a problem+json reply and returns its body."""
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json"), r.headers
    body = r.json()
    assert body["type"] == f"https://gatehouse.dev/problems/{slug}", body
    assert body["status"] == status and body["title"] and body["detail"], body
    assert body["instance"] == r.headers["X-Request-Id"]
    return body


# ---- configuration -------------------------------------------------------------------


def test_check_config_accepts_and_refuses(gh, tmp_path):
    gh.init()
    p = gh("serve", "--check-config")
    assert "configuration OK" in p.stdout and "TLS" in p.stdout
    # plain HTTP only on loopback
    p = gh("serve", "--check-config", "--plain-http", "--listen", "0.0.0.0:8080", rc=1)
    assert "loopback" in p.stderr
    gh("serve", "--check-config", "--plain-http", "--listen", "127.0.0.1:8080")
    gh("serve", "--check-config", "--plain-http", "--listen", "[::1]:8080")
    # bad values name the key
    p = gh("serve", "--check-config", "--listen", "localhost:80", rc=2)
    assert "server.listen" in p.stderr and "numeric" in p.stderr
    p = gh("serve", "--check-config", "--set", "limits.max_body=lots", rc=2)
    assert "limits.max_body" in p.stderr
    p = gh("serve", "--check-config", "--set", "limits.nope=1", rc=2)
    assert "unknown key 'nope'" in p.stderr
    # TLS files: missing, and a certificate for another key
    p = gh("serve", "--check-config", "--tls-cert", tmp_path / "none.pem", rc=1)
    assert "none.pem" in p.stderr
    other = tmp_path / "other"
    run_gatehouse(["--data", other, "init"])
    p = gh("serve", "--check-config", "--tls-key", other / "tls" / "key.pem", rc=1)
    assert "is not for the key" in p.stderr
    # an uninitialized data dir
    p = run_gatehouse(["--data", tmp_path / "empty", "serve", "--check-config"], rc=1)
    assert "init" in p.stderr


def test_config_file_and_flag_precedence(gh, tmp_path):
    gh.init()
    conf = tmp_path / "gatehouse.ini"
    conf.write_text(f"[server]\ndata_dir = {gh.data}\nlisten = 127.0.0.1:9443\nthreads = 3\n"
                    "[limits]\nmax_body = 64k\n")
    p = run_gatehouse(["serve", "--config", conf, "--check-config"])
    assert f"data {gh.data}" in p.stdout and "port 9443" in p.stdout and "3 threads" in p.stdout
    p = run_gatehouse(["serve", "--config", conf, "--listen", "127.0.0.1:7443",
                       "--check-config"])
    assert "port 7443" in p.stdout
    conf.write_text("[server]\nlisten = 127.0.0.1:9443\nbogus line\n")
    p = run_gatehouse(["--data", gh.data, "serve", "--config", conf, "--check-config"], rc=1)
    assert f"{conf}:3" in p.stderr
    conf.write_text("[server]\nthreads = 0\n")
    p = run_gatehouse(["--data", gh.data, "serve", "--config", conf, "--check-config"], rc=1)
    assert f"{conf}:2" in p.stderr and "server.threads" in p.stderr
    conf.write_text("[database]\nurl = x\n")
    p = run_gatehouse(["--data", gh.data, "serve", "--config", conf, "--check-config"], rc=1)
    assert "unknown section [database]" in p.stderr


def test_plain_http_on_loopback(server_factory):
    s = server_factory(extra_args=["--plain-http"])
    assert s.url.startswith("http://127.0.0.1:")
    r = s.get("/healthz", token=False)
    assert r.status_code == 200 and "Strict-Transport-Security" not in r.headers


# ---- TLS -----------------------------------------------------------------------------


def test_tls_certificate_and_versions(server):
    assert server.url.startswith("https://127.0.0.1:")
    key = server.data / "tls" / "key.pem"
    assert key.stat().st_mode & 0o777 == 0o600
    r = server.get("/healthz", token=False)
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")
    host, port = server.url[len("https://"):].split(":")
    ctx = ssl.create_default_context(cafile=str(server.cert))
    with socket.create_connection((host, int(port))) as sock:
        with ctx.wrap_socket(sock, server_hostname="localhost") as tls:
            assert tls.version() in ("TLSv1.2", "TLSv1.3")
            cipher = tls.cipher()[0]
            assert "GCM" in cipher or "CHACHA20" in cipher, cipher
    # TLS 1.1 and older are refused
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    old.load_verify_locations(str(server.cert))
    old.set_ciphers("DEFAULT:@SECLEVEL=0")  # let this client offer the old versions
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old.minimum_version = ssl.TLSVersion.TLSv1
        old.maximum_version = ssl.TLSVersion.TLSv1_1
    with socket.create_connection((host, int(port))) as sock:
        with pytest.raises(ssl.SSLError):
            old.wrap_socket(sock, server_hostname="localhost")


# ---- tokens and permissions ----------------------------------------------------------


def test_token_create_prints_the_token_alone_and_stores_a_hash(gh):
    gh.init()
    p = gh("token", "create", "--name", "ci", "--scope", "events.read,doors.*")
    token = p.stdout.strip()
    assert p.stdout == token + "\n" and re.fullmatch(r"ghk_[A-Za-z0-9_-]{43}", token)
    assert token.encode() not in (gh.data / "gatehouse.db").read_bytes()
    listing = gh("token", "list").stdout
    assert "ci\tactive" in listing and "doors.read doors.write doors.control events.read" in listing
    assert token not in listing
    p = gh("token", "create", "--name", "ci", "--scope", "read", rc=1)
    assert "already exists" in p.stderr
    p = gh("token", "create", "--name", "x", "--scope", "doors.open", rc=1)
    assert "doors.open" in p.stderr and "events.read" in p.stderr
    gh("token", "create", "--name", "y", "--scope", "read", "--expires", "soon", rc=2)
    gh("token", "revoke", "ci")
    assert "ci\trevoked" in gh("token", "list").stdout
    gh("token", "revoke", "ci", rc=1)


def test_authentication_and_permissions(server):
    r = server.get("/api/v1/whoami", token=False)
    problem(r, 401, "unauthorized")
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    problem(server.get("/api/v1/whoami", token="ghk_" + "A" * 43), 401, "unauthorized")
    problem(server.get("/api/v1/whoami", headers={"Authorization": "Basic Zm9vOmJhcg=="},
                       token=False), 401, "unauthorized")
    reader = server.make_token("read")
    me = server.get("/api/v1/whoami", token=reader).json()
    assert me["kind"] == "token" and "doors.read" in me["permissions"]
    assert "doors.write" not in me["permissions"]
    body = problem(server.post("/api/v1/sites", token=reader, json={"name": "X"}), 403,
                   "forbidden")
    assert "sites.write" in body["detail"]
    # the reason stays in the log, not in the reply
    assert "unknown token" in server.log()


def test_revoked_and_expired_tokens_stop_working(server):
    t = server.make_token("read", name="short")
    assert server.get("/api/v1/whoami", token=t).status_code == 200
    server.gh("token", "revoke", "short")
    deadline = time.monotonic() + 5
    while server.get("/api/v1/whoami", token=t).status_code == 200:
        assert time.monotonic() < deadline, "a revoked token kept working"
        time.sleep(0.1)
    problem(server.get("/api/v1/whoami", token=t), 401, "unauthorized")
    e = server.make_token("read", name="brief", expires="1s")
    deadline = time.monotonic() + 5
    while server.get("/api/v1/whoami", token=e).status_code == 200:
        assert time.monotonic() < deadline, "an expired token kept working"
        time.sleep(0.1)
    assert "expired" in server.log()


# ---- the limits every request meets ---------------------------------------------------


def test_routing_errors(server):
    problem(server.get("/api/v1/nothing"), 404, "not-found")
    r = server.delete("/healthz")
    problem(r, 405, "method-not-allowed")
    assert r.headers["Allow"] == "GET, HEAD"
    # HEAD: the GET reply's status and headers without a body; not on a stream
    get = server.get("/api/v1/whoami")
    head = server.request("HEAD", "/api/v1/whoami")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
    assert head.headers.get("Content-Length") in (None, str(len(get.content)))
    assert server.request("HEAD", "/api/v1/doors", token=False).status_code == 401
    r = server.request("HEAD", "/api/v1/events/stream")
    assert r.status_code == 405 and r.headers["Allow"] == "GET"
    console = server.request("HEAD", "/", token=False)
    assert console.status_code == 200 and console.content == b""
    assert console.headers["Content-Type"].startswith("text/html")
    problem(server.get("/api/v1/doors/abc"), 404, "not-found")
    problem(server.get("/api/v1/doors/0"), 404, "not-found")
    problem(server.get("/api/v1/doors/99999999999999999999999"), 404, "not-found")
    q = "&".join(f"a{i}=1" for i in range(40))
    problem(server.get("/api/v1/whoami?" + q), 400, "bad-request")


def test_body_limits(server_factory):
    s = server_factory(extra_args=["--set", "limits.max_body=4k", "--set",
                                   "limits.max_json_depth=8"])
    url = "/api/v1/sites"
    problem(s.post(url, data="x" * 5000, headers={"Content-Type": "application/json"}), 413,
            "too-large")
    problem(s.post(url, data="{}", headers={"Content-Type": "text/plain"}), 415,
            "unsupported-media-type")
    body = problem(s.post(url, data='{"name": ', headers={"Content-Type": "application/json"}),
                   400, "bad-request")
    assert "line 1" in body["detail"]
    deep = '{"a":' * 9 + "1" + "}" * 9
    body = problem(s.post(url, data=deep, headers={"Content-Type": "application/json"}), 400,
                   "bad-request")
    assert "deeper than 8" in body["detail"]
    problem(s.post(url, data='{"name": "a", "name": "b"}',
                   headers={"Content-Type": "application/json"}), 400, "bad-request")
    problem(s.post(url, data='[1, 2]', headers={"Content-Type": "application/json"}), 400,
            "bad-request")
    problem(s.post(url, data=b'{"name": "\xff"}', headers={"Content-Type": "application/json"}),
            400, "bad-request")

    # a chunked body (no Content-Length) over the limit is refused while it is read
    def chunks():
        for _ in range(10):
            yield b"x" * 1000

    problem(s.post(url, data=chunks(), headers={"Content-Type": "application/json"}), 413,
            "too-large")
    # the server is still healthy and nothing was created
    assert s.get("/healthz", token=False).status_code == 200
    assert s.get("/readyz", token=False).status_code == 200


def test_huge_headers_and_idle_connections(server_factory):
    s = server_factory(extra_args=["--set", "limits.request_timeout=2"])
    r = s.get("/healthz", token=False, headers={"X-Big": "a" * 40000})
    assert r.status_code == 431
    # a client that connects and says nothing is dropped after the idle timeout
    host, port = s.url[len("https://"):].split(":")
    ctx = ssl.create_default_context(cafile=str(s.cert))
    with socket.create_connection((host, int(port))) as sock:
        with ctx.wrap_socket(sock, server_hostname="localhost") as tls:
            tls.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finished
            tls.settimeout(10)
            t0 = time.monotonic()
            assert tls.recv(100) == b""
            assert time.monotonic() - t0 < 9
    assert s.get("/healthz", token=False).status_code == 200


# ---- health, readiness, metrics, logs -------------------------------------------------


def test_health_readiness_and_metrics(server):
    assert server.get("/healthz", token=False).json() == {"status": "ok"}
    ready = server.get("/readyz", token=False).json()
    assert ready["status"] == "ready" and ready["store_writable"] is True
    assert ready["snapshot_version"] >= 1
    server.get("/api/v1/whoami")
    server.get("/api/v1/nothing")
    problem(server.get("/metrics", token=server.make_token("events.read")), 403, "forbidden")
    m = server.get("/metrics")
    assert m.status_code == 200 and m.headers["Content-Type"].startswith("text/plain")
    text = m.text
    assert 'gatehouse_http_requests_total{route="GET /api/v1/whoami",status="200"} 1' in text
    assert 'gatehouse_http_requests_total{route="unmatched",status="404"} 1' in text
    assert 'gatehouse_http_request_duration_seconds_count{route="GET /healthz"} 1' in text
    for name in ("gatehouse_events_ingested_total", "gatehouse_ingest_queue_depth",
                 "gatehouse_snapshot_version", "gatehouse_sse_clients"):
        assert re.search(rf"^{name} \d+$", text, re.M), name
    # every sample line is NAME{labels} VALUE or NAME VALUE
    for line in text.splitlines():
        if not line.startswith("#"):
            assert re.fullmatch(r'[a-z_]+(\{[^}]*\})? [0-9.e+-]+', line), line


def test_readiness_follows_the_policy(server):
    before = server.get("/readyz", token=False).json()["snapshot_version"]
    server.gh("site", "add", "HQ", "--tz", "Europe/Berlin")  # a change by another process
    deadline = time.monotonic() + 10
    while server.get("/readyz", token=False).json()["snapshot_version"] == before:
        assert time.monotonic() < deadline, "the snapshot did not follow the policy"
        time.sleep(0.1)


def test_one_log_line_per_request(server):
    r = server.get("/api/v1/whoami")
    rid = r.headers["X-Request-Id"]

    def logged():
        return [l for l in server.log().splitlines() if f"id={rid} " in l]

    wait_for(logged, "the request's log line")  # written once the reply has gone out
    [line] = logged()
    assert 'route="/api/v1/whoami"' in line and "status=200" in line
    assert "duration_ms=" in line and 'caller="token:test-admin"' in line
    assert server.token not in server.log()


# ---- shutdown ---------------------------------------------------------------------------


def wait_for(cond, what, timeout=15):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_sigterm_finishes_in_flight_requests(server):
    """A request whose body is still arriving when SIGTERM comes is answered, then the
    server exits 0."""
    host, port = server.url[len("https://"):].split(":")
    ctx = ssl.create_default_context(cafile=str(server.cert))
    sock = socket.create_connection((host, int(port)))
    tls = ctx.wrap_socket(sock, server_hostname="localhost")
    tls.settimeout(15)
    body = b'{"name": "Late", "timezone": "Europe/Berlin"}'
    tls.sendall(b"POST /api/v1/sites HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                server.token.encode() + b"\r\nContent-Type: application/json\r\n"
                b"Expect: 100-continue\r\nContent-Length: " + str(len(body)).encode() +
                b"\r\n\r\n")
    # "100 Continue" proves the server has begun the request (route, token, permission)
    assert tls.recv(100).startswith(b"HTTP/1.1 100")
    server.proc.send_signal(15)
    wait_for(lambda: "stopping" in server.log(), "the server to begin stopping")
    tls.sendall(body)
    reply = tls.recv(4096)
    tls.close()
    assert reply.startswith(b"HTTP/1.1 201"), reply
    assert server.proc.wait(timeout=30) == 0
    assert "server stopped" in server.log()
    server.proc.stdout.close()
    server.proc = None
    # the change it made is there
    assert "Late" in server.gh("site", "list").stdout
