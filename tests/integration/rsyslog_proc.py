"""A real rsyslogd as the SIEM's receiver, for the forwarding tests: started by the test with
its own configuration in a temp dir, listening on 127.0.0.1 (plain TCP, or TLS with a CA and
a certificate made here), writing each message as "MSGID MSG" lines to a file. It can be
stopped and started again on the same port."""

import datetime
import json
import socket
import subprocess
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_ca_and_cert(d: Path, names=("localhost",), ips=("127.0.0.1",)):
    """A CA (ca.pem) and a server certificate it signed (cert.pem, key.pem) in d."""
    import ipaddress
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test SIEM CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(hours=1))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    san = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address(i))
                                              for i in ips]
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(san), critical=False)
            .sign(ca_key, hashes.SHA256()))
    (d / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (d / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (d / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                  serialization.PrivateFormat.TraditionalOpenSSL,
                                                  serialization.NoEncryption()))
    (d / "key.pem").chmod(0o600)


class Rsyslog:
    """rsyslogd -n with its config, work dir and output in d."""

    def __init__(self, d: Path, tls: bool, port=None):
        self.dir = Path(d)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.tls = tls
        self.port = port or free_port()
        self.out = self.dir / "out.log"
        self.proc = None
        self.runs = 0
        if tls:
            make_ca_and_cert(self.dir)
        self._write_config()

    @property
    def target(self):
        return f"{'tls' if self.tls else 'tcp'}://127.0.0.1:{self.port}"

    def _write_config(self):
        d = self.dir
        lines = [f'global(workDirectory="{d}" maxMessageSize="128k"']
        if self.tls:
            lines[0] += (f' defaultNetstreamDriverCAFile="{d}/ca.pem"'
                         f' defaultNetstreamDriverCertFile="{d}/cert.pem"'
                         f' defaultNetstreamDriverKeyFile="{d}/key.pem"')
        lines[0] += ")"
        if self.tls:
            lines.append('module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1"'
                         ' streamDriver.authMode="anon")')
        else:
            lines.append('module(load="imtcp")')
        lines += [f'input(type="imtcp" port="{self.port}" address="127.0.0.1")',
                  'template(name="raw" type="string" string="%msgid% %msg%\\n")',
                  f'action(type="omfile" file="{self.out}" template="raw")']
        (d / "rsyslog.conf").write_text("\n".join(lines) + "\n")

    def start(self, timeout=20):
        self.runs += 1
        log = open(self.dir / f"rsyslogd-{self.runs}.log", "w")
        self.proc = subprocess.Popen(["rsyslogd", "-n", "-f", str(self.dir / "rsyslog.conf"),
                                      "-i", str(self.dir / "rsyslogd.pid")],
                                     stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:  # ready when it accepts connections
            assert self.proc.poll() is None, (self.dir / f"rsyslogd-{self.runs}.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                assert time.monotonic() < deadline, "rsyslogd did not start listening"
                time.sleep(0.05)

    def stop(self):
        """SIGTERM, as an operator stopping the service would."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        self.proc = None

    def messages(self):
        """[(msgid, body)] in the order written."""
        if not self.out.exists():
            return []
        got = []
        for line in self.out.read_text(errors="replace").splitlines():
            msgid, _, body = line.partition(" ")
            got.append((msgid, body))
        return got

    def json_messages(self):
        return [(m, json.loads(b)) for m, b in self.messages()]
