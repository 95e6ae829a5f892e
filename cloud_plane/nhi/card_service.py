"""Card service adapter: basic data, 就醫序號 and 就醫識別碼 from the IDC (control software 6.0 /
cloud SAM REST API, nhi.md §1). Each call carries the SAM signature envelope; calls about the
card in the reader also carry the card (``hcId``/``hcIdNo``).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from clinicbox_core.nhi.roc_date import format_roc_datetime
from cloud_plane.nhi.client import NhiClient
from cloud_plane.nhi.models import Answer
from cloud_plane.nhi.signer import CardIdentity

__all__ = [
    "BasicData",
    "CardServiceClient",
    "NoCardTreatment",
    "PrescriptionItem",
    "RegisterBasic",
    "SequenceNumber",
]


class BasicData(Answer):
    card_no: str = Field(alias="cardSn")
    name: str
    id_no: str = Field(alias="idCardNum")
    birthday: str  # ROC YYYMMDD
    sex: str
    issue_date: str = Field(alias="dateIssue")
    cancelled: str = Field(alias="cancelTermination")


class RegisterBasic(BasicData):
    insurer_code: str = Field(alias="insurerCode")
    insurer_id: str = Field(alias="insurerId")
    card_validity: str = Field(alias="cardValidity")
    treatment_counter: str = Field(alias="treatmentCounter")
    newborn_birthday: str = Field(alias="newbornBirthday")
    newborn_baby: str = Field(alias="newbornBaby")


class SequenceNumber(Answer):
    treatment_datetime: str = Field(alias="treatmentDateTime")  # ROC YYYMMDDHHMMSS
    sequence_number: str = Field(alias="sequenceNumber")  # "" for uncounted 就醫類別
    hospital_id: str = Field(alias="hospitalId")
    signature: str  # 安全簽章
    sam_id: str = Field(alias="samId")
    same_day: str = Field(alias="isSameDay")
    treatment_number: str = Field(alias="treatmentNumber")  # 就醫識別碼


class NoCardTreatment(Answer):
    treatment_datetime: str = Field(alias="treatmentDateTime")
    treatment_number: str = Field(alias="treatmentNumber")


class PrescriptionItem(BaseModel):
    """One order written to the card (``/api/v1/Prescription/Write``, 6.0 field names)."""

    model_config = ConfigDict(frozen=True)

    code: str  # treatmentItemCode
    days: int = 0
    total_quantity: str = "0"  # one decimal, as the IC upload writes it
    usage: str = ""  # frequency code
    position: str = ""  # treatmentPosition (route / site)


class _Signatures(Answer):
    signature_items: list[str] = Field(alias="signatureItems")


class CardServiceClient(NhiClient):
    service = "card"
    url_setting = "card_service_url"

    async def query_basic(self, card: CardIdentity) -> BasicData:
        answer = await self.call("/api/v1/BasicData/Query", "01", {}, card=card)
        return self.parse(BasicData, answer)

    async def register_basic(self, card: CardIdentity) -> RegisterBasic:
        answer = await self.call("/api/v1/BasicData/Register", "01", {}, card=card)
        return self.parse(RegisterBasic, answer)

    async def next_sequence(
        self,
        card: CardIdentity,
        treatment_item: str,
        *,
        baby_treatment: str = "",
        after_check: str = "1",
        department: str | None = None,
        treatment_at: datetime | None = None,
    ) -> SequenceNumber:
        """取號. ``after_check`` "2" (補卡) needs ``treatment_at``, the original visit time."""
        params: dict[str, object] = {
            "treatmentItem": treatment_item,
            "babyTreatment": baby_treatment,
            "afterCheck": after_check,
        }
        if department is not None:
            params["departmentCode"] = department
        if treatment_at is not None:
            params["treatmentDateTime"] = format_roc_datetime(treatment_at)
        answer = await self.call("/api/v1/SequelNumber/Next", "03", params, card=card)
        return self.parse(SequenceNumber, answer)

    async def rollback(
        self, card: CardIdentity, treatment_datetime: str, sequence_number: str
    ) -> None:
        """退掛 a visit of the last 24 hours at this hospital (5081 otherwise)."""
        params = {"treatmentDateTime": treatment_datetime, "sequenceNumber": sequence_number}
        await self.call("/api/v1/SequelNumber/Rollback", "03", params, card=card)

    async def write_prescriptions(
        self,
        card: CardIdentity,
        treatment_at: datetime,
        visit_type: str,
        items: list[PrescriptionItem],
    ) -> list[str]:
        """Write a visit's orders to the card; one 處方簽章 (40 characters) per item, in order."""
        when = format_roc_datetime(treatment_at)
        params = {
            "prescriptions": [
                {
                    "treatmentDateTime": when,
                    "treatmentItem": visit_type,
                    "treatmentItemCode": i.code,
                    "treatmentPosition": i.position,
                    "usage": i.usage,
                    "days": i.days,
                    "totalQuantity": i.total_quantity,
                    "deliveryNotes": "",
                }
                for i in items
            ]
        }
        answer = await self.call("/api/v1/Prescription/Write", "02", params, card=card)
        return self.parse(_Signatures, answer).signature_items

    async def treatment_number_no_card(
        self, patient_id: str, treatment_at: datetime | None = None
    ) -> NoCardTreatment:
        """就醫識別碼 without a card (``hisGetTreatNumNoICCard``). ``treatment_at``: the visit's
        就診日期時間 (Taiwan local) when asked later for a visit made while the IDC could not be
        reached; the number is stamped with it (IC upload D005), else with the IDC's now."""
        params: dict[str, object] = {"patientId": patient_id}
        if treatment_at is not None:
            params["treatmentDateTime"] = format_roc_datetime(treatment_at)
        answer = await self.call("/api/v1/TreatmentNumber/NoCard", "03", params)
        return self.parse(NoCardTreatment, answer)
