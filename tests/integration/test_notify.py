"""Who is told, and when: an incident opened by an alarm notifies its department's liaison
by e-mail (a real SMTP server, aiosmtpd, started here) and by webhook (a local receiver that
checks the HMAC signature); unacknowledged, it escalates to the next level of the directory
on time; a webhook that fails is tried again; a mass notification reaches a department; the
directory prints as one HTML page. Every send is on the incident's timeline."""

import email
import hashlib
import hmac
import json
import socket
import threading
import time
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from edge_proc import wait_for


class Sink:
    """An SMTP server on 127.0.0.1 that keeps every message, with the time it came."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email_policy)
        self.messages.append((time.monotonic(), envelope.rcpt_tos, msg))
        return "250 OK"

    def to(self, address):
        return [(t, m) for t, rcpt, m in self.messages if address in rcpt]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    sink = Sink()
    sink.port = free_port()
    ctl = Controller(sink, hostname="127.0.0.1", port=sink.port)
    ctl.start()
    yield sink
    ctl.stop()


class Hooks:
    """A webhook receiver: keeps (time, path, headers, body); answers 500 to the first
    `fail` posts of a path."""

    def __init__(self):
        self.got = []
        self.fail = {}
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hooks.got.append((time.monotonic(), self.path, dict(self.headers), body))
                left = hooks.fail.get(self.path, 0)
                hooks.fail[self.path] = max(0, left - 1)
                self.send_response(500 if left else 204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def at(self, path):
        return [g for g in self.got if g[1] == path]


@pytest.fixture
def hooks():
    h = Hooks()
    yield h
    h.httpd.shutdown()


def verify(key, headers, body):
    """The receiver's check: HMAC-SHA256 over "timestamp.body" with the shared key."""
    ts = headers["X-Gatehouse-Timestamp"]
    want = hmac.new(key, f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    assert headers["X-Gatehouse-Signature"] == f"sha256={want}"
    assert abs(time.time() - int(ts)) < 60


@pytest.fixture
def notifying(server_factory, smtp, hooks):
    s = server_factory(extra_args=[
        "--set", "rules.tick_ms=100", "--set", f"notify.smtp_url=smtp://127.0.0.1:{smtp.port}",
        "--set", "notify.from=gatehouse@example.org", "--set", "notify.backoff_max=1",
        "--set", "notify.console_url=https://gatehouse.example.org"])
    sec = [d for d in s.get("/api/v1/directory").json()["items"] if d["department"] ==
           "Security"][0]
    for body in ({"level": 0, "name": "Lea Liaison", "role": "Security liaison",
                  "email": "lea@example.org", "webhook": hooks.url + "/security",
                  "phone": "+49 30 1234"},
                 {"level": 1, "name": "Otto Oncall", "email": "otto@example.org"},
                 {"level": 2, "name": "Cara Chief", "phone": "+49 30 9999"}):
        r = s.post("/api/v1/contacts", json={"department_id": "Security", **body})
        assert r.status_code == 201, r.text
    r = s.patch(f"/api/v1/directory/{sec['department_id']}", json={"escalate_after_s": 3})
    assert r.status_code == 200 and r.json()["escalate_after_s"] == 3, r.text
    s.key = (s.data / "keys" / "webhook.key").read_bytes()
    return s


def test_a_cloned_badge_notifies_the_liaison_then_escalates(notifying, smtp, hooks):
    s = notifying
    s.gh("sim", "--people", "200", "--day", "2026-11-23")
    x = wait_for(lambda: [i for i in s.get("/api/v1/incidents").json()["items"]
                          if i["type"] == "badge_cloning"], what="the incident")[0]
    assert x["department"] == "Security"
    # the liaison: e-mail and webhook, signed
    mails = wait_for(lambda: [m for _, m in smtp.to("lea@example.org")
                              if f"(incident {x['id']})" in m["Subject"]], what="the e-mail")
    m = mails[0]
    assert m["Subject"] == f"[gatehouse] major: Suspected cloned badge (incident {x['id']})"
    assert m["From"] == "gatehouse <gatehouse@example.org>"
    text = m.get_content()
    assert "walking between them takes at least 200 s" in text
    assert f"https://gatehouse.example.org/incidents/{x['id']}" in text
    posts = wait_for(lambda: [g for g in hooks.at("/security")
                              if json.loads(g[3])["incident"]["id"] == x["id"]],
                     what="the webhook")
    t_first, _, headers, body = posts[0]
    verify(s.key, headers, body)
    doc = json.loads(body)
    assert doc["template"] == "incident" and doc["incident"]["title"] == "Suspected cloned badge"
    with pytest.raises(AssertionError):  # a forged body does not verify
        verify(s.key, headers, body.replace(b"Suspected", b"Harmless"))
    # nobody acknowledges: level 1 after 3 s, then level 2 (a phone only: said, not sent)
    otto = wait_for(lambda: [(t, m) for t, m in smtp.to("otto@example.org")
                             if f"(incident {x['id']})" in m["Subject"]],
                    timeout=15, what="the escalation e-mail")
    t_mail = [t for t, _, m in smtp.messages if f"(incident {x['id']})" in m["Subject"]][0]
    assert 2.5 <= otto[0][0] - t_mail <= 6.0, otto[0][0] - t_mail
    assert otto[0][1]["Subject"].startswith("[gatehouse] ESCALATED: Suspected cloned badge")
    assert "level 1 of Security's escalation" in otto[0][1].get_content()
    got = wait_for(lambda: s.get(f"/api/v1/incidents/{x['id']}").json()["escalation_level"] == 2
                   and s.get(f"/api/v1/incidents/{x['id']}").json(), timeout=15,
                   what="level 2")
    texts = [e["text"] for e in got["timeline"] if e["kind"] in ("notify", "escalate")]
    assert texts[0] == "Lea Liaison"
    assert "e-mail sent to lea@example.org (incident)" in texts
    assert f"webhook sent to {hooks.url}/security (incident)" in texts
    assert "not acknowledged: escalated to level 1" in texts
    assert "Cara Chief (no e-mail or webhook: call +49 30 9999)" in texts
    # acknowledged: the escalation stops
    r = s.post(f"/api/v1/incidents/{x['id']}/status", json={"status": "acknowledged"})
    assert r.status_code == 200 and r.json()["escalates"] is None
    sent = s.get("/api/v1/notifications", params={"incident_id": x["id"]}).json()["items"]
    assert {(n["channel"], n["target"], n["status"]) for n in sent} == {
        ("email", "lea@example.org", "sent"), ("webhook", hooks.url + "/security", "sent"),
        ("email", "otto@example.org", "sent")}


def test_a_failing_webhook_is_tried_again(notifying, hooks):
    s = notifying
    hooks.fail["/security"] = 2
    r = s.post("/api/v1/incidents", json={"type": "badge_cloning", "note": "reported by phone"})
    assert r.status_code == 201, r.text
    x = r.json()
    wait_for(lambda: len(hooks.at("/security")) == 3, timeout=20, what="three attempts")
    times = [g[0] for g in hooks.at("/security")]
    assert times[1] - times[0] >= 0.9 and times[2] - times[1] >= 0.9  # backed off
    for _, _, headers, body in hooks.at("/security"):
        verify(s.key, headers, body)
    n = wait_for(lambda: [n for n in s.get("/api/v1/notifications",
                                           params={"incident_id": x["id"]}).json()["items"]
                          if n["channel"] == "webhook" and n["status"] == "sent"],
                 what="the webhook sent")[0]
    assert n["attempts"] == 3
    texts = [e["text"] for e in s.get(f"/api/v1/incidents/{x['id']}").json()["timeline"]]
    assert f"webhook to {hooks.url}/security failed (HTTP 500); trying again" in texts
    assert f"webhook sent to {hooks.url}/security (incident)" in texts


def test_a_mass_notification_reaches_a_department(notifying, smtp):
    s = notifying
    bad = [({"template": "nope"}, "template"), ({"template": "lockdown", "departments": []},
                                                 "departments"),
           ({"template": "lockdown", "departments": ["Nowhere"]}, "departments"),
           ({"template": "lockdown", "variables": {"site": 3}}, "variables")]
    for body, field in bad:
        r = s.post("/api/v1/notifications", json=body)
        assert r.status_code == 422, r.text
        assert field in {e["field"] for e in r.json()["errors"]}, r.json()
    assert s.get("/api/v1/notifications", params={"incident_id": 0}).json()["items"] == []
    r = s.post("/api/v1/notifications", json={
        "template": "lockdown", "departments": ["Security"],
        "variables": {"site": "Campus", "message": "Police on site; stay inside."}})
    assert r.status_code == 202 and r.json() == {"queued": 3}, r.text  # 2 e-mails, 1 webhook
    got = wait_for(lambda: [m for _, _, m in smtp.messages if "LOCKDOWN" in m["Subject"]],
                   what="the lockdown e-mails")
    wait_for(lambda: len([m for _, _, m in smtp.messages if "LOCKDOWN" in m["Subject"]]) == 2,
             what="both")
    assert got[0]["Subject"] == "[gatehouse] LOCKDOWN at Campus"
    assert "Police on site; stay inside." in got[0].get_content()


def test_the_directory_and_its_printable_page(notifying):
    s = notifying
    for body, field in [({"department_id": "Security", "level": 0, "name": "No Way"}, "email"),
                        ({"department_id": "Security", "level": 0, "name": "X",
                          "email": "not-an-address"}, "email"),
                        ({"department_id": "Security", "level": 0, "name": "X",
                          "webhook": "ftp://x"}, "webhook"),
                        ({"department_id": "Security", "level": 0, "name": "X",
                          "phone": "call me"}, "phone"),
                        ({"department_id": "Security", "level": 12, "name": "X",
                          "phone": "123"}, "level"),
                        ({"department_id": "Nowhere", "level": 0, "name": "X", "phone": "123"},
                         "department_id")]:
        r = s.post("/api/v1/contacts", json=body)
        assert r.status_code == 422 and field in {e["field"] for e in r.json()["errors"]}, r.text
    r = s.post("/api/v1/contacts", json={"department_id": "IT", "level": 0,
                                         "name": "Ivo <IT> & Co", "phone": "+1 555 0100"})
    assert r.status_code == 201, r.text
    c = r.json()
    page = s.get("/api/v1/directory/print")
    assert page.headers["Content-Type"].startswith("text/html")
    html = page.text
    assert "Ivo &lt;IT&gt; &amp; Co" in html and "<IT>" not in html
    assert "Lea Liaison" in html and "+49 30 1234" in html
    assert html.index("<h2>IT") < html.index("<h2>Security")
    assert "Human Resources" not in html  # no contacts: left out
    r = s.patch(f"/api/v1/contacts/{c['id']}", json={"level": 1})
    assert r.status_code == 200 and r.json()["level"] == 1
    assert s.delete(f"/api/v1/contacts/{c['id']}").status_code == 204
    assert s.delete(f"/api/v1/contacts/{c['id']}").status_code == 404
    # templates
    r = s.put("/api/v1/templates/evacuation", json={"subject": "EVACUATE {{site}} now",
                                                    "body": "Go."})
    assert r.status_code == 200, r.text
    r = s.put("/api/v1/templates/evacuation", json={"subject": "two\nlines", "body": "Go."})
    assert r.status_code == 422
    names = [t["name"] for t in s.get("/api/v1/templates").json()["items"]]
    assert names == ["all_clear", "escalation", "evacuation", "incident", "lockdown"]
