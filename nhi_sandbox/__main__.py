"""``python -m nhi_sandbox --port N --data-dir DIR``: run the NHI sandbox service.

Hospitals are registered with ``--hospital HOSPITALID:SAMID:SECRET`` (repeatable) or the
environment variable ``NHI_SANDBOX_HOSPITALS`` (comma-separated, same form); the secret is the
key of the HMAC that stands in for the SAM signature (docs/nhi-sandbox.md).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from nhi_sandbox.state import HospitalKey

__all__ = ["add_arguments", "main", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--data-dir", type=Path, default=Path("var/nhi-sandbox"))
    parser.add_argument("--seed", type=int, default=1, help="seed of the patient population")
    parser.add_argument(
        "--hospital",
        action="append",
        default=[],
        metavar="ID:SAMID:SECRET",
        help="register a hospital (repeatable)",
    )
    parser.add_argument(
        "--allow-clock",
        action="store_true",
        help="allow POST /sandbox/v1/Clock/Advance (tests only)",
    )


def run(args: argparse.Namespace) -> int:
    from nhi_sandbox.app import build_app

    specs = list(args.hospital)
    env = os.environ.get("NHI_SANDBOX_HOSPITALS", "")
    specs += [s for s in env.split(",") if s.strip()]
    try:
        hospitals = [HospitalKey.parse(s.strip()) for s in specs]
    except ValueError as exc:
        print(f"nhi-sandbox: {exc}", file=sys.stderr)
        return 2
    app = build_app(
        args.data_dir, seed=args.seed, hospitals=hospitals, allow_clock=args.allow_clock
    )
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nhi_sandbox", description="NHI sandbox service")
    add_arguments(parser)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
