"""Commands and reported fields for signed bundles and software updates (issue 5).

The cloud announces; the box fetches the bytes itself over HTTPS (``url``), verifies the
signature with the public key it was given at provisioning, applies, and answers with a
:class:`~clinicbox_core.contracts.messages.CommandResult` whose ``error_code`` is the refusal's
message key. Its reported state then carries the versions it holds and its update state.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from clinicbox_core.bundles.models import BundleKind

__all__ = ["BundleAvailable", "SoftwareUpdate", "UpdateState", "UpdateStatus"]

_URL = r"^https?://"


class BundleAvailable(BaseModel):
    """Version ``version`` of bundle ``kind`` is published; GET ``url?have=N`` returns it
    (a delta against version N when the cloud still has N, otherwise the full bundle)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["bundle.available"] = "bundle.available"
    kind: BundleKind
    version: int = Field(ge=1)
    url: str = Field(pattern=_URL, max_length=2048)


class SoftwareUpdate(BaseModel):
    """Install software ``version`` into the inactive slot, reboot into it, commit if healthy.

    ``signature`` is Ed25519 (base64) by the cloud's signing key over the artifact's bytes;
    ``rollout_id`` is echoed in the reported :class:`UpdateState`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["software.update"] = "software.update"
    version: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z.+_-]+$")
    url: str = Field(pattern=_URL, max_length=2048)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    signature: str = Field(min_length=80, max_length=100)
    key_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    rollout_id: int | None = None


UpdateStatus = Literal["idle", "installing", "trying", "committed", "rolled_back", "failed"]


class UpdateState(BaseModel):
    """The box's software-update state in ``reported``: what it runs and how the last try went."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: UpdateStatus = "idle"
    target_version: str | None = None
    rollout_id: int | None = None
    error_code: str | None = None
