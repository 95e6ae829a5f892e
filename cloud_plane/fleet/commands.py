"""Remote commands to boxes: issue (stored + audited, then published), results, time-outs.

A command row goes ``sent`` → ``ok`` / ``failed`` when the box answers, or ``timed_out`` when
the deadline passes first (the box also refuses a command received after ``expires_at``). A
result that arrives after the time-out is kept in ``detail`` but does not change the status.
Every transition writes a ``fleet_audit`` row in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import and_, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from clinicbox_core.contracts import Command, CommandResult
from clinicbox_core.contracts.messages import CommandBody
from clinicbox_core.errors import NotFound, ValidationFailed
from cloud_plane.boxlink import BoxInbox
from cloud_plane.boxlink.errors import BoxLinkError
from cloud_plane.db.tables_fleet import fleet_boxes, fleet_commands
from cloud_plane.fleet import audit
from cloud_plane.fleet.const import BoxState, CommandKind, CommandStatus
from cloud_plane.services.clock import utc_now

log = logging.getLogger(__name__)
_BODY: TypeAdapter[Any] = TypeAdapter(CommandBody)


async def create(
    conn: AsyncConnection,
    box_id: str,
    kind: str,
    actor: str,
    lifetime: dt.timedelta,
    params: dict[str, Any] | None = None,
) -> tuple[str, Command]:
    """Store and audit a command for ``box_id``; returns (tenant, command) to publish."""
    box = (await conn.execute(select(fleet_boxes).where(fleet_boxes.c.box_id == box_id))).first()
    if box is None or box.state != BoxState.PROVISIONED.value or box.tenant_slug is None:
        raise NotFound("error.fleet.unknown_box", serial=box_id)
    try:
        body = _BODY.validate_python({"type": kind, **(params or {})})
    except ValueError as exc:
        raise ValidationFailed("error.fleet.bad_command", field="kind", value=kind) from exc
    now = utc_now()
    command = Command(body=body, issued_at=now, expires_at=now + lifetime)
    await conn.execute(
        insert(fleet_commands).values(
            command_id=str(command.command_id),
            box_id=box_id,
            tenant_slug=box.tenant_slug,
            kind=kind,
            params=params or {},
            issued_by=actor,
            issued_at=now,
            deadline_at=now + lifetime,
            status=CommandStatus.SENT.value,
        )
    )
    await audit.record(conn, actor, kind, box_id, "sent", command_id=str(command.command_id))
    return str(box.tenant_slug), command


async def issue(
    engine: AsyncEngine,
    inbox: BoxInbox,
    box_id: str,
    kind: CommandKind | str,
    actor: str,
    lifetime: dt.timedelta,
    params: dict[str, Any] | None = None,
) -> str:
    """Create, commit, publish; a publish failure marks the command failed. Returns its id."""
    async with engine.begin() as conn:
        tenant, command = await create(conn, box_id, str(kind), actor, lifetime, params)
    try:
        await inbox.send_command(tenant, box_id, command)
    except BoxLinkError as exc:
        result = CommandResult(
            command_id=command.command_id,
            box_id=box_id,
            ok=False,
            error_code=exc.message_key,
            detail=str(exc),
        )
        await record_result(engine, result)
    return str(command.command_id)


async def record_result(engine: AsyncEngine, result: CommandResult) -> None:
    key = str(result.command_id)
    async with engine.begin() as conn:
        row = (
            await conn.execute(select(fleet_commands).where(fleet_commands.c.command_id == key))
        ).first()
        if row is None or row.box_id != result.box_id:
            return  # not a fleet command (print jobs have their own ledger)
        status = CommandStatus.OK if result.ok else CommandStatus.FAILED
        if row.status != CommandStatus.SENT.value:
            if row.status == CommandStatus.TIMED_OUT.value:
                late = f"late result: {status.value} {result.error_code or ''}".strip()
                await conn.execute(
                    update(fleet_commands)
                    .where(fleet_commands.c.command_id == key)
                    .values(detail=late)
                )
            return
        await conn.execute(
            update(fleet_commands)
            .where(fleet_commands.c.command_id == key)
            .values(
                status=status.value,
                error_code=result.error_code,
                detail=result.detail,
                output=result.output,
                finished_at=utc_now(),
            )
        )
        await audit.record(
            conn,
            row.issued_by,
            row.kind,
            row.box_id,
            status.value,
            command_id=key,
            error_code=result.error_code,
        )


async def sweep(engine: AsyncEngine, now: dt.datetime | None = None) -> int:
    """Mark every command past its deadline without a result as timed out; returns how many."""
    at = now or utc_now()
    async with engine.begin() as conn:
        rows = (
            await conn.execute(
                select(fleet_commands).where(
                    and_(
                        fleet_commands.c.status == CommandStatus.SENT.value,
                        fleet_commands.c.deadline_at < at,
                    )
                )
            )
        ).all()
        for row in rows:
            await conn.execute(
                update(fleet_commands)
                .where(
                    and_(
                        fleet_commands.c.command_id == row.command_id,
                        fleet_commands.c.status == CommandStatus.SENT.value,
                    )
                )
                .values(status=CommandStatus.TIMED_OUT.value, finished_at=at)
            )
            await audit.record(
                conn, row.issued_by, row.kind, row.box_id, "timed_out", command_id=row.command_id
            )
    return len(rows)


async def recent(conn: AsyncConnection, box_id: str, limit: int = 50) -> list[dict[str, Any]]:
    stmt = (
        select(fleet_commands)
        .where(fleet_commands.c.box_id == box_id)
        .order_by(fleet_commands.c.issued_at.desc())
        .limit(limit)
    )
    return [dict(r._mapping) for r in (await conn.execute(stmt)).all()]
