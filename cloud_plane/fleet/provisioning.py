"""Zero-touch provisioning, cloud side: requests, assignment to a clinic, issuing, revoking.

Pinning: the first request of a serial fixes its public key and one-time code; a later request
with another key or code is refused (someone else holding a claim certificate cannot take over
a serial). Once provisioned, a request over the same key gets the same certificate again (the box
lost the answer); a revoked serial is refused for good.

Assignment: the vendor assigns a serial to a clinic (before the box ever asks: pre-assignment),
or a clinic claims it with the code the box's status page shows. Issuing happens when a request
arrives for an assigned serial; the caller then rewrites the broker policy *before* answering,
so the box's first mTLS connection is already allowed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import and_, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from clinicbox.runtime.pki import Pki
from clinicbox_core.contracts.provisioning import (
    SERIAL_PATTERN,
    ProvisionRequest,
    ProvisionResponse,
)
from clinicbox_core.errors import Conflict, NotFound, ValidationFailed
from cloud_plane.db.tables_clinic import tenants
from cloud_plane.db.tables_fleet import fleet_boxes, fleet_certs
from cloud_plane.fleet import audit
from cloud_plane.fleet.const import BoxState
from cloud_plane.services.clock import utc_now


def code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode("ascii", "replace")).hexdigest()


def _key_hash(pem: str) -> str:
    try:
        key = x509.load_pem_x509_csr(pem.encode()).public_key()
    except ValueError as exc:
        raise ValidationFailed("error.pki.bad_csr", field="csr", reason="unreadable") from exc
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


@dataclass(frozen=True, slots=True)
class Outcome:
    """What to answer, and whether the broker policy must be rewritten before answering."""

    response: ProvisionResponse
    policy_changed: bool


async def handle_request(
    conn: AsyncConnection, pki: Pki, req: ProvisionRequest, validity: dt.timedelta
) -> Outcome:
    now = utc_now()
    key_hash = _key_hash(req.csr_pem)
    row = (
        await conn.execute(select(fleet_boxes).where(fleet_boxes.c.box_id == req.serial))
    ).first()
    if row is None:
        await conn.execute(
            insert(fleet_boxes).values(
                box_id=req.serial,
                state=BoxState.UNCLAIMED.value,
                claim_code_hash=code_hash(req.claim_code),
                csr_pem=req.csr_pem,
                first_seen_at=now,
                last_request_at=now,
            )
        )
        await audit.record(conn, "box", "provision.request", req.serial, "pending")
        return Outcome(_answer(req.serial, "pending"), False)
    state = BoxState(row.state)
    if state is BoxState.REVOKED:
        return Outcome(_answer(req.serial, "refused", reason="revoked"), False)
    if row.csr_pem is not None and _key_hash(row.csr_pem) != key_hash:
        await audit.record(conn, "box", "provision.request", req.serial, "refused", why="key")
        return Outcome(_answer(req.serial, "refused", reason="key_mismatch"), False)
    if row.claim_code_hash is not None and row.claim_code_hash != code_hash(req.claim_code):
        await audit.record(conn, "box", "provision.request", req.serial, "refused", why="code")
        return Outcome(_answer(req.serial, "refused", reason="code_mismatch"), False)
    await conn.execute(
        update(fleet_boxes)
        .where(fleet_boxes.c.box_id == req.serial)
        .values(
            last_request_at=now,
            first_seen_at=row.first_seen_at or now,
            csr_pem=req.csr_pem,
            claim_code_hash=row.claim_code_hash or code_hash(req.claim_code),
        )
    )
    if state is BoxState.UNCLAIMED:
        return Outcome(_answer(req.serial, "pending"), False)
    assert row.tenant_slug is not None
    if state is BoxState.PROVISIONED:
        existing = await _live_cert_for_key(conn, req.serial, key_hash, now)
        if existing is not None:
            return Outcome(_answer(req.serial, "issued", row.tenant_slug, existing), False)
    cert_pem = await issue(conn, pki, req.serial, req.csr_pem, validity, actor="box")
    return Outcome(_answer(req.serial, "issued", row.tenant_slug, cert_pem), True)


async def issue(
    conn: AsyncConnection,
    pki: Pki,
    serial: str,
    csr_pem: str,
    validity: dt.timedelta,
    *,
    actor: str,
) -> str:
    """Sign ``csr_pem`` for ``serial`` and record the certificate; the box becomes provisioned."""
    cert = pki.sign_csr(csr_pem.encode(), serial, validity)
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    now = utc_now()
    await conn.execute(
        insert(fleet_certs).values(
            serial=format(cert.serial_number, "x"),
            box_id=serial,
            public_key_sha256=_key_hash(csr_pem),
            cert_pem=pem,
            issued_at=now,
            not_after=cert.not_valid_after_utc,
        )
    )
    await conn.execute(
        update(fleet_boxes)
        .where(fleet_boxes.c.box_id == serial)
        .values(
            state=BoxState.PROVISIONED.value,
            provisioned_at=now,
            cert_serial=format(cert.serial_number, "x"),
            cert_not_after=cert.not_valid_after_utc,
        )
    )
    await audit.record(
        conn, actor, "cert.issue", serial, "ok", cert_serial=format(cert.serial_number, "x")
    )
    return pem


async def _live_cert_for_key(
    conn: AsyncConnection, serial: str, key_hash: str, now: dt.datetime
) -> str | None:
    stmt = (
        select(fleet_certs.c.cert_pem)
        .where(
            and_(
                fleet_certs.c.box_id == serial,
                fleet_certs.c.public_key_sha256 == key_hash,
                fleet_certs.c.revoked_at.is_(None),
                fleet_certs.c.not_after > now,
            )
        )
        .order_by(fleet_certs.c.issued_at.desc())
        .limit(1)
    )
    value = (await conn.execute(stmt)).scalar_one_or_none()
    return str(value) if value is not None else None


def _answer(
    serial: str, status: str, tenant: str | None = None, cert: str | None = None, **kw: str
) -> ProvisionResponse:
    return ProvisionResponse.model_validate(
        {"serial": serial, "status": status, "tenant": tenant, "cert_pem": cert, **kw}
    )


async def _check_tenant(conn: AsyncConnection, tenant_slug: str) -> None:
    found = (await conn.execute(select(tenants.c.id).where(tenants.c.slug == tenant_slug))).first()
    if found is None or tenant_slug.startswith("_"):
        raise ValidationFailed("error.fleet.unknown_clinic", field="clinic", value=tenant_slug)


async def assign(conn: AsyncConnection, serial: str, tenant_slug: str, actor: str) -> None:
    """Bind ``serial`` to a clinic (creating the row for a box that has not asked yet)."""
    serial = serial.strip()
    if not re.match(SERIAL_PATTERN, serial):
        raise ValidationFailed("error.fleet.bad_serial", field="serial", value=serial)
    await _check_tenant(conn, tenant_slug)
    row = (await conn.execute(select(fleet_boxes).where(fleet_boxes.c.box_id == serial))).first()
    now = utc_now()
    if row is None:
        await conn.execute(
            insert(fleet_boxes).values(
                box_id=serial,
                tenant_slug=tenant_slug,
                state=BoxState.ASSIGNED.value,
                assigned_at=now,
                assigned_by=actor,
            )
        )
    elif row.state in (BoxState.UNCLAIMED.value, BoxState.ASSIGNED.value):
        await conn.execute(
            update(fleet_boxes)
            .where(fleet_boxes.c.box_id == serial)
            .values(
                tenant_slug=tenant_slug,
                state=BoxState.ASSIGNED.value,
                assigned_at=now,
                assigned_by=actor,
            )
        )
    else:
        raise Conflict("error.fleet.already_provisioned", serial=serial, state=row.state)
    await audit.record(conn, actor, "box.assign", serial, "ok", tenant=tenant_slug)


async def claim_by_code(conn: AsyncConnection, code: str, tenant_slug: str, actor: str) -> str:
    """Assign the unclaimed box whose status page shows ``code``; returns its serial."""
    row = (
        await conn.execute(
            select(fleet_boxes.c.box_id).where(
                and_(
                    fleet_boxes.c.claim_code_hash == code_hash(code),
                    fleet_boxes.c.state == BoxState.UNCLAIMED.value,
                )
            )
        )
    ).first()
    if row is None:
        raise ValidationFailed("error.fleet.unknown_code", field="claim_code")
    await assign(conn, row.box_id, tenant_slug, actor)
    return str(row.box_id)


async def revoke(conn: AsyncConnection, serial: str, actor: str) -> None:
    """Revoke every certificate of ``serial`` and drop it from the ACL (caller applies policy)."""
    row = (await conn.execute(select(fleet_boxes).where(fleet_boxes.c.box_id == serial))).first()
    if row is None:
        raise NotFound("error.fleet.unknown_box", serial=serial)
    now = utc_now()
    await conn.execute(
        update(fleet_certs)
        .where(and_(fleet_certs.c.box_id == serial, fleet_certs.c.revoked_at.is_(None)))
        .values(revoked_at=now)
    )
    await conn.execute(
        update(fleet_boxes)
        .where(fleet_boxes.c.box_id == serial)
        .values(state=BoxState.REVOKED.value, revoked_at=now)
    )
    await audit.record(conn, actor, "box.revoke", serial, "ok")


async def acl_boxes(conn: AsyncConnection) -> list[tuple[str, str]]:
    """(box, tenant) of every provisioned box: what the broker ACL lists."""
    stmt = select(fleet_boxes.c.box_id, fleet_boxes.c.tenant_slug).where(
        fleet_boxes.c.state == BoxState.PROVISIONED.value
    )
    return [(r.box_id, r.tenant_slug) for r in (await conn.execute(stmt)).all()]


async def revoked_serials(conn: AsyncConnection) -> list[tuple[int, dt.datetime]]:
    stmt = select(fleet_certs.c.serial, fleet_certs.c.revoked_at).where(
        fleet_certs.c.revoked_at.is_not(None)
    )
    return [(int(r.serial, 16), r.revoked_at) for r in (await conn.execute(stmt)).all()]


async def known(conn: AsyncConnection, serial: str) -> bool:
    found = await conn.execute(select(fleet_boxes.c.box_id).where(fleet_boxes.c.box_id == serial))
    return found.first() is not None
