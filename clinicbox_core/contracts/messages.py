"""Versioned pydantic models for every MQTT message.

Every payload is JSON with ``schema_version``. A receiver accepts versions it knows and refuses
others with a typed error rather than guessing. Bodies are discriminated by ``type``.

Box → cloud ``evt`` messages are :class:`Event` envelopes carrying the box's outbox ``seq``
(monotonic per box, starts at 1) and a UUID; the cloud acknowledges with an :class:`OutboxAck`
command naming the highest contiguous seq it has stored, and the box deletes nothing before that.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from clinicbox_core.contracts.continuity import (
    ContinuityRecord,
    WorkingSetPart,
    WorkingSetResync,
    WorkingSetState,
)
from clinicbox_core.contracts.fleet_updates import BundleAvailable, SoftwareUpdate, UpdateState
from clinicbox_core.nhi.card import NhiCardBasic
from clinicbox_core.printdoc import PrintDocument

SCHEMA_VERSION = 1


def _now() -> datetime:
    return datetime.now(UTC)


class _Msg(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# ---- event bodies (box → cloud, durable through the outbox) ---------------------------------


class CardInserted(_Msg):
    type: Literal["card.inserted"] = "card.inserted"
    reader: str
    card: NhiCardBasic


class CardRemoved(_Msg):
    type: Literal["card.removed"] = "card.removed"
    reader: str


class PrintResult(_Msg):
    """Outcome of a print job; ``reason`` is a stable code (``offline``, ``paper_out``...)."""

    type: Literal["print.result"] = "print.result"
    job_id: uuid.UUID
    status: Literal["done", "failed"]
    reason: str | None = None
    detail: str | None = None


class ScanRead(_Msg):
    """One line read by a barcode scanner on the box (a prescription slip's QR code at a
    pharmacy). ``code`` is the text as scanned, without the line end; printable ASCII only, as
    the scanner's line protocol is ASCII and the box drops anything else."""

    type: Literal["scan.read"] = "scan.read"
    scanner: str = Field(max_length=64)
    code: str = Field(min_length=1, max_length=2000, pattern=r"^[\x20-\x7e]+$")


class CertificateRequest(_Msg):
    """The box made a new key pair (rotation) and asks for a certificate over it."""

    type: Literal["cert.csr"] = "cert.csr"
    csr_pem: str = Field(max_length=4096)


EventBody = Annotated[
    CardInserted | CardRemoved | PrintResult | ContinuityRecord | ScanRead | CertificateRequest,
    Field(discriminator="type"),
]


class Event(_Msg):
    schema_version: Literal[1] = 1
    box_id: str
    seq: int = Field(ge=1)
    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    occurred_at: datetime = Field(default_factory=_now)
    body: EventBody


# ---- command bodies (cloud → box) ------------------------------------------------------------


class PrintJob(_Msg):
    type: Literal["print"] = "print"
    job_id: uuid.UUID
    printer: str = Field(description="logical printer role on the box: drugbag, receipt, slip")
    document: PrintDocument


class OutboxAck(_Msg):
    """The cloud has stored every event of this box up to and including ``upto_seq``.

    ``resend``: the cloud refused a later event because one before it is missing (events are
    applied in seq order); the box resends from ``upto_seq + 1`` now."""

    type: Literal["outbox.ack"] = "outbox.ack"
    upto_seq: int = Field(ge=0)
    resend: bool = False


# Remote operations (fleet console). Each has one handler on the box (edge_agent/remote/).


class RestartAgent(_Msg):
    """Restart the box daemon (after the result is sent)."""

    type: Literal["agent.restart"] = "agent.restart"


class PrintTestPage(_Msg):
    type: Literal["printer.test_page"] = "printer.test_page"
    printer: str = Field(default="receipt", description="logical printer role")


class CollectLogs(_Msg):
    """Upload the box's recent log, gzip + base64 in the result, at most ``max_bytes`` gzipped."""

    type: Literal["logs.collect"] = "logs.collect"
    max_bytes: int = Field(default=256 * 1024, ge=1024, le=1024 * 1024)


class RotateCertificate(_Msg):
    """Make a new key now and ask for a certificate over it (``cert.csr`` event)."""

    type: Literal["cert.rotate"] = "cert.rotate"


class InstallCertificate(_Msg):
    """The cloud's answer to a ``cert.csr`` event: the new certificate for the new key."""

    type: Literal["cert.install"] = "cert.install"
    cert_pem: str = Field(max_length=8192)


class Reboot(_Msg):
    """Reboot the appliance (the box's configured reboot command, after the result is sent)."""

    type: Literal["system.reboot"] = "system.reboot"


CommandBody = Annotated[
    PrintJob
    | OutboxAck
    | WorkingSetPart
    | WorkingSetResync
    | BundleAvailable
    | SoftwareUpdate
    | RestartAgent
    | PrintTestPage
    | CollectLogs
    | RotateCertificate
    | InstallCertificate
    | Reboot,
    Field(discriminator="type"),
]


class Command(_Msg):
    schema_version: Literal[1] = 1
    command_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    issued_at: datetime = Field(default_factory=_now)
    expires_at: datetime | None = Field(
        default=None, description="a box that receives it later answers error.command.expired"
    )
    body: CommandBody


class CommandResult(_Msg):
    """Box → cloud reply to a command; ``error_code`` is stable, ``detail`` is for humans."""

    schema_version: Literal[1] = 1
    command_id: uuid.UUID
    box_id: str
    ok: bool
    error_code: str | None = None
    detail: str | None = Field(default=None, max_length=4000)
    output: dict[str, str] | None = None


# ---- twin (desired, reported)


class BoxDesired(_Msg):
    """Retained target state the cloud wants the box in; ``version`` only ever increases.

    ``config`` holds box settings the box applies itself (``heartbeat_s``, ``log_level``...);
    ``software`` and ``bundles`` name target versions; the rollout and bundle machinery
    (``cloud_plane/fleet_updates``) delivers them, the twin shows the difference.
    """

    schema_version: Literal[1] = 1
    box_id: str
    version: int = Field(ge=0)
    config: dict[str, str | int | bool] = Field(default_factory=dict)
    software: str | None = None
    bundles: dict[str, int] = Field(default_factory=dict, description="bundle kind → version")
    at: datetime = Field(default_factory=_now)


# ---- twin (reported) -------------------------------------------------------------------------


class BoxReported(_Msg):
    """Retained current state of a box; also sent as the MQTT last will with online=False."""

    schema_version: Literal[1] = 1
    box_id: str
    online: bool
    software_version: str = ""
    readers: list[str] = Field(default_factory=list)
    outbox_depth: int = 0
    continuity_url: str | None = None  # the box's LAN address for continuity mode
    working_set: WorkingSetState | None = None
    bundles: dict[str, int] = Field(default_factory=dict, description="bundle kind → version")
    bundle_refusals: dict[str, str] = Field(
        default_factory=dict, description="bundle kind → error key of the last refused offer"
    )
    update: UpdateState = Field(default_factory=UpdateState)
    # data disk: "low" refuses non-essential events, "full" could not write (outbox/disk.py)
    disk_state: Literal["ok", "low", "full"] = "ok"
    disk_free_bytes: int | None = None
    at: datetime = Field(default_factory=_now)
    version: int = Field(default=0, ge=0, description="box-side counter, grows every report")
    desired_version: int = Field(default=0, description="the desired version applied")
    config: dict[str, str | int | bool] = Field(default_factory=dict)
    printers: dict[str, str] = Field(default_factory=dict, description="name -> status code")
    disk_free_mb: int | None = None
    uptime_s: int | None = None
    last_sync: datetime | None = Field(default=None, description="last ack from the cloud")
    cert_not_after: datetime | None = None


_EVENT = TypeAdapter(Event)
_COMMAND = TypeAdapter(Command)


def parse_event(payload: bytes | str) -> Event:
    return _EVENT.validate_json(payload)


def parse_command(payload: bytes | str) -> Command:
    return _COMMAND.validate_json(payload)
