"""Make sure the PC/SC daemon runs and shows the virtual reader (demo and tests).

pcscd is a system singleton; on the box an init system starts it, here there is none, so the
demo and the tests start it themselves (``pcscd`` daemonizes and stays up for everyone). The
virtual reader "Virtual PCD" comes from vsmartcard-vpcd's /etc/reader.conf.d/vpcd.

When ``PCSCLITE_CSOCK_NAME`` is set, a private pcscd (:mod:`clinicbox.runtime.pcscd_private`)
owned by whoever set it is used instead, and nothing here starts the system one.

Blocking (it waits for pcscd): call it from a thread when on an event loop.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from clinicbox_core.errors import DeviceError

VIRTUAL_READER = "Virtual PCD"
SOCKET_ENV = "PCSCLITE_CSOCK_NAME"  # pcsc-lite's own: which daemon socket a client talks to
VPCD_PORT_ENV = "CLINICBOX_VPCD_PORT"  # ours: the first vpcd slot's TCP port (devsim's default)
SYSTEM_VPCD_PORT = 35963  # vsmartcard-vpcd's /etc/reader.conf.d/vpcd (CHANNELID 0x8C7B)
VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
BOOTSTRAP_HINT = "run scripts/bootstrap.sh (installs pcscd and vsmartcard-vpcd)"


class PcscdUnavailable(DeviceError):
    """pcscd is missing, will not start, or does not list the virtual reader."""

    default_key = "error.pcscd_unavailable"


def _pcscd_binary() -> str:
    found = shutil.which("pcscd") or shutil.which("pcscd", path="/usr/sbin:/sbin")
    if found is None:
        raise PcscdUnavailable(detail=f"pcscd is not installed: {BOOTSTRAP_HINT}")
    if not VPCD_DRIVER.exists():
        raise PcscdUnavailable(detail=f"vsmartcard-vpcd is not installed: {BOOTSTRAP_HINT}")
    return found


def vpcd_port() -> int:
    """The first vpcd slot's TCP port: the private pcscd's when one is in use, else the system's."""
    value = os.environ.get(VPCD_PORT_ENV)
    return int(value) if value else SYSTEM_VPCD_PORT


def list_readers() -> list[str] | None:
    """The readers pcscd lists, or ``None`` when no pcscd answers."""
    try:
        from smartcard import scard
    except ImportError as exc:
        raise PcscdUnavailable(detail=f"pyscard is not installed: {BOOTSTRAP_HINT}") from exc
    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return None
    try:
        hresult, readers = scard.SCardListReaders(context, [])
        if hresult == scard.SCARD_E_NO_READERS_AVAILABLE:
            return []
        if hresult != scard.SCARD_S_SUCCESS:
            return None
        return list(readers)
    finally:
        scard.SCardReleaseContext(context)


def _start_pcscd(binary: str) -> None:
    # pcscd forks a daemon that keeps its inherited stdio: give it no pipes (a pipe would stay
    # open forever and hang whoever reads it, e.g. subprocess or a CI log collector).
    with tempfile.TemporaryFile() as errors:
        result = subprocess.run(
            [binary],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            timeout=10,
            check=False,
        )
        if result.returncode != 0:
            errors.seek(0)
            detail = errors.read().decode(errors="replace").strip()
            raise PcscdUnavailable(detail=f"pcscd exited with {result.returncode}: {detail}")


def ensure_pcscd(timeout: float = 10.0, reader: str = VIRTUAL_READER) -> None:
    """Start pcscd if nothing answers, then wait until a reader named ``reader`` is listed."""
    binary = _pcscd_binary()
    readers = list_readers()
    if readers is None and not os.environ.get(SOCKET_ENV):
        _start_pcscd(binary)
    deadline = time.monotonic() + timeout
    while True:
        readers = list_readers()
        if readers is not None and any(reader in name for name in readers):
            return
        if time.monotonic() >= deadline:
            seen = "no pcscd answered" if readers is None else f"readers: {readers}"
            raise PcscdUnavailable(
                detail=f"no '{reader}' reader after {timeout:.0f} s ({seen}); {BOOTSTRAP_HINT}"
            )
        time.sleep(0.1)


def wait_card_state(reader: str, present: bool, timeout: float) -> bool:
    """Wait until pcscd reports ``reader`` with (``present``) or without a card.

    False when it did not within ``timeout`` seconds, or when pcscd or the reader is not there.
    """
    from smartcard import scard

    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return False
    try:
        deadline = time.monotonic() + timeout
        known = scard.SCARD_STATE_UNAWARE
        while True:
            remaining_ms = max(0, int((deadline - time.monotonic()) * 1000))
            hresult, states = scard.SCardGetStatusChange(context, remaining_ms, [(reader, known)])
            if hresult != scard.SCARD_S_SUCCESS:
                return False
            event_state = int(states[0][1])
            if event_state & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_IGNORE):
                return False
            if bool(event_state & scard.SCARD_STATE_PRESENT) == present:
                return True
            known = event_state & ~scard.SCARD_STATE_CHANGED
    finally:
        scard.SCardReleaseContext(context)


if __name__ == "__main__":
    ensure_pcscd()
    print("\n".join(list_readers() or []))
