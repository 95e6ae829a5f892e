"""CardService against the real PC/SC stack: pcscd, the vpcd reader driver, a virtual card.

Every card here travels the whole way: TCP to vpcd, pcscd's reader thread, the PC/SC client
library, pyscard, our monitor thread, the event loop.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from datetime import date
from typing import TYPE_CHECKING

import pytest

from clinicbox.runtime.pcscd import ensure_pcscd
from clinicbox.runtime.pcscd_private import active_private_pcscd
from clinicbox_core.contracts.messages import CardInserted, CardRemoved
from clinicbox_core.nhi.card import NhiCardBasic
from devsim.nhi_card import ATR_NHI_SLJ52G, ForeignCard, VirtualNhiCard, demo_card
from devsim.vpcd_protocol import CardPulled
from devsim.vpcd_slot import VPCD_READER_SLOT0, VirtualCardSlot
from edge_agent.card import CardReadReason, CardService
from edge_agent.config import CardSettings

if TYPE_CHECKING:
    from conftest import CardRecorder, StartService

pytestmark = pytest.mark.hardware

CHEN = NhiCardBasic(
    card_no="000098765432",
    name="陳美玲",
    id_no="F223456788",
    birth_date=date(1985, 11, 3),
    sex="F",
    issue_date=date(2019, 6, 30),
)


async def test_insert_reports_the_exact_card_then_remove_reports_removal(
    slot: VirtualCardSlot, card_events: CardRecorder
) -> None:
    await slot.insert(VirtualNhiCard(CHEN))
    event = await card_events.next_event()
    assert isinstance(event, CardInserted)
    assert event.reader == VPCD_READER_SLOT0
    assert event.card == CHEN
    assert event.card.name == "陳美玲"
    assert event.card.id_no == "F223456788"
    assert event.card.birth_date == date(1985, 11, 3)

    await slot.remove()
    assert await card_events.next_event() == CardRemoved(reader=VPCD_READER_SLOT0)
    assert card_events.errors.empty()


async def test_twenty_cycles_give_twenty_pairs_in_order(
    slot: VirtualCardSlot, card_events: CardRecorder
) -> None:
    for i in range(20):
        card = CHEN.model_copy(update={"card_no": f"{i:012d}"})
        await slot.insert(VirtualNhiCard(card, t0_get_response=i % 2 == 1))
        inserted = await card_events.next_event()
        assert isinstance(inserted, CardInserted)
        assert inserted.card.card_no == f"{i:012d}"
        await slot.remove()
        assert isinstance(await card_events.next_event(), CardRemoved)
    kinds = [type(e).__name__ for e in card_events.history]
    assert kinds == ["CardInserted", "CardRemoved"] * 20


async def test_foreign_card_gives_an_error_and_no_card_event(
    slot: VirtualCardSlot, card_events: CardRecorder
) -> None:
    await slot.insert(ForeignCard())
    error = await card_events.next_error()
    assert error.reason is CardReadReason.NOT_NHI_CARD
    assert error.params["reader"] == VPCD_READER_SLOT0
    assert error.params["sw"] == "6A82"
    await slot.remove()
    # The next thing reported is the NHI card inserted after it: no event for the foreign card,
    # and no CardRemoved for a card that was never reported as inserted.
    await slot.insert(VirtualNhiCard(demo_card()))
    event = await card_events.next_event()
    assert isinstance(event, CardInserted)
    assert event.card == demo_card()
    assert [type(e).__name__ for e in card_events.history] == ["CardReadError", "CardInserted"]


async def test_new_card_refusing_select_is_still_read(
    slot: VirtualCardSlot, card_events: CardRecorder
) -> None:
    await slot.insert(VirtualNhiCard(CHEN, ATR_NHI_SLJ52G, select_answers_6d00=True))
    event = await card_events.next_event()
    assert isinstance(event, CardInserted)
    assert event.card == CHEN


async def test_card_pulled_out_during_read(
    slot: VirtualCardSlot, card_events: CardRecorder
) -> None:
    class PulledOnRead(VirtualNhiCard):
        def respond(self, apdu: bytes) -> bytes:
            if apdu[1] == 0xCA:
                raise CardPulled
            return super().respond(apdu)

    await slot.insert(PulledOnRead(CHEN))
    error = await card_events.next_error()
    assert error.reason is CardReadReason.REMOVED_DURING_READ
    assert not slot.inserted
    # the reader is usable again right after
    await slot.insert(VirtualNhiCard(demo_card()))
    event = await card_events.next_event()
    assert isinstance(event, CardInserted)
    assert event.card == demo_card()
    assert [type(e).__name__ for e in card_events.history] == ["CardReadError", "CardInserted"]


async def test_swapping_cards_reports_removal_between_the_two(
    slot: VirtualCardSlot, card_events: CardRecorder
) -> None:
    await slot.insert(VirtualNhiCard(demo_card()))
    first = await card_events.next_event()
    await slot.insert(VirtualNhiCard(CHEN))  # pulls the first card out, pushes the second in
    removed = await card_events.next_event()
    second = await card_events.next_event()
    assert isinstance(first, CardInserted) and first.card == demo_card()
    assert isinstance(removed, CardRemoved)
    assert isinstance(second, CardInserted) and second.card == CHEN


async def test_card_already_in_the_reader_at_start_is_reported(
    slot: VirtualCardSlot, start_card_service: StartService
) -> None:
    await slot.insert(VirtualNhiCard(CHEN))
    recorder = await start_card_service()
    event = await recorder.next_event()
    assert isinstance(event, CardInserted)
    assert event.card == CHEN


async def test_reader_filter_and_readers_property(card_events: CardRecorder) -> None:
    assert card_events.service is not None
    assert card_events.service.readers == [VPCD_READER_SLOT0]


async def test_stop_before_run_returns_at_once() -> None:
    async def ignore(event: CardInserted | CardRemoved) -> None:
        raise AssertionError("no event expected")

    service = CardService(CardSettings(), ignore)
    service.stop()
    await asyncio.wait_for(service.run(), 5)
    assert service.readers == []


async def test_cancelling_run_stops_the_monitor(card_events: CardRecorder) -> None:
    assert card_events.service is not None and card_events.task is not None
    card_events.task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await card_events.task
    assert card_events.service.readers == []


async def test_service_survives_a_pcscd_restart(
    slot: VirtualCardSlot, card_events: CardRecorder
) -> None:
    await slot.insert(VirtualNhiCard(demo_card()))
    assert isinstance(await card_events.next_event(), CardInserted)
    private = active_private_pcscd()
    if private is not None:  # this test run's own pcscd (tests/conftest.py)
        await asyncio.to_thread(private.terminate)
    else:
        pids = await asyncio.to_thread(subprocess.check_output, ["pgrep", "-x", "pcscd"])
        for pid in pids.split():
            os.kill(int(pid), signal.SIGTERM)
    # losing PC/SC counts as the card leaving
    assert await card_events.next_event() == CardRemoved(reader=VPCD_READER_SLOT0)
    if private is not None:
        await asyncio.to_thread(private.restart)
    else:
        await asyncio.to_thread(ensure_pcscd)
    await slot.insert(VirtualNhiCard(CHEN))
    event = await card_events.next_event()
    assert isinstance(event, CardInserted)
    assert event.card == CHEN
