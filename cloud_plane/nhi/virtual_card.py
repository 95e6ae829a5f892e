"""Virtual NHI card (虛擬健保卡) adapter: verify a QR token (one-time, 5 minutes) and read the
holder's basic data (``/api/hc/v1/VirtualHc/ReadBasic``, nhi.md §5)."""

from __future__ import annotations

from pydantic import Field

from cloud_plane.nhi.client import NhiClient
from cloud_plane.nhi.models import Answer

__all__ = ["VirtualCardBasic", "VirtualCardClient"]


class VirtualCardBasic(Answer):
    card_no: str = Field(alias="cardId")
    name: str
    id_no: str = Field(alias="idNo")
    birthday: str  # ROC YYYMMDD
    sex: str
    identity_status: str = Field(alias="identityStatus")


class VirtualCardClient(NhiClient):
    service = "virtual_card"
    url_setting = "virtual_card_url"

    async def read_basic(self, token: str) -> VirtualCardBasic:
        answer = await self.call("/api/hc/v1/VirtualHc/ReadBasic", "01", {"token": token})
        return self.parse(VirtualCardBasic, answer)
