"""Random JSON never makes the sandbox answer 5xx: every route answers a typed NHI-style error
(or success) whether the body is garbage, an unsigned object, or correctly signed random fields."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sandbox_env import HOSP_A, Sandbox

from cloud_plane.nhi.signer import CardIdentity, HmacSigner
from nhi_sandbox.app import ROUTES

PATHS = [r.path for r in ROUTES]
FIELDS = [
    "treatmentItem", "babyTreatment", "afterCheck", "departmentCode", "treatmentDateTime",
    "sequenceNumber", "patientId", "fileName", "content", "uploadId", "receiptNo", "days",
    "treatmentNumber", "prescriptionType", "refillsAllowed", "items", "prescriptionId", "token",
    "toHospitalId", "icd10", "reason", "referralId",
]  # fmt: skip
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["01", "1", "A123456789", "0001", "1130301090000", "QD", "A", "C"])
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
params = st.dictionaries(st.sampled_from(FIELDS), values, max_size=8)
SLOW = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _check(status: int, answer: dict[str, Any]) -> None:
    assert status < 500, answer
    assert isinstance(answer.get("statusCode"), str) and answer["statusCode"]
    if status != 200:
        assert answer["statusCode"] != "0" and answer["message"]


@SLOW
@given(path=st.sampled_from(PATHS), body=values)
def test_any_json_body(sandbox: Sandbox, path: str, body: object) -> None:
    _check(*sandbox.post(path, json.dumps(body).encode()))


@SLOW
@given(path=st.sampled_from(PATHS), raw=st.binary(max_size=200))
def test_any_bytes(sandbox: Sandbox, path: str, raw: bytes) -> None:
    _check(*sandbox.post(path, raw))


@SLOW
@given(path=st.sampled_from(PATHS), fields=params, with_card=st.booleans())
def test_signed_random_fields(
    sandbox: Sandbox, path: str, fields: dict[str, Any], with_card: bool
) -> None:
    route = next(r for r in ROUTES if r.path == path)
    card = None
    if route.card or with_card:
        person = sandbox.patients()[len(fields) % 50]
        card = CardIdentity(person["card_no"], person["id_no"])
    body = {**HmacSigner(*HOSP_A).envelope(route.service_type, path, fields, card), **fields}
    status, answer = sandbox.post(path, body)
    _check(status, answer)
    assert answer["statusCode"] not in ("9001", "9020")  # the signature itself was right
