"""Helpers of the fault tests: the effect table that records what the cloud applied (and in which
order), box/cloud settings pointed at a broker or at a :class:`~devsim.netfault.FaultProxy`, the
count line every fault test prints, and running services with a bounded wait."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import Column, Integer, MetaData, String, Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from clinicbox.runtime.mosquitto import MosquittoBroker
from clinicbox_core.contracts import Event
from clinicbox_core.settings_models import MqttSettings
from edge_agent.config import BoxSettings

REPO = Path(__file__).resolve().parents[2]
TENANT = "clinic-f"
LONG_ENV = "CLINICBOX_FAULTS_LONG"


def long_run() -> bool:
    """The long variants (minutes of partition, thousands of kills) run only when asked."""
    return os.environ.get(LONG_ENV, "") not in ("", "0")


# The effect of each applied event, one row per application, numbered in the order the cloud
# committed them: no unique key, so a double application shows up as a duplicate instead of
# being hidden by a constraint, and ``applied`` gives the order.
effect_meta = MetaData()
fault_effect = Table(
    "fault_effect",
    effect_meta,
    Column("applied", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False),
    Column("box_id", String(64), nullable=False),
    Column("seq", Integer, nullable=False),
)


async def effect_handler(conn: AsyncConnection, tenant: str, event: Event) -> None:
    await conn.execute(
        fault_effect.insert().values(
            event_id=str(event.event_id), box_id=event.box_id, seq=event.seq
        )
    )


def mqtt_settings(
    broker: MosquittoBroker, identity: str, *, port: int | None = None, keepalive_s: int = 30
) -> MqttSettings:
    """Settings of ``identity`` for ``broker``, optionally through a proxy on ``port``."""
    cert = broker.client_cert(identity)
    return MqttSettings(
        host=broker.host,
        port=port if port is not None else broker.port,
        ca_file=broker.ca_file,
        cert_file=cert.cert,
        key_file=cert.key,
        keepalive_s=keepalive_s,
        reconnect_min_s=0.05,
        reconnect_max_s=0.5,
    )


def box_settings(
    broker: MosquittoBroker, box_id: str, data_dir: Path, **kwargs: int
) -> BoxSettings:
    broker.bind_box(box_id, TENANT)  # the ACL binds each box to its clinic
    return BoxSettings(
        box_id=box_id,
        tenant=TENANT,
        data_dir=data_dir,
        mqtt=mqtt_settings(broker, box_id, **kwargs),
    )


def box_process(
    broker: MosquittoBroker,
    box_id: str,
    outbox: Path,
    events: int,
    *,
    tenant: str = TENANT,
    kind: str = "removed",
    pace_s: float = 0.0,
    port: int | None = None,
    env: dict[str, str] | None = None,
    clock_file: Path | None = None,
    id_prefix: str = "Q1",
) -> subprocess.Popen[str]:
    """Start ``tests.faults.fault_box`` (a real box: outbox + link) as its own process."""
    broker.bind_box(box_id, tenant)  # the ACL binds each box to its clinic
    cert = broker.client_cert(box_id)
    args = [
        sys.executable,
        "-m",
        "tests.faults.fault_box",
        f"--box-id={box_id}",
        f"--tenant={tenant}",
        f"--outbox={outbox}",
        f"--port={port if port is not None else broker.port}",
        f"--ca={broker.ca_file}",
        f"--cert={cert.cert}",
        f"--key={cert.key}",
        f"--events={events}",
        f"--kind={kind}",
        f"--pace={pace_s}",
        f"--id-prefix={id_prefix}",
    ]
    if clock_file is not None:
        args.append(f"--clock-file={clock_file}")
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.Popen(args, cwd=REPO, env=full_env, stdout=subprocess.PIPE, text=True)


def last_json_line(out: str) -> dict[str, object]:
    import json

    lines = [line for line in out.strip().splitlines() if line.startswith("{")]
    data: dict[str, object] = json.loads(lines[-1])
    return data


@dataclass(frozen=True)
class Counts:
    """What a fault test compares: events created on the box against effects in the cloud."""

    created: int
    cloud: int  # distinct seqs applied in the cloud
    duplicates: int  # applications beyond the first of a seq
    lost: int  # seqs created on the box and never applied
    out_of_order: int  # applications whose seq is lower than the one applied before

    def line(self, **extra: object) -> str:
        parts = [
            f"created={self.created}",
            f"cloud={self.cloud}",
            f"duplicates={self.duplicates}",
            f"lost={self.lost}",
            f"out_of_order={self.out_of_order}",
        ]
        parts += [f"{k}={v}" for k, v in extra.items()]
        return " ".join(parts)

    def report(self, name: str, **extra: object) -> None:
        print(f"\n[fault:{name}] {self.line(**extra)}", file=sys.stderr)

    @property
    def exact(self) -> bool:
        return self.created == self.cloud and self.duplicates == 0 and self.lost == 0


async def count(engine: AsyncEngine, box_id: str, created: int) -> Counts:
    """Compare seqs 1..``created`` of ``box_id`` with the effects the cloud committed."""
    async with engine.connect() as conn:
        seqs = (
            (
                await conn.execute(
                    select(fault_effect.c.seq)
                    .where(fault_effect.c.box_id == box_id)
                    .order_by(fault_effect.c.applied)
                )
            )
            .scalars()
            .all()
        )
    distinct = set(seqs)
    out_of_order = sum(1 for a, b in itertools.pairwise(seqs) if b < a)
    return Counts(
        created=created,
        cloud=len(distinct),
        duplicates=len(seqs) - len(distinct),
        lost=len(set(range(1, created + 1)) - distinct),
        out_of_order=out_of_order,
    )


async def effect_rows(engine: AsyncEngine, box_id: str) -> int:
    async with engine.connect() as conn:
        n = await conn.execute(
            select(func.count()).select_from(fault_effect).where(fault_effect.c.box_id == box_id)
        )
        return int(n.scalar_one())


async def wait_until(
    predicate: Callable[[], Awaitable[bool]], *, limit_s: float = 90.0, step_s: float = 0.05
) -> None:
    """Poll ``predicate`` until true; fail (not a timing assertion) after ``limit_s``."""
    deadline = asyncio.get_running_loop().time() + limit_s
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not reached within {limit_s}s")
        await asyncio.sleep(step_s)


class Service(Protocol):
    async def run(self) -> None: ...
    async def stop(self) -> None: ...


@contextlib.asynccontextmanager
async def running(*services: Service) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(s.run()) for s in services]
    try:
        yield
    finally:
        for s in services:
            await s.stop()
        await asyncio.gather(*tasks)
