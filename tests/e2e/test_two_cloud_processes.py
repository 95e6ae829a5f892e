"""Two cloud processes on one database and one broker: box events are split between them by the
shared subscription, each applied once, and a front-desk page served by either process sees every
new visit live (the live-update bridge between processes)."""

from __future__ import annotations

import asyncio
import json

import pytest
from e2e_helpers import cloud_rows, demo_login, logged_in_session, wait_for

from clinicbox.demo import DemoStack
from clinicbox.runtime.ports import free_port
from clinicbox_core.nhi.id_number import check_digit
from devsim.card_control import control

pytestmark = pytest.mark.hardware
CARDS = 6


def visit_of(stack: DemoStack, name: str) -> list[tuple[object, ...]]:
    sql = "SELECT v.id FROM visits v JOIN patients p ON p.id = v.patient_id WHERE p.name = ?"
    return cloud_rows(stack, sql, name)


async def test_every_visit_reaches_a_page_on_the_other_process(stack: DemoStack) -> None:
    port2 = free_port()
    stack.start_cloud("cloud2", client="cloud-2", http_port=port2)
    code, user, password = demo_login(stack, "frontdesk")
    session = await logged_in_session(f"http://127.0.0.1:{port2}", code, user, password)
    seen: list[int] = []
    try:
        async with session.get(f"http://127.0.0.1:{port2}/events") as stream:
            assert stream.status == 200

            async def read_events() -> None:
                kind = ""
                async for raw in stream.content:
                    line = raw.decode("utf-8").strip()
                    if line.startswith("event:"):
                        kind = line.split(":", 1)[1].strip()
                    elif line.startswith("data:") and kind == "visit.created":
                        seen.append(int(json.loads(line.split(":", 1)[1])["visit_id"]))
                        if len(seen) == CARDS:
                            return

            reader = asyncio.create_task(read_events())
            await asyncio.sleep(1.0)  # both processes subscribed to the bridge
            for n in range(CARDS):
                first9 = f"B2{n + 7100000:07d}"
                name = f"雙程{'甲乙丙丁戊己'[n]}"
                await control(
                    stack.card_control_url,
                    "insert",
                    {"name": name, "id_no": first9 + str(check_digit(first9))},
                )
                # the card stays in until its visit exists, as it would at a front desk
                await asyncio.to_thread(wait_for, "the visit", lambda n=name: visit_of(stack, n))
                await control(stack.card_control_url, "remove")
            await asyncio.wait_for(reader, 60)
    finally:
        await session.close()
        stack.group.stop("cloud2")

    visits = cloud_rows(
        stack,
        "SELECT v.id FROM visits v JOIN patients p ON p.id = v.patient_id "
        "WHERE p.name LIKE '雙程%'",
    )
    print(f"visits created: {len(visits)}; visit.created seen on process 2: {len(seen)}")
    assert len(visits) == CARDS
    assert sorted(seen) == sorted(v[0] for v in visits)
