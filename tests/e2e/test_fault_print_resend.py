"""Fault test, cloud → box direction: print commands lost when the broker is killed -9.

The box is offline; the front desk prints three registration slips, so three print commands
wait for the box in its persistent session at the broker; the broker is killed -9 and comes
back without them (its persistence file removed: the worst case of a kill between autosaves,
made certain). When the box comes back online the cloud re-sends the jobs it has no result
for, from its database; each slip comes out of the printer exactly once, also after the box
reconnects again. Prints ``created=3 printed=3 duplicates=0 lost=0``.
"""

from __future__ import annotations

import sys

import pytest
from e2e_helpers import Client, box_outbox_depth, cloud_rows, printed_jobs, wait_for

from clinicbox.demo import DemoStack
from clinicbox_core.nhi.id_number import check_digit
from devsim.card_control import control

pytestmark = [
    pytest.mark.hardware,
    pytest.mark.filterwarnings(
        "ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning"
    ),
]


def _job_states(stack: DemoStack, visit_id: int) -> list[str]:
    rows = cloud_rows(
        stack, "SELECT status FROM print_jobs WHERE visit_id = ? ORDER BY id", visit_id
    )
    return [str(r[0]) for r in rows]


async def test_print_commands_lost_in_a_broker_kill_are_resent(stack: DemoStack) -> None:
    first9 = "H12004711"
    national_id = first9 + check_digit(first9)
    await control(
        stack.card_control_url,
        "insert",
        {"name": "方志豪", "id_no": national_id, "birth_date": "1979-05-06", "sex": "M"},
    )
    visit_id = int(
        wait_for(
            "the card's visit in the cloud",
            lambda: cloud_rows(
                stack,
                "SELECT v.id FROM visits v JOIN patients p ON p.id = v.patient_id "
                "WHERE p.national_id = ?",
                national_id,
            ),
        )[0][0]
    )
    await control(stack.card_control_url, "remove")
    wait_for("box drained", lambda: box_outbox_depth(stack) == 0 or None)
    printed_before = len(printed_jobs(stack))

    stack.group.stop("box")  # the box goes offline (its session stays at the broker)
    desk = Client(stack.url)
    try:
        await desk.login(stack, "frontdesk")
        for _ in range(3):
            status, _ = await desk.post(f"/visits/{visit_id}/print", {"kind": "slip"})
            assert status == 303
    finally:
        await desk.close()
    assert _job_states(stack, visit_id) == ["sent"] * 3  # published into the box's session

    broker = stack.broker
    assert broker is not None
    broker.kill()  # kill -9 ...
    for snapshot in (broker.workdir / "data").glob("mosquitto.db*"):
        snapshot.unlink()  # ... before it saved the queued commands
    broker.start()
    stack.start_box()

    wait_for(
        "every job printed",
        lambda: _job_states(stack, visit_id) == ["done"] * 3 or None,
        timeout=60,
    )
    stack.group.stop("box")  # and once more offline and back: nothing prints twice
    stack.start_box()
    wait_for("box drained again", lambda: box_outbox_depth(stack) == 0 or None)
    printed = len(printed_jobs(stack)) - printed_before
    results = cloud_rows(
        stack,
        "SELECT count(*), count(DISTINCT seq) FROM box_inbox "
        "WHERE box_id = 'box-demo-1' AND event_type = 'print.result'",
    )[0]
    print(
        f"\n[fault:print-resend] created=3 printed={printed} duplicates={max(0, printed - 3)} "
        f"lost={max(0, 3 - printed)} print_results_in_cloud={results[0]}",
        file=sys.stderr,
    )
    assert printed == 3
    assert _job_states(stack, visit_id) == ["done"] * 3
