"""The sandbox's stand-in for the SAM signature: an HMAC per registered hospital.

Real requests to the NHI host carry the object the control software's ``/api/sam/v1/Signature``
returns: ``clientRandom, hospitalId, samId, signature`` (plus ``hcId, hcIdNo`` when a health card
is read), flat beside the call's own fields (nhi.md §1, [S6]). The real signature comes from the
SAM (or cloud SAM) and is checked by the IDC; we cannot reproduce it. The sandbox instead checks::

    message   = "\\n".join(["NHISBX1", serviceType, path, hospitalId, samId, clientRandom,
                           hcId or "", hcIdNo or "", sha256_hex(canonical(params))])
    signature = hex(HMAC-SHA256(key = the hospital's secret (UTF-8), message))

where ``params`` is the body without the six envelope fields and ``canonical`` is JSON with sorted
keys, ``(",", ":")`` separators, UTF-8, non-ASCII unescaped. ``serviceType`` is fixed per path
(:data:`SERVICE_TYPES`), so a read signature cannot buy a 就醫序號, and a ``clientRandom`` is
accepted once per hospital (replay → 9020).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from typing import Any

from nhi_sandbox.errors import SandboxError

__all__ = ["ENVELOPE_FIELDS", "Envelope", "expected_signature", "split_envelope"]

ENVELOPE_FIELDS = ("clientRandom", "hospitalId", "samId", "signature", "hcId", "hcIdNo")
_RANDOM = re.compile(r"^[0-9a-fA-F]{16,64}$")
_HOSP = re.compile(r"^[0-9A-Z]{10}$")
_SAM = re.compile(r"^[0-9A-Z]{12}$")
_SIG = re.compile(r"^[0-9a-f]{64}$")
_CARD_NO = re.compile(r"^[0-9]{12}$")
_ID = re.compile(r"^[A-Z][0-9A-Z][0-9]{8}$")


@dataclass(frozen=True, slots=True)
class Envelope:
    client_random: str
    hospital_id: str
    sam_id: str
    signature: str
    hc_id: str | None
    hc_id_no: str | None
    params: dict[str, Any]


def _text(body: dict[str, Any], name: str, rx: re.Pattern[str]) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not rx.fullmatch(value):
        raise SandboxError("9001", 401, field=name)
    return value


def split_envelope(body: dict[str, Any], *, card: bool) -> Envelope:
    """The envelope fields, shape-checked (9001 on a malformed header); ``card`` = hc required."""
    hc_id = hc_id_no = None
    if card or body.get("hcId") is not None or body.get("hcIdNo") is not None:
        hc_id = _text(body, "hcId", _CARD_NO)
        hc_id_no = _text(body, "hcIdNo", _ID)
    return Envelope(
        client_random=_text(body, "clientRandom", _RANDOM),
        hospital_id=_text(body, "hospitalId", _HOSP),
        sam_id=_text(body, "samId", _SAM),
        signature=_text(body, "signature", _SIG),
        hc_id=hc_id,
        hc_id_no=hc_id_no,
        params={k: v for k, v in body.items() if k not in ENVELOPE_FIELDS},
    )


def canonical(params: dict[str, Any]) -> bytes:
    return json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def expected_signature(secret: str, service_type: str, path: str, env: Envelope) -> str:
    message = "\n".join(
        [
            "NHISBX1",
            service_type,
            path,
            env.hospital_id,
            env.sam_id,
            env.client_random,
            env.hc_id or "",
            env.hc_id_no or "",
            hashlib.sha256(canonical(env.params)).hexdigest(),
        ]
    )
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def signature_matches(secret: str, service_type: str, path: str, env: Envelope) -> bool:
    return hmac.compare_digest(expected_signature(secret, service_type, path, env), env.signature)
