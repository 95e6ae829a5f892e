"""The reader-side NHI exchange (edge_agent.card.apdu) against the card emulator's answers."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinicbox_core.nhi.card import NhiCardBasic
from devsim.nhi_card import ForeignCard, VirtualNhiCard, demo_card
from edge_agent.card.apdu import read_basic_data, transceive, with_le
from edge_agent.card.errors import CardReadError, CardReadReason

# Every character here is a one-character Big5 code (two bytes), so up to 10 fit the field.
_BIG5_CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF).filter(
    lambda c: len(c.encode("big5", errors="ignore")) == 2
)
_NAMES = st.text(_BIG5_CJK, min_size=1, max_size=10)
_DATES = st.dates(min_value=date(1912, 1, 1), max_value=date(2910, 12, 31))


def _cards() -> st.SearchStrategy[NhiCardBasic]:
    return st.builds(
        NhiCardBasic,
        card_no=st.from_regex(r"\A[0-9]{12}\Z"),
        name=_NAMES,
        id_no=st.from_regex(r"\A[A-Z][12][0-9]{8}\Z"),
        birth_date=_DATES,
        sex=st.sampled_from(["M", "F"]),
        issue_date=_DATES,
    )


@given(_cards(), st.booleans(), st.booleans())
def test_any_card_round_trips_through_the_exchange(
    card: NhiCardBasic, t0: bool, slj52g: bool
) -> None:
    virtual = VirtualNhiCard(card, t0_get_response=t0, select_answers_6d00=slj52g)
    assert read_basic_data(virtual.respond) == card


def test_every_transmitted_command_is_recorded_in_order_for_t0() -> None:
    virtual = VirtualNhiCard(demo_card(), t0_get_response=True)
    sent: list[bytes] = []

    def transmit(command: bytes) -> bytes:
        sent.append(command)
        return virtual.respond(command)

    assert read_basic_data(transmit).name == "王小明"
    assert [c[:2].hex() for c in sent] == ["00a4", "00ca", "00c0"]
    assert sent[2] == bytes.fromhex("00C0000039")


def test_foreign_card_is_not_an_nhi_card() -> None:
    with pytest.raises(CardReadError) as caught:
        read_basic_data(ForeignCard().respond)
    assert caught.value.reason is CardReadReason.NOT_NHI_CARD
    assert caught.value.message_key == "error.card.not_nhi_card"
    assert caught.value.params["sw"] == "6A82"


def test_card_refusing_select_and_read_is_not_an_nhi_card() -> None:
    def refuses_everything(command: bytes) -> bytes:
        return b"\x6d\x00"

    with pytest.raises(CardReadError) as caught:
        read_basic_data(refuses_everything)
    assert caught.value.reason is CardReadReason.NOT_NHI_CARD
    assert caught.value.params["step"] == "read"


def test_selected_card_with_failing_read_is_a_read_failure() -> None:
    virtual = VirtualNhiCard(demo_card())

    def read_fails(command: bytes) -> bytes:
        return b"\x65\x81" if command[1] == 0xCA else virtual.respond(command)

    with pytest.raises(CardReadError) as caught:
        read_basic_data(read_fails)
    assert caught.value.reason is CardReadReason.READ_FAILED
    assert caught.value.params["sw"] == "6581"


def test_selected_card_with_garbage_data_is_a_read_failure() -> None:
    def garbage(command: bytes) -> bytes:
        return b"\x90\x00" if command[1] == 0xA4 else b"\xff" * 57 + b"\x90\x00"

    with pytest.raises(CardReadError) as caught:
        read_basic_data(garbage)
    assert caught.value.reason is CardReadReason.READ_FAILED
    assert caught.value.params["step"] == "parse"


def test_response_without_status_word_is_a_read_failure() -> None:
    with pytest.raises(CardReadError) as caught:
        read_basic_data(lambda command: b"\x90")
    assert caught.value.reason is CardReadReason.READ_FAILED


def test_endless_61xx_is_cut_off() -> None:
    with pytest.raises(CardReadError) as caught:
        transceive(
            lambda command: b"\x01\x61\x01", bytes.fromhex("00CA110002 0000".replace(" ", ""))
        )
    assert caught.value.reason is CardReadReason.READ_FAILED


def test_6cxx_repeats_the_command_with_the_given_le() -> None:
    sent: list[bytes] = []

    def wants_le(command: bytes) -> bytes:
        sent.append(command)
        return b"\x6c\x03" if len(sent) == 1 else b"abc\x90\x00"

    assert transceive(wants_le, bytes.fromhex("00B0000000")) == (b"abc", 0x9000)
    assert sent[1] == bytes.fromhex("00B0000003")


def test_with_le_for_every_apdu_case() -> None:
    assert with_le(bytes.fromhex("00A40400"), 5) == bytes.fromhex("00A4040005")
    assert with_le(bytes.fromhex("00C0000039"), 0x20) == bytes.fromhex("00C0000020")
    assert with_le(bytes.fromhex("00CA1100020000"), 0x39) == bytes.fromhex("00CA110002000039")
    assert with_le(bytes.fromhex("00CA11000200007F"), 0x39) == bytes.fromhex("00CA110002000039")
    with pytest.raises(ValueError):
        with_le(b"\x00\xa4", 1)
