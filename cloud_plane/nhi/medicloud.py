"""MediCloud (雲端藥歷) adapter: a person's recent visits and the drugs still in supply. Needs the
person's card (the query is signed with it)."""

from __future__ import annotations

from pydantic import Field

from cloud_plane.nhi.client import NhiClient
from cloud_plane.nhi.models import Answer
from cloud_plane.nhi.signer import CardIdentity

__all__ = [
    "ActiveMedication",
    "CloudMedication",
    "CloudVisit",
    "MediCloudClient",
    "MediCloudRecord",
]


class CloudMedication(Answer):
    code: str
    name: str
    frequency: str
    days: int
    total_quantity: str = Field(alias="totalQuantity")
    chronic: bool


class ActiveMedication(CloudMedication):
    hospital_id: str = Field(alias="hospitalId")
    last_day: str = Field(alias="lastDay")  # ISO date, last day of supply


class CloudVisit(Answer):
    hospital_id: str = Field(alias="hospitalId")
    visit_datetime: str = Field(alias="visitDateTime")  # ROC YYYMMDDHHMMSS
    diagnoses: list[str]
    source: str
    medications: list[CloudMedication]


class MediCloudRecord(Answer):
    id_no: str = Field(alias="idNo")
    name: str
    visits: list[CloudVisit]
    active_medications: list[ActiveMedication] = Field(alias="activeMedications")


class MediCloudClient(NhiClient):
    service = "medicloud"
    url_setting = "medicloud_url"

    async def query(self, card: CardIdentity, *, days: int = 180) -> MediCloudRecord:
        answer = await self.call("/api/v1/MediCloud/Query", "01", {"days": days}, card=card)
        return self.parse(MediCloudRecord, answer)
