"""Claims upload adapter (醫療費用申報, upload API 101.11.20): send a monthly claims file, query
its result. A rejected file raises :class:`~cloud_plane.nhi.errors.NhiRejected` whose
``details['findings']`` are the validator's findings and ``details['receiptNo']`` the receipt.
"""

from __future__ import annotations

import base64
from typing import Any

from pydantic import Field

from cloud_plane.nhi.client import NhiClient
from cloud_plane.nhi.models import Answer

__all__ = ["ClaimsClient", "ClaimsReceipt", "ClaimsResult"]


class ClaimsReceipt(Answer):
    receipt_no: str = Field(alias="receiptNo")
    status: str  # A11 已受理
    findings: list[dict[str, Any]]  # warnings only (errors reject the file)


class ClaimsResult(Answer):
    receipt_no: str = Field(alias="receiptNo")
    file_name: str = Field(alias="fileName")
    fee_month: str = Field(alias="feeMonth")
    status: str  # A11 or REJECTED
    received_at: str = Field(alias="receivedAt")
    findings: list[dict[str, Any]]


class ClaimsClient(NhiClient):
    service = "claims"
    url_setting = "claims_url"

    async def upload(self, file_name: str, content: bytes) -> ClaimsReceipt:
        """``file_name``: 機構代碼 醫事類別 費用年月 申報類別 月份註記 B, then .xml or .zip."""
        params = {"fileName": file_name, "content": base64.b64encode(content).decode()}
        answer = await self.call("/api/v1/Claims/Upload", "30", params, upload=True)
        return self.parse(ClaimsReceipt, answer)

    async def result(self, receipt_no: str) -> ClaimsResult:
        answer = await self.call("/api/v1/Claims/Query", "01", {"receiptNo": receipt_no})
        return self.parse(ClaimsResult, answer)
