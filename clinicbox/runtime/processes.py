"""Child processes of the demo, the end-to-end tests and the benchmarks.

A :class:`ProcessGroup` starts each service as a real OS process with its output in a log file,
waits until it is ready (a TCP port accepts, or a predicate holds), and stops them all in reverse
order: SIGTERM, then SIGKILL after a grace period. ``kill(name)`` sends SIGKILL on purpose, for
fault tests.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from clinicbox.runtime.ports import port_open


class ProcessStartError(RuntimeError):
    """A child did not become ready; the message includes the tail of its log."""


@dataclass
class ManagedProcess:
    name: str
    argv: list[str]
    log_path: Path
    popen: subprocess.Popen[bytes]
    env: dict[str, str] = field(default_factory=dict)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None


class ProcessGroup:
    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.procs: dict[str, ManagedProcess] = {}

    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        ready_port: tuple[str, int] | None = None,
        ready: Callable[[], bool] | None = None,
        timeout: float = 30.0,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> ManagedProcess:
        if name in self.procs and self.procs[name].alive:
            raise ProcessStartError(f"{name} is already running")
        log_path = self.log_dir / f"{name}.log"
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        log = log_path.open("ab")
        popen = subprocess.Popen(
            list(argv),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=full_env,
            cwd=cwd,
            start_new_session=True,  # Ctrl-C in the terminal reaches us only; we stop children
        )
        log.close()
        proc = ManagedProcess(name, list(argv), log_path, popen, env or {})
        self.procs[name] = proc
        deadline = time.monotonic() + timeout
        while True:
            if not proc.alive:
                raise ProcessStartError(
                    f"{name} exited with {popen.returncode}:\n{proc.log_tail()}"
                )
            ok = True
            if ready_port is not None:
                ok = port_open(*ready_port)
            if ok and ready is not None:
                ok = ready()
            if ok:
                return proc
            if time.monotonic() > deadline:
                self.stop(name)
                raise ProcessStartError(f"{name} not ready after {timeout}s:\n{proc.log_tail()}")
            time.sleep(0.05)

    def python(self, name: str, module: str, *args: str, **kwargs: object) -> ManagedProcess:
        """Start ``python -m module args`` with this interpreter."""
        return self.start(name, [sys.executable, "-m", module, *args], **kwargs)  # type: ignore[arg-type]

    def kill(self, name: str) -> None:
        """SIGKILL, no grace: what a crash or a power cut looks like to the process."""
        proc = self.procs[name]
        if proc.alive:
            os.killpg(proc.popen.pid, signal.SIGKILL)
            proc.popen.wait(10)

    def stop(self, name: str, grace: float = 8.0) -> None:
        proc = self.procs.get(name)
        if proc is None or not proc.alive:
            return
        try:
            os.killpg(proc.popen.pid, signal.SIGTERM)
            proc.popen.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(proc.popen.pid, signal.SIGKILL)
            proc.popen.wait(10)
        except ProcessLookupError:
            pass

    def stop_all(self) -> None:
        for name in reversed(list(self.procs)):
            self.stop(name)
