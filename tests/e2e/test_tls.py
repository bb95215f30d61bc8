"""In transit: `scomm serve --certfile --keyfile` serves HTTPS (with HSTS); plain HTTP on
anything but loopback is refused unless --insecure-http."""
from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
import subprocess
import sys
import time

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from scomm.bench.chaos import _free_port


def _self_signed(folder) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    certfile, keyfile = folder / "cert.pem", folder / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return str(certfile), str(keyfile)


def _scomm(*args: str, url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "scomm.cli", *args],
                            env={**os.environ, "SCOMM_DATABASE_URL": url},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_https_with_hsts_and_no_plain_http_off_loopback(tmp_path):
    url = f"sqlite:///{tmp_path / 'tls.db'}"
    refused = _scomm("serve", "--host", "0.0.0.0", "--workers", "0", url=url)
    assert refused.wait(timeout=120) == 2 and b"refusing to serve plain HTTP" in refused.stderr.read()
    certfile, keyfile = _self_signed(tmp_path)
    trust = ssl.create_default_context(cafile=certfile)
    port = _free_port()
    proc = _scomm("serve", "--port", str(port), "--workers", "0", "--certfile", certfile, "--keyfile", keyfile,
                  url=url)
    try:
        deadline, r = time.monotonic() + 90, None
        while time.monotonic() < deadline and r is None:
            assert proc.poll() is None, proc.stderr.read().decode()
            try:
                r = httpx.get(f"https://127.0.0.1:{port}/health", verify=trust, timeout=2)
            except httpx.HTTPError:
                time.sleep(0.3)
        assert r is not None and r.status_code == 200
        assert r.headers["strict-transport-security"].startswith("max-age=")
        assert httpx.get(f"https://127.0.0.1:{port}/transactions", verify=trust).status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=60)
