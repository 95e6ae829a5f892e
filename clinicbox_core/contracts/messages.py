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


EventBody = Annotated[
    CardInserted | CardRemoved | PrintResult | ContinuityRecord | ScanRead,
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


CommandBody = Annotated[
    PrintJob | OutboxAck | WorkingSetPart | WorkingSetResync | BundleAvailable | SoftwareUpdate,
    Field(discriminator="type"),
]


class Command(_Msg):
    schema_version: Literal[1] = 1
    command_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    issued_at: datetime = Field(default_factory=_now)
    body: CommandBody


class CommandResult(_Msg):
    """Box → cloud reply to a command; ``error_code`` is stable, ``detail`` is for humans."""

    schema_version: Literal[1] = 1
    command_id: uuid.UUID
    box_id: str
    ok: bool
    error_code: str | None = None
    detail: str | None = None


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


_EVENT = TypeAdapter(Event)
_COMMAND = TypeAdapter(Command)


def parse_event(payload: bytes | str) -> Event:
    return _EVENT.validate_json(payload)


def parse_command(payload: bytes | str) -> Command:
    return _COMMAND.validate_json(payload)
