"""A throwaway certificate authority for the TLS interop tests (`cryptography`).

    ca = TestCA.create(tmp_dir)                 # ca.pem (+ its key, in memory)
    cert = ca.issue(tmp_dir / "server")         # server.pem / server.key, signed by ca
    cert.cert_path, cert.key_path               # for --tls-cert / --tls-key
    ca.client_context()                         # ssl.SSLContext trusting only this CA
    cert.spki_sha256_b64                        # for Chromium's SPKI allow-list

Server certificates name 127.0.0.1 (IP SAN) and localhost (DNS SAN), carry
serverAuth, and are valid for a few days only. Keys are ECDSA P-256 (fast to
make); nothing here is ever written outside the given directory.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def spki_sha256_b64(cert: x509.Certificate) -> str:
    """base64(SHA-256(DER SubjectPublicKeyInfo)): the form Chromium's
    --ignore-certificate-errors-spki-list and HPKP pins use."""
    spki = cert.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


@dataclass
class ServerCert:
    cert_path: Path
    key_path: Path
    cert: x509.Certificate

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def spki_sha256_b64(self) -> str:
        return spki_sha256_b64(self.cert)

    @property
    def serial(self) -> int:
        return self.cert.serial_number


@dataclass
class TestCA:
    __test__ = False  # not a pytest test class

    cert_path: Path
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @classmethod
    def create(cls, directory: Path, name: str = "Switchboard interop test CA") -> "TestCA":
        directory.mkdir(parents=True, exist_ok=True)
        key = _new_key()
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = dt.datetime.now(dt.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject).issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=7))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256())
        )
        path = directory / "ca.pem"
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return cls(cert_path=path, cert=cert, key=key)

    def issue(self, stem: Path, common_name: str = "localhost") -> ServerCert:
        """A fresh key and server certificate; writes STEM.pem and STEM.key."""
        key = _new_key()
        now = dt.datetime.now(dt.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=3))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            ]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        stem.parent.mkdir(parents=True, exist_ok=True)
        cert_path = stem.with_suffix(".pem")
        key_path = stem.with_suffix(".key")
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(_key_pem(key))
        key_path.chmod(0o600)
        return ServerCert(cert_path=cert_path, key_path=key_path, cert=cert)

    def client_context(self) -> ssl.SSLContext:
        """Verifies the server against this CA only (hostname checked too)."""
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(self.cert_path))
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        return ctx
