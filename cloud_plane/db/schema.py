"""The schema version this code understands, and the check run before serving.

``SCHEMA_VERSION`` increases with every Alembic revision that changes tables; the newest
revision writes it (and ``SCHEMA_COMPAT_VERSION``, the oldest code version that can still use the
database) into ``schema_info``. A process refuses to start on a database whose compat version is
newer than its own ``SCHEMA_VERSION`` (an unsafe rollback), or on one never migrated.

Changelog:
    1  initial clinic, reference-data and box-link tables
    2  IC-card data upload tables (additive; compat stays 1)
    3  continuity: offline id map, conflict review list, staff.offline_allowed,
       ic_upload_records.made_up_later (additive; compat stays 1)
    4  front desk and online booking tables (additive; compat stays 1)
    5  signed bundles, software artifacts, staged rollouts (additive; compat stays 1)
    6  pharmacy: slips, fills, stock lots and moves, reorder levels, refill reminders (additive)
    7  doctor: order_sets (組套), 慢箋 fields on visits, 牙位/per-day dose on orders, TCM nurse
       setting, print kind rx (additive; compat stays 1)
    8  NHI operations (card checks, IC sends, claims submissions, job leases), ATC codes,
       drugs.atc_code (additive; compat stays 1)
    9  fleet: provisioning, certificates, twin, health, commands, audit, vendor logins
       (additive; compat stays 1)
    10 IC upload holds: ic_upload_records.retry_at / hold_count / hold_reason /
       treatment_id_late_at (additive; compat stays 1)
    11 慢箋 pick-up booking: pharmacy_hours, pickup_bookings (additive; compat stays 1)
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox_core.errors import ClinicboxError
from cloud_plane.db.tables_clinic import schema_info

SCHEMA_VERSION = 11
SCHEMA_COMPAT_VERSION = 1


class SchemaMismatch(ClinicboxError):
    """The database is not migrated, or was migrated by newer code than this process."""

    status = 503
    default_key = "error.db.schema_mismatch"


async def check_schema(engine: AsyncEngine) -> int:
    """Return the stored schema version, or raise :class:`SchemaMismatch`."""
    try:
        async with engine.connect() as conn:
            row = (await conn.execute(select(schema_info))).first()
    except SQLAlchemyError as exc:
        raise SchemaMismatch("error.db.not_migrated") from exc
    if row is None:
        raise SchemaMismatch("error.db.not_migrated")
    if row.compat_version > SCHEMA_VERSION:
        raise SchemaMismatch(
            "error.db.schema_too_new", stored=row.schema_version, code=SCHEMA_VERSION
        )
    return int(row.schema_version)
