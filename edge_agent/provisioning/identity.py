"""The box's own identity on disk: its private key (made here, 0600, never sent anywhere), its
device certificate, the clinic it was assigned to, and the one-time claim code its status page
shows. Rotation keeps the next key beside the current one until its certificate arrives.

Layout under ``<data_dir>/identity/``: ``device.key``, ``device.crt``, ``identity.json``
(tenant, claim code) and, during a rotation, ``next.key``. Files are replaced atomically.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from clinicbox.runtime.pki import write_pem
from clinicbox_core.errors import ValidationFailed

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def _spki(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


class DeviceIdentity:
    """Blocking file I/O: call from a thread."""

    def __init__(self, data_dir: Path, serial: str) -> None:
        self.dir = data_dir / "identity"
        self.serial = serial

    @property
    def key_file(self) -> Path:
        return self.dir / "device.key"

    @property
    def cert_file(self) -> Path:
        return self.dir / "device.crt"

    @property
    def next_key_file(self) -> Path:
        return self.dir / "next.key"

    @property
    def state_file(self) -> Path:
        return self.dir / "identity.json"

    # ---- state -------------------------------------------------------------------------------

    def _state(self) -> dict[str, str]:
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _save(self, **changes: str) -> None:
        state = {**self._state(), **changes}
        write_pem(self.state_file, json.dumps(state, indent=2).encode("utf-8"), 0o600)

    def claim_code(self) -> str:
        """The one-time code, made once and kept (the clinic types it into the cloud)."""
        code = self._state().get("claim_code")
        if code is None:
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            self._save(claim_code=code)
        return code

    @property
    def tenant(self) -> str | None:
        return self._state().get("tenant")

    @property
    def provisioned(self) -> bool:
        return self.tenant is not None and self.certificate() is not None

    # ---- keys and certificates ---------------------------------------------------------------

    def ensure_key(self) -> ec.EllipticCurvePrivateKey:
        return self._ensure(self.key_file)

    def _ensure(self, path: Path) -> ec.EllipticCurvePrivateKey:
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if isinstance(key, ec.EllipticCurvePrivateKey):
                return key
        except (OSError, ValueError):
            pass
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        write_pem(path, pem, 0o600)
        return key

    def csr_pem(self, *, next_key: bool = False) -> str:
        key = self._ensure(self.next_key_file if next_key else self.key_file)
        csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, self.serial)]))
            .sign(key, hashes.SHA256())
        )
        return csr.public_bytes(serialization.Encoding.PEM).decode("ascii")

    def certificate(self) -> x509.Certificate | None:
        try:
            return x509.load_pem_x509_certificate(self.cert_file.read_bytes())
        except (OSError, ValueError):
            return None

    def not_after(self) -> dt.datetime | None:
        cert = self.certificate()
        return cert.not_valid_after_utc if cert is not None else None

    def install(self, cert_pem: str, tenant: str | None = None) -> None:
        """Store a certificate for the current key, or for the rotation key (which then
        becomes the current one). Refuses a certificate that matches neither."""
        try:
            cert = x509.load_pem_x509_certificate(cert_pem.encode("ascii"))
        except ValueError as exc:
            raise ValidationFailed("error.pki.bad_certificate", field="cert") from exc
        public = cert.public_key()
        if not isinstance(public, ec.EllipticCurvePublicKey):
            raise ValidationFailed("error.pki.bad_certificate", field="cert")
        current = self.ensure_key()
        if self.next_key_file.exists():
            upcoming = self._ensure(self.next_key_file)
            if _spki(upcoming.public_key()) == _spki(public):
                write_pem(self.cert_file, cert_pem.encode("ascii"))
                self.next_key_file.replace(self.key_file)
                return
        if _spki(current.public_key()) != _spki(public):
            raise ValidationFailed("error.pki.key_mismatch", field="cert")
        write_pem(self.cert_file, cert_pem.encode("ascii"))
        if tenant is not None:
            self._save(tenant=tenant)
