"""The box's working-set store: encrypted at rest, builds applied whole, deltas only on top of
the box's own version, nothing applied over offline work the cloud has not confirmed."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select
from sqlalchemy.exc import DatabaseError

from clinicbox_core.contracts import WorkingSetPart
from clinicbox_core.nhi.continuity_codes import Outage, continuity_abnormal_code
from cloud_plane.continuity.rowcodec import decode, digest, encode
from cloud_plane.db.tables_clinic import audit_log, orders, patients, tenants
from edge_agent.continuity.store import WorkingSetStore

NOW = "2026-12-01T01:02:03.456789+00:00"
TENANT = {
    "id": 7, "slug": "t-7", "nhi_code": "3501299999", "name": "測試診所", "clinic_type": "western",
    "address": "", "phone": "", "registration_fee": 150, "default_department": "01",
    "default_doctor_username": None, "dispensing": "self", "created_at": NOW,
}  # fmt: skip
SECRET_NAME = "祕密病人王大同"


def _patient(pid: int, name: str = SECRET_NAME) -> dict[str, object]:
    return {
        "id": pid, "tenant_id": 7, "chart_no": f"{pid:06d}", "national_id": None, "name": name,
        "sex": "M", "birth_date": "1970-01-02", "phone": "0911222333", "address": "",
        "nhi_card_no": None, "allergies": "", "created_at": NOW, "updated_at": NOW,
    }  # fmt: skip


def _part(
    mode: str, version: int, tables: dict[str, list[dict[str, object]]], **kw: int
) -> WorkingSetPart:
    return WorkingSetPart(
        mode=mode,
        build_id=uuid.uuid4(),
        from_version=kw.get("from_version", 0),
        version=version,
        part=1,
        parts=1,
        ref_hash="r",
        tables=tables,
    )


@pytest.fixture
async def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = await WorkingSetStore.open(tmp_path / "data" / "clinic.db", tmp_path / "key")
    yield s
    await s.close()


async def _names(s: WorkingSetStore) -> list[str]:
    async with s.engine.connect() as conn:
        return list((await conn.execute(select(patients.c.name).order_by("id"))).scalars())


async def test_encrypted_at_rest_and_unreadable_without_the_key(
    store: WorkingSetStore, tmp_path: Path
) -> None:
    outcome = await store.receive(
        _part("rebuild", 5, {"tenants": [TENANT], "patients": [_patient(1)]}), acked_seq=0
    )
    assert outcome.startswith("rebuild to version 5")
    assert await _names(store) == [SECRET_NAME]
    await store.close()
    raw = b"".join(p.read_bytes() for p in (tmp_path / "data").iterdir())
    assert SECRET_NAME.encode() not in raw and b"SQLite format 3" not in raw
    (tmp_path / "other.key").write_text("ab" * 32)
    with pytest.raises(DatabaseError):  # the file opens only with its own key
        await WorkingSetStore.open(tmp_path / "data" / "clinic.db", tmp_path / "other.key")


async def test_delta_applies_only_on_top_of_the_boxs_version(store: WorkingSetStore) -> None:
    await store.receive(
        _part("rebuild", 5, {"tenants": [TENANT], "patients": [_patient(1)]}), acked_seq=0
    )
    stray = _part("delta", 9, {"patients": [_patient(2, "別人")]}, from_version=7)
    assert (await store.receive(stray, acked_seq=0)).startswith("refused")
    assert await store.version() == 0  # the next report asks for a rebuild
    assert await _names(store) == [SECRET_NAME]
    await store.receive(
        _part("rebuild", 9, {"tenants": [TENANT], "patients": [_patient(1)]}), acked_seq=0
    )
    good = _part(
        "delta", 11, {"patients": [_patient(1, "改名"), _patient(3, "新人")]}, from_version=9
    )
    assert (await store.receive(good, acked_seq=0)).startswith("delta to version 11")
    assert await _names(store) == ["改名", "新人"]
    state = await store.state(0, continuity=False)
    assert state.version == 11 and state.size_bytes > 0 and state.stale_s is not None


async def test_nothing_is_applied_over_unconfirmed_offline_work(store: WorkingSetStore) -> None:
    await store.receive(
        _part("rebuild", 5, {"tenants": [TENANT], "patients": [_patient(1)]}), acked_seq=0
    )
    async with store.engine.begin() as conn:  # work done on the box's pages, not yet shipped
        await conn.execute(
            insert(audit_log).values(
                tenant_id=7, staff_id=None, box_id="b", action="update", entity="patient",
                entity_id="1", patient_id=1, at=decode(tenants, {"created_at": NOW})["created_at"],
                detail={},
            )
        )  # fmt: skip
    assert await store.pending(acked_seq=0) == 1
    outcome = await store.receive(
        _part("rebuild", 8, {"tenants": [TENANT], "patients": []}), acked_seq=0
    )
    assert outcome.startswith("deferred")
    assert await _names(store) == [SECRET_NAME] and await store.version() == 5


def test_continuity_abnormal_codes() -> None:
    assert continuity_abnormal_code(Outage.HIS_DOWN) == "D000"
    assert continuity_abnormal_code(Outage.HIS_DOWN, seq_obtained=True) == "D001"
    assert continuity_abnormal_code(Outage.NETWORK) == "A020"
    assert continuity_abnormal_code("network", seq_obtained=True) == "A021"


_decimals = st.decimals(min_value=0, max_value=10_000, places=3, allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(
    dose=_decimals,
    qty=_decimals,
    days=st.integers(min_value=0, max_value=365),
    name=st.text(min_size=0, max_size=40),
    self_pay=st.booleans(),
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)),
)
def test_rows_survive_the_wire(
    dose: object, qty: object, days: int, name: str, self_pay: bool, born: date
) -> None:
    """encode → JSON-safe → decode gives the same typed values, and equal rows digest equally."""
    import json

    order = {
        "id": 1, "tenant_id": 1, "visit_id": 2, "ordinal": 1, "kind": "drug", "code": "A0001",
        "name": name, "dose": dose, "frequency": "TID", "route": "PO", "days": days,
        "total_quantity": qty, "unit_points": qty, "amount_points": days, "self_pay": self_pay,
        "created_at": decode(orders, {"created_at": NOW})["created_at"],
    }  # fmt: skip
    wire = json.loads(json.dumps(encode(order)))
    back = decode(orders, wire)
    assert back == {k: v for k, v in order.items()}
    assert digest(wire) == digest(encode(back))
    person = decode(patients, {"birth_date": born.isoformat(), "name": name, "unknown": 1})
    assert person == {"birth_date": born, "name": name}
