"""Result types of the IC upload services (frozen, like cloud_plane.services.models)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from clinicbox_core.nhi.ic_upload.model import RecordKind
from clinicbox_core.nhi.ic_upload.status import Status

__all__ = ["IcUploadEvent", "IcUploadRecord", "Rejection", "UploadBatch"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Rejection(_Frozen):
    code: str
    field: str | None
    message: str


class IcUploadRecord(_Frozen):
    id: int
    visit_id: int
    patient_id: int
    visit_date: date
    visit_time: datetime
    deadline_at: datetime
    status: Status
    kind: RecordKind
    attempts: int
    batch_id: int | None
    first_uploaded_at: datetime | None
    rejections: tuple[Rejection, ...]

    @classmethod
    def from_row(cls, row: Any) -> IcUploadRecord:
        return cls(
            id=row.id,
            visit_id=row.visit_id,
            patient_id=row.patient_id,
            visit_date=row.visit_date,
            visit_time=row.visit_time,
            deadline_at=row.deadline_at,
            status=Status(row.status),
            kind=RecordKind(row.kind),
            attempts=row.attempts,
            batch_id=row.batch_id,
            first_uploaded_at=row.first_uploaded_at,
            rejections=tuple(Rejection(**r) for r in row.rejections),
        )


class IcUploadEvent(_Frozen):
    event: str
    status: Status
    batch_id: int | None
    codes: tuple[str, ...]
    at: datetime


class UploadBatch(_Frozen):
    """A built upload file: its batch id (for the results), the bytes, and what was held back."""

    batch_id: int
    data: bytes
    sent: int
    held: tuple[IcUploadRecord, ...]
