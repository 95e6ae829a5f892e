"""The real clinic stack of the cloud-side fault tests: a private PostgreSQL cluster (which the
test may crash), a broker, the demo clinic migrated and seeded, real ``clinicbox cloud``
processes, and one registered box per test. Counts are taken from the clinic's own tables:
one ``card.inserted`` event is one patient (distinct national id per seq) and one visit."""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from faults_helpers import Counts
from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox.demo import DEMO_TENANT, DemoStack
from clinicbox.runtime.pg_cluster import PrivateCluster
from clinicbox.runtime.postgres import create_database
from cloud_plane.db.engine import create_engine
from cloud_plane.db.tables_boxlink import box_inbox
from cloud_plane.db.tables_clinic import boxes, patients, tenants, visits


@dataclass
class ClinicStack:
    stack: DemoStack
    pg: PrivateCluster
    url: str
    boxes_added: list[str] = field(default_factory=list)

    @property
    def broker(self):  # type: ignore[no-untyped-def]
        assert self.stack.broker is not None
        return self.stack.broker

    async def add_box(self, box_id: str) -> None:
        """Register ``box_id`` with the demo clinic (a second box of the same clinic)."""
        engine = create_engine(self.url)
        try:
            async with engine.begin() as conn:
                tid = (
                    await conn.execute(select(tenants.c.id).where(tenants.c.slug == DEMO_TENANT))
                ).scalar_one()
                await conn.execute(
                    boxes.insert().values(
                        box_id=box_id,
                        tenant_id=tid,
                        printer_roles=["drugbag", "receipt", "slip"],
                        created_at=datetime.now(UTC),
                    )
                )
        finally:
            await engine.dispose()
        self.boxes_added.append(box_id)


def start_clinic(prefix: str = "faults-") -> Iterator[ClinicStack]:
    """Generator for a module fixture (``yield from start_clinic()``)."""
    base = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    base.chmod(0o755)
    pg = PrivateCluster(base / "pg")
    stack = DemoStack(base / "stack")
    try:
        pg.start()
        url = create_database(pg.url, "clinic")
        stack.start_broker()
        stack.prepare_database(url)
        yield ClinicStack(stack, pg, url)
    finally:
        stack.stop_all()
        if stack.broker is not None:
            stack.broker.kill()
        pg.stop()
        shutil.rmtree(base, ignore_errors=True)


async def clinic_counts(engine: AsyncEngine, box_id: str, id_prefix: str, created: int) -> Counts:
    """Events of ``box_id`` against the visits of patients ``id_prefix*`` it registered.

    ``out_of_order``: visits whose 看診號 is lower than that of the previous seq's visit."""
    async with engine.connect() as conn:
        rows, distinct = (
            await conn.execute(
                select(func.count(), func.count(func.distinct(box_inbox.c.seq))).where(
                    box_inbox.c.box_id == box_id
                )
            )
        ).one()
        found = (
            await conn.execute(
                select(patients.c.national_id, visits.c.visit_no)
                .join(visits, visits.c.patient_id == patients.c.id)
                .where(
                    and_(patients.c.national_id.like(f"{id_prefix}%"), visits.c.source == "card")
                )
            )
        ).all()
    by_seq: dict[int, list[int]] = {}
    for national_id, visit_no in found:
        by_seq.setdefault(int(national_id[2:9]), []).append(int(visit_no))
    ordered = [min(by_seq[s]) for s in sorted(by_seq)]
    return Counts(
        created=created,
        cloud=len(by_seq),
        duplicates=(int(rows) - int(distinct)) + sum(len(v) - 1 for v in by_seq.values()),
        lost=len(set(range(1, created + 1)) - set(by_seq)),
        out_of_order=sum(1 for a, b in itertools.pairwise(ordered) if b < a),
    )
