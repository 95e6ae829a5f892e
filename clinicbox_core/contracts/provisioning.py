"""Zero-touch provisioning messages and topics (box ↔ cloud over the broker's claim listener).

A new box holds only a *claim certificate* (issued by the separate claim CA, shared by a
manufacturing batch). With it the broker's claim listener lets the box do exactly two things,
keyed by its MQTT client id (= its serial number): publish a :class:`ProvisionRequest` on
``clinicbox/provision/v1/{serial}/csr`` and read :class:`ProvisionResponse` messages on
``clinicbox/provision/v1/{serial}/result``.

The box repeats its request (same key, same one-time code) until the answer is ``issued``; the
cloud answers every request, so neither side depends on a message surviving a disconnection.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PROVISION_PREFIX = "clinicbox/provision/v1"
SERIAL_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
CLAIM_CODE_PATTERN = r"^[A-HJ-NP-Z2-9]{8}$"  # no 0/O/1/I: read off a screen by a person
_SERIAL = re.compile(SERIAL_PATTERN)


def _now() -> datetime:
    return datetime.now(UTC)


class ProvisionRequest(BaseModel):
    """First-boot request: the box's own CSR and the one-time code its status page shows."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    serial: str = Field(pattern=SERIAL_PATTERN)
    csr_pem: str = Field(max_length=4096)
    claim_code: str = Field(pattern=CLAIM_CODE_PATTERN)
    software_version: str = Field(default="", max_length=64)
    at: datetime = Field(default_factory=_now)


class ProvisionResponse(BaseModel):
    """``pending``: nobody has assigned the box to a clinic yet; ``issued``: here is the device
    certificate (and the clinic's tenant slug); ``refused``: the request cannot be honoured
    (revoked box, bad CSR) and ``reason`` says why with a stable code."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    serial: str
    status: Literal["pending", "issued", "refused"]
    tenant: str | None = None
    cert_pem: str | None = None
    reason: str | None = None


def request_topic(serial: str) -> str:
    return f"{PROVISION_PREFIX}/{_checked(serial)}/csr"


def response_topic(serial: str) -> str:
    return f"{PROVISION_PREFIX}/{_checked(serial)}/result"


def request_filter() -> str:
    """What the cloud subscribes to (shared, so one cloud process answers each request)."""
    return f"$share/cloud/{PROVISION_PREFIX}/+/csr"


def serial_of(topic: str) -> str:
    """The serial in a request topic; ``ValueError`` for anything else."""
    parts = topic.split("/")
    if len(parts) != 5 or "/".join(parts[:3]) != PROVISION_PREFIX or parts[4] != "csr":
        raise ValueError(f"not a provisioning request topic: {topic!r}")
    return _checked(parts[3])


def _checked(serial: str) -> str:
    if not _SERIAL.match(serial):
        raise ValueError(f"serial {serial!r} must match {SERIAL_PATTERN}")
    return serial
