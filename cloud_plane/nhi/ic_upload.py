"""IC-card data upload adapter (健保卡資料上傳): send a day's file, read per-record results.

A file rejected as a whole (退件, e.g. Y003) raises :class:`~cloud_plane.nhi.errors.NhiRejected`
with the code and ``details`` = the stored result; otherwise the answer lists every record as
``accepted`` or ``rejected`` with its NHI check codes (a notice such as AD34 may accompany an
accepted record).
"""

from __future__ import annotations

import base64

from pydantic import Field

from cloud_plane.nhi.client import NhiClient
from cloud_plane.nhi.models import Answer

__all__ = ["IcCheckError", "IcRecordResult", "IcUploadClient", "IcUploadResult"]


class IcCheckError(Answer):
    code: str
    field: str | None = None
    message: str
    order: int | None = None  # 0-based MB2 index


class IcRecordResult(Answer):
    index: int | None  # REC position; None = the whole file
    status: str  # accepted | rejected
    id_no: str | None = Field(alias="idNo")
    visit_datetime: str | None = Field(alias="visitDateTime")
    errors: list[IcCheckError]

    @property
    def codes(self) -> list[str]:
        return [e.code for e in self.errors]


class IcUploadResult(Answer):
    upload_id: str = Field(alias="uploadId")
    file_name: str = Field(alias="fileName")
    received_at: str = Field(alias="receivedAt")
    records: int
    accepted: int
    rejected: int
    results: list[IcRecordResult]


class IcUploadClient(NhiClient):
    service = "ic_upload"
    url_setting = "ic_upload_url"

    async def upload(self, file_name: str, content: bytes) -> IcUploadResult:
        params = {"fileName": file_name, "content": base64.b64encode(content).decode()}
        answer = await self.call("/api/v1/IcData/Upload", "30", params, upload=True)
        return self.parse(IcUploadResult, answer)

    async def result(self, upload_id: str) -> IcUploadResult:
        answer = await self.call("/api/v1/IcData/Result", "01", {"uploadId": upload_id})
        return self.parse(IcUploadResult, answer)
