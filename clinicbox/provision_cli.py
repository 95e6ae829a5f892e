"""``clinicbox provision ...``: the vendor's provisioning tasks (``clinicbox fleet`` is updates).

- ``add-vendor --database-url URL --username U --password P``: a fleet console login
- ``assign --database-url URL --serial S --clinic SLUG``: pre-assign a box before it ships
  (the broker policy is rewritten by the running cloud process when the box first asks)
- ``claim-cert --dir DIR --batch NAME``: a claim certificate for a manufacturing batch, from the
  claim CA in DIR (made on first use); it goes onto every box of that batch
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "provision", help="vendor: console logins, assigning boxes to clinics, claim certs"
    )
    tasks = p.add_subparsers(dest="task", required=True)
    t = tasks.add_parser("add-vendor", help="create or reset a fleet console login")
    t.add_argument("--database-url", required=True)
    t.add_argument("--username", required=True)
    t.add_argument("--password", required=True)
    t.set_defaults(func=_add_vendor)
    t = tasks.add_parser("assign", help="assign a box serial to a clinic (pre-assignment)")
    t.add_argument("--database-url", required=True)
    t.add_argument("--serial", required=True)
    t.add_argument("--clinic", required=True, help="tenant slug")
    t.set_defaults(func=_assign)
    t = tasks.add_parser("claim-cert", help="issue a claim certificate for a batch of boxes")
    t.add_argument("--dir", type=Path, required=True, help="claim CA directory")
    t.add_argument("--batch", required=True)
    t.set_defaults(func=_claim_cert)


async def _on_db(url: str, work: object) -> None:
    from cloud_plane.db.engine import create_engine

    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await work(conn)  # type: ignore[operator]
    finally:
        await engine.dispose()


def _add_vendor(args: argparse.Namespace) -> int:
    from cloud_plane.fleet.vendors import add_vendor

    async def work(conn: object) -> None:
        await add_vendor(conn, args.username, args.password)  # type: ignore[arg-type]

    asyncio.run(_on_db(args.database_url, work))
    print(f"vendor login {args.username} ready")
    return 0


def _assign(args: argparse.Namespace) -> int:
    from cloud_plane.fleet.provisioning import assign

    async def work(conn: object) -> None:
        await assign(conn, args.serial, args.clinic, "vendor:cli")  # type: ignore[arg-type]

    asyncio.run(_on_db(args.database_url, work))
    print(f"{args.serial} assigned to {args.clinic}")
    return 0


def _claim_cert(args: argparse.Namespace) -> int:
    from clinicbox.runtime.pki import Pki

    pair = Pki(args.dir, ca_name="clinicbox claim CA").ensure_client(args.batch)
    print(f"claim certificate {pair.cert}\nclaim key         {pair.key}")
    return 0
