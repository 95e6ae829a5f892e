"""Producing the signature envelope every NHI-host call carries.

The real envelope (``clientRandom, hospitalId, samId, signature`` and, with a health card,
``hcId, hcIdNo``) comes from the control software's ``/api/sam/v1/Signature`` (nhi.md §1).
:class:`HmacSigner` is the sandbox's stand-in: HMAC-SHA256 with the hospital's secret over the
message documented in docs/nhi-sandbox.md (serviceType, path, envelope, SHA-256 of the canonical
JSON of the call's own fields). A console-backed signer can replace it behind :class:`Signer`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["CardIdentity", "HmacSigner", "Signer", "canonical_json"]


@dataclass(frozen=True, slots=True)
class CardIdentity:
    """The health card in the reader: card number (12 digits) and ID number."""

    card_no: str
    id_no: str


class Signer(Protocol):
    async def sign(
        self, service_type: str, path: str, params: dict[str, Any], card: CardIdentity | None
    ) -> dict[str, str]: ...


def canonical_json(params: dict[str, Any]) -> bytes:
    return json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class HmacSigner:
    def __init__(self, hospital_id: str, sam_id: str, secret: str) -> None:
        self.hospital_id = hospital_id
        self.sam_id = sam_id
        self._secret = secret.encode()

    def envelope(
        self,
        service_type: str,
        path: str,
        params: dict[str, Any],
        card: CardIdentity | None,
        client_random: str | None = None,
    ) -> dict[str, str]:
        rnd = client_random or secrets.token_hex(16)
        message = "\n".join(
            [
                "NHISBX1",
                service_type,
                path,
                self.hospital_id,
                self.sam_id,
                rnd,
                card.card_no if card else "",
                card.id_no if card else "",
                hashlib.sha256(canonical_json(params)).hexdigest(),
            ]
        )
        out = {
            "clientRandom": rnd,
            "hospitalId": self.hospital_id,
            "samId": self.sam_id,
            "signature": hmac.new(self._secret, message.encode(), hashlib.sha256).hexdigest(),
        }
        if card is not None:
            out["hcId"] = card.card_no
            out["hcIdNo"] = card.id_no
        return out

    async def sign(
        self, service_type: str, path: str, params: dict[str, Any], card: CardIdentity | None
    ) -> dict[str, str]:
        return self.envelope(service_type, path, params, card)
