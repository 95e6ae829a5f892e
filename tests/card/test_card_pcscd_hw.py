"""clinicbox.runtime.pcscd against the machine's real pcscd."""

from __future__ import annotations

import asyncio

import pytest

from clinicbox.runtime.pcscd import (
    VIRTUAL_READER,
    PcscdUnavailable,
    ensure_pcscd,
    list_readers,
    wait_card_state,
)
from devsim.nhi_card import VirtualNhiCard, demo_card
from devsim.vpcd_slot import VPCD_READER_SLOT0, VirtualCardSlot

pytestmark = pytest.mark.hardware


def test_ensure_pcscd_is_idempotent_and_lists_the_virtual_reader() -> None:
    ensure_pcscd()
    ensure_pcscd()
    readers = list_readers()
    assert readers is not None
    assert VPCD_READER_SLOT0 in readers
    assert all(VIRTUAL_READER in name for name in readers if name.startswith("Virtual"))


def test_missing_reader_is_a_clear_error() -> None:
    with pytest.raises(PcscdUnavailable) as caught:
        ensure_pcscd(timeout=0.3, reader="No Such Reader")
    assert caught.value.message_key == "error.pcscd_unavailable"
    assert "No Such Reader" in caught.value.params["detail"]
    assert "scripts/bootstrap.sh" in caught.value.params["detail"]


async def test_wait_card_state_follows_the_slot(slot: VirtualCardSlot) -> None:
    # blocking PC/SC waits go to a thread: the slot must keep answering vpcd meanwhile
    assert await asyncio.to_thread(wait_card_state, VPCD_READER_SLOT0, False, 2)
    await slot.insert(VirtualNhiCard(demo_card()))
    # insert() returns once pcscd powered the card up: PC/SC shows it without waiting
    assert await asyncio.to_thread(wait_card_state, VPCD_READER_SLOT0, True, 0)
    await slot.remove()
    # remove() returns once pcscd shows the reader empty
    assert await asyncio.to_thread(wait_card_state, VPCD_READER_SLOT0, False, 0)


def test_wait_card_state_for_an_unknown_reader_is_false() -> None:
    assert not wait_card_state("No Such Reader", present=False, timeout=0.2)
