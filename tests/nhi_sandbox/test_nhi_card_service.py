"""Card service through CardServiceClient against a real sandbox process: basic data, 就醫序號,
rollback, 就醫識別碼 without a card, and every refusal path (signature, card state)."""

from __future__ import annotations

from datetime import datetime, timedelta

import aiohttp
import pytest
from sandbox_env import HOSP_A, Sandbox

from clinicbox_core.nhi.id_number import check_digit
from clinicbox_core.nhi.roc_date import format_roc_datetime
from cloud_plane.nhi.card_service import CardServiceClient
from cloud_plane.nhi.errors import NhiAuthFailed, NhiConflict, NhiNotFound, NhiRejected
from cloud_plane.nhi.signer import CardIdentity, HmacSigner
from nhi_sandbox.services.card import NO_CARD_WINDOW


def client(sandbox: Sandbox, session: aiohttp.ClientSession, **kw: object) -> CardServiceClient:
    return CardServiceClient(session, sandbox.settings(), **kw)  # type: ignore[arg-type]


async def test_basic_and_register_data_match_the_seeded_person(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    person = sandbox.patients("active")[1]
    card = CardIdentity(person["card_no"], person["id_no"])
    basic = await client(sandbox, session).query_basic(card)
    assert (basic.card_no, basic.id_no, basic.name, basic.sex) == (
        person["card_no"], person["id_no"], person["name"], person["sex"],
    )  # fmt: skip
    assert basic.cancelled == "N"
    reg = await client(sandbox, session).register_basic(card)
    assert reg.treatment_counter == "06"
    assert len(reg.card_validity) == 7


async def test_sequence_numbers_count_up_per_person_and_flag_same_day(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    card = sandbox.card("active", 2)
    api = client(sandbox, session)
    first = await api.next_sequence(card, "01")
    second = await api.next_sequence(card, "01")
    assert (first.sequence_number, first.same_day) == ("0001", "N")
    assert (second.sequence_number, second.same_day) == ("0002", "Y")
    assert len(first.treatment_number) == 20 and first.treatment_number != second.treatment_number
    assert len(first.signature) == 256 and first.hospital_id == HOSP_A[0]
    other = await api.next_sequence(sandbox.card("active", 3), "01")
    assert other.sequence_number == "0001"
    uncounted = await api.next_sequence(card, "AE")
    assert uncounted.sequence_number == "" and len(uncounted.treatment_number) == 20


@pytest.mark.parametrize(
    ("status", "code"),
    [("cancelled", "5002"), ("expired", "5003"), ("uninsured", "5012"), ("exhausted", "5001")],
)
async def test_card_state_refuses_a_sequence_number(
    sandbox: Sandbox, session: aiohttp.ClientSession, status: str, code: str
) -> None:
    with pytest.raises(NhiRejected) as exc:
        await client(sandbox, session).next_sequence(sandbox.card(status), "01")
    assert exc.value.nhi_code == code


async def test_second_department_same_day_is_5010(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    card = sandbox.card("active", 4)
    api = client(sandbox, session)
    await api.next_sequence(card, "01", department="02")
    await api.next_sequence(card, "01", department="02")
    with pytest.raises(NhiRejected) as exc:
        await api.next_sequence(card, "01", department="09")
    assert exc.value.nhi_code == "5010"


async def test_signature_failures(sandbox: Sandbox, session: aiohttp.ClientSession) -> None:
    card = sandbox.card("active", 1)
    wrong_secret = HmacSigner(HOSP_A[0], HOSP_A[1], "not-the-secret")
    with pytest.raises(NhiAuthFailed) as exc:
        await client(sandbox, session, signer=wrong_secret).query_basic(card)
    assert exc.value.nhi_code == "9020"
    wrong_sam = HmacSigner(HOSP_A[0], "000000000001", HOSP_A[2])
    with pytest.raises(NhiAuthFailed) as exc:
        await client(sandbox, session, signer=wrong_sam).query_basic(card)
    assert exc.value.nhi_code == "9014"
    unknown = HmacSigner("3599999999", HOSP_A[1], HOSP_A[2])
    with pytest.raises(NhiAuthFailed) as exc:
        await client(sandbox, session, signer=unknown).query_basic(card)
    assert exc.value.nhi_code == "9013"


def test_replayed_or_tampered_request_is_refused(sandbox: Sandbox) -> None:
    card = sandbox.card("active", 1)
    signer = HmacSigner(*HOSP_A)
    path = "/api/v1/SequelNumber/Next"
    params = {"treatmentItem": "01", "babyTreatment": "", "afterCheck": "1"}
    body = {**signer.envelope("03", path, params, card, client_random="ab" * 16), **params}
    status, answer = sandbox.post(path, body)
    assert status == 200 and answer["statusCode"] == "0"
    status, answer = sandbox.post(path, body)
    assert (status, answer["statusCode"], answer["field"]) == (401, "9020", "clientRandom")
    tampered = {**signer.envelope("03", path, params, card), **params, "treatmentItem": "02"}
    status, answer = sandbox.post(path, tampered)
    assert (status, answer["statusCode"]) == (401, "9020")
    # a read signature does not buy a sequence number
    read_sig = {**signer.envelope("01", path, params, card), **params}
    assert sandbox.post(path, read_sig)[1]["statusCode"] == "9020"


async def test_card_not_matching_the_idc_record(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    person = sandbox.patients("active")[1]
    with pytest.raises(NhiAuthFailed) as exc:
        await client(sandbox, session).query_basic(CardIdentity("000000000001", person["id_no"]))
    assert exc.value.nhi_code == "4071"
    known = {p["id_no"] for p in sandbox.patients()}
    stranger = next(
        f"A1{n:07d}" + check_digit(f"A1{n:07d}")
        for n in range(10**6)
        if f"A1{n:07d}" + check_digit(f"A1{n:07d}") not in known
    )
    with pytest.raises(NhiNotFound) as nf:
        await client(sandbox, session).query_basic(CardIdentity("000012345678", stranger))
    assert nf.value.nhi_code == "9012"


async def test_rollback_within_24_hours_once(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    card = sandbox.card("active", 5)
    api = client(sandbox, session)
    with pytest.raises(NhiRejected) as exc:
        await api.rollback(card, "1130301090000", "0001")
    assert exc.value.nhi_code == "5081"  # no visit here in the last 24 h
    seq = await api.next_sequence(card, "01")
    with pytest.raises(NhiRejected) as exc:
        await api.rollback(card, seq.treatment_datetime, "0009")
    assert exc.value.nhi_code == "5150"
    await api.rollback(card, seq.treatment_datetime, seq.sequence_number)
    with pytest.raises(NhiConflict) as conflict:
        await api.rollback(card, seq.treatment_datetime, seq.sequence_number)
    assert conflict.value.nhi_code == "5153"
    again = await api.next_sequence(card, "01")
    assert again.sequence_number == seq.sequence_number  # the rolled-back number is free again


async def test_rollback_after_24_hours_is_5081(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    card = sandbox.card("active", 6)
    api = client(sandbox, session)
    seq = await api.next_sequence(card, "01")
    sandbox.advance(25 * 3600)
    with pytest.raises(NhiRejected) as exc:
        await api.rollback(card, seq.treatment_datetime, seq.sequence_number)
    assert exc.value.nhi_code == "5081"


async def test_treatment_number_without_card(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    api = client(sandbox, session)
    cancelled = sandbox.patients("cancelled")[0]["id_no"]
    got = await api.treatment_number_no_card(cancelled)  # a lost card is what this is for
    assert len(got.treatment_number) == 20 and len(got.treatment_datetime) == 13
    with pytest.raises(NhiRejected) as exc:
        await api.treatment_number_no_card(sandbox.patients("uninsured")[0]["id_no"])
    assert exc.value.nhi_code == "9083"
    with pytest.raises(NhiRejected) as bad:
        await api.treatment_number_no_card("A123456780")
    assert (bad.value.nhi_code, bad.value.params["field"]) == ("6018", "patientId")


async def test_no_card_number_for_an_earlier_visit_is_stamped_with_its_time(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    api = client(sandbox, session)
    id_no = sandbox.patients("active")[2]["id_no"]
    now = datetime.fromisoformat(sandbox.get("/sandbox/v1/Health")["now"])
    visit = now - timedelta(hours=30, seconds=7)  # made while the IDC could not be reached
    got = await api.treatment_number_no_card(id_no, visit)
    assert got.treatment_datetime == format_roc_datetime(visit)
    again = await api.treatment_number_no_card(id_no, visit)  # asking twice: the same number
    assert again.treatment_number == got.treatment_number
    for when in (now + timedelta(hours=1), now - NO_CARD_WINDOW - timedelta(days=1)):
        with pytest.raises(NhiRejected) as exc:
            await api.treatment_number_no_card(id_no, when)
        assert (exc.value.nhi_code, exc.value.params["field"]) == ("6018", "treatmentDateTime")
