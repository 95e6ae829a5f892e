"""A patient's identity on the public booking pages: ID number + birthday + a one-time code.

:func:`request_code` checks the ID number and birthday (against the clinic's chart when the
patient is known there) and returns a 6-digit code for the caller to deliver through the
notifier; only its SHA-256 is stored. :func:`verify_code` accepts the code at most
:data:`MAX_ATTEMPTS` times within :data:`CODE_TTL`; the browser then holds a random token (its
SHA-256 stored) that proves the identity for :data:`IDENTITY_TTL`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import date, datetime, timedelta

from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox_core.errors import Conflict, ValidationFailed
from clinicbox_core.nhi.id_number import validate_national_id
from cloud_plane.db.tables_clinic import patients
from cloud_plane.db.tables_frontdesk import booking_identities

CODE_TTL = timedelta(minutes=10)
IDENTITY_TTL = timedelta(minutes=30)
MAX_ATTEMPTS = 5
#: Codes one ID number may request per hour (a mailbox or phone is not a free resource).
MAX_CODES_PER_HOUR = 5
_EMAIL = re.compile(r"\A[^@\s]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,}\Z")
_PHONE = re.compile(r"\A09[0-9]{8}\Z")
_LINE_ID = re.compile(r"\AU[0-9a-f]{32}\Z")


class Identity(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: int
    tenant_id: int
    national_id: str
    birth_date: date
    name: str
    channel: str
    contact: str


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def normalise_contact(channel: str, contact: str) -> str:
    """The contact in its stored form, or ``ValidationFailed`` on the ``contact`` field."""
    contact = contact.strip()
    if channel == "email" and _EMAIL.match(contact):
        return contact
    if channel == "sms":
        digits = re.sub(r"[\s-]", "", contact)
        if _PHONE.match(digits):
            return digits
    if channel == "line" and _LINE_ID.match(contact):
        return contact
    if channel not in ("email", "sms", "line"):
        raise ValidationFailed("error.field.invalid", field="channel")
    raise ValidationFailed("error.booking.bad_contact", field="contact", channel=channel)


async def request_code(
    conn: AsyncConnection, tenant_id: int, *, national_id: str, birth_date: date, name: str,
    channel: str, contact: str, now: datetime,
) -> tuple[Identity, str, str]:  # fmt: skip
    """A pending identity, its one-time code and the browser token (both only returned here)."""
    national_id = national_id.strip().upper()
    validate_national_id(national_id, field="national_id")
    if not name.strip():
        raise ValidationFailed("error.field.required", field="name")
    contact = normalise_contact(channel, contact)
    known = (
        await conn.execute(
            select(patients.c.birth_date).where(
                patients.c.tenant_id == tenant_id, patients.c.national_id == national_id
            )
        )
    ).first()
    if known is not None and known.birth_date != birth_date:
        raise ValidationFailed("error.booking.identity_mismatch", field="birth_date")
    recent = (
        await conn.execute(
            select(func.count()).where(
                booking_identities.c.tenant_id == tenant_id,
                booking_identities.c.national_id == national_id,
                booking_identities.c.created_at > now - timedelta(hours=1),
            )
        )
    ).scalar_one()
    if recent >= MAX_CODES_PER_HOUR:
        raise Conflict("error.booking.too_many_codes", field="national_id")
    code = f"{secrets.randbelow(1_000_000):06d}"
    token = secrets.token_urlsafe(32)
    row = (
        await conn.execute(
            booking_identities.insert()
            .values(
                tenant_id=tenant_id, national_id=national_id, birth_date=birth_date,
                name=name.strip()[:64], channel=channel, contact=contact, code_hash=_sha(code),
                token_hash=_sha(token), attempts=0, created_at=now,
                code_expires_at=now + CODE_TTL, verified_at=None, expires_at=now + CODE_TTL,
            )
            .returning(*booking_identities.c)
        )
    ).one()  # fmt: skip
    return _identity(row), code, token


def _identity(r: object) -> Identity:
    return Identity.model_validate(r, from_attributes=True)


async def verify_code(conn: AsyncConnection, token: str, code: str, now: datetime) -> Identity:
    """Accept the one-time code for the browser holding ``token``."""
    r = (
        await conn.execute(
            select(booking_identities).where(booking_identities.c.token_hash == _sha(token))
        )
    ).first()
    if r is None or r.code_expires_at <= now:
        raise ValidationFailed("error.booking.code_expired", field="code")
    if r.attempts >= MAX_ATTEMPTS:
        raise ValidationFailed("error.booking.code_locked", field="code")
    ok = hmac.compare_digest(_sha(code.strip()), r.code_hash)
    values = (
        {"verified_at": now, "expires_at": now + IDENTITY_TTL}
        if ok
        else {"attempts": r.attempts + 1}
    )
    await conn.execute(
        update(booking_identities).where(booking_identities.c.id == r.id).values(**values)
    )
    if not ok:
        raise ValidationFailed("error.booking.wrong_code", field="code")
    return _identity(r)


async def identity_of(
    conn: AsyncConnection, tenant_id: int, token: str | None, now: datetime
) -> Identity | None:
    """The verified, unexpired identity of a browser token for this clinic, if any."""
    if not token:
        return None
    r = (
        await conn.execute(
            select(booking_identities).where(
                booking_identities.c.token_hash == _sha(token),
                booking_identities.c.tenant_id == tenant_id,
                booking_identities.c.verified_at.is_not(None),
                booking_identities.c.expires_at > now,
            )
        )
    ).first()
    return None if r is None else _identity(r)


async def forget(conn: AsyncConnection, identity_id: int) -> None:
    """Drop a pending identity whose code could not be delivered."""
    await conn.execute(delete(booking_identities).where(booking_identities.c.id == identity_id))
