"""MQTT messages of continuity mode: the working set going down, offline work coming back up.

Cloud → box (``cmd``): :class:`WorkingSetPart`, one part of either a full rebuild (every table of
the working set, replacing what the box holds) or a delta (the rows of the patients changed
since ``from_version``). ``version`` is the cloud's change counter the box reaches once every
part of that build is applied; a delta whose ``from_version`` is not the box's version is
refused by the box, which then reports version 0 to get a rebuild. :class:`WorkingSetResync`
asks the box to drop its working set and rebuild (a fleet remote command).

Box → cloud (``evt``, through the outbox): :class:`ContinuityRecord`, one patient and one visit
(with its diagnoses, orders, bill and print jobs) as worked on the box while the cloud was out
of reach. Rows are plain JSON objects keyed by column name (``cloud_plane.continuity.rowcodec``
turns them back into typed values); ids are the box's own, ``*_origin`` says whether a row came
from the cloud (its id is the cloud's) or was created on the box (its id must be mapped).

Reported (``reported``): :class:`WorkingSetState`, the size and staleness of the box's copy.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Row = dict[str, Any]
Origin = Literal["cloud", "box"]


class _Msg(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WorkingSetPart(_Msg):
    type: Literal["ws.part"] = "ws.part"
    mode: Literal["rebuild", "delta"]
    build_id: uuid.UUID
    from_version: int = Field(ge=0, description="delta: applies only on top of this version")
    version: int = Field(ge=0, description="the cloud change version this build brings")
    part: int = Field(ge=1)
    parts: int = Field(ge=1)
    ref_hash: str = Field(description="digest of the reference tables (staff, settings, drugs)")
    global_hash: str = Field(default="", description="digest of the shared NHI tables")
    tables: dict[str, list[Row]]


class WorkingSetResync(_Msg):
    """Drop the working set and ask for a full rebuild (sent by the fleet console)."""

    type: Literal["ws.resync"] = "ws.resync"


class ContinuityRecord(_Msg):
    type: Literal["continuity.record"] = "continuity.record"
    patient: Row
    patient_origin: Origin
    patient_base: Row | None = Field(
        default=None, description="the patient row as the cloud last sent it (cloud origin)"
    )
    visit: Row | None = None
    visit_origin: Origin = "box"
    visit_base_digest: str | None = Field(
        default=None, description="digest of the visit as the cloud last sent it (cloud origin)"
    )
    diagnoses: list[Row] = Field(default_factory=list)
    orders: list[Row] = Field(default_factory=list)
    bill: Row | None = None
    print_jobs: list[Row] = Field(default_factory=list)


class WorkingSetState(_Msg):
    """What the box holds for continuity mode (part of ``BoxReported``)."""

    version: int = 0
    ref_hash: str = ""
    global_hash: str = ""
    rows: int = 0
    size_bytes: int = 0
    synced_at: datetime | None = None
    stale_s: float | None = None
    pending_records: int = 0
    continuity: bool = False
