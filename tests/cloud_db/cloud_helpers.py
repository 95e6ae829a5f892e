"""Helpers of the cloud database tests (unique test cards, common clinic-day steps)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from clinicbox.runtime import postgres
from clinicbox_core.nhi.card import NhiCardBasic
from clinicbox_core.nhi.id_number import check_digit
from cloud_plane.seed.demo import DemoInfo
from cloud_plane.services.actor import Actor


@dataclass(frozen=True)
class Seeded:
    backend: str
    url: str
    info: DemoInfo
    actors: dict[str, Actor]  # "west.frontdesk", "east.doctor1", ...


def pg_server_url() -> str:
    return os.environ.get("CLINICBOX_TEST_PG_URL") or postgres.ensure()


@contextmanager
def new_database(backend: str, tmp: Path) -> Iterator[str]:
    """A throwaway database URL: a temp SQLite file, or a fresh PostgreSQL database (dropped)."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp / 'cloud.db'}"
        return
    url = postgres.create_database(pg_server_url())
    try:
        yield url
    finally:
        postgres.drop_database(url)


_serial = itertools.count(int.from_bytes(os.urandom(3), "big") % 9_000_000)


def make_card(
    name: str = "測試病人", sex: str = "M", born: date = date(1985, 3, 4)
) -> NhiCardBasic:
    """A valid, unique card (national ID with a correct check digit)."""
    n = next(_serial) % 10_000_000
    first_nine = f"{'Q' if sex == 'M' else 'R'}{1 if sex == 'M' else 2}{n:07d}"
    return NhiCardBasic(
        card_no=f"9{n:011d}",
        name=name,
        id_no=first_nine + check_digit(first_nine),
        birth_date=born,
        sex=sex,
        issue_date=date(2020, 1, 2),
    )


async def first_demo_drug(conn: object, keyword: str = "acetaminophen") -> str:
    """A formulary drug code with a demo price."""
    from sqlalchemy import select
    from sqlalchemy.ext.asyncio import AsyncConnection

    from cloud_plane.db.tables_refdata import drugs

    assert isinstance(conn, AsyncConnection)
    code = (
        (
            await conn.execute(
                select(drugs.c.code)
                .where(drugs.c.demo_value.is_(True), drugs.c.name_en.ilike(f"%{keyword}%"))
                .order_by(drugs.c.code)
            )
        )
        .scalars()
        .first()
    )
    assert code is not None
    return str(code)
