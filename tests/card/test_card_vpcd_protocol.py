"""The vpcd framing and the slot, against a stand-in vpcd on a real loopback TCP socket.

The stand-in speaks vpcd's side of the protocol the way libifdvpcd does (length and payload in
two writes), so the slot's framing, control handling and removal are checked without pcscd.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinicbox.runtime.ports import free_port
from clinicbox_core.nhi.card import READ_BASIC_APDU, SELECT_APDU, encode_basic_data
from devsim.nhi_card import ATR_NHI, VirtualNhiCard, demo_card
from devsim.vpcd_protocol import CardPulled, Control, frame
from devsim.vpcd_slot import VirtualCardSlot, VpcdUnavailable


@given(st.binary(max_size=600))
def test_frame_prefixes_big_endian_length(payload: bytes) -> None:
    framed = frame(payload)
    assert struct.unpack(">H", framed[:2])[0] == len(payload)
    assert framed[2:] == payload


def test_frame_refuses_oversized_payload() -> None:
    with pytest.raises(ValueError):
        frame(b"\x00" * 0x10000)


@dataclass
class FakeVpcd:
    """vpcd's side: accepts one card connection and sends it framed messages."""

    port: int
    connected: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = field(
        default_factory=asyncio.Queue
    )

    async def on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self.connected.put((reader, writer))

    @staticmethod
    async def exchange(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, message: bytes
    ) -> bytes:
        writer.write(struct.pack(">H", len(message)))
        await writer.drain()
        writer.write(message)
        await writer.drain()
        (length,) = struct.unpack(">H", await reader.readexactly(2))
        return await reader.readexactly(length)


@pytest.fixture
async def fake_vpcd() -> AsyncIterator[FakeVpcd]:
    vpcd = FakeVpcd(free_port())
    server = await asyncio.start_server(vpcd.on_connect, "127.0.0.1", vpcd.port)
    try:
        yield vpcd
    finally:
        server.close()
        while not vpcd.connected.empty():
            _, writer = vpcd.connected.get_nowait()
            writer.close()
        await server.wait_closed()


async def _insert_against(
    vpcd: FakeVpcd, slot: VirtualCardSlot, card: VirtualNhiCard
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    inserting = asyncio.create_task(slot.insert(card))
    reader, writer = await vpcd.connected.get()
    # what pcscd does on a new card: presence check, power up, ATR
    assert await FakeVpcd.exchange(reader, writer, bytes([Control.GET_ATR])) == ATR_NHI
    writer.write(frame(bytes([Control.POWER_ON])))
    assert await FakeVpcd.exchange(reader, writer, bytes([Control.GET_ATR])) == ATR_NHI
    await inserting
    await vpcd.connected.put((reader, writer))  # keep it for the fixture to close
    return reader, writer


async def test_slot_serves_apdus_and_remove_closes_the_connection(fake_vpcd: FakeVpcd) -> None:
    card = VirtualNhiCard(demo_card())
    async with VirtualCardSlot(port=fake_vpcd.port) as slot:
        reader, writer = await _insert_against(fake_vpcd, slot, card)
        assert slot.inserted and slot.card is card
        assert await FakeVpcd.exchange(reader, writer, SELECT_APDU) == b"\x90\x00"
        assert await FakeVpcd.exchange(reader, writer, READ_BASIC_APDU) == (
            encode_basic_data(demo_card()) + b"\x90\x00"
        )
        await slot.insert(card)  # same card again: nothing happens
        assert slot.card is card
        await slot.remove()
        assert not slot.inserted
        assert await reader.read() == b""  # vpcd sees the connection close: card removed
        await slot.remove()  # idempotent


async def test_card_pulled_mid_command_drops_the_connection(fake_vpcd: FakeVpcd) -> None:
    class PulledOnRead(VirtualNhiCard):
        def respond(self, apdu: bytes) -> bytes:
            if apdu[1] == 0xCA:
                raise CardPulled
            return super().respond(apdu)

    async with VirtualCardSlot(port=fake_vpcd.port) as slot:
        reader, writer = await _insert_against(fake_vpcd, slot, PulledOnRead(demo_card()))
        assert await FakeVpcd.exchange(reader, writer, SELECT_APDU) == b"\x90\x00"
        with pytest.raises(asyncio.IncompleteReadError):
            await FakeVpcd.exchange(reader, writer, READ_BASIC_APDU)
        assert not slot.inserted


async def test_insert_without_vpcd_is_a_clear_error() -> None:
    slot = VirtualCardSlot(port=free_port(), accept_timeout=1.0)
    with pytest.raises(VpcdUnavailable) as caught:
        await slot.insert(VirtualNhiCard(demo_card()))
    assert caught.value.message_key == "error.vpcd_unavailable"
    assert not slot.inserted


async def test_insert_times_out_when_vpcd_never_polls(fake_vpcd: FakeVpcd) -> None:
    slot = VirtualCardSlot(port=fake_vpcd.port, accept_timeout=0.3)
    with pytest.raises(VpcdUnavailable) as caught:
        await slot.insert(VirtualNhiCard(demo_card()))
    assert "never polled" in caught.value.params["detail"]
    assert not slot.inserted
