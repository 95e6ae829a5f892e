"""Kill -9 the box between a card event and the cloud's ack, restart it: the visit exists
exactly once. The cloud is frozen (SIGSTOP) while the card goes in, so the event is certainly in
the box's outbox and certainly not acknowledged when the box dies."""

from __future__ import annotations

import os
import signal

import pytest
from e2e_helpers import box_outbox_depth, cloud_rows, wait_for

from clinicbox.demo import DemoStack
from clinicbox_core.nhi.id_number import check_digit
from devsim.card_control import control

pytestmark = pytest.mark.hardware


async def test_box_killed_before_ack_visit_exists_once(stack: DemoStack) -> None:
    first9 = "F22893417"
    national_id = first9 + str(check_digit(first9))
    cloud = stack.group.procs["cloud"].popen.pid
    wait_for("box drained", lambda: box_outbox_depth(stack) == 0)

    os.kill(cloud, signal.SIGSTOP)
    try:
        await control(
            stack.card_control_url,
            "insert",
            {"name": "黃淑芬", "id_no": national_id, "birth_date": "1990-11-02", "sex": "F"},
        )
        wait_for("the card event in the outbox", lambda: box_outbox_depth(stack) > 0)
        stack.group.kill("box")
        await control(stack.card_control_url, "remove")
    finally:
        os.kill(cloud, signal.SIGCONT)

    created_on_box = box_outbox_depth(stack)
    assert created_on_box >= 1
    stack.start_box()
    wait_for("the outbox acked after restart", lambda: box_outbox_depth(stack) == 0, 60)

    visits = cloud_rows(
        stack,
        "SELECT v.id FROM visits v JOIN patients p ON p.id = v.patient_id WHERE p.national_id = ?",
        national_id,
    )
    inserted = cloud_rows(
        stack,
        "SELECT count(*), count(DISTINCT event_id), count(DISTINCT seq) FROM box_inbox "
        "WHERE box_id = 'box-demo-1' AND event_type = 'card.inserted'",
    )[0]
    print(
        f"events unacked on the box at kill: {created_on_box}; visits in cloud for the card: "
        f"{len(visits)}; card.inserted rows {inserted[0]} (distinct ids {inserted[1]})"
    )
    assert len(visits) == 1
    assert inserted[0] == inserted[1] == inserted[2]
