"""Run our own mosquitto broker (demo and tests): mTLS listener, ACL, on-disk persistence.

What the generated configuration guarantees:

- The TLS listener requires a client certificate signed by our CA and uses the certificate's CN
  as the MQTT username (``use_identity_as_username``) and as the client id
  (``use_username_as_clientid``), so one box can neither pose as another nor kick another's
  session off.
- The ACL (:mod:`clinicbox.runtime.broker_acl`) binds each box to its own tenant + box prefix:
  ``clinicbox/v1/<tenant>/<box>/{evt,cmd-result,reported}`` to write and ``{cmd,desired}`` to
  read; a certificate whose CN is not listed may do nothing. Cloud identities named in
  ``cloud_identities`` may read and write every ``clinicbox/`` topic. In tests ``bind_box``
  lists a box; in a fleet the cloud owns the file (``external_acl=True``) and rewrites it.
- ``crlfile``: certificates the cloud revoked are refused at the TLS handshake; ``reload()``
  (SIGHUP) makes mosquitto re-read the ACL and the CRL without dropping anyone.
- The claim listener (``claim_port``) trusts only the separate claim CA; its certificates may
  publish a provisioning request and read its answer under their client id, nothing else.
- An optional plain listener on 127.0.0.1 without authentication exists for benchmarks only.

What survives ``kill -9``: mosquitto keeps sessions, subscriptions, retained messages and queued
QoS 1 messages in memory and writes a snapshot (``mosquitto.db``) every ``autosave_interval``
seconds (or every N changes with ``autosave_on_changes``). After a SIGKILL the broker restarts
from the last snapshot: anything since then is lost (a queued command, a retained state, a new
subscription). The box link never depends on that: the box outbox is the source of truth and is
resent until the cloud acknowledges it, every client re-subscribes on each connect, and the box
republishes its retained state on connect. A clean ``stop()`` (SIGTERM) saves everything.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from clinicbox.runtime.broker_acl import claim_acl, device_acl
from clinicbox.runtime.pki import CertPair, Pki
from clinicbox.runtime.ports import free_port, port_open
from clinicbox_core.errors import DeviceError

MOSQUITTO_BIN = Path("/usr/sbin/mosquitto")
DEFAULT_CLOUD_IDENTITIES = ("cloud-1", "cloud-2")
RELOAD_LINE = "Reloading config"


class BrokerStartFailed(DeviceError):
    default_key = "error.broker.start_failed"


class MosquittoBroker:
    """One mosquitto process with its configuration, certificates and persistence in ``workdir``.

    ``port`` is the TLS (or, with ``tls=False``, plain) listener; ``plain_port`` adds an
    unauthenticated 127.0.0.1 listener for benchmarks. Ports default to free ones and stay the
    same across ``restart()`` so clients can reconnect.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        port: int | None = None,
        tls: bool = True,
        plain_port: int | None = None,
        cloud_identities: Sequence[str] = DEFAULT_CLOUD_IDENTITIES,
        autosave_interval: int = 1,
        autosave_on_changes: bool = False,
        max_queued_messages: int = 100_000,
        binary: Path = MOSQUITTO_BIN,
        claim_port: int | None = None,
        external_acl: bool = False,
    ) -> None:
        self.workdir = workdir
        self.tls = tls
        self.port = port if port is not None else free_port()
        self.plain_port = plain_port
        self.cloud_identities = tuple(cloud_identities)
        self.autosave_interval = autosave_interval
        self.autosave_on_changes = autosave_on_changes
        self.max_queued_messages = max_queued_messages
        self.binary = binary
        self.pki = Pki(workdir / "pki")
        self.claim_pki = Pki(workdir / "claim-pki", ca_name="clinicbox claim CA")
        self.claim_port = (claim_port or free_port()) if tls else None
        self.external_acl = external_acl
        self.box_tenants: dict[str, str] = {}
        self._proc: subprocess.Popen[bytes] | None = None

    # ---- paths -------------------------------------------------------------------------------

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def ca_file(self) -> Path:
        return self.pki.ca.cert

    @property
    def server_cert(self) -> CertPair:
        return self.pki.server

    @property
    def config_file(self) -> Path:
        return self.workdir / "mosquitto.conf"

    @property
    def acl_file(self) -> Path:
        return self.workdir / "acl"

    @property
    def claim_acl_file(self) -> Path:
        return self.workdir / "claim.acl"

    @property
    def crl_file(self) -> Path:
        return self.workdir / "crl.pem"

    @property
    def pid_file(self) -> Path:
        return self.workdir / "mosquitto.pid"

    @property
    def log_file(self) -> Path:
        return self.workdir / "mosquitto.log"

    @property
    def persistence_file(self) -> Path:
        return self.workdir / "data" / "mosquitto.db"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def client_cert(self, identity: str) -> CertPair:
        """Certificate and key for ``identity`` (a box id or cloud id), issued on first use."""
        return self.pki.ensure_client(identity)

    def claim_cert(self, batch: str) -> CertPair:
        """A claim certificate (claim CA) for a manufacturing ``batch``: provisioning only."""
        return self.claim_pki.ensure_client(batch)

    def bind_box(self, box_id: str, tenant: str) -> None:
        """List ``box_id`` in the ACL under ``tenant`` (tests; the cloud does this in a fleet)."""
        self.box_tenants[box_id] = tenant
        if self.running:
            self.acl_file.write_text(self.acl_text(), encoding="utf-8")
            self.reload()

    def reload(self, timeout_s: float = 10.0) -> None:
        """SIGHUP: mosquitto re-reads the ACL files and the CRL (connections stay up).

        Returns once the broker has logged a reload that started after this call: it reloads in
        its main loop, so every packet it handles after that line sees the new ACL and CRL. A
        SIGHUP that lands while a reload is running is lost, so it is sent again until seen.
        """
        if self._proc is None or self._proc.poll() is not None:
            return
        before = self._reloads()
        deadline = time.monotonic() + timeout_s
        while self._reloads() <= before:
            if time.monotonic() > deadline:
                raise BrokerStartFailed("error.broker.reload_timeout", log=self._tail())
            self._proc.send_signal(signal.SIGHUP)
            resend = time.monotonic() + 0.5
            while self._reloads() <= before and time.monotonic() < resend:
                time.sleep(0.02)

    def _reloads(self) -> int:
        try:
            return self.log_file.read_text(encoding="utf-8", errors="replace").count(RELOAD_LINE)
        except OSError:
            return 0

    # ---- configuration -----------------------------------------------------------------------

    def write_config(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "data").mkdir(exist_ok=True)
        if self.tls:
            self.pki.ensure_ca()
            self.pki.ensure_server()
            self.claim_pki.ensure_ca()
            if not self.crl_file.exists():
                self.pki.write_crl([], self.crl_file)
            self.claim_acl_file.write_text(claim_acl(), encoding="utf-8")
        if not (self.external_acl and self.acl_file.exists()):
            self.acl_file.write_text(self.acl_text(), encoding="utf-8")
        self.config_file.write_text(self.config_text(), encoding="utf-8")

    def acl_text(self) -> str:
        return device_acl(self.cloud_identities, self.box_tenants.items())

    def config_text(self) -> str:
        user = pwd.getpwuid(os.getuid()).pw_name
        lines = [
            "# generated by clinicbox.runtime.mosquitto; do not edit",
            "per_listener_settings true",
            f"user {user}",
            "persistence true",
            f"persistence_location {self.workdir / 'data'}/",
            f"autosave_interval {self.autosave_interval}",
            f"autosave_on_changes {'true' if self.autosave_on_changes else 'false'}",
            f"max_queued_messages {self.max_queued_messages}",
            "max_inflight_messages 100",
            "persistent_client_expiration 14d",
            f"log_dest file {self.log_file}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            "connection_messages true",
            "log_timestamp_format %Y-%m-%dT%H:%M:%S",
            "",
            f"listener {self.port} {self.host}",
        ]
        if self.tls:
            lines += [
                f"cafile {self.pki.ca.cert}",
                f"certfile {self.pki.server.cert}",
                f"keyfile {self.pki.server.key}",
                "require_certificate true",
                "use_identity_as_username true",
                "use_username_as_clientid true",
                "allow_anonymous false",
                f"acl_file {self.acl_file}",
                f"crlfile {self.crl_file}",
                "",
                f"listener {self.claim_port} {self.host}",
                f"cafile {self.claim_pki.ca.cert}",
                f"certfile {self.pki.server.cert}",
                f"keyfile {self.pki.server.key}",
                "require_certificate true",
                "use_identity_as_username true",
                "allow_anonymous false",
                f"acl_file {self.claim_acl_file}",
            ]
        else:
            lines += ["allow_anonymous true"]
        if self.plain_port is not None:
            lines += ["", f"listener {self.plain_port} 127.0.0.1", "allow_anonymous true"]
        return "\n".join(lines) + "\n"

    # ---- process -----------------------------------------------------------------------------

    def start(self, timeout_s: float = 10.0) -> None:
        """Start mosquitto and return once every listener accepts TCP connections."""
        if self.running:
            return
        self.write_config()
        log = (self.workdir / "stderr.log").open("ab")
        try:
            self._proc = subprocess.Popen(
                [str(self.binary), "-c", str(self.config_file)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        finally:
            log.close()
        # for the cloud's fleet service, which SIGHUPs the broker after rewriting ACL and CRL
        self.pid_file.write_text(f"{self._proc.pid}\n", encoding="ascii")
        ports = [self.port] + [p for p in (self.plain_port, self.claim_port) if p is not None]
        deadline = time.monotonic() + timeout_s
        while not all(port_open(self.host, p) for p in ports):
            if self._proc.poll() is not None:
                raise BrokerStartFailed(
                    "error.broker.start_failed",
                    returncode=self._proc.returncode,
                    log=self._tail(),
                )
            if time.monotonic() > deadline:
                self.kill()
                raise BrokerStartFailed("error.broker.start_timeout", log=self._tail())
            time.sleep(0.05)

    def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM: mosquitto saves its persistence file and exits."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._proc = None

    def kill(self) -> None:
        """SIGKILL: no final save; the broker comes back from its last autosave."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        self._proc = None

    def restart(self, *, hard: bool = False) -> None:
        """Stop (or with ``hard`` kill -9) and start again on the same ports."""
        if hard:
            self.kill()
        else:
            self.stop()
        self.start()

    def _tail(self, limit: int = 2000) -> str:
        chunks = []
        for path in (self.log_file, self.workdir / "stderr.log"):
            with contextlib.suppress(OSError):
                chunks.append(path.read_text(encoding="utf-8", errors="replace")[-limit:])
        return "\n".join(chunks)

    def __enter__(self) -> MosquittoBroker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
