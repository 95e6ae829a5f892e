"""``clinicbox fleet ...``: the vendor's commands for keys, bundles, software and rollouts.

Example::

    clinicbox fleet keygen
    clinicbox fleet publish-bundle --config cloud.toml --kind drug_prices prices.csv
    clinicbox fleet add-software --config cloud.toml --version 1.4.0 slot-1.4.0.tar.gz
    clinicbox fleet rollout --config cloud.toml --software 1.4.0 --previous 1.3.2 \\
        --boxes demo-west/box-1,demo-west/box-2 --canary 1 --rate 30 --abort-pct 20
    clinicbox fleet pause|resume|rollback|show --config cloud.toml ROLLOUT_ID

CSV for ``publish-bundle``: ``code,effective_from,effective_to,<data columns...>`` with a header
row; ``effective_to`` may be empty. Every data column becomes a string field of the row's
``data`` (e.g. ``price``).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

from clinicbox_core.bundles import BundleKind, BundleRow, SigningKey
from cloud_plane.config import CloudSettings
from cloud_plane.db.engine import create_engine
from cloud_plane.fleet_updates import rollouts
from cloud_plane.fleet_updates.artifacts import add_artifact
from cloud_plane.fleet_updates.bundles import BundlePublisher
from cloud_plane.fleet_updates.errors import SigningKeyMissing

BY = "cli"


def read_rows(path: Path) -> list[BundleRow]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = []
        for rec in reader:
            code = rec.pop("code")
            start = date.fromisoformat(rec.pop("effective_from"))
            end_text = rec.pop("effective_to", "") or ""
            end = date.fromisoformat(end_text) if end_text else None
            rows.append(
                BundleRow(code=code, effective_from=start, effective_to=end, data=dict(rec))
            )
    return rows


def _key(settings: CloudSettings) -> SigningKey:
    if not settings.fleet_updates.signing_key:
        raise SigningKeyMissing()
    return SigningKey(settings.fleet_updates.signing_key)


def _with_engine(settings: CloudSettings, fn: Callable[[Any], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        engine = create_engine(settings.database_url)
        try:
            return await fn(engine)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def run(args: argparse.Namespace) -> int:
    if args.fleet_command == "keygen":
        key = SigningKey.generate()
        print(json.dumps({"signing_key": key.private_b64, "public_key": key.public_b64}))
        return 0
    settings = CloudSettings.from_file(args.config) if args.config else CloudSettings()
    cmd = args.fleet_command
    if cmd == "publish-bundle":
        rows = read_rows(args.csv)
        publisher_key = _key(settings)

        async def publish(engine: Any) -> int:
            return await BundlePublisher(engine, publisher_key).publish(
                BundleKind(args.kind), rows, by=BY
            )

        print(f"{args.kind} version {_with_engine(settings, publish)} ({len(rows)} rows)")
    elif cmd == "add-software":
        key = _key(settings)
        data = args.artifact.read_bytes()
        info = _with_engine(settings, lambda e: add_artifact(e, key, args.version, data))
        print(f"software {info.version} sha256 {info.sha256}")
    elif cmd == "rollout":
        boxes: list[tuple[str, str]] = []
        for item in filter(None, args.boxes.split(",")):
            tenant, sep, box = item.partition("/")
            if not sep:
                raise SystemExit(f"--boxes: {item!r} is not tenant/box")
            boxes.append((tenant, box))
        new = rollouts.NewRollout(
            target_type="bundle" if args.bundle else "software",
            bundle_kind=args.bundle,
            target_version=args.software or args.version,
            previous_version=args.previous,
            boxes=boxes,
            canary_count=args.canary,
            rate_per_minute=args.rate,
            abort_failure_pct=args.abort_pct,
            min_executed=args.min_executed,
        )
        rid = _with_engine(settings, lambda e: rollouts.create_rollout(e, new, by=BY))
        print(f"rollout {rid} running")
    elif cmd in ("pause", "resume"):
        action = rollouts.pause if cmd == "pause" else rollouts.resume
        _with_engine(settings, lambda e: action(e, args.rollout))
        print(f"rollout {args.rollout} {cmd}d")
    elif cmd == "rollback":
        key = _key(settings)

        async def back(engine: Any) -> int:
            return await rollouts.roll_back(
                engine, args.rollout, by=BY, publisher=BundlePublisher(engine, key)
            )

        print(f"rollout {args.rollout} rolled back; reverse rollout {_with_engine(settings, back)}")
    elif cmd == "show":
        counts = _with_engine(settings, lambda e: rollouts.progress(e, args.rollout))
        print(json.dumps(counts, sort_keys=True))
    return 0


def add_parser(sub: Any) -> None:
    p = sub.add_parser("fleet", help="vendor: signing key, bundles, software, rollouts")
    fleet = p.add_subparsers(dest="fleet_command", required=True)
    fleet.add_parser("keygen", help="print a new Ed25519 signing key and its public key")

    def with_config(name: str, help_text: str) -> argparse.ArgumentParser:
        q: argparse.ArgumentParser = fleet.add_parser(name, help=help_text)
        q.add_argument("--config", type=Path, help="cloud.toml")
        return q

    q = with_config("publish-bundle", "publish the next version of a bundle from a CSV")
    q.add_argument("--kind", choices=[k.value for k in BundleKind], required=True)
    q.add_argument("csv", type=Path)
    q = with_config("add-software", "store and sign a software artifact")
    q.add_argument("--version", required=True)
    q.add_argument("artifact", type=Path)
    q = with_config("rollout", "start a staged rollout")
    target = q.add_mutually_exclusive_group(required=True)
    target.add_argument("--software", help="software version")
    target.add_argument("--bundle", choices=[k.value for k in BundleKind], help="bundle kind")
    q.add_argument("--version", help="bundle version (with --bundle)")
    q.add_argument("--previous", help="version a roll back returns to")
    q.add_argument("--boxes", required=True, help="tenant/box,tenant/box,...")
    q.add_argument("--canary", type=int, default=1)
    q.add_argument("--rate", type=int, default=60, help="boxes per minute")
    q.add_argument("--abort-pct", type=int, default=20)
    q.add_argument("--min-executed", type=int, default=5)
    for name in ("pause", "resume", "rollback", "show"):
        q = with_config(name, f"{name} a rollout")
        q.add_argument("rollout", type=int)
    p.set_defaults(func=run)
