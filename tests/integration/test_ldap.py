"""Sign-in against a real LDAP directory: slapd started by the test on 127.0.0.1 with its
own config, data and certificate, reached with StartTLS (the certificate is checked). A
service account finds the user, a bind as the user checks the password, group membership
maps to roles; the local record is made at first sign-in and follows the directory's
groups; filter metacharacters in names are escaped; a wrong password, an unknown name and
an unreachable directory are refused cleanly."""

import os
import shutil
import socket
import sqlite3
import subprocess
import time

import pytest
import requests

BASE = "dc=example,dc=org"
HANA = f"""dn: uid=hana,ou=people,{BASE}
objectClass: inetOrgPerson
uid: hana
cn: Hana Ito
sn: Ito
displayName: Hana Ito
mail: hana@example.org
userPassword: hana directory pass
"""
LDIF = f"""dn: {BASE}
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ou=people,{BASE}
objectClass: organizationalUnit
ou: people

dn: ou=groups,{BASE}
objectClass: organizationalUnit
ou: groups

dn: ou=services,{BASE}
objectClass: organizationalUnit
ou: services

dn: cn=gatehouse,ou=services,{BASE}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: gatehouse
userPassword: service-account-pass

{HANA}
dn: uid=sam,ou=people,{BASE}
objectClass: inetOrgPerson
uid: sam
cn: Sam Lee
sn: Lee
userPassword: sam directory pass

dn: cn=hr,ou=groups,{BASE}
objectClass: groupOfNames
cn: hr
member: uid=hana,ou=people,{BASE}
member: uid=sam,ou=people,{BASE}

dn: cn=facilities,ou=groups,{BASE}
objectClass: groupOfNames
cn: facilities
member: uid=sam,ou=people,{BASE}

dn: cn=unmapped,ou=groups,{BASE}
objectClass: groupOfNames
cn: unmapped
member: uid=hana,ou=people,{BASE}
"""


def self_signed(cert, key, subject="/CN=localhost", san=None):
    args = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", key, "-out", cert, "-subj", subject, "-days", "2"]
    if san:
        args += ["-addext", f"subjectAltName={san}"]
    subprocess.run(args, check=True, capture_output=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture(scope="module")
def slapd(tmp_path_factory):
    if not shutil.which("slapd", path="/usr/sbin:" + os.environ.get("PATH", "")):
        pytest.fail("slapd is not installed (scripts/deps.sh installs it)")
    d = tmp_path_factory.mktemp("slapd")
    self_signed(d / "cert.pem", d / "key.pem", san="IP:127.0.0.1,DNS:localhost")
    (d / "db").mkdir()
    (d / "slapd.conf").write_text(f"""include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {d}/slapd.pid
TLSCertificateFile {d}/cert.pem
TLSCertificateKeyFile {d}/key.pem
database mdb
maxsize 10485760
suffix "{BASE}"
rootdn "cn=admin,{BASE}"
rootpw admin-pass
directory {d}/db
access to attrs=userPassword by anonymous auth by self write by * none
access to * by * read
""")
    port = free_port()
    url = f"ldap://127.0.0.1:{port}"
    log = open(d / "slapd.log", "w")
    proc = subprocess.Popen(["/usr/sbin/slapd", "-f", d / "slapd.conf", "-h", url + "/", "-d", "0"],
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while subprocess.run(["ldapsearch", "-x", "-H", url, "-b", "", "-s", "base"],
                         capture_output=True).returncode != 0:
        assert proc.poll() is None, (d / "slapd.log").read_text()
        assert time.monotonic() < deadline, "slapd did not start"
        time.sleep(0.1)
    subprocess.run(["ldapadd", "-x", "-H", url, "-D", f"cn=admin,{BASE}", "-w", "admin-pass"],
                   input=LDIF, text=True, check=True, capture_output=True)
    yield {"url": url, "dir": d, "port": port}
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


def ldapmodify(slapd, text):
    subprocess.run(["ldapmodify", "-x", "-H", slapd["url"], "-D", f"cn=admin,{BASE}", "-w",
                    "admin-pass"], input=text, text=True, check=True, capture_output=True)


def config(tmp_path, slapd, url=None, ca=None):
    pw = tmp_path / "ldap.pw"
    pw.write_text("service-account-pass\n")
    pw.chmod(0o600)
    cfg = tmp_path / "gatehouse.ini"
    cfg.write_text(f"""[ldap]
url = {url or slapd['url']}
starttls = true
ca_file = {ca or slapd['dir'] / 'cert.pem'}
bind_dn = cn=gatehouse,ou=services,{BASE}
bind_password_file = {pw}
user_base = ou=people,{BASE}
user_filter = (uid=%s)
group_base = ou=groups,{BASE}
timeout = 3
role.hr = cn=hr,ou=groups,{BASE}
role.facilities = cn=facilities,ou=groups,{BASE}
role.security_viewer = cn=soc,ou=groups,{BASE}
""")
    return ["--config", str(cfg)]


def login(server, name, password):
    c = requests.Session()
    c.trust_env = False
    c.verify = str(server.cert)
    return c.post(server.url + "/api/v1/auth/login", json={"name": name, "password": password},
                  timeout=60)


def test_directory_sign_in_and_group_mapping(server_factory, tmp_path, slapd):
    server = server_factory(config(tmp_path, slapd))
    r = login(server, "hana", "hana directory pass")
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["roles"] == ["hr"] and s["user"]["display_name"] == "Hana Ito"
    assert s["user"]["email"] == "hana@example.org" and "people.write" in s["permissions"]
    users = server.gh("user", "list").stdout
    assert "hana\tHana Ito\thana@example.org\tldap\tenabled\tno\tnone\thr" in users
    # wrong password, unknown name, empty password, filter metacharacters: the same refusal
    for name, pw in [("hana", "wrong"), ("nobody", "x"), ("hana", ""), ("*", "hana directory pass"),
                     ("hana)(uid=*", "hana directory pass"), ("h*", "hana directory pass")]:
        r = login(server, name, pw)
        assert r.status_code == 401, (name, r.text)
        assert r.json()["detail"] == "the name or the password is not right"
    with sqlite3.connect(server.data / "gatehouse.db") as db:  # six failures from here
        db.execute("DELETE FROM login_throttle")
    # the directory moves hana from hr to facilities: the next sign-in follows it
    ldapmodify(slapd, f"""dn: cn=hr,ou=groups,{BASE}
changetype: modify
delete: member
member: uid=hana,ou=people,{BASE}

dn: cn=facilities,ou=groups,{BASE}
changetype: modify
add: member
member: uid=hana,ou=people,{BASE}
""")
    r = login(server, "hana", "hana directory pass")
    assert r.status_code == 200 and r.json()["roles"] == ["facilities"]
    # a local account of the same name is never checked against the directory
    server.gh("user", "add", "sam", "--roles", "auditor")
    assert login(server, "sam", "sam directory pass").status_code == 401
    # an administrator disables hana locally: the directory's yes is not enough
    server.gh("user", "set", "hana", "--disable")
    assert login(server, "hana", "hana directory pass").status_code == 401
    assert "hana directory pass" not in server.log()


def test_directory_trouble_is_a_503_not_a_yes(server_factory, tmp_path, slapd):
    # a certificate the server does not trust: StartTLS fails, nothing is sent in clear
    other = tmp_path / "other.pem"
    self_signed(other, tmp_path / "k.pem", subject="/CN=other")
    server = server_factory(config(tmp_path, slapd, ca=other))
    r = login(server, "hana", "hana directory pass")
    assert r.status_code == 503 and r.json()["type"].endswith("/directory-unavailable")
    assert "StartTLS" in server.log()
    server.assert_clean_stop()
    # nobody listening
    server = server_factory(config(tmp_path, slapd, url=f"ldap://127.0.0.1:{free_port()}"))
    r = login(server, "hana", "hana directory pass")
    assert r.status_code == 503


def test_ldap_config_is_checked(gh, tmp_path, slapd):
    gh.init()
    pw = tmp_path / "ldap.pw"
    pw.write_text("x\n")
    pw.chmod(0o644)
    cfg = tmp_path / "bad.ini"
    cfg.write_text(f"[ldap]\nurl = ldap://127.0.0.1:1\nbind_password_file = {pw}\n")
    p = gh("serve", "--config", cfg, "--check-config", rc=1)
    assert "readable by others" in p.stderr and "bad.ini:3" in p.stderr
    pw.chmod(0o600)
    p = gh("serve", "--config", cfg, "--check-config", rc=1)
    assert "ldap:// needs starttls = true" in p.stderr
    cfg.write_text("[ldap]\nrole.king = cn=x\n")
    p = gh("serve", "--config", cfg, "--check-config", rc=1)
    assert "role.king" in p.stderr


def test_sync_creates_updates_and_disables(gh, tmp_path, slapd):
    gh.init()
    args = config(tmp_path, slapd)
    gh("user", "add", "sam", "--roles", "auditor")  # a local account: never touched
    p = gh("user", "sync-ldap", *args, "--dry-run")
    assert "dry run (nothing changed)" in p.stdout
    assert "hana" not in gh("user", "list").stdout
    p = gh("user", "sync-ldap", *args)
    assert "created hana" in p.stdout and "skipped sam: a local account" in p.stdout
    users = {l.split("\t")[1]: l.split("\t") for l in gh("user", "list").stdout.splitlines()[1:]}
    assert users["hana"][4] == "ldap" and users["hana"][5] == "enabled"
    assert users["sam"][4] == "local" and users["sam"][-1] == "auditor"
    # run again: nothing to do
    assert "0 created, 0 updated, 0 disabled" in gh("user", "sync-ldap", *args).stdout
    # hana leaves the directory: the next sync disables her
    subprocess.run(["ldapdelete", "-x", "-H", slapd["url"], "-D", f"cn=admin,{BASE}", "-w",
                    "admin-pass", f"uid=hana,ou=people,{BASE}"], check=True, capture_output=True)
    try:
        p = gh("user", "sync-ldap", *args)
        assert "disabled hana (no longer in the directory)" in p.stdout
        users = {l.split("\t")[1]: l.split("\t") for l in gh("user", "list").stdout.splitlines()[1:]}
        assert users["hana"][5] == "disabled"
    finally:
        subprocess.run(["ldapadd", "-x", "-H", slapd["url"], "-D", f"cn=admin,{BASE}", "-w",
                        "admin-pass"], input=HANA, text=True, check=True, capture_output=True)
    # the directory cannot be read: a clear error, nothing changes
    bad = config(tmp_path, slapd, url=f"ldap://127.0.0.1:{free_port()}")
    before = gh("user", "list").stdout
    p = gh("user", "sync-ldap", *bad, rc=1)
    assert "ldap" in p.stderr.lower()
    assert gh("user", "list").stdout == before


def test_directory_user_with_an_mfa_role_enrolls_with_the_directory_password(
        server_factory, tmp_path, slapd):
    import subprocess
    import urllib.parse
    ldapmodify(slapd, f"""dn: cn=soc,ou=groups,{BASE}
changetype: add
objectClass: groupOfNames
cn: soc
member: uid=sam,ou=people,{BASE}
""")
    from conftest import browser
    server = server_factory(config(tmp_path, slapd))
    c = browser(server)
    r = c.post(server.url + "/api/v1/auth/login",
               json={"name": "sam", "password": "sam directory pass"}, timeout=60)
    assert r.status_code == 200, r.text
    s = r.json()
    assert "security_viewer" in s["roles"] and s["mfa_enrollment_required"] is True
    assert s["permissions"] == []
    c.headers["X-CSRF-Token"] = s["csrf_token"]
    # re-authentication asks the directory: a wrong password is refused, the right one works
    r = c.post(server.url + "/api/v1/auth/mfa/enroll", json={"password": "wrong"}, timeout=60)
    assert r.status_code == 401
    r = c.post(server.url + "/api/v1/auth/mfa/enroll", json={"password": "sam directory pass"},
               timeout=60)
    assert r.status_code == 200, r.text
    secret = urllib.parse.parse_qs(urllib.parse.urlparse(r.json()["otpauth_uri"]).query)
    code = subprocess.run(["oathtool", "--totp", "-b", secret["secret"][0]], check=True,
                          capture_output=True, text=True).stdout.strip()
    r = c.post(server.url + "/api/v1/auth/mfa/confirm", json={"code": code}, timeout=60)
    assert r.status_code == 200, r.text
    assert "events.read" in r.json()["session"]["permissions"]
    # the directory keeps the password: changing it here is refused
    c.headers["X-CSRF-Token"] = r.json()["session"]["csrf_token"]
    r = c.post(server.url + "/api/v1/auth/password",
               json={"current_password": "sam directory pass",
                     "new_password": "a much longer local password here"}, timeout=60)
    assert r.status_code == 422 and "ldap users sign in through ldap" in r.json()["detail"]
