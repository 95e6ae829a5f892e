"""A small certificate authority for the box link: the broker's server certificate and one client
certificate per box or cloud process (CN = its MQTT identity).

The broker trusts only certificates this CA signed and takes the CN as the MQTT username, so the
CN is what the ACL checks. Every ``ensure_*`` call is idempotent: a file that exists, parses, is
signed by the current CA, covers the requested names and does not expire within
``RENEW_BEFORE`` is reused; anything else is (re)issued. Keys are ECDSA P-256, written 0600 and
replaced atomically (write to a temporary file, then rename).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from clinicbox_core.errors import ValidationFailed

CA_VALIDITY = dt.timedelta(days=3650)
DEVICE_VALIDITY = dt.timedelta(days=90)
CRL_VALIDITY = dt.timedelta(days=30)
LEAF_VALIDITY = dt.timedelta(days=825)
RENEW_BEFORE = dt.timedelta(days=30)
# Certificates are valid from two days before issue: a box whose wall clock steps back (dead RTC
# battery, NTP correction; the clock fault test steps it back an hour) must still accept a
# certificate issued moments ago, and the broker must still accept the box's.
BACKDATE = dt.timedelta(days=2)
_IDENTITY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True, slots=True)
class CertPair:
    """Where one certificate and its private key live (PEM)."""

    cert: Path
    key: Path


class Pki:
    """Issues and reuses the CA, the broker certificate and client certificates in ``directory``.

    Layout: ``ca.crt``/``ca.key``, ``server.crt``/``server.key``, ``clients/<cn>.crt``/``.key``.
    """

    def __init__(self, directory: Path, *, ca_name: str = "clinicbox link CA") -> None:
        self.directory = directory
        self.ca_name = ca_name

    @property
    def ca(self) -> CertPair:
        return CertPair(self.directory / "ca.crt", self.directory / "ca.key")

    @property
    def server(self) -> CertPair:
        return CertPair(self.directory / "server.crt", self.directory / "server.key")

    def client(self, identity: str) -> CertPair:
        _check_identity(identity)
        base = self.directory / "clients"
        return CertPair(base / f"{identity}.crt", base / f"{identity}.key")

    # ---- issuing ------------------------------------------------------------------------------

    def ensure_ca(self) -> CertPair:
        pair = self.ca
        existing = _load(pair)
        if existing is not None and _fresh(existing[0]) and _is_ca(existing[0]):
            return pair
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, self.ca_name)])
        now = _now()
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(now + CA_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        _write(pair, cert, key)
        return pair

    def ensure_server(self, hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> CertPair:
        """The broker's certificate, valid for every name in ``hosts`` (IPs and DNS names)."""
        ca_cert, ca_key = self._ca_material()
        pair = self.server
        existing = _load(pair)
        if (
            existing is not None
            and _valid_leaf(existing[0], ca_cert)
            and _covers(existing[0], hosts)
        ):
            return pair
        sans: list[x509.GeneralName] = []
        for host in hosts:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                sans.append(x509.DNSName(host))
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _leaf(hosts[0], key, ca_cert, ca_key, ExtendedKeyUsageOID.SERVER_AUTH, sans)
        _write(pair, cert, key)
        return pair

    def ensure_client(self, identity: str) -> CertPair:
        """A client certificate whose CN is ``identity`` (a box id or a cloud process id)."""
        ca_cert, ca_key = self._ca_material()
        pair = self.client(identity)
        existing = _load(pair)
        if (
            existing is not None
            and _valid_leaf(existing[0], ca_cert)
            and _cn(existing[0]) == identity
        ):
            return pair
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _leaf(identity, key, ca_cert, ca_key, ExtendedKeyUsageOID.CLIENT_AUTH, [])
        _write(pair, cert, key)
        return pair

    def sign_csr(
        self, csr_pem: bytes, identity: str, validity: dt.timedelta = DEVICE_VALIDITY
    ) -> x509.Certificate:
        """A client certificate for ``identity`` over the public key of ``csr_pem``.

        The CSR must be self-signed correctly and carry an EC P-256 key; its subject is ignored
        (the CN is always ``identity``, the name the cloud assigned). Nothing is written.
        """
        _check_identity(identity)
        try:
            csr = x509.load_pem_x509_csr(csr_pem)
        except ValueError as exc:
            raise ValidationFailed("error.pki.bad_csr", field="csr", reason="unreadable") from exc
        if not csr.is_signature_valid:
            raise ValidationFailed("error.pki.bad_csr", field="csr", reason="signature")
        key = csr.public_key()
        if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
            raise ValidationFailed("error.pki.bad_csr", field="csr", reason="key_type")
        ca_cert, ca_key = self._ca_material()
        return _leaf_for(
            identity, key, ca_cert, ca_key, ExtendedKeyUsageOID.CLIENT_AUTH, [], validity
        )

    def write_crl(
        self,
        revoked: Iterable[tuple[int, dt.datetime]],
        path: Path,
        *,
        now: dt.datetime | None = None,
    ) -> Path:
        """Write a CRL (PEM) listing every ``(serial, revoked_at)``, signed by this CA."""
        ca_cert, ca_key = self._ca_material()
        at = now or _now()
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(ca_cert.subject)
            .last_update(at - dt.timedelta(minutes=5))
            .next_update(at + CRL_VALIDITY)
        )
        for serial, when in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
            )
        crl = builder.sign(ca_key, hashes.SHA256())
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(path, crl.public_bytes(serialization.Encoding.PEM), 0o644)
        return path

    def _ca_material(self) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        self.ensure_ca()
        loaded = _load(self.ca)
        if loaded is None:  # pragma: no cover - ensure_ca just wrote it
            raise ValidationFailed("error.pki.ca_unreadable", path=str(self.ca.cert))
        return loaded


def _check_identity(identity: str) -> None:
    if not _IDENTITY.match(identity):
        raise ValidationFailed("error.pki.bad_identity", field="identity", value=identity)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _leaf(
    cn: str,
    key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    usage: x509.ObjectIdentifier,
    sans: list[x509.GeneralName],
) -> x509.Certificate:
    return _leaf_for(cn, key.public_key(), ca_cert, ca_key, usage, sans, LEAF_VALIDITY)


def _leaf_for(
    cn: str,
    public_key: ec.EllipticCurvePublicKey,
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    usage: x509.ObjectIdentifier,
    sans: list[x509.GeneralName],
    validity: dt.timedelta,
) -> x509.Certificate:
    now = _now()
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(min(now + validity, ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(ca_key, hashes.SHA256())


def _load(pair: CertPair) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
    try:
        cert = x509.load_pem_x509_certificate(pair.cert.read_bytes())
        key = serialization.load_pem_private_key(pair.key.read_bytes(), password=None)
    except (OSError, ValueError):
        return None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        return None
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if cert.public_key().public_bytes(*spki) != key.public_key().public_bytes(*spki):
        return None
    return cert, key


def _fresh(cert: x509.Certificate) -> bool:
    now = _now()
    return cert.not_valid_before_utc <= now and cert.not_valid_after_utc - RENEW_BEFORE > now


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _valid_leaf(cert: x509.Certificate, ca_cert: x509.Certificate) -> bool:
    if not _fresh(cert):
        return False
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _cn(cert: x509.Certificate) -> str:
    attrs = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(attrs[0].value) if attrs else ""


def _covers(cert: x509.Certificate, hosts: tuple[str, ...]) -> bool:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    names = {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    names.update(san.get_values_for_type(x509.DNSName))
    return all(host in names for host in hosts)


def write_pem(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write PEM ``data`` atomically (temporary file, fsync, rename) with ``mode``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, data, mode)


def _write(pair: CertPair, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
    pair.cert.parent.mkdir(parents=True, exist_ok=True)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _atomic_write(pair.key, key_pem, 0o600)
    _atomic_write(pair.cert, cert.public_bytes(serialization.Encoding.PEM), 0o644)


def _atomic_write(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, mode)
    os.replace(tmp, path)
