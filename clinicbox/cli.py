"""The ``clinicbox`` command: one entry point for the cloud, the box, the demo and its devices.

Examples::

    clinicbox demo                       # everything on this machine, with a demo clinic
    clinicbox cloud --config cloud.toml  # one cloud process
    clinicbox box --config box.toml      # the box daemon
    clinicbox card insert --name 王小明  # put a virtual NHI card into the demo reader
    clinicbox card remove
    clinicbox migrate --database-url sqlite+aiosqlite:///var/cloud/clinicbox.db
    clinicbox nhi-sandbox --port 8090 --data-dir var/nhi-sandbox  # stand-in NHI services
    clinicbox nhi ic-upload --config cloud.toml --tenant demo-west --date 2026-12-03
    clinicbox nhi claims --config cloud.toml --tenant demo-west --month 2026-12
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

DEFAULT_DEMO_DIR = Path("var/demo")


def _cmd_cloud(args: argparse.Namespace) -> int:
    from cloud_plane.config import CloudSettings
    from cloud_plane.main import run_cloud

    settings = CloudSettings.from_file(args.config) if args.config else CloudSettings()
    asyncio.run(run_cloud(settings))
    return 0


def _cmd_box(args: argparse.Namespace) -> int:
    from edge_agent.config import BoxSettings
    from edge_agent.daemon import RESTART_EXIT_CODE, run_box

    code = asyncio.run(run_box(BoxSettings.from_file(args.config)))
    if code == RESTART_EXIT_CODE:
        # a remote "restart agent": the same process image starts afresh (no supervisor needed)
        os.execv(sys.executable, [sys.executable, "-m", "clinicbox.cli", *sys.argv[1:]])
    return code


def _cmd_demo(args: argparse.Namespace) -> int:
    from clinicbox.demo import run_demo

    return run_demo(args.workdir, http_port=args.http_port, data_dir=args.data_dir)


def _cmd_migrate(args: argparse.Namespace) -> int:
    from cloud_plane.db.engine import upgrade

    upgrade(args.database_url)
    print(f"migrated {args.database_url}")
    return 0


def _cmd_card(args: argparse.Namespace) -> int:
    from devsim.card_control import control

    state = json.loads((args.workdir / "demo.json").read_text(encoding="utf-8"))
    card = None
    if args.action == "insert" and args.sandbox_patient is not None:
        from devsim.sandbox_card import sandbox_card

        card = sandbox_card(state["nhi_sandbox_url"], args.sandbox_patient)
    elif args.action == "insert":
        card = {
            "name": args.name,
            "id_no": args.id,
            "birth_date": args.birth.isoformat(),
            "sex": args.sex,
            "card_no": args.card_no,
        }
        card = {k: v for k, v in card.items() if v is not None}
    reply = asyncio.run(control(state["card_control_url"], args.action, card))
    print(json.dumps(reply, ensure_ascii=False))
    return 0


def _cmd_nhi_sandbox(args: argparse.Namespace) -> int:
    from nhi_sandbox.__main__ import run

    return run(args)


def _cmd_nhi(args: argparse.Namespace) -> int:
    from cloud_plane.nhiops.cli import run

    return run(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="clinicbox", description=__doc__.split("\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("cloud", help="run one cloud process (web pages + box link)")
    p.add_argument("--config", type=Path, help="cloud.toml (see docs/operations.md)")
    p.set_defaults(func=_cmd_cloud)

    p = sub.add_parser("box", help="run the box daemon (card readers, printers, outbox, link)")
    p.add_argument("--config", type=Path, required=True, help="box.toml")
    p.set_defaults(func=_cmd_box)

    p = sub.add_parser("demo", help="run everything locally with a demo clinic")
    p.add_argument("--workdir", type=Path, default=DEFAULT_DEMO_DIR)
    p.add_argument("--http-port", type=int, default=8080)
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="reference data (default: ../shared/data beside the repository)",
    )
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("migrate", help="bring a cloud database to the latest schema")
    p.add_argument("--database-url", required=True)
    p.set_defaults(func=_cmd_migrate)

    p = sub.add_parser("card", help="insert or remove the demo's virtual NHI card")
    p.add_argument("action", choices=["insert", "remove", "state"])
    p.add_argument("--workdir", type=Path, default=DEFAULT_DEMO_DIR)
    p.add_argument("--name", help="holder's name (Chinese, Big5-encodable)")
    p.add_argument("--id", help="national ID number")
    p.add_argument("--birth", type=date.fromisoformat, help="birth date YYYY-MM-DD")
    p.add_argument("--sex", choices=["M", "F"])
    p.add_argument("--card-no", help="12-digit card number")
    p.add_argument(
        "--sandbox-patient",
        type=int,
        help="insert the card of the NHI sandbox's n-th active person (gets a real 就醫序號)",
    )
    p.set_defaults(func=_cmd_card)

    from clinicbox import provision_cli

    provision_cli.add_parser(sub)

    from nhi_sandbox.__main__ import add_arguments

    p = sub.add_parser("nhi-sandbox", help="run the NHI sandbox (stand-in NHI online services)")
    add_arguments(p)
    p.set_defaults(func=_cmd_nhi_sandbox)

    from cloud_plane.fleet_updates.cli import add_parser as add_fleet_parser

    add_fleet_parser(sub)
    from cloud_plane.nhiops.cli import add_arguments as add_nhi_arguments

    p = sub.add_parser("nhi", help="NHI runs for a clinic: IC-card upload, monthly claims")
    add_nhi_arguments(p)
    p.set_defaults(func=_cmd_nhi)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
