"""MediCloud, e-prescription, virtual card and e-referral through their adapters against a real
sandbox process: happy paths and the refusals each service documents."""

from __future__ import annotations

import aiohttp
import pytest
from sandbox_env import HOSP_B, Sandbox

from cloud_plane.nhi.card_service import CardServiceClient
from cloud_plane.nhi.eprescription import EPrescriptionClient, PrescriptionItem
from cloud_plane.nhi.errors import NhiAuthFailed, NhiConflict, NhiNotFound, NhiRejected
from cloud_plane.nhi.medicloud import MediCloudClient
from cloud_plane.nhi.referral import ReferralClient
from cloud_plane.nhi.signer import CardIdentity
from cloud_plane.nhi.virtual_card import VirtualCardClient

DRUG = PrescriptionItem(code="A034286100", frequency="QD", days=28, total_quantity="28.0")


async def test_medicloud_shows_seeded_history(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    first = sandbox.patients("active")[0]  # the seed always makes the first person chronic
    card = CardIdentity(first["card_no"], first["id_no"])
    record = await MediCloudClient(session, sandbox.settings()).query(card)
    assert record.id_no == first["id_no"] and record.visits
    assert all(v.source == "seed" for v in record.visits)
    assert [v.visit_datetime for v in record.visits] == sorted(
        (v.visit_datetime for v in record.visits), reverse=True
    )
    assert any(m.chronic for v in record.visits for m in v.medications)
    assert any(m.chronic for m in record.active_medications)
    with pytest.raises(NhiRejected) as exc:
        await MediCloudClient(session, sandbox.settings()).query(sandbox.card("cancelled"))
    assert exc.value.nhi_code == "5002"


async def test_eprescription_upload_query_and_refusals(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    person = sandbox.patients("active")[11]
    card = CardIdentity(person["card_no"], person["id_no"])
    seq = await CardServiceClient(session, sandbox.settings()).next_sequence(card, "01")
    api = EPrescriptionClient(session, sandbox.settings())
    rx_id = await api.upload(person["id_no"], seq.treatment_number, "C", [DRUG], refills_allowed=3)
    got = await api.get(rx_id)
    assert (got.patient_id, got.prescription_type, got.refills_allowed) == (
        person["id_no"], "C", 3,
    )  # fmt: skip
    assert got.items == [DRUG]
    assert [p.prescription_id for p in await api.for_patient(person["id_no"])] == [rx_id]
    with pytest.raises(NhiConflict) as dup:
        await api.upload(person["id_no"], seq.treatment_number, "C", [DRUG], refills_allowed=3)
    assert dup.value.nhi_code == "SBX20"
    other = sandbox.patients("active")[12]["id_no"]
    with pytest.raises(NhiRejected) as wrong:
        await api.upload(other, seq.treatment_number, "B", [DRUG])
    assert wrong.value.nhi_code == "D003"
    with pytest.raises(NhiRejected) as long_a:
        await api.upload(person["id_no"], seq.treatment_number, "A", [DRUG])
    assert (long_a.value.nhi_code, long_a.value.params["field"]) == ("6018", "items[0].days")
    bad_freq = DRUG.model_copy(update={"frequency": "EVERYSO"})
    with pytest.raises(NhiRejected) as freq:
        await api.upload(person["id_no"], seq.treatment_number, "B", [bad_freq])
    assert freq.value.params["field"] == "items[0].frequency"
    with pytest.raises(NhiRejected) as unknown:
        await api.upload(person["id_no"], "A" * 20, "B", [DRUG])
    assert unknown.value.nhi_code == "D002"
    from_b = EPrescriptionClient(session, sandbox.settings(HOSP_B))
    with pytest.raises(NhiRejected) as other_hosp:
        await from_b.upload(person["id_no"], seq.treatment_number, "B", [DRUG])
    assert other_hosp.value.nhi_code == "D004"
    assert (await from_b.get(rx_id)).prescription_id == rx_id  # a pharmacy can read it


async def test_virtual_card_token_is_one_time_and_expires(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    person = sandbox.patients("active")[13]
    api = VirtualCardClient(session, sandbox.settings())
    status, issued = sandbox.post("/sandbox/v1/VirtualCard/Token", {"patientId": person["id_no"]})
    assert status == 200
    basic = await api.read_basic(issued["token"])
    assert (basic.id_no, basic.card_no, basic.name) == (
        person["id_no"], person["card_no"], person["name"],
    )  # fmt: skip
    with pytest.raises(NhiConflict) as reused:
        await api.read_basic(issued["token"])
    assert reused.value.nhi_code == "SBX12"
    _, late = sandbox.post("/sandbox/v1/VirtualCard/Token", {"patientId": person["id_no"]})
    sandbox.advance(5 * 60 + 1)
    with pytest.raises(NhiRejected) as expired:
        await api.read_basic(late["token"])
    assert expired.value.nhi_code == "SBX11"
    with pytest.raises(NhiNotFound) as unknown:
        await api.read_basic("VHC" + "0" * 32)
    assert unknown.value.nhi_code == "SBX10"


async def test_referral_create_query_accept(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    person = sandbox.patients("active")[14]
    card = CardIdentity(person["card_no"], person["id_no"])
    seq = await CardServiceClient(session, sandbox.settings()).next_sequence(card, "01")
    a = ReferralClient(session, sandbox.settings())
    b = ReferralClient(session, sandbox.settings(HOSP_B))
    ref_id = await a.create(
        person["id_no"], seq.treatment_number, HOSP_B[0],
        icd10="I10", department="02", reason="血壓控制不佳，轉請心臟內科評估",
    )  # fmt: skip
    seen_by_b = await b.get(ref_id)
    assert (seen_by_b.status, seen_by_b.from_hospital_id) == ("created", seq.hospital_id)
    assert [r.referral_id for r in await b.for_patient(person["id_no"])] == [ref_id]
    with pytest.raises(NhiAuthFailed) as not_target:
        await a.accept(ref_id)
    assert not_target.value.nhi_code == "SBX30"
    accepted = await b.accept(ref_id)
    assert accepted.status == "accepted" and accepted.accepted_at
    with pytest.raises(NhiConflict) as twice:
        await b.accept(ref_id)
    assert twice.value.nhi_code == "SBX31"
    with pytest.raises(NhiNotFound) as nowhere:
        await a.create(
            person["id_no"], seq.treatment_number, "3599999999",
            icd10="I10", department="02", reason="x",
        )  # fmt: skip
    assert nowhere.value.nhi_code == "SBX32"
    with pytest.raises(NhiRejected) as self_ref:
        await a.create(
            person["id_no"], seq.treatment_number, seq.hospital_id,
            icd10="I10", department="02", reason="x",
        )  # fmt: skip
    assert self_ref.value.params["field"] == "toHospitalId"
