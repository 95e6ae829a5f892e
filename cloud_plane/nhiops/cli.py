"""``clinicbox nhi ic-upload`` and ``clinicbox nhi claims``: the clinic's NHI runs by hand.

Both read the cloud's configuration (``--config cloud.toml``: database and ``[nhi]``), act for one
clinic (``--tenant`` slug) and print the outcome in zh-TW through the message catalogue: every
rejected or held record with its NHI code and message, every claims finding with its location.
The scheduler (:mod:`.scheduler`) runs the IC upload by itself; the command is for a day that
must go now, or again after the data was fixed.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import date
from pathlib import Path

import aiohttp
from sqlalchemy import select

from clinicbox_core.errors import ClinicboxError, NotFound
from clinicbox_core.nhi.ic_upload.fields import Version
from cloud_plane.config import CloudSettings
from cloud_plane.db.engine import create_engine
from cloud_plane.db.schema import check_schema
from cloud_plane.db.tables_clinic import tenants
from cloud_plane.nhi.settings import NhiSettings
from cloud_plane.nhiops.claims_run import ClaimsOutcome, run_claims
from cloud_plane.nhiops.ic_run import IcRunOutcome, RejectedRecord, run_ic_upload
from cloud_plane.web.i18n import Catalogue

__all__ = ["add_arguments", "format_claims_outcome", "format_ic_outcome", "run"]


def _records(cat: Catalogue, key: str, records: list[RejectedRecord]) -> list[str]:
    lines = []
    for r in records:
        reasons = "；".join(f"{c} {m}" for c, m in zip(r.codes, r.messages, strict=True))
        lines.append(cat.t(key, visit=f"visit {r.visit_id}", reasons=reasons))
    return lines


def format_ic_outcome(out: IcRunOutcome, cat: Catalogue | None = None) -> str:
    cat = cat or Catalogue.load()
    lines = [
        cat.t(
            "nhiops.ic.summary", day=out.day.isoformat(), sent=out.sent,
            accepted=out.accepted, rejected=len(out.rejected), held=len(out.held),
        )
    ]  # fmt: skip
    if out.error_code:
        lines.append(cat.t("nhiops.ic.file_error", code=out.error_code, reason=out.error or ""))
    lines += _records(cat, "nhiops.ic.rejected", out.rejected)
    lines += _records(cat, "nhiops.ic.held", out.held)
    lines += [cat.t("nhiops.ic.sign_failed", detail=d) for d in out.signing_failures]
    lines += [
        cat.t("nhiops.ic.no_card_failed", visit=f"visit {v}", reason=cat.t_or(r, r))
        for v, r in out.no_card_failures
    ]
    return "\n".join(lines)


def format_claims_outcome(out: ClaimsOutcome, cat: Catalogue | None = None) -> str:
    cat = cat or Catalogue.load()
    lines = [
        cat.t(
            f"nhiops.claims.{out.status}", file=out.file_name, cases=out.cases,
            points=out.points, receipt=out.receipt_no or "", code=out.nhi_code or "",
            reason=out.reason or "",
        )
    ]  # fmt: skip
    for f in out.findings:
        where = " ".join(str(x) for x in (f.get("case"), f.get("order"), f.get("field")) if x)
        lines.append(
            cat.t(
                "nhiops.claims.finding", severity=f.get("severity"), rule=f.get("rule"),
                where=where, text=f.get("zh") or "",
            )
        )  # fmt: skip
    lines += [cat.t("nhiops.claims.skipped", visit=s["visit_id"]) for s in out.skipped]
    return "\n".join(lines)


async def _clinic(settings: CloudSettings, slug: str) -> tuple[int, NhiSettings]:
    engine = create_engine(settings.database_url)
    try:
        await check_schema(engine)
        async with engine.connect() as conn:
            row = (await conn.execute(select(tenants).where(tenants.c.slug == slug))).first()
    finally:
        await engine.dispose()
    if row is None:
        raise NotFound("error.tenant.not_found", slug=slug)
    nhi = settings.nhi.for_hospital(row.nhi_code)
    if nhi is None:
        raise NotFound("error.nhiops.not_connected", slug=slug)
    return int(row.id), nhi


async def _run(args: argparse.Namespace) -> str:
    settings = CloudSettings.from_file(args.config) if args.config else CloudSettings()
    tenant_id, nhi = await _clinic(settings, args.tenant)
    engine = create_engine(settings.database_url)
    try:
        async with aiohttp.ClientSession() as session:
            if args.nhi_command == "ic-upload":
                out = await run_ic_upload(
                    engine, session, nhi, tenant_id, args.date, version=Version(args.version),
                    force=True,
                )  # fmt: skip
                return format_ic_outcome(out)
            month = date.fromisoformat(args.month + "-01")
            return format_claims_outcome(await run_claims(engine, session, nhi, tenant_id, month))
    finally:
        await engine.dispose()


def run(args: argparse.Namespace) -> int:
    try:
        print(asyncio.run(_run(args)))
    except ClinicboxError as exc:
        print(Catalogue.load().t(exc.message_key, **exc.params))
        return 1
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="nhi_command", required=True)
    ic = sub.add_parser("ic-upload", help="upload one clinic day's IC-card data now")
    ic.add_argument("--date", type=date.fromisoformat, required=True, help="clinic day YYYY-MM-DD")
    ic.add_argument("--version", choices=["1.0", "2.0"], default="2.0")
    cl = sub.add_parser("claims", help="build, validate and send one month's claims file")
    cl.add_argument("--month", required=True, help="費用年月 YYYY-MM")
    for p in (ic, cl):
        p.add_argument("--config", type=Path, help="cloud.toml (database and [nhi])")
        p.add_argument("--tenant", required=True, help="clinic slug, e.g. demo-west")
