"""The demo's NHI side across real processes: a sandbox person's card goes into the virtual
reader → box → Mosquitto → cloud, which asks the NHI sandbox process (through the card-service
adapter the demo configured) for the 就醫序號: the visit carries the sandbox's number and the card
check says "obtained"."""

from __future__ import annotations

import asyncio

import pytest
from e2e_helpers import cloud_rows, wait_for

from clinicbox.demo import DemoStack
from devsim.card_control import control
from devsim.sandbox_card import sandbox_card

pytestmark = pytest.mark.hardware


def test_card_check_in_gets_the_sandbox_sequence_number(stack: DemoStack) -> None:
    card = sandbox_card(stack.nhi_url, 2)
    asyncio.run(control(stack.card_control_url, "insert", card))
    try:
        rows = wait_for(
            "a card visit with its NHI check",
            lambda: cloud_rows(
                stack,
                "SELECT v.nhi_seq, v.abnormal_code, c.outcome FROM visits v"
                " JOIN patients p ON p.id = v.patient_id"
                " JOIN nhi_card_checks c ON c.visit_id = v.id WHERE p.national_id = ?",
                card["id_no"],
            ),
        )
    finally:
        asyncio.run(control(stack.card_control_url, "remove"))
    [(seq, abnormal, outcome)] = rows
    assert outcome == "obtained" and abnormal is None
    assert seq is not None and len(seq) == 4 and seq.isdigit()
