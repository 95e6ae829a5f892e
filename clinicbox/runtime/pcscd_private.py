"""A private pcscd with its own virtual reader, so test runs and demos never share a card slot.

pcscd is a system singleton: one socket at ``/run/pcscd/pcscd.comm`` and one vpcd reader on TCP
35963. Two test runs (or a test run and ``make demo``) on one machine would insert cards into each
other's reader. pcsc-lite's client library honours ``PCSCLITE_CSOCK_NAME`` (the socket to talk
to), but the daemon's socket path is compiled in; so the private daemon runs in its own mount
namespace (``unshare --mount``) with a directory of ours bind-mounted over ``/run/pcscd``, and
reads a reader.conf directory of ours (``pcscd -c``) naming vpcd on a free port.

:func:`start_private_pcscd` sets ``PCSCLITE_CSOCK_NAME`` and ``CLINICBOX_VPCD_PORT`` in this
process's environment, so this process (its first PC/SC call) and every child it starts afterwards
use the private daemon; ``devsim`` reads ``CLINICBOX_VPCD_PORT`` for its default slot. On the
appliance none of this is used: the system pcscd and the real readers are.

Needs root (or CAP_SYS_ADMIN) for the mount namespace; :class:`PcscdUnavailable` otherwise, and
callers fall back to the system pcscd.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from clinicbox.runtime.pcscd import (
    SOCKET_ENV,
    VPCD_DRIVER,
    VPCD_PORT_ENV,
    PcscdUnavailable,
    _pcscd_binary,
    ensure_pcscd,
)
from clinicbox.runtime.ports import free_port, port_open

SYSTEM_RUN_DIR = Path("/run/pcscd")


def _free_port_pair(attempts: int = 50) -> int:
    """A port p with p and p+1 both free (vpcd listens on one port per slot, two slots)."""
    for _ in range(attempts):
        port = free_port()
        if port < 65535 and not port_open("127.0.0.1", port + 1):
            return port
    raise PcscdUnavailable(detail="no two adjacent free TCP ports for the vpcd reader")


def _reader_conf(port: int) -> str:
    return (
        'FRIENDLYNAME "Virtual PCD"\n'
        f"DEVICENAME   /dev/null:0x{port:04X}\n"
        f"LIBPATH      {VPCD_DRIVER}\n"
        f"CHANNELID    0x{port:04X}\n"
    )


@dataclass
class PrivatePcscd:
    """A running private pcscd: its socket, its vpcd port and its process."""

    workdir: Path
    vpcd_port: int
    process: subprocess.Popen[bytes]

    @property
    def socket_path(self) -> Path:
        return self.workdir / "run" / "pcscd.comm"

    def environment(self) -> dict[str, str]:
        """The variables that point a process at this daemon."""
        return {SOCKET_ENV: str(self.socket_path), VPCD_PORT_ENV: str(self.vpcd_port)}

    def terminate(self) -> None:
        """Stop the daemon (SIGTERM, then SIGKILL); the environment stays pointed at it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def restart(self, timeout: float = 30.0) -> None:
        """Start the daemon again on the same socket and port (after :meth:`terminate`)."""
        self.terminate()
        self.process = _spawn(self.workdir, self.vpcd_port)
        _wait_ready(self, timeout)

    def stop(self) -> None:
        """Terminate and stop pointing this process's environment at the daemon."""
        global _active
        self.terminate()
        for name, value in self.environment().items():
            if os.environ.get(name) == value:
                del os.environ[name]
        if _active is self:
            _active = None


_active: PrivatePcscd | None = None


def active_private_pcscd() -> PrivatePcscd | None:
    """The private pcscd this process started and still uses, if any."""
    return _active


def _spawn(workdir: Path, port: int) -> subprocess.Popen[bytes]:
    binary = _pcscd_binary()
    unshare = shutil.which("unshare")
    if unshare is None or os.geteuid() != 0:
        raise PcscdUnavailable(detail="a private pcscd needs root and unshare(1)")
    run_dir = workdir / "run"
    conf_dir = workdir / "reader.conf.d"
    for directory in (run_dir, conf_dir, SYSTEM_RUN_DIR):
        directory.mkdir(parents=True, exist_ok=True)
    (run_dir / "pcscd.comm").unlink(missing_ok=True)
    (conf_dir / "vpcd").write_text(_reader_conf(port), encoding="ascii")
    script = f'mount --bind "$0" {SYSTEM_RUN_DIR} && exec "$1" --foreground --config "$2"'
    argv = [unshare, "--mount", "--propagation", "private", "sh", "-c", script]
    with (workdir / "pcscd.log").open("ab") as log:
        return subprocess.Popen(
            [*argv, str(run_dir), binary, str(conf_dir)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait_ready(daemon: PrivatePcscd, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not daemon.socket_path.exists():
        if daemon.process.poll() is not None or time.monotonic() >= deadline:
            daemon.terminate()
            detail = (daemon.workdir / "pcscd.log").read_text(errors="replace").strip()[-500:]
            raise PcscdUnavailable(detail=f"private pcscd did not start: {detail}")
        time.sleep(0.05)
    try:
        ensure_pcscd(timeout=max(0.5, deadline - time.monotonic()))
    except PcscdUnavailable:
        daemon.terminate()
        raise


def start_private_pcscd(workdir: Path, timeout: float = 30.0) -> PrivatePcscd:
    """Start a private pcscd under ``workdir`` and point this process (and its children) at it."""
    global _active
    port = _free_port_pair()
    daemon = PrivatePcscd(workdir=workdir, vpcd_port=port, process=_spawn(workdir, port))
    os.environ.update(daemon.environment())
    try:
        _wait_ready(daemon, timeout)
    except PcscdUnavailable:
        daemon.stop()
        raise
    _active = daemon
    return daemon
