"""E-referral (電子轉診平台) adapter: create a referral for a visit, query, accept (target only)."""

from __future__ import annotations

from pydantic import Field

from cloud_plane.nhi.client import NhiClient
from cloud_plane.nhi.models import Answer

__all__ = ["Referral", "ReferralClient"]


class Referral(Answer):
    referral_id: str = Field(alias="referralId")
    from_hospital_id: str = Field(alias="fromHospitalId")
    to_hospital_id: str = Field(alias="toHospitalId")
    patient_id: str = Field(alias="patientId")
    icd10: str
    department: str = Field(alias="departmentCode")
    reason: str
    treatment_number: str = Field(alias="treatmentNumber")
    created_at: str = Field(alias="createdAt")
    status: str  # created | accepted
    accepted_at: str | None = Field(alias="acceptedAt")


class _Created(Answer):
    referral_id: str = Field(alias="referralId")


class _Listing(Answer):
    referrals: list[Referral]


class ReferralClient(NhiClient):
    service = "referral"
    url_setting = "referral_url"

    async def create(
        self,
        patient_id: str,
        treatment_number: str,
        to_hospital_id: str,
        *,
        icd10: str,
        department: str,
        reason: str,
    ) -> str:
        params = {
            "patientId": patient_id,
            "treatmentNumber": treatment_number,
            "toHospitalId": to_hospital_id,
            "icd10": icd10,
            "departmentCode": department,
            "reason": reason,
        }
        answer = await self.call("/api/v1/Referral/Create", "02", params)
        return self.parse(_Created, answer).referral_id

    async def get(self, referral_id: str) -> Referral:
        answer = await self.call("/api/v1/Referral/Query", "01", {"referralId": referral_id})
        return self.parse(_Listing, answer).referrals[0]

    async def for_patient(self, patient_id: str) -> list[Referral]:
        answer = await self.call("/api/v1/Referral/Query", "01", {"patientId": patient_id})
        return self.parse(_Listing, answer).referrals

    async def accept(self, referral_id: str) -> Referral:
        answer = await self.call("/api/v1/Referral/Accept", "02", {"referralId": referral_id})
        return self.parse(Referral, answer)
