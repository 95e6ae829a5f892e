"""Typed NHI configuration of a cloud process (``[nhi]`` in cloud.toml).

The cloud serves many clinics; each has its own 醫事機構代碼 and SAM (or cloud SAM), so the
service URLs are shared and the credentials are listed per clinic. A clinic without credentials
is not connected to the NHI: check-in works as before (no 就醫序號 asked for), nothing is uploaded.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from cloud_plane.nhi.settings import NhiSettings, NhiTimeouts

__all__ = ["NhiCloudSettings", "NhiHospital"]


class NhiHospital(BaseModel):
    model_config = ConfigDict(frozen=True)

    nhi_code: str = Field(pattern=r"^[0-9A-Z]{10}$", description="醫事機構代碼 of the clinic")
    sam_id: str = Field(pattern=r"^[0-9A-Z]{12}$")
    sam_secret: SecretStr


class NhiCloudSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    base_url: str = Field(default="", description="every NHI service at one URL (the sandbox)")
    card_service_url: str = ""
    ic_upload_url: str = ""
    claims_url: str = ""
    medicloud_url: str = ""
    eprescription_url: str = ""
    virtual_card_url: str = ""
    referral_url: str = ""
    hospitals: tuple[NhiHospital, ...] = ()
    ic_upload_interval_s: float = Field(default=600.0, gt=0)
    ic_upload_version: str = Field(default="2.0", pattern=r"^(1\.0|2\.0)$")
    timeouts: NhiTimeouts = Field(default_factory=NhiTimeouts)

    def hospital(self, nhi_code: str) -> NhiHospital | None:
        return next((h for h in self.hospitals if h.nhi_code == nhi_code), None)

    def for_hospital(self, nhi_code: str) -> NhiSettings | None:
        """The adapters' settings for one clinic, or ``None`` when it is not connected."""
        h = self.hospital(nhi_code)
        if h is None or not (self.base_url or self.card_service_url):
            return None
        base = self.base_url.rstrip("/")

        def url(own: str) -> str:
            return (own or base).rstrip("/")

        return NhiSettings(
            card_service_url=url(self.card_service_url),
            ic_upload_url=url(self.ic_upload_url),
            claims_url=url(self.claims_url),
            medicloud_url=url(self.medicloud_url),
            eprescription_url=url(self.eprescription_url),
            virtual_card_url=url(self.virtual_card_url),
            referral_url=url(self.referral_url),
            hospital_id=h.nhi_code,
            sam_id=h.sam_id,
            sam_secret=h.sam_secret,
            timeouts=self.timeouts,
        )
