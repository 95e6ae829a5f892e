"""Find or start a PostgreSQL server for the demo and the tests, and make throwaway databases.

``python -m clinicbox.runtime.postgres ensure`` prints a SQLAlchemy URL:

1. a server already answering on 127.0.0.1:5432 (user ``postgres``, trust auth), else
2. our own cluster in ``var/pg`` (initdb on first use, started on a free port; as the
   ``postgres`` user when we run as root, because PostgreSQL refuses to run as root).

``python -m clinicbox.runtime.postgres stop`` stops the cluster we started.
"""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from clinicbox.runtime.ports import free_port, port_open

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DIR = REPO_ROOT / "var" / "pg"
SYSTEM_PORT = 5432


class PostgresUnavailable(RuntimeError):
    """No server answers and none could be started here."""


def _bin_dir() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not candidates:
        raise PostgresUnavailable("no PostgreSQL binaries (apt install postgresql)")
    return candidates[-1]


def _as_user_prefix() -> list[str]:
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", "postgres", "--"]


def _chown_for_postgres(path: Path) -> None:
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(path, pw.pw_uid, pw.pw_gid)


def _url(port: int, database: str = "postgres") -> str:
    return f"postgresql+asyncpg://postgres@127.0.0.1:{port}/{database}"


def _running_port(base: Path) -> int | None:
    """The port of our cluster if its postmaster is alive and answering."""
    pid_file = base / "data" / "postmaster.pid"
    if not pid_file.exists():
        return None
    lines = pid_file.read_text().splitlines()
    if len(lines) < 4:
        return None
    pid, port = int(lines[0]), int(lines[3])
    try:
        os.kill(pid, 0)
    except OSError:
        return None
    return port if port_open("127.0.0.1", port) else None


def ensure(base: Path = DEFAULT_DIR) -> str:
    """A URL of a running server, starting our own cluster in ``base`` if needed."""
    if port_open("127.0.0.1", SYSTEM_PORT):
        return _url(SYSTEM_PORT)
    port = _running_port(base)
    if port is not None:
        return _url(port)
    bindir = _bin_dir()
    data = base / "data"
    sock = base / "sock"
    for d in (base, sock):
        d.mkdir(parents=True, exist_ok=True)
        _chown_for_postgres(d)
    prefix = _as_user_prefix()
    if not (data / "PG_VERSION").exists():
        subprocess.run(
            [
                *prefix,
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            capture_output=True,
        )
    port = free_port()
    subprocess.run(
        [
            *prefix,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(base / "server.log"),
            "-w",
            "-o",
            f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c max_connections=200",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    return _url(port)


def stop(base: Path = DEFAULT_DIR) -> bool:
    """Stop the cluster in ``base`` if it runs; True when one was stopped."""
    if _running_port(base) is None:
        return False
    subprocess.run(
        [*_as_user_prefix(), str(_bin_dir() / "pg_ctl"), "-D", str(base / "data"), "-w", "stop"],
        check=True,
        capture_output=True,
    )
    return True


def _conninfo(url: str) -> str:
    u = make_url(url)
    parts = [f"host={u.host or '127.0.0.1'}", f"port={u.port or 5432}"]
    parts.append(f"user={u.username or 'postgres'}")
    if u.password:
        parts.append(f"password={u.password}")
    parts.append(f"dbname={u.database or 'postgres'}")
    return " ".join(parts)


def create_database(server_url: str, name: str | None = None) -> str:
    """Create an empty database on the server of ``server_url``; return its URL."""
    name = name or f"clinicbox_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_conninfo(server_url), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(db_url: str) -> None:
    """Drop the database ``db_url`` names (connecting to ``postgres`` to do it)."""
    url = make_url(db_url)
    admin = url.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(_conninfo(admin), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(url.database or "")
            )
        )


@contextmanager
def throwaway_database(server_url: str) -> Iterator[str]:
    """A fresh database for the duration of the block, dropped afterwards."""
    url = create_database(server_url)
    try:
        yield url
    finally:
        drop_database(url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clinicbox.runtime.postgres")
    parser.add_argument("action", choices=["ensure", "stop"])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="cluster dir (var/pg)")
    args = parser.parse_args(argv)
    try:
        if args.action == "ensure":
            print(ensure(args.dir))
        else:
            print("stopped" if stop(args.dir) else "not running")
    except (PostgresUnavailable, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        print(f"postgres: {exc} {detail.decode(errors='replace')}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
