"""The prescription QR text: round trip, checksum, and decoding of arbitrary text."""

from __future__ import annotations

import contextlib
import zlib
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clinicbox_core.prescription.payload import ALPHANUMERIC, DosePer, RxItem, RxKind, RxPayload
from clinicbox_core.prescription.qr_codec import MAGIC, RxCodeError, decode_rx, encode_rx


def sample(**changes: object) -> RxPayload:
    base: dict[str, object] = {
        "institution_code": "3501200000",
        "slip_no": "20261203-17",
        "doctor_id": "A123456789",
        "visit_date": date(2026, 12, 3),
        "nhi_seq": "0001",
        "case_type": "04",
        "patient_id": "P123456786",
        "patient_birth": date(1980, 3, 15),
        "kind": RxKind.CHRONIC,
        "fills_total": 3,
        "fill_no": 1,
        "days_per_fill": 28,
        "diagnoses": ("I10", "E11.9"),
        "items": (
            RxItem(
                code="A000015421",
                dose=Decimal("1"),
                frequency="QD",
                route="PO",
                days=28,
                total=Decimal("28"),
            ),
            RxItem(
                code="A031329100",
                dose=Decimal("4.5"),
                per=DosePer.DAY,
                frequency="TID",
                route="PO",
                days=7,
                total=Decimal("31.5"),
            ),
        ),
    }
    base.update(changes)
    return RxPayload.model_validate(base)


def test_round_trip_and_shape() -> None:
    rx = sample()
    text = encode_rx(rx)
    assert text.startswith(MAGIC + "$3501200000*20261203-17*A123456789*1151203*0001*04*")
    assert "$I10+E11.9$1*A000015421*1*U*QD*PO*28*28$1*A031329100*4.5*D*TID*PO*7*31.5$" in text
    assert set(text) <= ALPHANUMERIC
    assert decode_rx(text) == rx
    assert decode_rx("  " + text + "\r\n") == rx  # a keyboard-wedge scanner's Enter


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("cbrx1$x", "charset"),
        ("CBRX2$A$B$C$00000000", "magic"),
        ("X" * 1001, "too_long"),
    ],
)
def test_rejects_with_reason(text: str, reason: str) -> None:
    with pytest.raises(RxCodeError) as err:
        decode_rx(text)
    assert err.value.params == {"field": "rx_code", "reason": reason}
    assert err.value.message_key == f"error.rx_code.{reason}"


def test_every_single_character_change_is_caught() -> None:
    text = encode_rx(sample())
    alphabet = sorted(ALPHANUMERIC)
    for i, ch in enumerate(text):
        other = alphabet[(alphabet.index(ch) + 7) % len(alphabet)]
        with pytest.raises(RxCodeError):
            decode_rx(text[:i] + other + text[i + 1 :])
    for i in range(len(text)):
        with pytest.raises(RxCodeError):
            decode_rx(text[:i] + text[i + 1 :])


def test_inconsistent_payloads_are_refused() -> None:
    with pytest.raises(ValueError, match="fill_no"):
        sample(fill_no=3, fills_total=2)
    with pytest.raises(ValueError, match="general"):
        sample(kind=RxKind.GENERAL)


_codes = st.from_regex(r"[A-Z][0-9A-Z]{2,9}", fullmatch=True)
_items = st.builds(
    RxItem,
    code=_codes,
    dose=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999.99"), places=2),
    per=st.sampled_from(DosePer),
    frequency=st.sampled_from(["QD", "BID", "TID", "QID", "HS", "Q4H", "PRN"]),
    route=st.sampled_from(["PO", "EXT", "SL"]),
    days=st.integers(1, 90),
    total=st.decimals(min_value=Decimal("0.1"), max_value=Decimal("99999.9"), places=1),
)


@st.composite
def payloads(draw: st.DrawFn) -> RxPayload:
    kind = draw(st.sampled_from(RxKind))
    fills = 1 if kind is RxKind.GENERAL else draw(st.integers(2, 3))
    return sample(
        slip_no=draw(st.from_regex(r"[0-9A-Z-]{1,20}", fullmatch=True)),
        visit_date=draw(st.dates(date(2000, 1, 1), date(2100, 12, 31))),
        patient_birth=draw(st.dates(date(1912, 1, 1), date(1999, 12, 31))),
        nhi_seq=draw(st.from_regex(r"[0-9A-Z]{4}", fullmatch=True)),
        kind=kind,
        fills_total=fills,
        fill_no=draw(st.integers(1, fills)),
        diagnoses=tuple(draw(st.lists(_codes, min_size=1, max_size=5))),
        items=tuple(draw(st.lists(_items, min_size=1, max_size=12))),
    )


@given(payloads())
@settings(max_examples=50)
def test_round_trip_property(rx: RxPayload) -> None:
    assert decode_rx(encode_rx(rx)) == rx


@given(st.text(max_size=300) | st.text(alphabet=sorted(ALPHANUMERIC), max_size=300))
@settings(max_examples=200)
def test_any_text_decodes_or_raises_rx_code_error(text: str) -> None:
    with contextlib.suppress(RxCodeError):
        decoded = decode_rx(text)
        assert decode_rx(encode_rx(decoded)) == decoded


@given(payloads(), st.data())
@settings(max_examples=50)
def test_mangled_segments_raise_rx_code_error(rx: RxPayload, data: st.DataObject) -> None:
    """A payload whose body was edited and re-checksummed still only fails as RxCodeError."""
    body = encode_rx(rx).rpartition("$")[0]
    i = data.draw(st.integers(0, len(body) - 1))
    ch = data.draw(st.sampled_from(sorted(ALPHANUMERIC)))
    body = body[:i] + ch + body[i + 1 :]
    text = f"{body}${zlib.crc32(body.encode()) & 0xFFFFFFFF:08X}"
    with contextlib.suppress(RxCodeError):
        decoded = decode_rx(text)
        assert decode_rx(encode_rx(decoded)) == decoded
