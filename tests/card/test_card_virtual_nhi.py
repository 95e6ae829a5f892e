"""Every APDU path of the card emulator (devsim.nhi_card), as a real card would answer."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from clinicbox_core.nhi.card import AID, READ_BASIC_APDU, SELECT_APDU, encode_basic_data
from devsim.nhi_card import ATR_NHI, ForeignCard, VirtualNhiCard, demo_card
from devsim.vpcd_protocol import Control, answer

GET_RESPONSE_57 = bytes.fromhex("00C0000039")


def test_select_then_read_answers_the_57_byte_segment() -> None:
    card = VirtualNhiCard(demo_card())
    assert card.respond(SELECT_APDU) == b"\x90\x00"
    assert card.selected
    response = card.respond(READ_BASIC_APDU)
    assert response == encode_basic_data(demo_card()) + b"\x90\x00"
    assert len(response) == 59


def test_read_before_select_is_refused() -> None:
    card = VirtualNhiCard(demo_card())
    assert card.respond(READ_BASIC_APDU) == b"\x69\x85"


def test_select_of_another_aid_is_file_not_found_and_deselects() -> None:
    card = VirtualNhiCard(demo_card())
    assert card.respond(SELECT_APDU) == b"\x90\x00"
    other = bytes.fromhex("00A4040007A0000000031010")
    assert card.respond(other) == b"\x6a\x82"
    assert not card.selected
    assert card.respond(READ_BASIC_APDU) == b"\x69\x85"


def test_wrong_cla_unknown_ins_short_apdu_and_bad_parameters() -> None:
    card = VirtualNhiCard(demo_card())
    assert card.respond(b"\x80" + SELECT_APDU[1:]) == b"\x6e\x00"
    assert card.respond(bytes.fromhex("00B0000000")) == b"\x6d\x00"
    assert card.respond(b"\x00\xa4\x04") == b"\x67\x00"
    assert card.respond(b"") == b"\x67\x00"
    assert card.respond(bytes.fromhex("00A4000010") + AID) == b"\x6a\x86"
    assert card.respond(bytes.fromhex("00A40400")) == b"\x67\x00"
    assert card.respond(bytes.fromhex("00A4040010") + AID[:8]) == b"\x67\x00"
    card.respond(SELECT_APDU)
    assert card.respond(bytes.fromhex("00CA120002 0000".replace(" ", ""))) == b"\x6a\x86"
    assert card.respond(bytes.fromhex("00CA1100")) == b"\x67\x00"


def test_t0_mode_answers_61xx_and_serves_get_response() -> None:
    card = VirtualNhiCard(demo_card(), t0_get_response=True)
    card.respond(SELECT_APDU)
    assert card.respond(READ_BASIC_APDU) == b"\x61\x39"
    assert card.respond(GET_RESPONSE_57) == encode_basic_data(demo_card()) + b"\x90\x00"
    # the pending answer is consumed
    assert card.respond(GET_RESPONSE_57) == b"\x69\x85"


def test_t0_get_response_in_pieces_and_with_wrong_le() -> None:
    basic = encode_basic_data(demo_card())
    card = VirtualNhiCard(demo_card(), t0_get_response=True)
    card.respond(SELECT_APDU)
    card.respond(READ_BASIC_APDU)
    assert card.respond(bytes.fromhex("00C0000040")) == b"\x6c\x39"  # too long: exact Le given
    assert card.respond(bytes.fromhex("00C0000020")) == basic[:32] + b"\x61\x19"
    assert card.respond(bytes.fromhex("00C0000019")) == basic[32:] + b"\x90\x00"


def test_any_other_command_drops_the_pending_response() -> None:
    card = VirtualNhiCard(demo_card(), t0_get_response=True)
    card.respond(SELECT_APDU)
    card.respond(READ_BASIC_APDU)
    card.respond(SELECT_APDU)
    assert card.respond(GET_RESPONSE_57) == b"\x69\x85"


def test_get_response_with_bad_p1p2_or_length() -> None:
    card = VirtualNhiCard(demo_card(), t0_get_response=True)
    card.respond(SELECT_APDU)
    card.respond(READ_BASIC_APDU)
    assert card.respond(bytes.fromhex("00C0010039")) == b"\x6a\x86"
    card.respond(READ_BASIC_APDU)
    assert card.respond(bytes.fromhex("00C00000")) == b"\x67\x00"


def test_slj52g_mode_refuses_select_but_reads() -> None:
    card = VirtualNhiCard(demo_card(), select_answers_6d00=True)
    assert card.respond(SELECT_APDU) == b"\x6d\x00"
    assert card.respond(READ_BASIC_APDU) == encode_basic_data(demo_card()) + b"\x90\x00"


def test_power_and_reset_control_messages_forget_the_selection() -> None:
    card = VirtualNhiCard(demo_card())
    assert answer(card, bytes([Control.GET_ATR])) == ATR_NHI
    for control in (Control.POWER_OFF, Control.POWER_ON, Control.RESET):
        assert answer(card, SELECT_APDU) == b"\x90\x00"
        assert answer(card, bytes([control])) is None
        assert not card.selected
        assert answer(card, READ_BASIC_APDU) == b"\x69\x85"


def test_foreign_card_has_no_nhi_application() -> None:
    card = ForeignCard()
    assert card.respond(SELECT_APDU) == b"\x6a\x82"
    assert card.respond(READ_BASIC_APDU) == b"\x6d\x00"
    assert card.respond(b"\x80\xca\x11\x00") == b"\x6e\x00"
    assert card.respond(b"\x00") == b"\x67\x00"


@given(st.binary(max_size=300))
def test_any_bytes_get_a_status_word(apdu: bytes) -> None:
    for card in (
        VirtualNhiCard(demo_card()),
        VirtualNhiCard(demo_card(), t0_get_response=True),
        VirtualNhiCard(demo_card(), select_answers_6d00=True),
        ForeignCard(),
    ):
        response = card.respond(apdu)
        assert len(response) >= 2
        sw1 = response[-2]
        assert sw1 in (0x90, 0x61, 0x67, 0x69, 0x6A, 0x6C, 0x6D, 0x6E)
