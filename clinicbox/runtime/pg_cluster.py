"""A private PostgreSQL cluster that a fault test or benchmark owns, and may crash and restart.

:mod:`clinicbox.runtime.postgres` finds the machine's shared server when one answers; a test
that restarts its database must never touch that one. :class:`PrivateCluster` always runs its
own cluster (initdb in ``base``, a free port kept across restarts, run as the ``postgres`` user
when we are root), so ``crash()`` (``pg_ctl stop -m immediate``: every server process quits at
once without a checkpoint, and the next start runs crash recovery, as after kill -9 or a power
cut) and ``start()`` affect nobody else.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from clinicbox.runtime.ports import free_port, port_open
from clinicbox.runtime.postgres import _as_user_prefix, _bin_dir, _chown_for_postgres, _url


class PrivateCluster:
    """``with PrivateCluster(base) as pg: pg.url`` (``base`` must not be under a 0700 dir
    that the ``postgres`` user cannot enter, e.g. pytest's ``tmp_path``: use ``/tmp``)."""

    def __init__(self, base: Path, port: int | None = None) -> None:
        self.base = base
        self.data = base / "data"
        self.sock = base / "sock"
        self.port = port if port is not None else free_port()
        self.restarts = 0

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the ``postgres`` database (asyncpg)."""
        return _url(self.port)

    def _run(self, *argv: str) -> None:
        subprocess.run([*_as_user_prefix(), *argv], check=True, capture_output=True)

    def init(self) -> None:
        for d in (self.base, self.sock):
            d.mkdir(parents=True, exist_ok=True)
            os.chmod(d, 0o755)
            _chown_for_postgres(d)
        if (self.data / "PG_VERSION").exists():
            return
        self._run(
            str(_bin_dir() / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )

    def start(self) -> None:
        """Start (crash recovery runs first after :meth:`crash`); return once it accepts."""
        self.init()
        self._run(
            str(_bin_dir() / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.base / "server.log"),
            "-w",
            "-o",
            f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1 -c fsync=on",
            "start",
        )

    def crash(self) -> None:
        """Every server process exits at once, no checkpoint, connections dropped."""
        self._stop("immediate")

    def stop(self) -> None:
        self._stop("fast")

    def _stop(self, mode: str) -> None:
        if not (self.data / "postmaster.pid").exists():
            return
        self._run(str(_bin_dir() / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        """Crash and start again on the same port."""
        self.crash()
        self.start()
        self.restarts += 1

    @property
    def accepting(self) -> bool:
        return port_open("127.0.0.1", self.port)

    def __enter__(self) -> PrivateCluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
