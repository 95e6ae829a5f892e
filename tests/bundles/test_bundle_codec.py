"""The bundle format: round trips, delta property, tampering, wrong keys, hostile bytes."""

from __future__ import annotations

import json
from datetime import date

import pytest
from bundles_helpers import price_row, rows_st, signed
from hypothesis import given, settings
from hypothesis import strategies as st

from clinicbox_core.bundles import (
    BundleMalformed,
    BundleRow,
    BundleSignatureInvalid,
    BundleUntrustedKey,
    SigningKey,
    TrustedKeys,
    apply_delta,
    decode,
    diff,
    digest,
    in_force_row,
)
from clinicbox_core.bundles.codec import read_header
from clinicbox_core.bundles.models import canonical_line, data_json
from clinicbox_core.nhi.errors import NoRuleInForce

KEY = SigningKey.generate()
TRUST = TrustedKeys([KEY.public_b64])


@given(rows_st, rows_st)
@settings(max_examples=100, deadline=None)
def test_apply_of_diff_is_the_new_version(old: list[BundleRow], new: list[BundleRow]) -> None:
    assert digest(apply_delta(old, diff(old, new))) == digest(new)


@given(rows_st, rows_st)
@settings(max_examples=25, deadline=None)
def test_signed_delta_round_trips(old: list[BundleRow], new: list[BundleRow]) -> None:
    blob = signed(KEY, 2, new, base=(1, old))
    header, delta = decode(blob, TRUST)
    assert header.base_version == 1
    assert digest(apply_delta(old, delta)) == header.target_digest


def test_full_bundle_round_trips() -> None:
    rows = [price_row("A0001", "12.30", date(2026, 1, 1))]
    header, delta = decode(signed(KEY, 1, rows), TRUST)
    assert not header.is_delta and list(delta.upserts) == rows


def test_every_flipped_byte_is_refused() -> None:
    blob = signed(KEY, 1, [price_row("A0001", "12.30", date(2026, 1, 1))])
    for i in range(len(blob)):
        bad = bytearray(blob)
        bad[i] ^= 0x01
        with pytest.raises((BundleMalformed, BundleSignatureInvalid, BundleUntrustedKey)):
            decode(bytes(bad), TRUST)


def test_other_key_is_untrusted_and_forged_key_id_fails_signature() -> None:
    other = SigningKey.generate()
    blob = signed(other, 1, [price_row("A0001", "1", date(2026, 1, 1))])
    with pytest.raises(BundleUntrustedKey):
        decode(blob, TRUST)
    # Signed by another key but claiming our key id: the signature check refuses it.
    forged = blob.replace(other.key_id.encode(), KEY.key_id.encode())
    assert read_header(forged).key_id == KEY.key_id
    with pytest.raises(BundleSignatureInvalid):
        decode(forged, TRUST)


@given(st.binary(max_size=300))
@settings(deadline=None)  # no timing assertions in tests (shared, loaded CI machine)
def test_random_bytes_never_crash(blob: bytes) -> None:
    with pytest.raises((BundleMalformed, BundleSignatureInvalid, BundleUntrustedKey)):
        decode(blob, TRUST)


def test_in_force_row_uses_the_edition_of_the_day() -> None:
    rows = [
        price_row("A0001", "10", date(2026, 1, 1), date(2026, 12, 31)),
        price_row("A0001", "9", date(2027, 1, 1)),
    ]
    assert in_force_row(rows, date(2026, 12, 31), rule="A0001").data["price"] == "10"
    assert in_force_row(rows, date(2027, 1, 1), rule="A0001").data["price"] == "9"
    with pytest.raises(NoRuleInForce):
        in_force_row(rows, date(2025, 12, 31), rule="A0001")


@given(st.text(min_size=1, max_size=8), st.dates(), st.none() | st.dates(), st.text(max_size=5))
@settings(deadline=None)  # no timing assertions in tests (shared, loaded CI machine)
def test_canonical_line_fast_path_matches_json(
    code: str, start: date, end: date | None, v: str
) -> None:
    data = data_json({"price": v})
    end_text = end.isoformat() if end else None
    expected = (
        json.dumps(
            [code, start.isoformat(), end_text, {"price": v}], sort_keys=True, separators=(",", ":")
        ).encode()
        + b"\n"
    )
    assert canonical_line(code, start.isoformat(), end_text, data) == expected
