"""The 20-column drug price list loaded into the cloud database: the database look-up
(``cloud_plane.refdata.lookup.drug_price``) picks the same price as the pure ``price()`` on every
day around each edition's boundaries, and a reload of the same file changes nothing."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

from clinicbox_core.nhi.drug_prices import HEADER, parse_price_list, price
from cloud_plane.db.engine import create_engine, upgrade
from cloud_plane.refdata.loaders import DRUG_FILE, load_drug_codes
from cloud_plane.refdata.lookup import drug_price

EDITIONS = [  # code, price, 有效起日, 有效迄日 (ROC), ATC
    ("A000015421", "2.05", "1120101", "1121231", "N02BE01"),
    ("A000015421", "1.98", "1130101", "1130630", "N02BE01"),
    ("A000015421", "1.90", "1130801", "9991231", "N02BE01"),  # a gap in July
    ("AC43718100", "1.50", " 1100701", "", ""),
]


def _write(data_dir: Path) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(HEADER)
    for code, amount, start, end, atc in EDITIONS:
        cells = [""] * 20
        cells[1], cells[2], cells[3], cells[8], cells[9], cells[10], cells[16] = (
            code, "Panadol", "普拿疼", amount, start, end, atc,
        )  # fmt: skip
        w.writerow(cells)
    path = data_dir / DRUG_FILE
    path.parent.mkdir(parents=True)
    path.write_text("\ufeff" + out.getvalue(), encoding="utf-8")
    return out.getvalue()


async def test_database_pick_matches_pure_pick(tmp_path: Path) -> None:
    text = _write(tmp_path / "data")
    rows = parse_price_list(text)
    url = f"sqlite+aiosqlite:///{tmp_path / 'cloud.db'}"
    upgrade(url)
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            assert await load_drug_codes(conn, tmp_path / "data") == len(EDITIONS)
            assert await load_drug_codes(conn, tmp_path / "data") == 0  # same file: no-op
            edges = {r.valid_from for r in rows} | {r.valid_to for r in rows if r.valid_to}
            days = sorted({d + timedelta(days=k) for d in edges for k in (-1, 0, 1)})
            days.append(date(2030, 1, 1))
            for code in ("A000015421", "AC43718100", "B999999999"):
                for day in days:
                    assert await drug_price(conn, code, day) == price(rows, code, day), (code, day)
            assert await drug_price(conn, "A000015421", date(2024, 7, 15)) is None
    finally:
        await engine.dispose()
