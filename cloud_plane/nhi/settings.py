"""Typed configuration of the NHI adapters: a base URL per service, the hospital, credentials.

``sam_secret`` is the key of the sandbox's HMAC stand-in for the SAM signature
(docs/nhi-sandbox.md); against the real NHI the signature comes from the control software's
``/api/sam/v1/Signature`` and a different :class:`~cloud_plane.nhi.signer.Signer` is used.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = ["NhiSettings", "NhiTimeouts"]

SANDBOX_URL = "http://127.0.0.1:8090"


class NhiTimeouts(BaseModel):
    """Per-phase limits of one call (aiohttp ClientTimeout): connect, each read, whole call."""

    model_config = ConfigDict(frozen=True)

    connect_s: float = Field(default=5.0, gt=0)
    read_s: float = Field(default=30.0, gt=0)
    total_s: float = Field(default=60.0, gt=0)
    upload_total_s: float = Field(default=300.0, gt=0, description="file uploads (IC, claims)")


class NhiSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    card_service_url: str = Field(default=SANDBOX_URL, description="IDC (medvpndc) host")
    ic_upload_url: str = SANDBOX_URL
    claims_url: str = SANDBOX_URL
    medicloud_url: str = SANDBOX_URL
    eprescription_url: str = SANDBOX_URL
    virtual_card_url: str = SANDBOX_URL
    referral_url: str = SANDBOX_URL
    hospital_id: str = Field(pattern=r"^[0-9A-Z]{10}$", description="醫事機構代碼")
    sam_id: str = Field(pattern=r"^[0-9A-Z]{12}$", description="SAM (or cloud SAM) ID")
    sam_secret: SecretStr = Field(description="HMAC key of the sandbox SAM stand-in")
    timeouts: NhiTimeouts = Field(default_factory=NhiTimeouts)

    @classmethod
    def for_base_url(
        cls, base_url: str, *, hospital_id: str, sam_id: str, sam_secret: str
    ) -> NhiSettings:
        """Every service at one base URL (the sandbox serves them all)."""
        url = base_url.rstrip("/")
        return cls(
            card_service_url=url,
            ic_upload_url=url,
            claims_url=url,
            medicloud_url=url,
            eprescription_url=url,
            virtual_card_url=url,
            referral_url=url,
            hospital_id=hospital_id,
            sam_id=sam_id,
            sam_secret=SecretStr(sam_secret),
        )
