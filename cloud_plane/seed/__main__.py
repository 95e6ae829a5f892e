"""``python -m cloud_plane.seed URL [--data-dir DIR]``: migrate, seed the demo, print the logins."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from cloud_plane.db.engine import create_engine, upgrade
from cloud_plane.refdata.loaders import DEFAULT_DATA_DIR
from cloud_plane.seed.demo import DemoInfo, seed_demo


async def _run(url: str, data_dir: Path) -> DemoInfo:
    engine = create_engine(url)
    try:
        return await seed_demo(engine, data_dir)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cloud_plane.seed")
    parser.add_argument("database_url", help="sqlite+aiosqlite:///var/cloud/clinicbox.db or PG")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args(argv)
    upgrade(args.database_url)
    info = asyncio.run(_run(args.database_url, args.data_dir))
    for clinic in info.clinics:
        print(f"{clinic.name} ({clinic.slug}) 醫事機構代號 {clinic.nhi_code}, box {clinic.box_id}")
        for login in clinic.logins:
            print(f"  {login.username:<12} {login.password:<28} {','.join(login.roles)}")
    print(
        f"formulary: {info.formulary_size} drugs (DEMO names/prices), refdata {info.reference_rows}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
