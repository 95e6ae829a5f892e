"""Ed25519 keys for bundles (and software artifacts): the cloud signs, the box verifies.

Keys travel as base64 of the 32 raw bytes. ``key_id`` (16 hex digits of the public key's
SHA-256) names the key in the signed header, so a box can trust several keys while the cloud
rotates its signing key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from clinicbox_core.bundles.errors import BundleSignatureInvalid, BundleUntrustedKey

__all__ = ["SigningKey", "TrustedKeys", "key_id"]


def key_id(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()[:16]


def _b64(text: str, *, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{what} is not base64") from exc
    if len(raw) != 32:
        raise ValueError(f"{what} must be 32 bytes (base64 of a raw Ed25519 key)")
    return raw


class SigningKey:
    """The cloud's private key (from settings, base64 raw)."""

    def __init__(self, private_b64: str) -> None:
        self._key = Ed25519PrivateKey.from_private_bytes(_b64(private_b64, what="signing key"))
        self.public_raw = self._key.public_key().public_bytes_raw()
        self.key_id = key_id(self.public_raw)

    @classmethod
    def generate(cls) -> SigningKey:
        raw = Ed25519PrivateKey.generate().private_bytes_raw()
        return cls(base64.b64encode(raw).decode())

    @property
    def private_b64(self) -> str:
        return base64.b64encode(self._key.private_bytes_raw()).decode()

    @property
    def public_b64(self) -> str:
        return base64.b64encode(self.public_raw).decode()

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)


class TrustedKeys:
    """Public keys a box accepts, by key id."""

    def __init__(self, public_b64: Iterable[str]) -> None:
        self._keys: dict[str, Ed25519PublicKey] = {}
        for text in public_b64:
            raw = _b64(text, what="trusted public key")
            self._keys[key_id(raw)] = Ed25519PublicKey.from_public_bytes(raw)

    def __bool__(self) -> bool:
        return bool(self._keys)

    def verify(self, kid: str, signature: bytes, data: bytes) -> None:
        key = self._keys.get(kid)
        if key is None:
            raise BundleUntrustedKey(key_id=kid)
        try:
            key.verify(signature, data)
        except InvalidSignature as exc:
            raise BundleSignatureInvalid(key_id=kid) from exc
