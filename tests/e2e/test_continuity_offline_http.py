"""The cloud stops; the clinic keeps working on the box's pages; the cloud returns and holds
everything exactly once (real processes: broker, cloud, box, virtual printer)."""

from __future__ import annotations

import itertools
import os
import re

import pytest
from e2e_helpers import (
    Client,
    box_outbox,
    box_rows,
    cloud_rows,
    get_json,
    printed_jobs,
    reported_working_set,
    wait_for,
)

from clinicbox.demo import DemoStack
from clinicbox_core.nhi.id_number import check_digit
from devsim.card_control import control

pytestmark = [pytest.mark.hardware]
_serial = itertools.count(int.from_bytes(os.urandom(3), "big") % 9_000_000)


def national_id() -> str:
    first9 = f"Q1{next(_serial) % 10_000_000:07d}"
    return first9 + check_digit(first9)


def doctor_id(page: str, name: str) -> int:
    m = re.search(r'<option value="(\d+)"[^>]*>' + re.escape(name) + "</option>", page)
    assert m, f"doctor {name} not offered"
    return int(m[1])


async def new_patient_and_visit(desk: Client, name: str) -> int:
    status, where = await desk.post(
        "/desk/patients",
        {"national_id": national_id(), "name": name, "birth_date": "1975-04-02", "sex": "F"},
    )
    assert status == 303, where
    patient = int(re.search(r"patient_id=(\d+)", where)[1])  # type: ignore[index]
    _, page = await desk.get("/desk")
    status, where = await desk.post(
        "/desk/register",
        {
            "patient_id": str(patient),
            "doctor_id": str(doctor_id(page, "王大明醫師")),
            "department": "01",
            "visit_type": "01",
            "session": "",
            "abnormal_code": "",
        },
    )
    assert status == 303, where
    return int(re.search(r"registered=(\d+)", where)[1])  # type: ignore[index]


async def consult(doctor: Client, stack: DemoStack, visit: int) -> None:
    await doctor.get(f"/visits/{visit}")
    drug = box_rows(stack, "SELECT code FROM tenant_drugs ORDER BY code LIMIT 1")[0][0]
    for path, data in (
        ("start", {}),
        ("complaint", {"chief_complaint": "發燒咳嗽兩天"}),
        ("diagnoses", {"code": "J06.9"}),
        ("drugs", {"drug_code": drug, "dose": "1", "frequency": "TID", "route": "PO", "days": "3"}),
        ("finish", {}),
    ):
        status, where = await doctor.post(f"/visits/{visit}/{path}", data)
        assert status == 303, (path, where)


async def bill_and_print(desk: Client, visit: int) -> None:
    _, page = await desk.get(f"/visits/{visit}/bill")
    due = re.search(r'name="paid"[^>]*value="(\d+)"', page)
    status, where = await desk.post(f"/visits/{visit}/settle", {"paid": due[1] if due else "0"})
    assert status == 303, where
    status, where = await desk.post(f"/visits/{visit}/print", {"kind": "drugbag"})
    assert status == 303, where


async def test_offline_visits_reach_the_cloud_once(stack: DemoStack) -> None:
    state = wait_for(
        "the box's working set",
        lambda: (reported_working_set(stack) or {}).get("rows") and reported_working_set(stack),
    )
    assert state["version"] > 0 and state["size_bytes"] > 0 and state["stale_s"] is not None

    # Online: the front desk registers a new patient in the cloud; the box gets the visit.
    cloud_desk = Client(stack.url)
    await cloud_desk.login(stack, "frontdesk")
    online_visit = await new_patient_and_visit(cloud_desk, "雲端掛號甲")
    await cloud_desk.close()
    wait_for(
        "the visit on the box",
        lambda: box_rows(stack, "SELECT id FROM visits WHERE id = ?", online_visit),
    )

    # The cloud goes away; the box notices and serves the pages in continuity mode.
    stack.group.stop("cloud")
    status = wait_for(
        "continuity mode",
        lambda: (s := get_json(stack.box_url + "/continuity/status"))["continuity"] and s,
    )
    assert status["abnormal_code"] == "D000"  # the cloud's host refuses: HIS down, no 序號 yet

    desk = Client(stack.box_url)
    await desk.login(stack, "frontdesk")
    _, page = await desk.get("/desk")
    assert "離線作業模式" in page
    doctor = Client(stack.box_url)
    await doctor.login(stack, "doctor1")
    offline_visit = await new_patient_and_visit(desk, "離線掛號乙")
    # A card inserted now is checked in on the box (not queued as a card event for later).
    card_id = national_id()
    await control(
        stack.card_control_url, "insert",
        {"name": "插卡丙", "id_no": card_id, "birth_date": "1990-01-02", "sex": "M"},
    )  # fmt: skip
    wait_for(
        "the card check-in on the box",
        lambda: box_rows(
            stack, "SELECT v.abnormal_code FROM visits v JOIN patients p ON p.id = v.patient_id "
            "WHERE p.national_id = ?", card_id,
        ) == [("D000",)],
    )  # fmt: skip
    await control(stack.card_control_url, "remove")
    jobs_before = len(printed_jobs(stack))
    for visit in (online_visit, offline_visit):
        await consult(doctor, stack, visit)
        await bill_and_print(desk, visit)
    wait_for("two drug bags", lambda: len(printed_jobs(stack)) >= jobs_before + 2)
    pharmacist = Client(stack.box_url)
    await pharmacist.login(stack, "pharmacist")
    await pharmacist.get(f"/visits/{offline_visit}/bill")
    status, where = await pharmacist.post(f"/visits/{offline_visit}/dispense")
    assert status == 303, where
    await pharmacist.close()
    assert box_rows(stack, "SELECT abnormal_code FROM visits WHERE id = ?", offline_visit) == [
        ("D000",)
    ]
    await desk.close()
    await doctor.close()
    # the offline work waits in the outbox while the cloud is away
    wait_for("offline records in the outbox", lambda: box_outbox(stack)[1] > 0)

    # The cloud returns: the outbox drains and the cloud holds every offline record once.
    stack.start_cloud()
    wait_for("the outbox to drain", lambda: box_outbox(stack)[1] == 0, timeout=60)
    created, _ = box_outbox(stack)
    inbox = cloud_rows(stack, "SELECT count(*), count(DISTINCT seq) FROM box_inbox")[0]
    print(f"\ncontinuity counts: events created on the box={created}, in the cloud={inbox[0]}")
    assert inbox == (created, created)

    finished = cloud_rows(
        stack,
        "SELECT v.id, v.status, v.abnormal_code, p.name, r.made_up_later, r.status "
        "FROM visits v JOIN patients p ON p.id = v.patient_id "
        "LEFT JOIN ic_upload_records r ON r.visit_id = v.id "
        "WHERE p.name IN ('雲端掛號甲', '離線掛號乙', '插卡丙') ORDER BY v.id",
    )
    assert len(finished) == 3, finished  # no duplicate visit
    online, offline, carded = finished
    assert carded[1] == "registered" and carded[2] == "D000" and carded[4] is None
    assert online[0] == online_visit and online[1] == "billed" and online[4] == 1
    assert offline[1] == "dispensed" and offline[2] == "D000" and offline[4] == 1
    assert offline[5] == "pending"
    for visit_id in (online[0], offline[0]):
        counts = cloud_rows(
            stack,
            "SELECT (SELECT count(*) FROM diagnoses WHERE visit_id = ?),"
            " (SELECT count(*) FROM orders WHERE visit_id = ? AND kind = 'drug'),"
            " (SELECT count(*) FROM bills WHERE visit_id = ?),"
            " (SELECT count(*) FROM print_jobs WHERE visit_id = ? AND status = 'done')",
            visit_id, visit_id, visit_id, visit_id,
        )[0]  # fmt: skip
        assert counts == (1, 1, 1, 1), (visit_id, counts)
    assert cloud_rows(stack, "SELECT count(*) FROM continuity_conflicts WHERE status = 'open'") == [
        (0,)
    ]
    admin = Client(stack.url)
    await admin.login(stack, "admin")
    status, page = await admin.get("/continuity/conflicts")
    await admin.close()
    assert status == 200 and "離線作業衝突審查" in page and "沒有待審查的離線作業衝突" in page
