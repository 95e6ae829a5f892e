"""State survives a restart of the sandbox process; one data dir holds one seed's population;
the same seed gives the same people (in process and across two processes)."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from sandbox_env import SEED, start, stop

from clinicbox.runtime.processes import ProcessGroup, ProcessStartError
from clinicbox_core.nhi.id_number import is_valid_national_id
from cloud_plane.nhi.card_service import CardServiceClient
from cloud_plane.nhi.eprescription import EPrescriptionClient, PrescriptionItem
from cloud_plane.nhi.signer import CardIdentity
from nhi_sandbox.seed import generate

DRUG = PrescriptionItem(code="A015034100", frequency="TID", days=3, total_quantity="9.0")


async def test_state_persists_across_restart(tmp_path: Path) -> None:
    group = ProcessGroup(tmp_path / "logs")
    try:
        sbx = start(group, tmp_path / "data")
        person = sbx.patients("active")[0]
        card = CardIdentity(person["card_no"], person["id_no"])
        async with aiohttp.ClientSession() as session:
            seq = await CardServiceClient(session, sbx.settings()).next_sequence(card, "01")
            rx = await EPrescriptionClient(session, sbx.settings()).upload(
                person["id_no"], seq.treatment_number, "A", [DRUG]
            )
        before = sbx.patients()
        stop(sbx)
        sbx = start(group, tmp_path / "data")
        assert sbx.patients() == before
        async with aiohttp.ClientSession() as session:
            again = await CardServiceClient(session, sbx.settings()).next_sequence(card, "01")
            kept = await EPrescriptionClient(session, sbx.settings()).get(rx)
        assert again.sequence_number == "0002"
        assert kept.treatment_number == seq.treatment_number
        stop(sbx)
        with pytest.raises(ProcessStartError):
            start(group, tmp_path / "data", seed=SEED + 1)  # another population: refused
    finally:
        group.stop_all()


def test_same_seed_same_people_across_processes(tmp_path: Path) -> None:
    group = ProcessGroup(tmp_path / "logs")
    try:
        one = start(group, tmp_path / "one")
        two = start(group, tmp_path / "two")
        three = start(group, tmp_path / "three", seed=SEED + 7)
        assert one.patients() == two.patients()
        assert [p["id_no"] for p in one.patients()] != [p["id_no"] for p in three.patients()]
    finally:
        group.stop_all()


def test_seeded_population_is_deterministic_and_valid() -> None:
    people = generate(SEED)
    assert people == generate(SEED) and people != generate(SEED + 1)
    assert len({p.id_no for p in people}) == len({p.card_no for p in people}) == 50
    assert all(is_valid_national_id(p.id_no) for p in people)
    assert all(p.name.encode("big5") and len(p.card_no) == 12 for p in people)
    assert all(p.sex == {"1": "M", "2": "F"}[p.id_no[1]] for p in people)
    states = {p.status for p in people}
    assert states == {"active", "cancelled", "expired", "uninsured", "exhausted"}
    assert any(m.chronic for p in people for v in p.visits for m in v.medications)


def test_clinicbox_nhi_sandbox_command_serves(tmp_path: Path) -> None:
    import json
    import urllib.request

    from clinicbox.runtime.ports import free_port

    group = ProcessGroup(tmp_path / "logs")
    port = free_port()
    try:
        group.python(
            "cli-sandbox", "clinicbox.cli", "nhi-sandbox", "--port", str(port),
            "--data-dir", str(tmp_path / "data"), ready_port=("127.0.0.1", port),
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}/sandbox/v1/Patients"
        with urllib.request.urlopen(url, timeout=10) as resp:
            assert len(json.loads(resp.read())["patients"]) == 50
    finally:
        group.stop_all()


async def test_unreachable_service_is_nhi_unavailable() -> None:
    from clinicbox.runtime.ports import free_port
    from cloud_plane.nhi.errors import NhiUnavailable
    from cloud_plane.nhi.settings import NhiSettings

    settings = NhiSettings.for_base_url(
        f"http://127.0.0.1:{free_port()}",
        hospital_id="3501200000",
        sam_id="000035012000",
        sam_secret="x",
    )
    async with aiohttp.ClientSession() as session:
        with pytest.raises(NhiUnavailable) as exc:
            await CardServiceClient(session, settings).treatment_number_no_card("A123456789")
    assert exc.value.nhi_code is None and exc.value.status == 503
