"""E-prescription (電子處方箋) adapter: upload a prescription for a visit, query by id or person."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from cloud_plane.nhi.client import NhiClient
from cloud_plane.nhi.models import Answer

__all__ = ["EPrescription", "EPrescriptionClient", "PrescriptionItem"]


class PrescriptionItem(BaseModel):
    """One drug line: NHI code (10), frequency code, days (1–90), 總量 (e.g. ``"56.0"``)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    code: str
    frequency: str
    days: int
    total_quantity: str = Field(alias="totalQuantity")
    route: str | None = None


class EPrescription(Answer):
    prescription_id: str = Field(alias="prescriptionId")
    hospital_id: str = Field(alias="hospitalId")
    patient_id: str = Field(alias="patientId")
    treatment_number: str = Field(alias="treatmentNumber")
    prescription_type: str = Field(alias="prescriptionType")
    refills_allowed: int = Field(alias="refillsAllowed")
    issued_at: str = Field(alias="issuedAt")
    items: list[PrescriptionItem]


class _Uploaded(Answer):
    prescription_id: str = Field(alias="prescriptionId")


class _Listing(Answer):
    prescriptions: list[EPrescription]


class EPrescriptionClient(NhiClient):
    service = "eprescription"
    url_setting = "eprescription_url"

    async def upload(
        self,
        patient_id: str,
        treatment_number: str,
        prescription_type: str,
        items: list[PrescriptionItem],
        *,
        refills_allowed: int = 1,
    ) -> str:
        """The new prescription's id. Type A 一般 ≤ 7 days, B 慢性病, C 慢連箋 (2–4 refills)."""
        params = {
            "patientId": patient_id,
            "treatmentNumber": treatment_number,
            "prescriptionType": prescription_type,
            "refillsAllowed": refills_allowed,
            "items": [i.model_dump(by_alias=True) for i in items],
        }
        answer = await self.call("/api/v1/EPrescription/Upload", "30", params)
        return self.parse(_Uploaded, answer).prescription_id

    async def get(self, prescription_id: str) -> EPrescription:
        params = {"prescriptionId": prescription_id}
        answer = await self.call("/api/v1/EPrescription/Query", "01", params)
        return self.parse(_Listing, answer).prescriptions[0]

    async def for_patient(self, patient_id: str) -> list[EPrescription]:
        answer = await self.call("/api/v1/EPrescription/Query", "01", {"patientId": patient_id})
        return self.parse(_Listing, answer).prescriptions
