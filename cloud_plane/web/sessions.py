"""Signed session cookies and the CSRF tokens bound to them (stdlib ``hmac`` + ``secrets``).

The cookie value is ``base64url(json payload) "." base64url(HMAC-SHA256)``. The payload holds a
random session id (``sid``), the logged-in staff member and tenant (or neither, for the
anonymous session the login form needs for its CSRF token) and an absolute expiry. Nothing
secret is stored in it; it is signed, not encrypted.

CSRF tokens are session-bound: ``HMAC(csrf_key, sid)``. The ``sid`` is rotated on login and on
logout, so a token seen before login is useless afterwards.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any, Final

COOKIE_NAME: Final = "cb_session"
#: A clinic day plus margin; after that the person logs in again.
DEFAULT_MAX_AGE_S: Final = 12 * 3600


@dataclass(frozen=True, slots=True)
class WebSession:
    """What the cookie says. ``staff_id``/``tenant_id`` are ``None`` before login."""

    sid: str
    expires_at: int
    staff_id: int | None = None
    tenant_id: int | None = None
    vendor_id: int | None = None  # a vendor (fleet console) login; never with staff/tenant

    @property
    def logged_in(self) -> bool:
        return self.staff_id is not None and self.tenant_id is not None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def master_key_from_secret(secret: str) -> bytes:
    """The configured base64 secret, or 32 random bytes when it is empty (per process)."""
    if not secret:
        return secrets.token_bytes(32)
    try:
        key = base64.b64decode(secret, validate=True)
    except (binascii.Error, ValueError):
        key = secret.encode("utf-8")
    if len(key) < 16:
        raise ValueError("session_secret must hold at least 16 bytes (32 recommended)")
    return key


class SessionCodec:
    """Creates, signs, verifies and expires :class:`WebSession` values."""

    def __init__(self, master_key: bytes, *, max_age_s: int = DEFAULT_MAX_AGE_S) -> None:
        self._sign_key = hmac.new(master_key, b"clinicbox session v1", hashlib.sha256).digest()
        self._csrf_key = hmac.new(master_key, b"clinicbox csrf v1", hashlib.sha256).digest()
        self.max_age_s = max_age_s

    def new(
        self,
        *,
        staff_id: int | None = None,
        tenant_id: int | None = None,
        vendor_id: int | None = None,
        now: float | None = None,
    ) -> WebSession:
        issued = int(time.time() if now is None else now)
        return WebSession(
            sid=secrets.token_urlsafe(18),
            expires_at=issued + self.max_age_s,
            staff_id=staff_id,
            tenant_id=tenant_id,
            vendor_id=vendor_id,
        )

    def encode(self, session: WebSession) -> str:
        payload: dict[str, Any] = {"sid": session.sid, "exp": session.expires_at}
        if session.logged_in:
            payload["staff"] = session.staff_id
            payload["tenant"] = session.tenant_id
        if session.vendor_id is not None:
            payload["vendor"] = session.vendor_id
        body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
        return f"{body}.{self._sign(body)}"

    def decode(self, value: str, *, now: float | None = None) -> WebSession | None:
        """The session in a cookie value, or ``None`` if forged, malformed or expired."""
        body, sep, sig = value.partition(".")
        if not sep or not hmac.compare_digest(sig, self._sign(body)):
            return None
        try:
            payload = json.loads(_unb64(body))
            sid = payload["sid"]
            exp = payload["exp"]
            staff = payload.get("staff")
            tenant = payload.get("tenant")
            vendor = payload.get("vendor")
        except (ValueError, KeyError, TypeError, binascii.Error):
            return None
        if not isinstance(sid, str) or not isinstance(exp, int):
            return None
        if not all(
            v is None or (isinstance(v, int) and not isinstance(v, bool))
            for v in (staff, tenant, vendor)
        ):
            return None
        if exp <= (time.time() if now is None else now):
            return None
        return WebSession(
            sid=sid, expires_at=exp, staff_id=staff, tenant_id=tenant, vendor_id=vendor
        )

    def csrf_token(self, session: WebSession) -> str:
        return _b64(hmac.new(self._csrf_key, session.sid.encode(), hashlib.sha256).digest())

    def csrf_ok(self, session: WebSession, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(str(token), self.csrf_token(session))

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._sign_key, body.encode("ascii"), hashlib.sha256).digest())
